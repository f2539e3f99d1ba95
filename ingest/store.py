"""The store: documents, provisions and entities, in SQLite (`workspace/crosswalk.db`) or PostgreSQL.

`Store(target)` takes the workspace's SQLite path (the default) or a `postgresql://` URL
(`Workspace.database`); the SQL is shared (`crosswalk.db`), and the schema is versioned (`crosswalk.schema`):
an empty database gets the schema on first write, an older one is refused with `crosswalk db upgrade` as the
fix. Replacing a document's provisions is one transaction: a failure half-way leaves the earlier version whole.
On SQLite, WAL mode, so readers (the app) never block the writer (ingest), and a busy timeout instead of
"database is locked". The review queue, decisions, evaluation history and accounts live in the same database.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from crosswalk.db import Connection, connect_sqlite, is_url, select_in
from crosswalk.errors import NotFoundError
from crosswalk.schema import SCHEMA_VERSION, Connected
from crosswalk.ingest.models import Entity, Provision, Source, split_id

__all__ = ["Store", "connect", "SCHEMA_VERSION", "PROVISION_COLUMNS"]

PROVISION_COLUMNS = (
    "id, doc_id, jurisdiction, citation, parent_id, heading_path, title, text, page_start, page_end, "
    "char_start, char_end, kind, ordinal, content_hash, topics"
)

connect = connect_sqlite  # a bare SQLite connection (WAL, foreign keys, 30 s busy timeout)


class Store(Connected):
    """Documents, provisions and entities in the workspace database (SQLite file or PostgreSQL URL).

    Example: Store(ws.database).get("US-PL119-27-GENIUS:sec.4(a)(11)").citation == "sec.4(a)(11)"
    """

    conn: Connection

    def __init__(self, target: Path | str, readonly: bool = False):
        self.target = target if is_url(target) else Path(target)
        super().__init__(self.target, readonly=readonly)
        # what messages name: the SQLite file (a Path), or the URL without its password
        self.path = self.conn.where if is_url(target) else self.target
        self.dialect = self.conn.dialect

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic write: committed at the end of the block, rolled back on any error."""
        with self.conn.transaction() as c:
            yield c

    # --- documents -------------------------------------------------------------------------------------------

    def document_state(self, doc_id: str) -> tuple[str, str] | None:
        """(file sha256, pipeline version) of the stored document, or None: an unchanged one is not re-ingested."""
        row = self.conn.execute("SELECT file_sha256, pipeline FROM documents WHERE id=?", (doc_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def replace_document(
        self,
        source: Source,
        provisions: Sequence[Provision],
        *,
        path: str,
        file_sha256: str,
        pipeline: str,
        splitter: str,
        pages: int | None,
        note: str = "",
    ) -> None:
        """Store a document and its provisions, replacing any earlier version, in one transaction.

        `note` is the splitter's note on the source's quality (shown by `show` and the app), or ""."""
        with self.transaction() as c:
            c.execute("DELETE FROM provisions WHERE doc_id=?", (source.id,))
            c.execute("DELETE FROM documents WHERE id=?", (source.id,))
            c.execute(
                "INSERT INTO documents(id, jurisdiction, issuer, doc_type, title, date, official_url, "
                "licence, path, file_sha256, pipeline, splitter, pages, n_provisions, note) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    source.id,
                    source.jurisdiction,
                    source.issuer,
                    source.doc_type,
                    source.title,
                    source.date,
                    source.official_url,
                    source.licence,
                    path,
                    file_sha256,
                    pipeline,
                    splitter,
                    pages,
                    len(provisions),
                    note,
                ),
            )
            c.executemany(
                f"INSERT INTO provisions({PROVISION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        p.id,
                        p.doc_id,
                        p.jurisdiction,
                        p.citation,
                        p.parent_id,
                        json.dumps(list(p.heading_path), ensure_ascii=False),
                        p.title,
                        p.text,
                        p.page_start,
                        p.page_end,
                        p.char_start,
                        p.char_end,
                        p.kind,
                        p.ordinal,
                        p.content_hash,
                        json.dumps(list(p.topics)),
                    )
                    for p in provisions
                ],
            )
            c.executemany(
                'INSERT INTO entities(provision_id, start, "end", label, text, detail) VALUES (?,?,?,?,?,?)',
                [(p.id, e.start, e.end, e.label, e.text, e.detail) for p in provisions for e in p.entities],
            )

    def record_failure(self, path: str, doc_id: str, problem: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO ingest_failures(path, doc_id, problem) VALUES (?,?,?)", (path, doc_id, problem))

    def documents(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM documents ORDER BY jurisdiction, id")]

    def document(self, doc_id: str) -> dict:
        row = self.conn.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no document {doc_id!r} in the store; `crosswalk ingest` lists what it stored")
        return dict(row)

    # --- provisions ------------------------------------------------------------------------------------------

    def _rows_to_provisions(self, rows: Iterable, with_entities: bool = True) -> list[Provision]:
        rows = list(rows)
        ents: dict[str, list[Entity]] = {}
        if with_entities and rows:
            q = 'SELECT * FROM entities WHERE provision_id IN ({}) ORDER BY start, "end"'
            for e in select_in(self.conn, q, [r["id"] for r in rows]):
                ents.setdefault(e["provision_id"], []).append(
                    Entity(e["start"], e["end"], e["label"], e["text"], e["detail"])
                )
        out = []
        for r in rows:  # the columns of PROVISION_COLUMNS: each a Provision field of the same name
            fields = dict(r)
            fields["heading_path"] = tuple(json.loads(fields["heading_path"]))
            fields["topics"] = tuple(json.loads(fields["topics"]))
            out.append(Provision(**fields, entities=tuple(ents.get(fields["id"], ()))))
        return out

    def resolve_id(self, provision_id: str) -> str:
        """The stored id for `provision_id` given with spaces (`UK-FCA-CP25-14:CASS 16.2.13R`) or underscores."""
        doc_id, citation = split_id(provision_id.strip())
        candidate = f"{doc_id}:{'_'.join(citation.split())}" if citation else provision_id.strip()
        row = self.conn.execute("SELECT id FROM provisions WHERE id=?", (candidate,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no provision {provision_id!r} in the store; ids look like "
                "'US-PL119-27-GENIUS:sec.4(a)(11)' (try `crosswalk search` to find one)"
            )
        return row[0]

    def get(self, provision_id: str, with_entities: bool = True) -> Provision:
        pid = self.resolve_id(provision_id)
        rows = self.conn.execute(f"SELECT {PROVISION_COLUMNS} FROM provisions WHERE id=?", (pid,))
        return self._rows_to_provisions(rows, with_entities)[0]

    def get_many(self, ids: Sequence[str], with_entities: bool = False) -> list[Provision]:
        """Provisions for `ids`, in the order given; unknown ids are left out."""
        rows = select_in(self.conn, f"SELECT {PROVISION_COLUMNS} FROM provisions WHERE id IN ({{}})", ids)
        found = {p.id: p for p in self._rows_to_provisions(rows, with_entities)}
        return [found[i] for i in ids if i in found]

    def children(self, provision_id: str) -> list[Provision]:
        rows = self.conn.execute(
            f"SELECT {PROVISION_COLUMNS} FROM provisions WHERE parent_id=? ORDER BY ordinal", (provision_id,)
        )
        return self._rows_to_provisions(rows, with_entities=False)

    def descendants(self, provision_id: str) -> list[Provision]:
        """Every unit below `provision_id`, in document order."""
        p = self.get(provision_id, with_entities=False)
        out = []
        frontier = [p.id]
        while frontier:
            q = f"SELECT {PROVISION_COLUMNS} FROM provisions WHERE parent_id IN ({','.join('?' * len(frontier))})"
            kids = self._rows_to_provisions(self.conn.execute(q, frontier), with_entities=False)
            out.extend(kids)
            frontier = [k.id for k in kids]
        return sorted(out, key=lambda x: x.ordinal)

    def subtree_text(self, provision_id: str) -> str:
        """The unit's full text: its own text followed by all its descendants', in document order."""
        p = self.get(provision_id, with_entities=False)
        return "\n".join([p.text] + [d.text for d in self.descendants(p.id)])

    def has_children(self, provision_id: str) -> bool:
        """Whether any stored provision has `provision_id` (exactly as given) as its parent."""
        row = self.conn.execute("SELECT 1 FROM provisions WHERE parent_id=? LIMIT 1", (provision_id,)).fetchone()
        return row is not None

    def iter_provisions(
        self, jurisdiction: str | None = None, doc_id: str | None = None, with_entities: bool = False,
        topic: str | None = None,
    ) -> list[Provision]:
        """The stored provisions in document order (by document id, then ordinal), optionally only those of one
        jurisdiction, one document, or one topic (`topic=""`: only those with no topic)."""
        where, args = [], []
        if jurisdiction:
            where.append("jurisdiction=?")
            args.append(jurisdiction)
        if doc_id:
            where.append("doc_id=?")
            args.append(doc_id)
        if topic:
            where.append("EXISTS (SELECT 1 FROM json_each(topics) t WHERE t.value = ?)")
            args.append(topic)
        elif topic == "":
            where.append("topics = '[]'")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.conn.execute(f"SELECT {PROVISION_COLUMNS} FROM provisions {clause} ORDER BY doc_id, ordinal", args)
        return self._rows_to_provisions(rows, with_entities)

    # --- light columns of every provision (no text) ----------------------------------------------------------

    def topics(self) -> list[str]:
        """Every topic some provision carries, once each, sorted."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT t.value FROM provisions p, json_each(p.topics) t ORDER BY 1")]

    def provision_topics(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """`(id, jurisdiction, topics)` of every provision, by id."""
        rows = self.conn.execute("SELECT id, jurisdiction, topics FROM provisions ORDER BY id")
        return [(r[0], r[1], tuple(json.loads(r[2]))) for r in rows]

    def jurisdictions(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        """`{provision id: jurisdiction}` for `ids` (exactly as given; ids the store does not hold are left out),
        or for every provision when `ids` is None."""
        if ids is None:
            return {r[0]: r[1] for r in self.conn.execute("SELECT id, jurisdiction FROM provisions")}
        q = "SELECT id, jurisdiction FROM provisions WHERE id IN ({})"
        return {r[0]: r[1] for r in select_in(self.conn, q, dict.fromkeys(ids))}

    def parents(self) -> dict[str, str | None]:
        """`{provision id: parent id}` for every provision (None at the top of a document)."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, parent_id FROM provisions")}

    def count(self) -> dict[str, int]:
        one = lambda q: self.conn.execute(q).fetchone()[0]  # noqa: E731
        return {
            "documents": one("SELECT COUNT(*) FROM documents"),
            "provisions": one("SELECT COUNT(*) FROM provisions"),
            "entities": one("SELECT COUNT(*) FROM entities"),
        }

    def corpus_hash(self) -> str:
        """A hash over every provision's id and content hash: the index compares it to know it is current."""
        import hashlib

        h = hashlib.sha256()
        for pid, ch in self.conn.execute("SELECT id, content_hash FROM provisions ORDER BY id"):
            h.update(f"{pid}\t{ch}\n".encode())
        return h.hexdigest()[:16]
