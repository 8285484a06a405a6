"""The memos' results kept on disk (`nlp/memo.py`): a process, or the next
run, reads what another computed instead of computing it again; only under
the generation that wrote it; a store that cannot be used changes nothing
but the time taken; two processes may write at once."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from bilan.nlp import findings, memo
from bilan.nlp.memo import Memo, files_digest
from bilan.nlp.mentions import Mention, decode_mentions, encode_mentions
from bilan.nlp.recommendations import SentenceReading
from bilan.nlp.themes import ThemePrediction, decode_prediction
from tests.conftest import SAMPLES


@pytest.fixture(autouse=True)
def no_store_after() -> Iterator[None]:
    yield
    memo.use_store(None)


class Lengths:
    """A compute that counts what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, keys: list[str]) -> list[int]:
        self.asked.extend(keys)
        return [len(key) for key in keys]


def _lengths_memo(name: str = "lengths") -> Memo[str, int]:
    return Memo(name, encode=lambda n: n, decode=int)


def test_a_new_memo_reads_the_stored_results_without_computing(tmp_path):
    memo.use_store(tmp_path / "memo.sqlite", generation="g1")
    first, compute = _lengths_memo(), Lengths()
    assert first.results(["aa", "bbb", "aa"], compute) == [2, 3, 2]
    assert compute.asked == ["aa", "bbb"] and first.computed == 2

    second, compute = _lengths_memo(), Lengths()
    assert second.results(["bbb", "c", "aa"], compute) == [3, 1, 2]
    assert compute.asked == ["c"]  # only the key no one had computed
    assert (second.from_store, second.computed) == (2, 1)
    assert second.results(["aa", "bbb", "c"], compute) == [2, 3, 1]
    assert compute.asked == ["c"] and second.from_store == 2  # then from memory


def test_another_generation_or_another_memo_name_misses(tmp_path):
    memo.use_store(tmp_path / "memo.sqlite", generation="g1")
    _lengths_memo().results(["aa", "bbb"], Lengths())

    compute = Lengths()
    _lengths_memo("other").results(["aa", "bbb"], compute)
    assert compute.asked == ["aa", "bbb"]

    memo.use_store(tmp_path / "memo.sqlite", generation="g2")
    compute = Lengths()
    assert _lengths_memo().results(["aa", "bbb"], compute) == [2, 3]
    assert compute.asked == ["aa", "bbb"]


def test_without_a_store_or_a_name_nothing_is_written(tmp_path):
    compute = Lengths()
    _lengths_memo().results(["aa"], compute)  # no store in use
    memo.use_store(tmp_path / "memo.sqlite", generation="g1")
    Memo().results(["bbb"], compute)  # no name
    _lengths_memo().results(["aa", "bbb"], compute)
    assert compute.asked == ["aa", "bbb", "aa", "bbb"]


def test_the_generation_follows_every_file_of_the_nlp_package(tmp_path):
    """A changed rule, model file or new module makes a new generation; the
    bytecode Python writes does not."""
    package = tmp_path / "nlp"
    (package / "models" / "themes").mkdir(parents=True)
    (package / "recommendations.py").write_text("CUES = ['il faut']\n")
    (package / "models" / "themes" / "model").write_bytes(b"\x00weights")
    before = files_digest(package)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "recommendations.cpython-311.pyc").write_bytes(b"bytecode")
    assert files_digest(package) == before
    (package / "recommendations.py").write_text("CUES = ['il faut', 'nous proposons']\n")
    changed_rule = files_digest(package)
    (package / "models" / "themes" / "model").write_bytes(b"\x01weights")
    changed_model = files_digest(package)
    (package / "mentions.py").write_text("")
    assert len({before, changed_rule, changed_model, files_digest(package)}) == 4
    assert memo.PACKAGE == Path(findings.__file__).resolve().parent


def test_a_corrupt_store_is_left_aside_with_one_warning(tmp_path, caplog):
    path = tmp_path / "memo.sqlite"
    path.write_bytes(b"this is not a database\x00" * 200)
    store = memo.use_store(path, generation="g1")
    caplog.set_level(logging.WARNING, logger=memo.__name__)
    compute = Lengths()
    assert _lengths_memo().results(["aa", "bbb"], compute) == [2, 3]
    assert _lengths_memo().results(["aa", "c"], compute) == [2, 1]
    assert compute.asked == ["aa", "bbb", "aa", "c"]
    assert store.failed
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert path.read_bytes().startswith(b"this is not a database")  # not replaced


def test_a_store_that_cannot_be_created_is_left_aside(tmp_path, caplog):
    (tmp_path / "file").write_text("")
    store = memo.use_store(tmp_path / "file" / "memo.sqlite", generation="g1")  # its folder is a file
    assert _lengths_memo().results(["aa"], Lengths()) == [2]
    assert store.failed and "not used from now on" in caplog.text


def test_an_entry_that_cannot_be_decoded_is_computed_again_and_replaced(tmp_path, caplog):
    path = tmp_path / "memo.sqlite"
    memo.use_store(path, generation="g1")
    _lengths_memo().results(["aa", "bbb"], Lengths())
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE memo SET value = '{\"broken\"' WHERE name = 'lengths'")
    connection.close()

    compute = Lengths()
    reader = _lengths_memo()
    assert reader.results(["aa", "bbb"], compute) == [2, 3]
    assert compute.asked == ["aa", "bbb"] and "could not be decoded" in caplog.text
    assert not memo.current_store().failed  # the store stays in use...
    compute = Lengths()
    assert _lengths_memo().results(["aa", "bbb"], compute) == [2, 3]
    assert compute.asked == []  # ... and holds the good values now


SENTENCES = ("Former les conseillers citoyens.", "Créer un « fonds » de 5 000 € 😀 !", "\ud800 seul")
READING = SentenceReading(cue=True, infinitive=True, too_short=False, quotation=True)
MENTIONS = (Mention("organisation", "centres sociaux", "centre social"), Mention("qpv", "Les Tilleuls", "Les Tilleuls"))
THEME = ThemePrediction("gouvernance", 1 / 3, "model")


@pytest.mark.parametrize(
    ("encode", "decode", "value"),
    [
        (findings._SENTENCES.encode, findings._SENTENCES.decode, SENTENCES),
        (findings._READINGS.encode, findings._READINGS.decode, READING),
        (encode_mentions, decode_mentions, MENTIONS),
        (encode_mentions, decode_mentions, ()),
        (asdict, decode_prediction, THEME),
    ],
    ids=["sentences", "reading", "mentions", "no-mentions", "theme"],
)
def test_the_four_kinds_of_result_come_back_from_the_store_as_they_went_in(tmp_path, encode, decode, value):
    memo.use_store(tmp_path / "memo.sqlite", generation="g1")
    key = "Une phrase, même avec \ud83d une moitié de caractère."
    Memo("kind", encode=encode, decode=decode).results([key], lambda keys: [value])
    reader = Memo("kind", encode=encode, decode=decode)
    [back] = reader.results([key], lambda keys: pytest.fail("computed again"))
    assert back == value and type(back) is type(value) and reader.from_store == 1
    if isinstance(value, tuple):
        assert all(type(a) is type(b) for a, b in zip(back, value))


def _run(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


WRITER = """
import json, sys, time
from pathlib import Path
from bilan.nlp import memo
store = memo.use_store(sys.argv[1], generation="g1")
start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.005)
keys = [f"text {n}" for n in range(3000)]
computed = []
numbers = memo.Memo("lengths", encode=lambda n: n, decode=int)
for batch in range(0, len(keys), 25):
    numbers.results(keys[batch : batch + 25], lambda new: computed.extend(new) or [len(k) for k in new])
print(json.dumps({"failed": store.failed, "computed": len(computed), "from_store": numbers.from_store}))
"""


def test_two_processes_writing_the_same_keys_at_once_both_succeed(tmp_path, caplog):
    path, start = tmp_path / "memo.sqlite", tmp_path / "start"
    writers = [_run(WRITER, str(path), str(start)) for _ in range(2)]
    start.touch()
    outcomes = []
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert "not used from now on" not in err
        outcomes.append(json.loads(out))
    assert not any(outcome["failed"] for outcome in outcomes)
    assert all(o["computed"] + o["from_store"] == 3000 for o in outcomes)
    memo.use_store(path, generation="g1")
    compute = Lengths()
    keys = [f"text {n}" for n in range(3000)]
    assert _lengths_memo().results(keys, compute) == [len(k) for k in keys]
    assert compute.asked == []
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM memo").fetchone() == (3000,)
    connection.close()


EXTRACTOR = """
import json, sys
from pathlib import Path
from bilan.nlp import findings, memo
from bilan.nlp.extraction import extract
from bilan.nlp.mentions import get_mention_finder
from bilan.nlp.themes import get_theme_classifier
from bilan.parsers.message import parse_message
from bilan.parsers.pool import ParserPool

memo.use_store(sys.argv[1])
parsed = parse_message(Path(sys.argv[2]).read_bytes(), pool=ParserPool(0))
extraction = extract(parsed)
memos = [findings._SENTENCES, findings._READINGS, get_mention_finder()._memo, get_theme_classifier()._memo]
print(json.dumps({
    "extraction": repr(extraction),
    "computed": {m.name: m.computed for m in memos},
    "from_store": {m.name: m.from_store for m in memos},
}))
"""


@pytest.mark.slow  # two processes load the language model
def test_a_message_extracted_again_in_a_fresh_process_is_read_from_the_store(tmp_path):
    store = tmp_path / "parse-cache" / "nlp-memo.sqlite"
    message = SAMPLES / "07-herault-contribution.eml"  # recommendations, themes, mentions
    runs = []
    for _ in range(2):
        out, err = _run(EXTRACTOR, str(store), str(message)).communicate(timeout=300)
        assert out, err
        runs.append(json.loads(out))
    first, second = runs
    assert set(first["computed"]) == {"sentences", "readings", "mentions", "themes"}
    assert all(first["computed"].values()) and not any(first["from_store"].values())
    assert not any(second["computed"].values())
    assert second["from_store"] == first["computed"]
    assert second["extraction"] == first["extraction"]


def test_a_run_extracting_in_its_own_process_uses_the_store_beside_the_parse_cache(tmp_path):
    from bilan.pipeline import Pipeline
    from bilan.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bilan.db'}", extract_workers=0)
    assert settings.nlp_memo_path == tmp_path / "parse-cache" / "nlp-memo.sqlite"
    with Pipeline.open(settings, warm_up=False) as pipeline:
        assert pipeline.extractors is None
        assert memo.current_store().path == settings.nlp_memo_path
    assert memo.current_store() is None  # closing the run switches it off

    with Pipeline.open(settings.model_copy(update={"extract_workers": 1}), warm_up=False) as pipeline:
        assert pipeline.extractors.memo_store == settings.nlp_memo_path  # the workers' store, not this process's
        assert memo.current_store() is None


@pytest.mark.slow  # starts a worker that loads the model
def test_the_extraction_workers_write_to_the_store(tmp_path):
    from bilan.extraction_pool import ExtractionPool
    from bilan.parsers.message import parse_message
    from bilan.parsers.pool import ParserPool

    path = tmp_path / "nlp-memo.sqlite"
    parsed = parse_message((SAMPLES / "07-herault-contribution.eml").read_bytes(), pool=ParserPool(0))
    with ExtractionPool(1, memo_store=path) as pool:
        pool.read(parsed)
    with sqlite3.connect(path) as connection:
        names = {name for (name,) in connection.execute("SELECT DISTINCT name FROM memo")}
    connection.close()
    assert names == {"sentences", "readings", "mentions", "themes"}
