"""corpus/sources.csv against the mirror's manifest, and `crosswalk.ingest.sources`' checks of bad catalogues."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crosswalk.errors import ConfigError
from crosswalk.ingest.models import DocType, Jurisdiction, Source
from crosswalk.ingest.sources import (
    SOURCE_COLUMNS,
    SOURCES_CSV,
    format_of,
    load_manifest,
    load_sources,
    parse_bool,
    select_sources,
    sources_by_id,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"

EXTRA = {  # id -> the official URL it must have (the documents the mirror lacks)
    "US-NYCRR-23-200": "https://www.dfs.ny.gov/",
    "US-NYCRR-23-500": "https://www.dfs.ny.gov/",
    "US-FINCEN-FIN-2019-G001": "https://www.fincen.gov/",
    "US-CFR31-1010-100": "https://www.ecfr.gov/api/versioner/v1/full/",
    "US-CFR31-1022": "https://www.ecfr.gov/api/versioner/v1/full/",
    "UK-MLR-2017": "https://www.legislation.gov.uk/uksi/2017/692/data.xml",
    "UK-FSMA-2000-S19": "https://www.legislation.gov.uk/ukpga/2000/8/section/19/data.xml",
    "UK-FSMA-2000-S20": "https://www.legislation.gov.uk/ukpga/2000/8/section/20/data.xml",
    "UK-FSMA-2000-S21": "https://www.legislation.gov.uk/ukpga/2000/8/section/21/data.xml",
    "UK-FCA-PS19-22": "https://www.fca.org.uk/publication/policy/ps19-22.pdf",
    "UK-FCA-PS23-6": "https://www.fca.org.uk/publication/policy/ps23-6.pdf",
}


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not (CORPUS / "manifest.csv").is_file():
        pytest.skip("needs the shared corpus at ../shared/corpus")
    return CORPUS


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return load_sources()


# --- the real catalogue ----------------------------------------------------------------------------------


def test_default_path_is_the_repo_catalogue(sources):
    assert SOURCES_CSV == REPO / "corpus" / "sources.csv"
    assert sources == load_sources(SOURCES_CSV)


def test_header_is_exactly_the_documented_columns():
    with SOURCES_CSV.open(newline="", encoding="utf-8") as fh:
        assert tuple(next(csv.reader(fh))) == SOURCE_COLUMNS


def test_every_manifest_document_is_listed_with_its_file_and_checksum(sources, corpus):
    manifest = load_manifest(corpus)
    by_id = sources_by_id(sources)
    assert len(manifest) >= 15
    for doc in manifest:
        listed = by_id.get(doc.id)
        assert listed is not None, f"{doc.id} of the manifest is not in corpus/sources.csv"
        assert listed.sha256 == doc.sha256 and len(listed.sha256) == 64
        assert listed.file == doc.file and listed.mirrored
        assert listed.jurisdiction == doc.jurisdiction and listed.doc_type == doc.doc_type
        assert listed.official_url == doc.official_url
        assert (corpus / listed.file).is_file()


def test_manifest_checksums_match_the_mirror_files(corpus):
    import hashlib

    for doc in load_manifest(corpus):
        assert hashlib.sha256((corpus / doc.file).read_bytes()).hexdigest() == doc.sha256, doc.id


def test_every_official_url_is_https(sources):
    assert all(s.official_url.startswith("https://") for s in sources), [
        s.id for s in sources if not s.official_url.startswith("https://")
    ]


@pytest.mark.parametrize("sid", sorted(EXTRA))
def test_documents_the_mirror_lacks_are_listed(sources, corpus, sid):
    source = sources_by_id(sources)[sid]
    assert source.official_url.startswith(EXTRA[sid])
    assert source.mirrored is False and source.sha256 == ""
    assert source.format in ("pdf", "xml") and source.file
    assert source.id not in {d.id for d in load_manifest(corpus)}


def test_ecfr_rows_use_the_versioner_full_endpoint_with_a_date_and_part(sources):
    by_id = sources_by_id(sources)
    assert by_id["US-CFR31-1022"].official_url.endswith("/title-31.xml?part=1022")
    assert "part=1010&section=1010.100" in by_id["US-CFR31-1010-100"].official_url
    import re

    for sid in ("US-CFR31-1022", "US-CFR31-1010-100"):
        assert re.search(r"/full/\d{4}-\d{2}-\d{2}/title-31\.xml\?", by_id[sid].official_url)


def test_rows_are_facts_not_text(sources):
    for s in sources:
        assert len(s.title) < 200, s.id
        assert s.licence and len(s.licence) < 250, s.id
        assert Jurisdiction.parse(s.jurisdiction) and DocType.parse(s.doc_type)


def test_ids_are_unique_and_usable_as_folder_names(sources):
    ids = [s.id for s in sources]
    assert len(ids) == len(set(ids))
    assert all(":" not in i and "/" not in i and " " not in i for i in ids)


def test_load_manifest_maps_the_mirror_columns(corpus):
    genius = sources_by_id(load_manifest(corpus))["US-PL119-27-GENIUS"]
    assert genius.file == "us/PLAW-119publ27.pdf" and genius.format == "pdf"
    assert genius.licence.startswith("US federal government work")
    assert genius.mirrored is True and genius.doc_type == "statute"


# --- bad catalogues --------------------------------------------------------------------------------------

GOOD = {
    "id": "UK-X-1", "jurisdiction": "UK", "issuer": "FCA", "doc_type": "guidance", "title": "A title",
    "date": "2024-05-01", "official_url": "https://example.org/x.pdf", "licence": "OGL", "file": "uk/x.pdf",
    "sha256": "", "mirrored": "false", "format": "pdf",
}


def write_csv(path: Path, rows: list[dict], columns=SOURCE_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def row(**changes) -> dict:
    return {**GOOD, **changes}


def test_a_good_file_loads(tmp_path):
    (s,) = load_sources(write_csv(tmp_path / "s.csv", [row()]))
    assert s == Source(id="UK-X-1", jurisdiction="UK", issuer="FCA", doc_type="guidance", title="A title",
                       date="2024-05-01", official_url="https://example.org/x.pdf", licence="OGL",
                       file="uk/x.pdf", sha256="", mirrored=False, format="pdf")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(jurisdiction="XX"), "unknown jurisdiction 'XX'"),
        (dict(doc_type="memo"), "unknown doc_type 'memo'"),
        (dict(id="UK X"), "may only hold letters"),
        (dict(id="UK:X"), "may only hold letters"),
        (dict(official_url="ftp://example.org/x"), "not an http(s) URL"),
        (dict(official_url=""), "empty official_url"),
        (dict(sha256="abc"), "not 64 hexadecimal digits"),
        (dict(mirrored="maybe"), "mirrored 'maybe' is not true or false"),
        (dict(date="2024-13-01"), "not YYYY, YYYY-MM or YYYY-MM-DD"),
        (dict(file="../secret.pdf"), "relative path"),
        (dict(format="docx"), "format 'docx'"),
        (dict(title=""), "empty title"),
    ],
)
def test_a_bad_value_names_the_file_and_row(tmp_path, bad, message):
    path = write_csv(tmp_path / "s.csv", [row(id="UK-OK-1"), row(**bad)])
    with pytest.raises(ConfigError) as e:
        load_sources(path)
    text = str(e.value)
    assert str(path) in text and "row 3" in text and message in text


def test_duplicate_id_names_both_rows(tmp_path):
    path = write_csv(tmp_path / "s.csv", [row(), row(id="UK-Y"), row()])
    with pytest.raises(ConfigError, match=r"row 4 \(UK-X-1\): duplicate id \(first used in row 2\)"):
        load_sources(path)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_csv(tmp_path / "s.csv", [row(jurisdiction="XX"), row(id="UK-Y", doc_type="memo")])
    with pytest.raises(ConfigError) as e:
        load_sources(path)
    assert "row 2 (UK-X-1): unknown jurisdiction" in str(e.value)
    assert "row 3 (UK-Y): unknown doc_type" in str(e.value)


def test_missing_column_names_the_header(tmp_path):
    columns = [c for c in SOURCE_COLUMNS if c != "doc_type"]
    path = write_csv(tmp_path / "s.csv", [row()], columns)
    with pytest.raises(ConfigError, match=r"row 1 \(header\): missing column\(s\) doc_type"):
        load_sources(path)


def test_misspelt_column_is_not_ignored(tmp_path):
    columns = [("sha265" if c == "sha256" else c) for c in SOURCE_COLUMNS]
    path = tmp_path / "s.csv"
    write_csv(path, [{**row(), "sha265": ""}], columns)
    with pytest.raises(ConfigError, match="unknown column.*'sha265'"):
        load_sources(path)


def test_ragged_row_names_the_row(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(",".join(SOURCE_COLUMNS) + "\n" + "UK-X,UK,FCA,guidance,Title,2024,https://e.org/x\n")
    with pytest.raises(ConfigError, match="row 2: 7 cells where the header has 12"):
        load_sources(path)


def test_optional_columns_may_be_left_out_and_format_comes_from_the_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("\ufeffid,jurisdiction,doc_type,title,official_url,file\n"
                    "us-a,us,Statute,T,https://e.org/a,us/a.htm\n\n")
    (s,) = load_sources(path)
    assert (s.jurisdiction, s.doc_type, s.format, s.mirrored) == ("US", "statute", "html", True)


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_sources(tmp_path / "absent.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,title\nx,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_sources(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty file"):
        load_sources(empty)
    with pytest.raises(ConfigError, match="no such mirror folder"):
        load_manifest(tmp_path / "nowhere")


def test_manifest_tolerates_extra_columns_but_not_missing_ones(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    head = "id,file,jurisdiction,issuer,doc_type,title,date,official_url,licence_note,reviewed_by\n"
    (mirror / "manifest.csv").write_text(head + "UK-A,uk/a.pdf,UK,FCA,guidance,A,2024,https://e.org/a.pdf,OGL,me\n")
    (a,) = load_manifest(mirror)
    assert (a.id, a.licence, a.mirrored, a.format) == ("UK-A", "OGL", True, "pdf")
    (mirror / "manifest.csv").write_text("id,jurisdiction,doc_type,title,official_url\n")
    with pytest.raises(ConfigError, match=r"manifest.csv, row 1 \(header\): missing column\(s\) file"):
        load_manifest(mirror)


def test_sources_by_id_and_select(sources):
    assert sources_by_id(sources)["UK-MLR-2017"].jurisdiction == "UK"
    assert [s.id for s in select_sources(sources, ["UK-MLR-2017", "US-NYCRR-23-200"])] == [
        "UK-MLR-2017", "US-NYCRR-23-200"]
    with pytest.raises(ConfigError, match="unknown source id.*NOPE"):
        select_sources(sources, ["NOPE"])
    with pytest.raises(ConfigError, match="listed twice"):
        sources_by_id([sources[0], sources[0]])


def test_helpers():
    assert format_of("a/b.PDF") == "pdf" and format_of("x.xhtml") == "html" and format_of("x.docx") == ""
    assert parse_bool("Yes") is True and parse_bool("0") is False
    with pytest.raises(ValueError):
        parse_bool("perhaps")
