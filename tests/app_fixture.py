"""A small synthetic workspace for the app's tests: hand-written US and UK provisions (none from the corpus),
a real index built with the real index code, and a review queue filled by the real matcher.

Includes a provision whose text holds markup (`<script>alert(1)</script>`, `<b>bold</b>`) that the app must
show literally. Building takes a few seconds (the embedding model encodes a few dozen short texts).

    ws = build_workspace(tmp_path)       # Workspace with crosswalk.db, index/ and a US→UK review queue
"""

from __future__ import annotations

import os
from pathlib import Path

from crosswalk.workspace import Workspace
from crosswalk.ingest.models import Entity, Provision, Source, make_id
from crosswalk.ingest.store import Store

XSS_TEXT = (
    "A firm must not display <script>alert(1)</script> or <b>bold</b> markup to clients when it describes the "
    "custody of qualifying cryptoassets in its disclosures."
)

CUSTODY = "custody & safeguarding of client assets"
RESERVES = "stablecoin issuance & reserves"
AML = "AML/CFT & sanctions"
LICENSING = "authorisation & licensing"
DISCLOSURE = "disclosure & reporting"
DEFINITIONS = "definitions & scope"

US_ACT = Source(id="US-TEST-STABLE", jurisdiction="US", issuer="US Congress", doc_type="statute",
                title="Test Payment Stablecoin Act", date="2025-07-18",
                official_url="https://www.example.gov/test-stablecoin-act.pdf", file="us/test-stablecoin-act.pdf")
US_RULE = Source(id="US-TEST-CUSTODY", jurisdiction="US", issuer="NYDFS", doc_type="regulation",
                 title="Test Virtual Currency Custody Rule", date="2023-01-23",
                 official_url="https://www.example.gov/custody-rule", file="us/custody-rule.md")
UK_BOOK = Source(id="UK-TEST-CRYPTO", jurisdiction="UK", issuer="Financial Conduct Authority", doc_type="rulebook",
                 title="Test Cryptoasset Sourcebook", date="2025-05-28",
                 official_url="https://www.example.org.uk/crypto-sourcebook.pdf", file="uk/crypto-sourcebook.pdf")
UK_MLR = Source(id="UK-TEST-MLR", jurisdiction="UK", issuer="HM Treasury", doc_type="regulation",
                title="Test Money Laundering Regulations", date="2017-06-26",
                official_url="https://www.example.org.uk/mlr", file="uk/mlr.xml")

# (citation, parent citation, heading path, text, topics, page, entities as (label, surface text))
US_ACT_UNITS = [
    ("sec.2", None, ("Test Payment Stablecoin Act",), "SEC. 2. DEFINITIONS. In this Act the following terms apply.",
     (DEFINITIONS,), 2, [], "section"),
    ("sec.2(1)", "sec.2", ("Test Payment Stablecoin Act", "SEC. 2 Definitions"),
     "(1) The term payment stablecoin means a digital asset intended for use in making payments that its "
     "issuer must buy back at a fixed monetary value.",
     (DEFINITIONS, RESERVES), 2, [("DEFINED_TERM", "payment stablecoin"), ("CRYPTO_ASSET", "digital asset")], "paragraph"),
    ("sec.4", None, ("Test Payment Stablecoin Act",), "SEC. 4. REQUIREMENTS FOR ISSUING PAYMENT STABLECOINS.",
     (RESERVES,), 5, [], "section"),
    ("sec.4(a)", "sec.4", ("Test Payment Stablecoin Act", "SEC. 4 Requirements for issuing"),
     "(a) A permitted issuer shall maintain reserves backing its outstanding payment stablecoins on at least a "
     "one to one basis, held in cash, demand deposits and short-dated Treasury bills.",
     (RESERVES,), 5, [("DEFINED_TERM", "payment stablecoins"), ("OBLIGATION", "shall")], "subsection"),
    ("sec.4(b)", "sec.4", ("Test Payment Stablecoin Act", "SEC. 4 Requirements for issuing"),
     "(b) A permitted issuer shall publish each month the total number of outstanding payment stablecoins and "
     "the amount and composition of the reserves, examined by a registered public accounting firm.",
     (RESERVES, DISCLOSURE), 6, [("DEFINED_TERM", "payment stablecoins")], "subsection"),
    ("sec.4(c)", "sec.4", ("Test Payment Stablecoin Act", "SEC. 4 Requirements for issuing"),
     "(c) A permitted issuer shall not give a holder of a payment stablecoin interest or yield of any kind "
     "merely because the holder keeps the payment stablecoin.",
     (RESERVES, "consumer protection & marketing"), 6,
     [("DEFINED_TERM", "holder"), ("DEFINED_TERM", "payment stablecoin")], "subsection"),
    ("sec.5", None, ("Test Payment Stablecoin Act",),
     "SEC. 5. A person shall not issue a payment stablecoin in the United States unless that person is a "
     "permitted issuer approved by the primary federal regulator.",
     (LICENSING,), 8, [("DEFINED_TERM", "payment stablecoin")], "section"),
    ("sec.6", None, ("Test Payment Stablecoin Act",),
     "SEC. 6. A permitted issuer shall be treated as a financial institution for the purposes of the Bank "
     "Secrecy Act and shall maintain an effective anti-money laundering and sanctions compliance program.",
     (AML,), 9, [("LEGISLATION", "Bank Secrecy Act")], "section"),
    ("sec.7", None, ("Test Payment Stablecoin Act",),
     "SEC. 7. A custodian that holds payment stablecoin reserves or the private keys of customers shall keep "
     "those assets segregated from its own assets and shall not lend, pledge or rehypothecate them.",
     (CUSTODY, RESERVES), 10, [("DEFINED_TERM", "payment stablecoin")], "section"),
]
US_RULE_UNITS = [
    ("200.9", None, ("Part 200", "200.9 Custody and protection of customer assets"),
     "200.9 Custody and protection of customer assets. Each licensee shall maintain a surety bond or trust "
     "account in United States dollars for the benefit of its customers in such form as the superintendent "
     "determines.", (CUSTODY,), None, [("REGULATOR", "superintendent")], "section"),
    ("200.9(a)", "200.9", ("Part 200", "200.9 Custody and protection of customer assets"),
     "(a) A licensee that stores, holds or maintains custody of virtual currency on behalf of another person "
     "shall hold virtual currency of the same type and amount as that which is owed to the other person.",
     (CUSTODY,), None, [("CRYPTO_ASSET", "virtual currency")], "subsection"),
    ("200.9(b)", "200.9", ("Part 200", "200.9 Custody and protection of customer assets"),
     "(b) A licensee is prohibited from selling, transferring, assigning, lending, pledging or otherwise using "
     "or encumbering assets it stores, holds or maintains custody of on behalf of another person.",
     (CUSTODY,), None, [], "subsection"),
    ("200.12", None, ("Part 200", "200.12 Books and records"),
     "200.12 Books and records. Each licensee shall make and keep for seven years complete records of every "
     "transaction, including the amount, date and the names of the parties to the transaction.",
     (DISCLOSURE, AML), None, [], "section"),
    ("200.15", None, ("Part 200", "200.15 Anti-money laundering program"),
     "200.15 Anti-money laundering program. Each licensee shall conduct an initial risk assessment and shall "
     "establish, maintain and enforce an anti-money laundering program based on that risk assessment, with "
     "customer identification and the reporting of suspicious activity.",
     (AML,), None, [("OBLIGATION", "shall")], "section"),
    ("200.16", None, ("Part 200", "200.16 Cyber security program"),
     "200.16 Cyber security program. Each licensee shall establish and maintain an effective cyber security "
     "program to ensure the availability and functionality of its electronic systems and to protect them from "
     "unauthorized access.", ("cybersecurity & operational resilience",), None, [], "section"),
]
UK_BOOK_UNITS = [
    ("CRYPTO 1.2.1R", None, ("CRYPTO 1 Application",),
     "CRYPTO 1.2.1R This sourcebook applies to a firm that issues a qualifying stablecoin in the United "
     "Kingdom or safeguards qualifying cryptoassets for clients.",
     (DEFINITIONS,), 3, [("DEFINED_TERM", "qualifying stablecoin"), ("CRYPTO_ASSET", "qualifying cryptoassets")], "rule"),
    ("CRYPTO 2.4.1R", None, ("CRYPTO 2 Stablecoin issuers", "2.4 Backing assets"),
     "CRYPTO 2.4.1R A firm issuing a qualifying stablecoin must hold a pool of backing assets with a value at "
     "least equal to the value of all qualifying stablecoins in issue, in short-term government debt and "
     "deposits.", (RESERVES,), 12,
     [("DEFINED_TERM", "qualifying stablecoin"), ("DEFINED_TERM", "backing assets"), ("OBLIGATION", "must")], "rule"),
    ("CRYPTO 2.4.8R", None, ("CRYPTO 2 Stablecoin issuers", "2.4 Backing assets"),
     "CRYPTO 2.4.8R A firm must disclose on its website, at least monthly, the value and composition of its "
     "backing assets and the number of qualifying stablecoins in issue.",
     (RESERVES, DISCLOSURE), 13, [("DEFINED_TERM", "backing assets"), ("DEFINED_TERM", "qualifying stablecoins")], "rule"),
    ("CRYPTO 2.4.33R", None, ("CRYPTO 2 Stablecoin issuers", "2.4 Backing assets"),
     "CRYPTO 2.4.33R A firm must not pass on to the holders of a qualifying stablecoin any interest or other "
     "income earned on the backing assets.", (RESERVES,), 15,
     [("DEFINED_TERM", "holders"), ("DEFINED_TERM", "qualifying stablecoin"), ("DEFINED_TERM", "backing assets")],
     "rule"),
    ("CASS 17.2.1R", None, ("CASS 17 Cryptoasset custody", "17.2 Holding client cryptoassets"),
     "CASS 17.2.1R A firm that safeguards qualifying cryptoassets for clients must hold them on trust for "
     "those clients and keep them segregated from the firm's own assets.",
     (CUSTODY,), 21, [("CRYPTO_ASSET", "qualifying cryptoassets")], "rule"),
    ("CASS 17.2.5R", "CASS 17.2.1R", ("CASS 17 Cryptoasset custody", "17.2 Holding client cryptoassets"),
     "CASS 17.2.5R A firm must not use a client's qualifying cryptoassets for its own account, and must not "
     "lend, pledge or otherwise encumber them without the client's express consent.",
     (CUSTODY,), 22, [("CRYPTO_ASSET", "qualifying cryptoassets")], "rule"),
    ("CASS 17.3.2R", None, ("CASS 17 Cryptoasset custody", "17.3 Records and reconciliations"),
     "CASS 17.3.2R A firm must keep records that enable it at any time to distinguish the qualifying "
     "cryptoassets held for one client from those held for other clients and from its own.",
     (CUSTODY, DISCLOSURE), 23, [("CRYPTO_ASSET", "qualifying cryptoassets")], "rule"),
    ("CRYPTO 4.1.1R", None, ("CRYPTO 4 Disclosures",), XSS_TEXT, (DISCLOSURE,), 30,
     [("CRYPTO_ASSET", "qualifying cryptoassets")], "rule"),
]
UK_MLR_UNITS = [
    ("reg.14A", None, ("Test Money Laundering Regulations", "Part 2 Money laundering and terrorist financing"),
     "14A. A cryptoasset exchange provider and a custodian wallet provider must register with the FCA before "
     "carrying on business in the United Kingdom.", (LICENSING, AML), None,
     [("REGULATOR", "FCA"), ("CRYPTO_ASSET", "cryptoasset")], "regulation"),
    ("reg.18", None, ("Test Money Laundering Regulations", "Part 2 Money laundering and terrorist financing"),
     "18. A relevant person must take appropriate steps to identify and assess the risks of money laundering "
     "and terrorist financing to which its business is subject, and must keep an up-to-date written record.",
     (AML,), None, [], "regulation"),
    ("reg.19", None, ("Test Money Laundering Regulations", "Part 2 Money laundering and terrorist financing"),
     "19. A relevant person must establish and maintain policies, controls and procedures to mitigate and "
     "manage effectively the risks of money laundering and terrorist financing identified in its risk "
     "assessment, including customer due diligence and reporting.", (AML,), None, [], "regulation"),
    ("reg.40", None, ("Test Money Laundering Regulations", "Part 3 Record-keeping"),
     "40. A relevant person must keep a copy of any documents and information obtained to satisfy the customer "
     "due diligence requirements for five years after the end of the business relationship.",
     (AML, DISCLOSURE), None, [], "regulation"),
]


def _entities(text: str, wanted) -> tuple[Entity, ...]:
    out = []
    for label, surface in wanted:
        at = text.find(surface)
        if at < 0:
            raise ValueError(f"fixture entity {surface!r} is not in {text[:40]!r}")
        out.append(Entity(at, at + len(surface), label, surface, surface.lower() if label == "DEFINED_TERM" else ""))
    return tuple(out)


def provisions_of(src: Source, units) -> list[Provision]:
    out = []
    for i, (cite, parent, heading, text, topics, page, ents, kind) in enumerate(units):
        out.append(Provision(
            id=make_id(src.id, cite), doc_id=src.id, jurisdiction=src.jurisdiction, citation=cite, text=text,
            parent_id=make_id(src.id, parent) if parent else None, heading_path=tuple(heading),
            page_start=page, page_end=page, kind=kind, ordinal=i, entities=_entities(text, ents),
            topics=tuple(topics),
        ))
    return out


DOCUMENTS = ((US_ACT, US_ACT_UNITS), (US_RULE, US_RULE_UNITS), (UK_BOOK, UK_BOOK_UNITS), (UK_MLR, UK_MLR_UNITS))
XSS_ID = make_id(UK_BOOK.id, "CRYPTO 4.1.1R")
PAIR = (make_id(US_ACT.id, "sec.4(c)"), make_id(UK_BOOK.id, "CRYPTO 2.4.33R"))


def build_store(ws: Workspace) -> None:
    with Store(ws.database) as store:
        for src, units in DOCUMENTS:
            provs = provisions_of(src, units)
            pages = max((p.page_end or 0) for p in provs) or None
            store.replace_document(src, provs, path=src.file, file_sha256=src.id, pipeline="test", splitter="test",
                                   pages=pages)


def build_workspace(root: Path, *, index: bool = True, queue: bool = True, database_url: str | None = None) -> Workspace:
    """Store, index and US→UK review queue under `root` (the store in PostgreSQL at `database_url` when given),
    built with the real code."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    ws = Workspace(Path(root), database_url).ensure()
    build_store(ws)
    if index:
        from crosswalk.index.build import build_index, load_searcher

        with Store(ws.database) as store:
            build_index(store, ws.index_dir, progress=False)
            if queue:
                from crosswalk.index.match import match

                match(store, load_searcher(store, ws.index_dir), "US", "UK", k=3)
    return ws


if __name__ == "__main__":  # python tests/app_fixture.py /tmp/demo-ws  → a workspace to open in the app
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/crosswalk-demo-ws")
    print(build_workspace(target).root)
