"""`bilan watch` on a real Dovecot: push (IDLE), polling, reconnection, and
the events it emits. Bounds are generous waits, not speed assertions (speed
is measured by bench/latency.py)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, func, select

from bilan.mailbox.watcher import Backoff, Watcher
from bilan.storage.models import ImapProgress, Message
from tests.mail import numbered_messages
from tests.processes import BilanProcess, wait_until

#: How long a test waits for a message to show up (a bound, not a target).
WITHIN = 60.0


def processed(warehouse) -> int:
    with warehouse.engine.connect() as connection:
        return processed_with(connection)


def processed_with(connection) -> int:
    return connection.scalar(select(func.count()).where(Message.processed_at.is_not(None)))


def assert_each_once(warehouse, expected: int) -> None:
    with warehouse.engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(Message))
        distinct = connection.scalar(select(func.count(func.distinct(Message.message_id))))
    assert (rows, distinct, processed(warehouse)) == (expected, expected, expected)


@pytest.fixture
def watcher_thread(imap_env, settings_env, pipeline, monkeypatch):
    """A Watcher in this process (to look at its state), stopped at the end."""
    started: list[tuple[Watcher, threading.Thread]] = []

    def start(**kwargs) -> Watcher:
        from bilan.flows.watch import watcher as prefect_watcher
        from bilan.settings import get_settings

        watcher = prefect_watcher(get_settings(), pipeline, **kwargs)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        started.append((watcher, thread))
        return watcher

    yield start
    for watcher, thread in started:
        watcher.stop()
        thread.join(30)
        assert not thread.is_alive()


@pytest.mark.slow  # a `bilan watch` process, with spaCy and a parser pool of its own (Watcher: in-process below)
def test_a_message_appended_while_watching_is_ingested_within_seconds(imap_env, warehouse, tmp_path):
    lot = numbered_messages(3, "watch")
    imap_env.append_many(lot[:1])  # already there when the watcher starts
    watch = BilanProcess(["watch"], tmp_path / "watch.log")
    try:
        watch.wait_for_output("watching INBOX")
        assert processed(warehouse) == 1
        imap_env.append_many(lot[1:2])
        wait_until(lambda: processed(warehouse) == 2, WITHIN, message="second message committed")
        imap_env.append_many(lot[2:])
        wait_until(lambda: processed(warehouse) == 3, WITHIN, message="third message committed")
    finally:
        assert watch.stop() == 0, watch.output
    assert "(IDLE)" in watch.output
    assert_each_once(warehouse, 3)
    with imap_env.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search("ALL"))
    assert all(b"$BilanIngested" in f and b"\\Seen" not in f for f in flags.values()), flags


def test_a_message_appended_while_the_previous_one_is_processed_is_taken_at_once(
    imap_env, warehouse, watcher_thread, monkeypatch
):
    """The second message arrives while the first is being processed, after
    the watcher's last command to the server: no keyword to set (a read-only
    folder), so the server announces it only in answer to the next IDLE, in
    the same packet as IDLE's continuation. It is taken without waiting for
    a third message."""
    monkeypatch.setenv("BILAN_IMAP_KEYWORD", "")
    watcher = watcher_thread()
    assert watcher.ready.wait(WITHIN)
    first, second = numbered_messages(2, "busy")
    paragraph = "La rencontre territoriale a réuni les conseillers citoyens et les associations du quartier. "
    long_first = first.replace(b"Veuillez trouver", (paragraph * 300).encode() + b"\r\nVeuillez trouver")
    imap_env.append_many([long_first])

    reader = create_engine(warehouse.engine.url)  # plain reads: never queued behind the watcher's writes

    def counts() -> tuple[int, int]:
        with reader.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Message)), processed_with(connection)

    wait_until(lambda: counts() == (1, 0), WITHIN, interval=0.01, message="first message archived, not processed")
    imap_env.append_many([second])
    assert counts()[1] == 0, "the first message was processed before the second arrived; nothing tested"
    wait_until(lambda: counts() == (2, 2), 20, message="message appended during processing committed")
    reader.dispose()
    assert_each_once(warehouse, 2)


def test_idle_hears_a_message_that_arrived_just_before_it(imap_env, settings_env):
    """Dovecot answers IDLE with its continuation and the news of a message
    that arrived since the last command in one packet; the client reads both
    at once, and the news must not stay unread in its buffer."""
    from bilan.mailbox.cycle import account_from_settings
    from bilan.mailbox.imap import ImapSource

    with ImapSource(account_from_settings(settings_env)) as source:
        assert source.uids_after(0) == []
        source.wait_for_new_mail(0.5)  # what SELECT said is read: only news from now on
        imap_env.append_many(numbered_messages(1, "before-idle"))
        time.sleep(1.0)  # the time of processing a message: the server's own notice of it is past
        started = time.monotonic()
        assert source.wait_for_new_mail(10.0)
        assert time.monotonic() - started < 5.0


@pytest.mark.slow  # a `bilan watch` process that waits through three growing pauses
def test_a_cycle_failing_again_backs_off_longer_and_logs_one_line(imap_env, warehouse, tmp_path, monkeypatch):
    """A cycle that fails the same way each time (here the database refuses
    every new message row) waits longer at each attempt, and says so in one
    line after the first traceback."""
    _refuse_new_messages(warehouse)
    imap_env.append_many(numbered_messages(1, "refused"))
    monkeypatch.setenv("BILAN_IMAP_RECONNECT_MAX_SECONDS", "4")
    watch = BilanProcess(["watch"], tmp_path / "watch.log")
    try:
        watch.wait_for_output("reconnection attempt 3", timeout=WITHIN * 2)
    finally:
        watch.stop()
    output = watch.output
    assert "message rows refused" in output and "reconnection attempt 2" in output, output
    first, _, rest = output.partition("reconnection attempt 2")
    assert "Traceback" in first and "Traceback" not in rest, output


def _refuse_new_messages(warehouse) -> None:
    """A trigger that makes the database refuse every new `message` row."""
    with warehouse.engine.begin() as connection:
        if warehouse.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON message BEGIN SELECT RAISE(ABORT, 'message rows refused'); END"
            )
            return
        connection.exec_driver_sql(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'message rows refused'; END $$ "
            "LANGUAGE plpgsql"
        )
        connection.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION refuse()")


@pytest.mark.slow  # a `bilan watch` process and a Dovecot restart (1 s of Dovecot's shutdown each)
@pytest.mark.own_dovecot
def test_dovecot_restarted_in_the_middle_of_a_batch_loses_and_doubles_nothing(
    imap_env, warehouse, tmp_path, monkeypatch
):
    monkeypatch.setenv("BILAN_IMAP_BATCH_SIZE", "5")
    lot = numbered_messages(40, "restart")
    imap_env.append_many(lot)
    watch = BilanProcess(["watch"], tmp_path / "watch.log")
    try:
        wait_until(lambda: processed(warehouse) >= 8, WITHIN * 2, message="first batches committed")
        imap_env.restart()
        assert processed(warehouse) < len(lot), "the batch ended before the restart; nothing was tested"
        wait_until(lambda: processed(warehouse) == len(lot), WITHIN * 2, message="every message committed")
        watch.wait_for_output("reconnection attempt")
    finally:
        assert watch.stop() == 0, watch.output
    assert_each_once(warehouse, len(lot))
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(ImapProgress.last_uid)) == len(lot)


@pytest.mark.own_dovecot
def test_watching_starts_while_the_server_is_down_and_catches_up(imap_env, warehouse, watcher_thread, monkeypatch):
    monkeypatch.setenv("BILAN_IMAP_RECONNECT_MAX_SECONDS", "2")
    imap_env.append_many(numbered_messages(2, "down"))
    imap_env.stop()
    watcher = watcher_thread()
    wait_until(lambda: watcher.backoff.attempt >= 2, WITHIN, message="two failed connection attempts")
    imap_env.start()
    wait_until(lambda: processed(warehouse) == 2, WITHIN, message="messages ingested after the server came back")
    assert_each_once(warehouse, 2)


def test_idle_is_reissued_and_still_hears_new_mail(imap_env, warehouse, watcher_thread, monkeypatch):
    monkeypatch.setenv("BILAN_IMAP_IDLE_SECONDS", "0.5")
    watcher = watcher_thread()
    assert watcher.ready.wait(WITHIN)
    wait_until(lambda: watcher.cycles >= 4, WITHIN, message="several IDLE renewals")
    imap_env.append_many(numbered_messages(1, "renewed"))
    wait_until(lambda: processed(warehouse) == 1, WITHIN, message="message ingested after renewals")


def test_without_idle_the_folder_is_polled(imap_env, warehouse, watcher_thread, monkeypatch):
    monkeypatch.setenv("BILAN_IMAP_POLL_SECONDS", "0.3")
    watcher = watcher_thread(poll=True)
    assert watcher.ready.wait(WITHIN)
    wait_until(lambda: watcher.cycles >= 3, WITHIN, message="two polls")
    imap_env.append_many(numbered_messages(2, "polled"))
    wait_until(lambda: processed(warehouse) == 2, WITHIN, message="messages ingested by polling")


def test_backoff_grows_with_jitter_up_to_its_maximum():
    backoff = Backoff(first=1.0, maximum=8.0)
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings)), delays
    assert len({round(d, 6) for d in delays[3:]}) > 1  # jittered, not in step
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_each_ingested_message_emits_an_event(prefect_server, imap_env, warehouse, watcher_thread):
    from bilan.flows.events import MESSAGE_INGESTED

    watcher = watcher_thread()
    assert watcher.ready.wait(WITHIN)
    imap_env.append_many(numbered_messages(2, "event"))
    wait_until(lambda: processed(warehouse) == 2, WITHIN)
    with warehouse.engine.connect() as connection:
        shas = set(connection.scalars(select(Message.sha256)))
    events = wait_until(lambda: _read_events(MESSAGE_INGESTED, shas), WITHIN, interval=0.5, message="events")
    payloads = {e["payload"]["sha256"]: e["payload"] for e in events}
    assert set(payloads) == shas
    assert all(p["kind"] == "contribution" and p["departments"] == ["02"] for p in payloads.values())
    related = events[0]["related"]
    assert {"prefect.resource.id": "bilan.department.02", "prefect.resource.role": "department"} in related


def _read_events(name: str, shas: set[str]) -> list[dict]:
    """The events of this name about these messages, as the server stored them."""
    import asyncio

    from prefect.client.orchestration import get_client

    async def read() -> list[dict]:
        async with get_client() as client:
            response = await client._client.post(
                "/events/filter", json={"filter": {"event": {"name": [name]}}, "limit": 50}
            )
            response.raise_for_status()
            return response.json()["events"]

    events = [e for e in asyncio.run(read()) if e["payload"].get("sha256") in shas]
    return events if len(events) == len(shas) else []
