"""The event-triggered deployment of `prefect.yaml`, end to end on real
parts: `prefect server start`, the deployment registered with `prefect
deploy`, a process worker, `bilan watch --dispatch` announcing new mail, and
the flow run that ingests it. Slow (a server, a worker and a flow-run
process start), hence marked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bilan.storage.models import Message
from tests.mail import numbered_messages
from tests.processes import PREFECT, BilanProcess, PrefectServer, stop_group, wait_until


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_new_mail_announced_by_the_watcher_is_ingested_by_a_worker(imap_env, warehouse, tmp_path):
    server = PrefectServer(tmp_path / "prefect-home")
    worker = watch = None
    try:
        server.wait_healthy()
        server.run("work-pool", "create", "bilan", "--type", "process")
        server.run("deploy", "--name", "ingest-on-new-mail")
        worker = server.spawn([PREFECT, "worker", "start", "--pool", "bilan"], (tmp_path / "worker.log").open("wb"))
        watch = BilanProcess(["watch", "--dispatch"], tmp_path / "watch.log", env=server.env)
        watch.wait_for_output("watching INBOX")

        imap_env.append_many(numbered_messages(2, "dispatched"))
        watch.wait_for_output("announced 2 new message(s)")

        def processed() -> int:
            with warehouse.engine.connect() as connection:
                return connection.scalar(select(func.count()).where(Message.processed_at.is_not(None)))

        wait_until(lambda: processed() == 2, 240, interval=0.5, message="rows committed by the flow run")
        runs = server.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["ingest-on-new-mail"]}}})
        assert runs and all(run["state_type"] in ("COMPLETED", "RUNNING", "SCHEDULED", "PENDING") for run in runs)
        wait_until(
            lambda: any(r["state_type"] == "COMPLETED" for r in server.post("/flow_runs/filter", {})),
            60, interval=0.5, message="flow run completed",
        )  # fmt: skip

        def ingested_events() -> list[dict]:
            query = {"filter": {"event": {"name": ["bilan.message.ingested"]}}}
            events = server.post("/events/filter", query)["events"]
            return events if len(events) == 2 else []

        events = wait_until(ingested_events, 60, interval=0.5, message="two bilan.message.ingested events")
        assert {e["payload"]["kind"] for e in events} == {"contribution"}
    finally:
        if watch is not None:
            watch.stop()
        if worker is not None:
            stop_group(worker)
        stop_group(server.process)
        server.log.close()
    assert watch.output.count("announced") >= 1
