"""Loading the tagger's pattern files (`ingest/patterns/`): JSON files with a ConfigError that names the file, the
JSONL name lists (`read_pattern_lines`), and the EntityRuler patterns built from them (`ruler_patterns`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crosswalk import files
from crosswalk.errors import ConfigError

PATTERNS_DIR = Path(__file__).with_name("patterns")
RULER_FILES = ("regulators.jsonl", "legislation.jsonl", "crypto_assets.jsonl", "legislation_shapes.json")
RULER_LABELS = ("REGULATOR", "LEGISLATION", "CRYPTO_ASSET")
IGNORE_LABEL = "_IGNORE"  # ruler patterns that exist only to stop a false match ("Board of Directors")




def read_json(path: Path) -> dict:
    return files.read_json(path, "pattern file", "restore it from the repository")


def plural(phrase: str) -> str:
    """The regular plural of a phrase's last word.

    >>> [plural(w) for w in ("stablecoin", "virtual currency", "EMT", "business", "key")]
    ['stablecoins', 'virtual currencies', 'EMTs', 'businesses', 'keys']
    """
    if re.search(r"[^aeiou]y$", phrase):
        return phrase[:-1] + "ies"
    if phrase.endswith(("s", "x", "ch", "sh", "z")):
        return phrase + "es"
    return phrase + "s"


def read_pattern_lines(path: Path) -> list[dict]:
    """The entries of a JSONL pattern file (blank lines and lines starting with // are skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: pattern file not found; restore it from the repository") from None
    entries = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{n}: not valid JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(entry, dict) or entry.get("label") not in RULER_LABELS + (IGNORE_LABEL,):
            allowed = ", ".join(RULER_LABELS + (IGNORE_LABEL,))
            raise ConfigError(f"{path}:{n}: each line needs a 'label', one of {allowed}")
        if not any(entry.get(k) for k in ("names", "exact", "token_patterns")):
            raise ConfigError(f"{path}:{n}: give 'names', 'exact' or 'token_patterns' for {entry.get('id')!r}")
        entries.append(entry)
    return entries


def _substitute_sets(value: Any, sets: dict[str, list], path: Path) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] not in sets:
            raise ConfigError(f"{path}: {value!r} names no list in 'sets' (have: {', '.join(sorted(sets))})")
        return sets[value[1:]]
    if isinstance(value, list):
        return [_substitute_sets(v, sets, path) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_sets(v, sets, path) for k, v in value.items()}
    return value


EXACT_ID = "@exact"  # ruler id of the grouped one-token exact patterns; the canonical id is looked up by text


@dataclass(frozen=True)
class RulerPatterns:
    """EntityRuler patterns; the canonical id of each one-token exact form, by (label, text); and of each
    name, by (label, lower-case text), so that a shape matching a listed name still gets its id."""

    patterns: list[dict]
    exact_ids: dict[tuple[str, str], str]
    name_ids: dict[tuple[str, str], str]


def ruler_patterns(tokenize, patterns_dir: Path = PATTERNS_DIR) -> RulerPatterns:
    """EntityRuler patterns from the pattern files.

    Per entry: `names` become case-insensitive phrase patterns (the ruler matches on LOWER); `exact`
    become case-sensitive token patterns (acronyms such as SEC or ART, whose lower case is a common word);
    `token_patterns` are used as written; `plurals: true` adds the plural of each name. `tokenize(str)`
    returns the token texts of a string (the pipeline's tokenizer, so patterns split as texts do).

    One-token exact forms are grouped into one `{"ORTH": {"IN": [...]}}` pattern per label (a Matcher
    costs time per pattern and token, and there are over a hundred acronyms); their canonical ids are
    returned in `exact_ids`.
    """
    out: list[dict] = []
    single: dict[str, set[str]] = {}
    exact_ids: dict[tuple[str, str], str] = {}
    name_ids: dict[tuple[str, str], str] = {}
    for name in RULER_FILES:
        path = patterns_dir / name
        if path.suffix == ".json":  # shapes: one label, token patterns with $set references
            data = read_json(path)
            sets = data.get("sets", {})
            for pattern in data.get("patterns", []):
                out.append({"label": data["label"], "pattern": _substitute_sets(pattern, sets, path)})
            continue
        for entry in read_pattern_lines(path):
            label, ident = entry["label"], entry.get("id")
            extra = {"id": ident} if ident else {}
            names = list(entry.get("names", ()))
            exact = list(entry.get("exact", ()))
            if entry.get("plurals"):
                names += [plural(n) for n in names]
                exact += [plural(x) for x in exact]
            for phrase in dict.fromkeys(names):
                out.append({"label": label, "pattern": phrase, **extra})
                if ident:
                    name_ids[(label, " ".join(phrase.lower().split()))] = ident
            for phrase in dict.fromkeys(exact):
                tokens = tokenize(phrase)
                if len(tokens) == 1:
                    single.setdefault(label, set()).add(tokens[0])
                    exact_ids[(label, tokens[0])] = ident or tokens[0]
                else:
                    out.append({"label": label, "pattern": [{"ORTH": t} for t in tokens], **extra})
            for pattern in entry.get("token_patterns", ()):
                out.append({"label": label, "pattern": pattern, **extra})
    for label in sorted(single):
        out.append({"label": label, "pattern": [{"ORTH": {"IN": sorted(single[label])}}], "id": EXACT_ID})
    return RulerPatterns(out, exact_ids, name_ids)
