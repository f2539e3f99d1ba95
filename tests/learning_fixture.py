"""A synthetic two-jurisdiction workspace with a planted correspondence, for showing that the ranker learns from
reviewers' decisions (none of it from the corpus).

Each of `TOPICS` gives one US statute section ("A covered issuer shall …"), its UK counterpart — an operative
rule of a rulebook (`CRYPTO n.1.1R`, kind `rule`) that says the same thing in other words — and
`DISTRACTORS` paragraphs of a UK consultation paper that discuss the US wording almost word for word. The first
stage (BM25 and dense) ranks the discussion above the rule, so the counterpart usually falls outside the top
ten; what separates them (an operative rule of a binding rulebook against a discussion paragraph) is what a
reviewer's decisions can teach the ranker.

    ws = build_learning_workspace(tmp_path)   # store + index; US → UK counterparts in `counterparts()`
"""

from __future__ import annotations

import os
from pathlib import Path

from crosswalk.workspace import Workspace
from crosswalk.ingest.models import Provision, Source, make_id
from crosswalk.ingest.store import Store

# (what the US section requires, the same duty in the UK rulebook's words)
TOPICS = (
    ("maintain reserves backing its outstanding payment stablecoins one to one",
     "hold a pool of backing assets at least equal in value to the qualifying stablecoins in issue"),
    ("segregate customer digital assets from its own assets",
     "keep client cryptoassets apart from the firm's own property on trust"),
    ("publish monthly reports on the composition of its reserves",
     "disclose every month the make-up and value of its backing assets"),
    ("redeem payment stablecoins at par within two business days",
     "pay out the par value of a qualifying stablecoin promptly when a holder asks"),
    ("not pay interest or yield to holders of payment stablecoins",
     "not pass any income earned on backing assets on to coin holders"),
    ("maintain an anti-money laundering and sanctions compliance program",
     "apply policies and controls against money laundering and terrorist financing"),
    ("keep records of every transaction for five years",
     "retain books of each transfer and its parties for five years"),
    ("adopt a cybersecurity program protecting its electronic systems",
     "ensure the operational resilience of its information technology"),
    ("obtain a license before issuing payment stablecoins",
     "be authorised by the regulator before it issues a qualifying stablecoin"),
    ("hold minimum capital and liquidity set by the regulator",
     "maintain own funds and liquid resources above the prudential threshold"),
    ("provide clear disclosures to customers before onboarding them",
     "give retail clients plain information about risks before they invest"),
    ("appoint a chief compliance officer",
     "designate a senior manager responsible for compliance with these rules"),
    ("reconcile customer holdings with its records daily",
     "check every day that client cryptoassets match the firm's internal ledger"),
    ("handle customer complaints within fifteen days",
     "resolve complaints from clients within a fixed period and tell them the outcome"),
    ("not engage in market manipulation of payment stablecoins",
     "refrain from market abuse when dealing in cryptoassets"),
    ("submit to an annual examination by the regulator",
     "allow supervisory reviews of its business at least once a year"),
)
DISTRACTORS = 11  # discussion paragraphs per topic (more than ten, so the rule can fall out of the top ten)
_OPENINGS = (
    "In the United States, Congress now requires that a covered issuer shall {us}.",
    "Respondents asked whether a covered issuer shall {us}, as the US statute puts it.",
    "We considered the US approach, under which a covered issuer shall {us}.",
    "Some firms told us that a covered issuer shall {us} in the United States.",
    "This chapter discusses the rule that a covered issuer shall {us}.",
    "Stakeholders compared our proposals with the requirement that a covered issuer shall {us}.",
    "Question: should a covered issuer {us}, as US issuers shall?",
    "Feedback on the duty that a covered issuer shall {us} was mixed.",
    "Our cost benefit analysis assumes that a covered issuer shall {us}.",
    "Several trade bodies noted that a covered issuer shall {us} under US law.",
    "International peers expect that a covered issuer shall {us}.",
)
_CLOSINGS = (
    "We will consider these views.", "We set out our response in the next chapter.",
    "No change is proposed at this stage.", "We welcome further comments.", "This is discussed further below.",
)

US_DOC = Source(id="US-SYN-ACT", jurisdiction="US", issuer="US Congress", doc_type="statute",
                title="Synthetic Stablecoin Act", date="2025-07-18", official_url="https://www.example.gov/syn-act",
                file="us/syn-act.txt")
UK_RULES = Source(id="UK-SYN-RULES", jurisdiction="UK", issuer="Financial Conduct Authority", doc_type="rulebook",
                  title="Synthetic Cryptoasset Sourcebook", date="2025-05-28",
                  official_url="https://www.example.org.uk/syn-rules", file="uk/syn-rules.txt")
UK_PAPER = Source(id="UK-SYN-CP", jurisdiction="UK", issuer="Financial Conduct Authority", doc_type="consultation",
                  title="Synthetic Consultation Paper", date="2025-05-28",
                  official_url="https://www.example.org.uk/syn-cp", file="uk/syn-cp.txt")


def us_id(i: int) -> str:
    return make_id(US_DOC.id, f"sec.{i + 1}")


def rule_id(i: int) -> str:
    return make_id(UK_RULES.id, f"CRYPTO {i + 1}.1.1R")


def paper_id(i: int, j: int) -> str:
    return make_id(UK_PAPER.id, f"para.{i + 1}.{j + 1}")


def counterparts() -> list[tuple[str, str]]:
    """The planted correspondence: (US section, UK rule) for every topic, in topic order."""
    return [(us_id(i), rule_id(i)) for i in range(len(TOPICS))]


def _provisions() -> dict[Source, list[Provision]]:
    us, rules, paper = [], [], []
    for i, (us_text, uk_text) in enumerate(TOPICS):
        us.append(Provision(us_id(i), US_DOC.id, "US", f"sec.{i + 1}",
                            f"SEC. {i + 1}. A covered issuer shall {us_text}. The primary federal regulator may "
                            "prescribe rules to carry out this section.",
                            heading_path=(US_DOC.title,), kind="section", ordinal=i))
        rules.append(Provision(rule_id(i), UK_RULES.id, "UK", f"CRYPTO {i + 1}.1.1R",
                               f"{i + 1}.1.1 R A firm must {uk_text}.",
                               heading_path=(UK_RULES.title, f"CRYPTO {i + 1}"), kind="rule", ordinal=i))
        for j in range(DISTRACTORS):
            text = (_OPENINGS[j % len(_OPENINGS)].format(us=us_text) + " "
                    + _CLOSINGS[(i + j) % len(_CLOSINGS)])
            paper.append(Provision(paper_id(i, j), UK_PAPER.id, "UK", f"para.{i + 1}.{j + 1}", text,
                                   heading_path=(UK_PAPER.title, f"Chapter {i + 1}"), kind="paragraph",
                                   ordinal=i * DISTRACTORS + j))
    return {US_DOC: us, UK_RULES: rules, UK_PAPER: paper}


def build_learning_workspace(root: Path) -> Workspace:
    """Store and index (built with the real code) under `root`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from crosswalk.index.build import build_index

    ws = Workspace(Path(root)).ensure()
    with Store(ws.database) as store:
        for src, provs in _provisions().items():
            store.replace_document(src, provs, path=src.file, file_sha256=src.id, pipeline="test", splitter="test",
                                   pages=None)
        build_index(store, ws.index_dir, progress=False)
    return ws
