"""prefect.yaml declares the mailbox deployments the README describes, and
their entrypoints load the way a Prefect worker loads them."""

from __future__ import annotations

import subprocess
import sys

import yaml

from bilan.flows.events import NEW_MAIL
from tests.conftest import REPO

DEPLOYMENTS = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def by_name(name: str) -> dict:
    return next(d for d in DEPLOYMENTS if d["name"] == name)


def test_the_mailbox_deployments_are_declared():
    assert {"poll-mailbox", "ingest-on-new-mail", "reprocess"} <= {d["name"] for d in DEPLOYMENTS}
    assert by_name("poll-mailbox")["schedules"][0]["interval"] == 300
    (trigger,) = by_name("ingest-on-new-mail")["triggers"]
    assert trigger["expect"] == [NEW_MAIL] and trigger["match"]["prefect.resource.id"] == "bilan.mailbox.*"
    assert by_name("reprocess")["entrypoint"] == "flows/reprocess.py:reprocess_messages"


def test_entrypoints_load_as_a_worker_loads_them():
    """A worker imports the entrypoint file with its folder on sys.path: no
    module of ours may then hide a standard one (as `mailbox.py` once did)."""
    stage_modules = {p.stem for folder in ("flows", "parsers", "nlp", "storage") for p in (REPO / folder).glob("*.py")}
    assert not stage_modules & set(sys.stdlib_module_names)
    entrypoints = [deployment["entrypoint"] for deployment in DEPLOYMENTS]
    script = (  # one process for all: each start costs seconds (Python, Prefect, spaCy)
        "from prefect.flows import load_flow_from_entrypoint\n"
        f"for entrypoint in {entrypoints!r}:\n"
        "    print(load_flow_from_entrypoint(entrypoint).name)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stdout.split()) == len(entrypoints), result.stdout
