"""Full-text search over the messages (subject, sender) and every text read
from them (bodies and files): SQLite FTS5 or PostgreSQL's text search, on
the index that migration 0010 makes the database keep in step with every
write (triggers on SQLite, GIN expression indexes on PostgreSQL).

What a person types is never handed to the search syntax: it is cut into
words, each searched as a plain word (all of them must occur). On
PostgreSQL, the first 100,000 characters of each text are searched (a
tsvector holds at most 1 MB); SQLite searches all of it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

#: The tables and indexes of the search index: machinery of the database, not models.
INDEX_NAMES = frozenset({
    "message_search", "text_search", "ix_message_search", "ix_text_search",
}) | frozenset(f"{table}_{part}" for table in ("message_search", "text_search")
               for part in ("data", "idx", "content", "docsize", "config"))  # fmt: skip



def outside_the_search_index(name: str | None, type_: str, parent_names: dict) -> bool:
    """For Alembic's `include_name`: False for the tables and indexes of the
    search index (FTS5 tables and their shadow tables on SQLite, expression
    indexes on PostgreSQL), which are the database's machinery, not models."""
    return name not in INDEX_NAMES


#: A word of what a person types.
_WORDS = re.compile(r"\w+", re.UNICODE)
#: Marks around the words found, in a snippet; the page turns them into <mark> after escaping.
HIT_START, HIT_END = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    message_id: int
    received_at: dt.datetime | None
    subject: str
    sender: str | None
    kind: str | None
    pii: bool
    #: Where the words were found: "message" (subject, sender), "body" or a file name.
    where: str
    #: A passage around the words found, with HIT_START / HIT_END around each.
    snippet: str


def words_of(query: str, limit: int = 12) -> list[str]:
    """The words of what a person typed (at most `limit`)."""
    return _WORDS.findall(query)[:limit]


def search(connection: Connection, query: str, *, include_pii: bool, limit: int = 50) -> list[SearchHit]:
    """Messages whose subject, sender or texts hold every word of `query`,
    newest first; without the messages flagged as personal data unless
    `include_pii`. The matches are found and ordered first, then only the
    `limit` kept get a snippet (making one costs more than finding it)."""
    words = words_of(query)
    if not words:
        return []
    if connection.dialect.name == "postgresql":
        found, snippets = _POSTGRESQL_FOUND, _POSTGRESQL_SNIPPETS
        parameters = {"words": " ".join(words), "options": _HEADLINE}
    else:
        found, snippets = _SQLITE_FOUND, _SQLITE_SNIPPETS
        parameters = {"words": " ".join('"' + w.replace('"', '""') + '"' for w in words)}
    pii = "" if include_pii else "AND NOT m.pii"
    parameters |= {"limit": limit, "start": HIT_START, "end": HIT_END}
    chosen = connection.execute(text(found.format(pii=pii)), parameters).all()
    if not chosen:
        return []
    message_ids = sorted({row.message_id for row in chosen if row.text_id is None})
    text_ids = sorted({row.text_id for row in chosen if row.text_id is not None})
    made = connection.execute(
        text(snippets.format(messages=_ids(message_ids), texts=_ids(text_ids))), parameters
    ).all()
    snippet_of = {(row.kind_of_hit, row.id): row.snippet for row in made}
    details = {row.id: row for row in connection.execute(text(
        "SELECT m.id, m.received_at, m.subject, m.sender, m.kind, m.pii FROM message m "
        f"WHERE m.id IN ({_ids(sorted({r.message_id for r in chosen}))})"
    ))}
    names = {(row.message_id, row.position): row.filename for row in connection.execute(text(
        "SELECT message_id, position, filename FROM attachment "
        f"WHERE message_id IN ({_ids(sorted({r.message_id for r in chosen}))})"
    ))}
    from bilan.storage.models import UTCDateTime

    utc = UTCDateTime()
    hits = []
    for row in chosen:
        message = details[row.message_id]
        if row.text_id is None:
            where, snippet = "message", snippet_of.get(("m", row.message_id), "")
        else:
            where = "body" if row.position == -1 else names.get((row.message_id, row.position)) or "fichier"
            snippet = snippet_of.get(("t", row.text_id), "")
        received = message.received_at
        if isinstance(received, str):  # SQLite gives a raw query's timestamps back as text
            received = utc.process_result_value(dt.datetime.fromisoformat(received), None)
        hits.append(SearchHit(row.message_id, received, message.subject or "", message.sender, message.kind,
                              bool(message.pii), where, snippet or ""))  # fmt: skip
    return hits


def _ids(ids: list[int]) -> str:
    """A list of integers for an IN (...) clause (they come from the database, never from a request)."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


_SQLITE_FOUND = """
    SELECT f.message_id, f.text_id, f.position FROM (
        SELECT message_search.rowid AS message_id, NULL AS text_id, NULL AS position
        FROM message_search WHERE message_search MATCH :words
        UNION ALL
        SELECT t.message_id, t.id, t.position
        FROM text_search JOIN extracted_text t ON t.id = text_search.rowid
        WHERE text_search MATCH :words
    ) f JOIN message m ON m.id = f.message_id
    WHERE 1 = 1 {pii}
    ORDER BY m.received_at DESC, f.message_id DESC, f.position LIMIT :limit
"""

_SQLITE_SNIPPETS = """
    SELECT 'm' AS kind_of_hit, rowid AS id, snippet(message_search, -1, :start, :end, '…', 16) AS snippet
    FROM message_search WHERE message_search MATCH :words AND rowid IN ({messages})
    UNION ALL
    SELECT 't', rowid, snippet(text_search, 0, :start, :end, '…', 24)
    FROM text_search WHERE text_search MATCH :words AND rowid IN ({texts})
"""

_MESSAGE_VECTOR = (
    "to_tsvector('french', coalesce(m.subject, '') || ' ' || coalesce(m.sender, '') || ' ' "
    "|| coalesce(m.sender_name, ''))"
)
_HEADLINE = f'StartSel="{HIT_START}", StopSel="{HIT_END}", MaxWords=30, MinWords=10, MaxFragments=2'

_POSTGRESQL_FOUND = f"""
    WITH q AS (SELECT plainto_tsquery('french', :words) AS query)
    SELECT f.message_id, f.text_id, f.position FROM (
        SELECT m.id AS message_id, NULL::integer AS text_id, NULL::integer AS position
        FROM message m, q WHERE {_MESSAGE_VECTOR} @@ q.query
        UNION ALL
        SELECT t.message_id, t.id, t.position
        FROM extracted_text t, q WHERE to_tsvector('french', left(t.text, 100000)) @@ q.query
    ) f JOIN message m ON m.id = f.message_id
    WHERE 1 = 1 {{pii}}
    ORDER BY m.received_at DESC NULLS LAST, f.message_id DESC, f.position NULLS FIRST LIMIT :limit
"""

_POSTGRESQL_SNIPPETS = """
    WITH q AS (SELECT plainto_tsquery('french', :words) AS query)
    SELECT 'm' AS kind_of_hit, m.id, ts_headline('french', coalesce(m.subject, '') || ' — '
           || coalesce(m.sender, ''), q.query, :options) AS snippet
    FROM message m, q WHERE m.id IN ({messages})
    UNION ALL
    SELECT 't', t.id, ts_headline('french', left(t.text, 100000), q.query, :options)
    FROM extracted_text t, q WHERE t.id IN ({texts})
"""
