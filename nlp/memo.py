"""What a model said about a text, remembered for the next time the text
comes back.

The same sentences come back again and again: a document attached as DOCX
and as PDF, a contribution sent again "annule et remplace", a questionnaire
answered by many with the same template. On the dev corpus two thirds of the
sentences sent through spaCy had been seen before in the same run. The
results kept here are small immutable values (a reading, a tuple of
mentions, a theme), never spaCy Docs, and a model always says the same of
the same text, so a result remembered is the result recomputed.

They are kept on disk too when a run asks for it (`use_store`): a process
remembers only what it saw, and every run (a reprocess, each part of a
sharded one, each extraction worker, each ingestion) would otherwise read
every sentence again. The store is one SQLite file in the parse cache folder,
shared by the processes that use it at the same time: an entry is keyed by
the generation, the memo's name and the sha256 of the text, and holds the
result as JSON (never pickle: a cache file must not be able to run code).

The generation is derived, not declared: a hash of spaCy's version, the
language model's name and version, and the bytes of every file of this
package (every module, the theme model's files) and of the list markers
that cutting sentences strips (`parsers/listmarkers.py`). A result depends
on all of these, and a changed rule must not reuse the readings of the old
one: hashing the sources notices every change, where a version number to
bump by hand (the parse cache's `PARSER_VERSION`) is sometimes forgotten.
Entries of other generations stay in the file, unused; deleting it (or the
whole cache folder) is always safe.

The store only saves time: a file that cannot be opened, read or written
(corrupt, locked too long, disk full) logs one warning and the process goes
on with its memory alone, with the same results; an entry that cannot be
decoded is computed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: How long a process waits for another one's write (one short transaction per batch).
BUSY_SECONDS = 5.0
#: Keys per SELECT: older SQLite builds allow 999 parameters.
KEYS_PER_SELECT = 500
SCHEMA = """
CREATE TABLE IF NOT EXISTS memo (
    generation TEXT NOT NULL,
    name TEXT NOT NULL,
    key BLOB NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (generation, name, key)
) WITHOUT ROWID
"""
PACKAGE = Path(__file__).resolve().parent


def files_digest(folder: Path) -> str:
    """sha256 of the names and bytes of every file under `folder` (not the
    bytecode Python writes beside the sources)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.cache
def current_generation() -> str:
    """The generation of this process's results (see the module docstring)."""
    import spacy

    from bilan.nlp.pipeline import get_nlp
    from bilan.parsers import listmarkers

    meta = get_nlp().meta
    parts = [
        f"spacy {spacy.__version__}",
        f"{meta.get('lang')}_{meta.get('name')} {meta.get('version')}",
        files_digest(PACKAGE),
        hashlib.sha256(Path(listmarkers.__file__).read_bytes()).hexdigest(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class MemoStore:
    """The SQLite file behind the named memos of a process. A connection is
    opened on first use, once per process: one made before a fork is never
    used (nor closed) by the child."""

    def __init__(self, path: Path, generation: str | None = None):
        self.path = path
        self._generation = generation
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()
        #: Set by the first failure: the store is no longer used by this process.
        self.failed = False

    @property
    def generation(self) -> str:
        return self._generation or current_generation()

    def get(self, name: str, keys: Sequence[str]) -> dict[str, str]:
        """The JSON stored for those of `keys` that have an entry."""
        by_digest = {_key_digest(key): key for key in keys}
        digests = list(by_digest)
        found: dict[str, str] = {}
        with self._lock:
            if self.failed:
                return found
            try:
                connection, generation = self._connect(), self.generation
                for start in range(0, len(digests), KEYS_PER_SELECT):
                    chunk = digests[start : start + KEYS_PER_SELECT]
                    rows = connection.execute(
                        "SELECT key, value FROM memo WHERE generation = ? AND name = ?"
                        f" AND key IN ({','.join('?' * len(chunk))})",
                        [generation, name, *chunk],
                    )
                    found.update((by_digest[bytes(digest)], value) for digest, value in rows)
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)
                return {}
        return found

    def put(self, name: str, items: Iterable[tuple[str, str]]) -> None:
        """Store `(key, JSON)` pairs in one transaction. Two processes may
        write the same key: the last one wins, with the same value (or one
        that can be decoded, when the first could not)."""
        with self._lock:
            if self.failed:
                return
            try:
                connection, generation = self._connect(), self.generation
                # IMMEDIATE: the write lock is taken (or waited for) at the
                # start, never upgraded from a read, which SQLite may refuse
                # at once ("database is locked") when another process writes.
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany(
                        "INSERT INTO memo (generation, name, key, value) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (generation, name, key) DO UPDATE SET value = excluded.value",
                        [(generation, name, _key_digest(key), value) for key, value in items],
                    )
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)

    def fail(self, reason: BaseException) -> None:
        """Stop using the store in this process (what `Memo` calls when a
        value cannot be encoded)."""
        with self._lock:
            self._fail(reason)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            if self._connection is not None:
                _INHERITED.append(self._connection)
            self._connection = None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Transactions are begun here (BEGIN IMMEDIATE in `put`), not by the module.
            connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, check_same_thread=False,
                                         isolation_level=None)  # fmt: skip
            try:
                _set_up(connection)
            except BaseException:
                connection.close()
                raise
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _fail(self, reason: BaseException) -> None:
        if not self.failed:
            log.warning("NLP memo store %s not used from now on (%s: %s); results are kept in memory only",
                        self.path, type(reason).__name__, reason)  # fmt: skip
        self.failed = True
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None


def _set_up(connection: sqlite3.Connection) -> None:
    """WAL mode and the table. Two processes opening a new file at once may
    both switch it to WAL, which SQLite answers with "database is locked"
    at once, without waiting: tried again until `BUSY_SECONDS` have passed."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # a cache: a power cut may lose the last entries only
            connection.execute(SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


#: Connections a forked child inherited: SQLite forbids using them after a
#: fork, closing included, so they are kept from the garbage collector.
_INHERITED: list[sqlite3.Connection] = []
_store: MemoStore | None = None


def use_store(path: Path | str | None, generation: str | None = None) -> MemoStore | None:
    """Keep the results of every named `Memo` of this process in the SQLite
    file `path` too (None: in memory only, the default). Called where a run
    sets up its extraction: in each extraction worker, and by
    `Pipeline.open` when extraction runs in the calling process.
    `generation`: instead of the derived one (tests)."""
    global _store
    previous, _store = _store, (MemoStore(Path(path), generation) if path is not None else None)
    if previous is not None:
        previous.close()
    return _store


def current_store() -> MemoStore | None:
    return _store


class Memo(Generic[K, V]):
    """A bounded least-recently-used memory of `key -> result`, filled by
    batches: `results` computes, in one call, only the keys it has not seen
    (each once, in order), which keeps the model's batching. Thread-safe; two
    threads may compute the same new key at once, and both get its result.

    A memo with a `name` (its keys texts, its results turned into JSON by
    `encode` and back by `decode`) also uses the process's store when there
    is one (`use_store`): what memory lacks is read from it, one SELECT per
    batch, and what neither holds is computed and written to it."""

    def __init__(
        self,
        name: str | None = None,
        *,
        encode: Callable[[V], Any] | None = None,
        decode: Callable[[Any], V] | None = None,
        maxsize: int = 8192,
    ):
        if name is not None and (encode is None or decode is None):
            raise ValueError("a named memo needs encode and decode")
        self.name = name
        self.encode = encode
        self.decode = decode
        self.maxsize = maxsize
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._warned = False
        #: Keys computed, and keys read from the store, since the memo was made.
        self.computed = 0
        self.from_store = 0

    def results(self, keys: Sequence[K], compute: Callable[[list[K]], Iterable[V]]) -> list[V]:
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
        missing = list(dict.fromkeys(key for key in keys if key not in found))
        store = _store if self.name is not None and missing else None
        new: dict[K, V] = self._load(store, missing) if store is not None else {}
        missing = [key for key in missing if key not in new]
        if missing:
            computed = list(compute(missing))
            if len(computed) != len(missing):
                raise ValueError(f"{len(computed)} results for {len(missing)} keys")
            if store is not None:
                self._save(store, missing, computed)
        else:
            computed = []
        with self._lock:
            self.from_store += len(new)
            self.computed += len(computed)
            new.update(zip(missing, computed))
            for key, value in new.items():
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        found.update(new)
        return [found[key] for key in keys]

    def _load(self, store: MemoStore, keys: list[K]) -> dict[K, V]:
        loaded: dict[K, V] = {}
        for key, text in store.get(self.name, keys).items():
            try:
                loaded[key] = self.decode(json.loads(text))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                if not self._warned:
                    self._warned = True
                    log.warning("an entry of the %s memo in %s could not be decoded (%s: %s); computed again",
                                self.name, store.path, type(exc).__name__, exc)  # fmt: skip
        return loaded

    def _save(self, store: MemoStore, keys: list[K], values: list[V]) -> None:
        try:
            rows = [(key, json.dumps(self.encode(value))) for key, value in zip(keys, values)]
        except (TypeError, ValueError) as exc:
            store.fail(exc)
            return
        store.put(self.name, rows)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
