"""The README and prefect.yaml stay true: every command is documented and
has help text, every setting is in the configuration table, every
deployment points at a real flow."""

from __future__ import annotations

import importlib

import typer.main
import yaml

from bilan.cli import app
from bilan.settings import Settings
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme_with_help():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"bilan {name}" in README, f"`bilan {name}` is not in the README"
        assert command.help, f"`bilan {name}` has no help text"


def test_every_setting_is_in_the_configuration_table():
    for name in Settings.model_fields:
        assert f"BILAN_{name.upper()}" in README, f"BILAN_{name.upper()} is not documented"


def test_every_deployment_points_at_a_flow():
    deployments = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    for deployment in deployments:
        path, _, name = deployment["entrypoint"].partition(":")
        module = importlib.import_module("bilan." + path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert hasattr(flow, "serve"), f"{deployment['entrypoint']} is not a Prefect flow"
        assert set(deployment.get("parameters") or {}) <= set(flow.parameters.properties)
