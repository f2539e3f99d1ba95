"""Property test of the citation resolver over the whole corpus: every stored provision, cited at least five
ways a lawyer writes it (tests/citation_forms.py), must come first. Lookups use the in-memory catalogue only:
no index and no embedding model (the session's corpus store is enough)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from citation_forms import family, surface_forms
from crosswalk.errors import NotFoundError
from crosswalk.index.resolver import Catalog, provision_for, resolve

THRESHOLD = 0.99


def test_surface_forms_are_varied():
    forms = surface_forms("US-PL119-27-GENIUS", "sec.4(a)(11)")
    assert len(forms) >= 5 and len(set(forms)) == len(forms)
    assert "GENIUS Act section 4(a)(11)" in forms and "Sec. 4(a)(11) of the GENIUS Act" in forms
    assert any(f.isupper() is False and "SECTION" in f for f in forms)  # shouted words, sub-divisions kept
    fca = surface_forms("UK-FCA-CP25-14", "CASS 16.2.13R")
    assert {"CASS16.2.13R", "cass 16.2.13 r", "rule 16.2.13R of CASS"} <= set(fca)
    assert len(surface_forms("EU-MICA-2023-1114", "annex.I part.A point.3")) >= 5
    assert len(surface_forms("US-USC31-CH53-SUBCHII", "5318(h)(1)")) >= 5


@pytest.mark.slow
def test_every_provision_cited_five_ways_comes_first(corpus_store):
    catalog = Catalog.of(corpus_store)
    tried = passed = 0
    failures: dict[str, list[str]] = defaultdict(list)
    per_family: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    shown_wrong = []
    for n, unit in enumerate(catalog.units.values()):
        forms = surface_forms(unit.doc_id, unit.citation)
        assert len(forms) >= 5, (unit.id, forms)
        form = forms[n % len(forms)]  # `crosswalk show` reads the same forms (one per provision, in turn)
        try:
            if provision_for(corpus_store, form) != unit.id:
                shown_wrong.append(form)
        except NotFoundError as e:
            shown_wrong.append(f"{form}: {e}")
        fam = family(unit.doc_id, unit.citation)
        for form in forms:
            res = resolve(corpus_store, form)
            ok = res.kind == "found" and res.ids[0] == unit.id
            tried += 1
            passed += ok
            per_family[fam][0] += 1
            per_family[fam][1] += ok
            if not ok:
                failures[fam].append(f"{form!r} -> {res.kind} {res.ids[:1]} (want {unit.id})")
    share = passed / tried
    lines = [f"citation forms: {passed:,}/{tried:,} put their provision first ({share:.2%}) over "
             f"{len(catalog.units):,} provisions"]
    for fam, (n, ok) in sorted(per_family.items()):
        lines.append(f"  {fam:<32} {ok:>6,}/{n:<6,}" + (f"  failures e.g. {failures[fam][:3]}" if ok < n else ""))
    report = "\n".join(lines)
    print(report)
    assert share >= THRESHOLD, report
    assert len(shown_wrong) <= (1 - THRESHOLD) * len(catalog.units), shown_wrong[:20]
