"""A small hand-written store for the index tests: four documents (US and UK), 40-odd provisions.

The texts are written for these tests (no corpus text): enough structure to exercise tiny fragments folded
into parents, a long provision cut into windows, topics, entities, issuers, document types and dates.
"""

from __future__ import annotations

from pathlib import Path

from crosswalk.ingest.models import Entity, Provision, Source, make_id
from crosswalk.ingest.store import Store

CUSTODY = "custody & safeguarding of client assets"
AML = "AML/CFT & sanctions"
STABLE = "stablecoin issuance & reserves"
AUTH = "authorisation & licensing"
DEFS = "definitions & scope"

SOURCES = {
    "US-T-ACT": Source("US-T-ACT", "US", "US Congress", "statute", "Test Stablecoin Act", "2025-07-18"),
    "US-T-CFR": Source("US-T-CFR", "US", "FinCEN", "regulation", "Test AML rules", "2023"),
    "UK-T-CASS": Source("UK-T-CASS", "UK", "FCA", "rulebook", "Test client assets sourcebook", "2025-05-28"),
    "UK-T-MLR": Source("UK-T-MLR", "UK", "HM Treasury", "regulation", "Test money laundering regulations",
                       "2017-06-26"),
}

LONG_TEXT = " ".join(
    f"The firm shall keep record {i} of every transfer of client cryptoassets and reconcile it daily."
    for i in range(30)
)  # about 480 words: three or more windows


def _ents(text: str, *pairs: tuple[str, str]) -> tuple[Entity, ...]:
    out = []
    for label, needle in pairs:
        start = text.index(needle)
        out.append(Entity(start, start + len(needle), label, needle))
    return tuple(out)


def _p(doc, cite, text, parent=None, heading=(), title="", topics=(), ents=(), kind="section"):
    src = SOURCES[doc]
    return dict(doc=doc, cite=cite, text=text, parent=parent, heading=heading, title=title, topics=topics,
                ents=ents, kind=kind, jurisdiction=src.jurisdiction)


ROWS = [
    # --- US statute ------------------------------------------------------------------------------------------
    _p("US-T-ACT", "sec.2", "In this Act the following definitions apply.", heading=("Sec. 2 Definitions",),
       title="Definitions", topics=(DEFS,)),
    _p("US-T-ACT", "sec.2(1)", "(1) The term payment stablecoin means a digital asset used for payment or "
       "settlement that the issuer must redeem for a fixed amount of monetary value.", "sec.2",
       ("Sec. 2 Definitions",), topics=(DEFS, STABLE), ents=(("CRYPTO_ASSET", "payment stablecoin"),)),
    _p("US-T-ACT", "sec.2(2)", "(2) The term permitted issuer means a subsidiary of an insured bank approved "
       "to issue payment stablecoins.", "sec.2", ("Sec. 2 Definitions",), topics=(DEFS, AUTH),
       ents=(("CRYPTO_ASSET", "payment stablecoins"),)),
    _p("US-T-ACT", "sec.3", "No person other than a permitted issuer may issue a payment stablecoin in the "
       "United States.", heading=("Sec. 3 Issuance",), title="Issuance", topics=(AUTH, STABLE),
       ents=(("CRYPTO_ASSET", "payment stablecoin"), ("GPE", "United States"))),
    _p("US-T-ACT", "sec.4", "Each permitted issuer shall maintain reserves backing its outstanding payment "
       "stablecoins on at least a one to one basis, consisting of the following:", heading=("Sec. 4 Reserves",),
       title="Reserve requirements", topics=(STABLE,), ents=(("OBLIGATION", "shall"),)),
    _p("US-T-ACT", "sec.4(a)", "(a) United States coins and currency;", "sec.4", ("Sec. 4 Reserves",),
       topics=(STABLE,)),
    _p("US-T-ACT", "sec.4(b)", "(b) demand deposits at insured banks;", "sec.4", ("Sec. 4 Reserves",),
       topics=(STABLE,)),
    _p("US-T-ACT", "sec.4(c)", "(c) Treasury bills with a maturity of 93 days or less;", "sec.4",
       ("Sec. 4 Reserves",), topics=(STABLE,)),
    _p("US-T-ACT", "sec.5", "A permitted issuer shall publish the monthly composition of its reserves on its "
       "website, examined by a registered public accounting firm.", heading=("Sec. 5 Disclosure",),
       topics=(STABLE,), ents=(("OBLIGATION", "shall"),)),
    _p("US-T-ACT", "sec.6", "The SEC and the CFTC shall not treat a payment stablecoin as a security or a "
       "commodity.", heading=("Sec. 6 Treatment",), topics=(DEFS,),
       ents=(("REGULATOR", "SEC"), ("REGULATOR", "CFTC"), ("CRYPTO_ASSET", "payment stablecoin"))),
    _p("US-T-ACT", "sec.7", "A permitted issuer is treated as a financial institution under section 5318(h) "
       "and shall maintain an effective anti-money laundering program.", heading=("Sec. 7 Bank Secrecy Act",),
       topics=(AML,), ents=(("CITATION", "section 5318(h)"),)),
    _p("US-T-ACT", "sec.8", "Customer assets held by a custodian of payment stablecoins shall be treated as "
       "the property of the customer and kept segregated from the custodian's own assets.",
       heading=("Sec. 8 Custody",), title="Custody", topics=(CUSTODY,),
       ents=(("CRYPTO_ASSET", "payment stablecoins"),)),
    # --- US regulation ---------------------------------------------------------------------------------------
    _p("US-T-CFR", "1010.100", "General definitions used throughout this chapter.",
       heading=("Part 1010", "1010.100 General definitions"), topics=(DEFS,)),
    _p("US-T-CFR", "1010.100(ff)", "(ff) Money transmitting business means accepting currency, funds or value "
       "that substitutes for currency from one person and transmitting it to another location or person.",
       "1010.100", ("Part 1010", "1010.100 General definitions"), topics=(DEFS, AML)),
    _p("US-T-CFR", "1022.210", "Each money services business shall develop, implement and maintain an "
       "effective anti-money laundering program reasonably designed to prevent it from being used to "
       "facilitate money laundering and the financing of terrorist activities.",
       heading=("Part 1022", "1022.210 Anti-money laundering programs"), topics=(AML,),
       ents=(("OBLIGATION", "shall"),)),
    _p("US-T-CFR", "1022.210(d)", "The program shall at a minimum incorporate policies, procedures and "
       "internal controls, designate a compliance officer, provide training and provide independent review.",
       "1022.210", ("Part 1022", "1022.210 Anti-money laundering programs"), topics=(AML,)),
    _p("US-T-CFR", "1022.380", "Each money services business must register with FinCEN within 180 days after "
       "the date the business is established.", heading=("Part 1022", "1022.380 Registration"),
       topics=(AUTH, AML), ents=(("REGULATOR", "FinCEN"),)),
    _p("US-T-CFR", "1022.320", "A money services business shall file a report of any suspicious transaction "
       "relevant to a possible violation of law, involving at least 2,000 dollars.",
       heading=("Part 1022", "1022.320 Suspicious activity reports"), topics=(AML,)),
    _p("US-T-CFR", "1022.400", LONG_TEXT, heading=("Part 1022", "1022.400 Records of transfers"),
       title="Records of transfers", topics=(AML,)),
    # --- UK rulebook ---------------------------------------------------------------------------------------
    _p("UK-T-CASS", "CASS 16.2.13R", "A firm must hold qualifying cryptoassets for clients on trust, "
       "segregated from the firm's own assets, in a client cryptoasset account.",
       heading=("CASS 16", "16.2 Holding client cryptoassets"), topics=(CUSTODY,), kind="rule",
       ents=(("CRYPTO_ASSET", "qualifying cryptoassets"),)),
    _p("UK-T-CASS", "CASS 16.2.14G", "The trust protects clients if the firm becomes insolvent.",
       heading=("CASS 16", "16.2 Holding client cryptoassets"), topics=(CUSTODY,), kind="guidance"),
    _p("UK-T-CASS", "CASS 17.3.5G", "A firm should reconcile its records of client cryptoassets with the "
       "records of any third party holding them at least each business day.",
       heading=("CASS 17", "17.3 Reconciliations"), topics=(CUSTODY,), kind="guidance"),
    _p("UK-T-CASS", "CASS 17.4.1R", "A firm must appoint a CASS oversight officer responsible for compliance "
       "with the custody rules and report breaches to the FCA without delay.",
       heading=("CASS 17", "17.4 Oversight"), topics=(CUSTODY,), kind="rule",
       ents=(("REGULATOR", "FCA"), ("OBLIGATION", "must"))),
    _p("UK-T-CASS", "CASS 17.5.1R", "A firm must not use a client's cryptoassets for its own account unless "
       "the client has given express prior consent, which includes the following:",
       heading=("CASS 17", "17.5 Use of client cryptoassets"), topics=(CUSTODY,), kind="rule"),
    _p("UK-T-CASS", "CASS 17.5.1R(1)", "(1) consent in writing;", "CASS 17.5.1R",
       ("CASS 17", "17.5 Use of client cryptoassets"), topics=(CUSTODY,), kind="rule"),
    _p("UK-T-CASS", "CASS 17.5.1R(2)", "(2) a record of the consent;", "CASS 17.5.1R",
       ("CASS 17", "17.5 Use of client cryptoassets"), topics=(CUSTODY,), kind="rule"),
    _p("UK-T-CASS", "CASS 18.1.1R", "An issuer of a qualifying stablecoin must hold backing assets equal to "
       "the value of all stablecoins in issue in a statutory trust for holders.",
       heading=("CASS 18", "18.1 Backing assets"), topics=(STABLE, CUSTODY), kind="rule",
       ents=(("CRYPTO_ASSET", "qualifying stablecoin"),)),
    _p("UK-T-CASS", "CASS 18.2.1R", "The issuer must publish the composition of the backing asset pool each "
       "month on its website.", heading=("CASS 18", "18.2 Disclosure"), topics=(STABLE,), kind="rule"),
    # --- UK regulations -----------------------------------------------------------------------------------------
    _p("UK-T-MLR", "reg.14A", "Cryptoasset exchange provider means a firm which provides services by way of "
       "business for exchanging money for cryptoassets or one cryptoasset for another.",
       heading=("Part 2", "Meaning of cryptoasset exchange provider"), topics=(DEFS, AML),
       ents=(("CRYPTO_ASSET", "cryptoassets"),)),
    _p("UK-T-MLR", "reg.14A(1)", "(1) In this regulation the following terms apply.", "reg.14A",
       ("Part 2", "Meaning of cryptoasset exchange provider"), topics=(DEFS,)),
    _p("UK-T-MLR", "reg.56", "A cryptoasset exchange provider must be registered with the FCA before carrying "
       "on business in the United Kingdom.", heading=("Part 6", "Registration"), topics=(AUTH,),
       ents=(("REGULATOR", "FCA"), ("GPE", "United Kingdom"))),
    _p("UK-T-MLR", "reg.18", "A relevant person must take appropriate steps to identify and assess the risks "
       "of money laundering and terrorist financing to which its business is subject.",
       heading=("Part 3", "Risk assessment"), topics=(AML,)),
    _p("UK-T-MLR", "reg.19", "A relevant person must establish and maintain policies, controls and "
       "procedures to mitigate and manage effectively the risks of money laundering, including the following:",
       heading=("Part 3", "Policies and controls"), topics=(AML,)),
    _p("UK-T-MLR", "reg.19(a)", "(a) risk management practices;", "reg.19", ("Part 3", "Policies and controls"),
       topics=(AML,)),
    _p("UK-T-MLR", "reg.19(b)", "(b) internal controls and a nominated officer;", "reg.19",
       ("Part 3", "Policies and controls"), topics=(AML,)),
    _p("UK-T-MLR", "reg.21", "A relevant person must appoint a nominated officer to receive suspicious "
       "activity disclosures and report them to the National Crime Agency.",
       heading=("Part 3", "Internal controls"), topics=(AML,), ents=(("ORG", "National Crime Agency"),)),
    _p("UK-T-MLR", "reg.64G", "Before making a transfer of cryptoassets the firm must ensure the transfer is "
       "accompanied by the name and account number of the originator and the beneficiary.",
       heading=("Part 7A", "Information accompanying transfers of cryptoassets"), topics=(AML,)),
]


def provisions_for(doc_id: str, rows=None, overrides: dict[str, str] | None = None) -> list[Provision]:
    """The test provisions of one document, with `overrides` replacing texts by citation."""
    out = []
    for i, r in enumerate(rows or ROWS):
        if r["doc"] != doc_id:
            continue
        text = (overrides or {}).get(r["cite"], r["text"])
        pid = make_id(doc_id, r["cite"])
        out.append(
            Provision(
                id=pid, doc_id=doc_id, jurisdiction=r["jurisdiction"], citation=r["cite"], text=text,
                parent_id=make_id(doc_id, r["parent"]) if r["parent"] else None, heading_path=r["heading"],
                char_start=i * 1000, char_end=i * 1000 + len(text), kind=r["kind"], ordinal=i, title=r["title"],
                entities=_ents(text, *r["ents"]) if text == r["text"] else (), topics=r["topics"],
            )
        )
    return out


def put_document(store: Store, doc_id: str, overrides: dict[str, str] | None = None) -> None:
    store.replace_document(SOURCES[doc_id], provisions_for(doc_id, overrides=overrides), path=f"{doc_id}.txt",
                           file_sha256="0" * 64, pipeline="test", splitter="test", pages=None)


def make_store(path: Path) -> Store:
    """A new store at `path` holding the four test documents."""
    store = Store(path)
    for doc_id in SOURCES:
        put_document(store, doc_id)
    return store


_BUILT: dict[str, Path] = {}


def built_workspace(tmp_path_factory) -> Path:
    """A workspace (store and index, real model) built once per test session; copy it before changing it."""
    from crosswalk.index.build import build_index

    if "ws" not in _BUILT:
        ws = tmp_path_factory.mktemp("index-ws")
        with make_store(ws / "crosswalk.db") as store:
            build_index(store, ws / "index", progress=False)
        _BUILT["ws"] = ws
    return _BUILT["ws"]


def copy_workspace(src: Path, dest: Path) -> Path:
    """A private copy of the workspace `src` at `dest` (store and index)."""
    import shutil

    shutil.copytree(src, dest)
    return dest
