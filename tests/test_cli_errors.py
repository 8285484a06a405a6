"""A user error is one line on stderr that says what to do, and a non-zero
exit; no traceback unless `bilan --debug`. Region and department codes are
checked against the reference; help shows no `<bool>` for flags."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import openpyxl
import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.errors import BadInput
from bilan.mailbox.errors import ImapLoginFailed, ImapUnavailable
from bilan.mailbox.imap import Credential, ImapAccount, connect
from tests.conftest import REPO


def _error_line(args: list[str], env: dict[str, str] | None = None) -> str:
    """Run the command as a user would; return its one line of error."""
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code != 0, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


@pytest.fixture
def sqlite_env(monkeypatch, tmp_path):
    monkeypatch.setenv("BILAN_DATABASE_URL", f"sqlite:///{tmp_path / 'bilan.db'}")
    monkeypatch.setenv("BILAN_ARCHIVE_DIR", str(tmp_path / "archive"))


def test_out_naming_a_folder_or_a_file_says_what_to_give(sqlite_env, tmp_path):
    assert "give a file name, e.g. --out" in _error_line(["report", "--out", str(tmp_path)])
    assert "is a folder" in _error_line(["export", "--out", str(tmp_path)])
    assert "is a folder" in _error_line(["export", "--format", "xlsx", "--out", str(tmp_path)])
    (tmp_path / "file.txt").write_text("x")
    assert "one file per view into a folder" in _error_line(
        ["export", "--format", "csv", "--out", str(tmp_path / "file.txt")]
    )


@pytest.mark.parametrize(
    "url, words",
    [
        ("foo://", "is not a database URL: use sqlite:////"),
        ("bilan.db", "is not a database URL"),
        ("sqlite:///{tmp}/file.txt/bilan.db", "there is no warehouse at"),
        ("postgresql://postgres@127.0.0.1:1/bilan", "cannot reach the database at postgresql://postgres@127.0.0.1:1"),
    ],
)
def test_a_bad_database_url_is_one_line(tmp_path, url, words):
    (tmp_path / "file.txt").write_text("not a folder")
    line = _error_line(["status"], env={"BILAN_DATABASE_URL": url.format(tmp=tmp_path)})
    assert words in line


def test_a_sqlite_warehouse_that_cannot_be_created_is_one_line(tmp_path):
    (tmp_path / "file.txt").write_text("not a folder")
    line = _error_line(["migrate"], env={"BILAN_DATABASE_URL": f"sqlite:///{tmp_path}/file.txt/bilan.db"})
    assert "cannot open the SQLite warehouse" in line


def test_a_missing_postgresql_database_says_how_to_create_it(postgres_admin_url):
    base = postgres_admin_url.rsplit("/", 1)[0]
    line = _error_line(["status"], env={"BILAN_DATABASE_URL": f"{base}/bilan_no_such_database"})
    assert "database 'bilan_no_such_database' does not exist" in line and "createdb bilan_no_such_database" in line


def test_a_password_in_the_url_is_never_shown():
    line = _error_line(["status"], env={"BILAN_DATABASE_URL": "postgresql://anct:s3cret@127.0.0.1:1/bilan"})
    assert "s3cret" not in line


def test_a_bad_setting_names_the_variable_and_the_choices(sqlite_env):
    line = _error_line(["status"], env={"BILAN_IMAP_AUTH": "foo"})
    assert "BILAN_IMAP_AUTH" in line and "'password' or 'xoauth2'" in line and "Value error" not in line


def test_a_bad_choice_reads_plainly(sqlite_env):
    line = _error_line(["status", "--status", "foo"])
    assert "'foo' is not one of 'on_time', 'late', 'missing'" in line and "Value error" not in line
    assert " status --help`" in line


def test_unknown_region_and_department_codes_are_refused(sqlite_env):
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    assert "unknown region 'Atlantis': use one of" in _error_line(["status", "--region", "Atlantis"])
    assert "unknown department code '999'" in _error_line(["reprocess", "-d", "999", "--dry-run"])
    assert "unknown kind of message 'contrib'" in _error_line(["reprocess", "-k", "contrib", "--dry-run"])
    result = CliRunner().invoke(app, ["status", "--region", "occitanie"])
    assert result.exit_code == 0 and "Hérault" in result.output
    result = CliRunner().invoke(app, ["reprocess", "-d", "1", "-d", "2a", "--dry-run"])
    assert result.exit_code == 0 and "0 message(s)" in result.output


def test_evaluate_checks_its_inputs(sqlite_env, tmp_path):
    (tmp_path / "export.json").write_text(json.dumps({"messages": []}))
    assert "is not a labelled folder" in _error_line(
        ["evaluate", "--truth", str(tmp_path), "--export", str(tmp_path / "export.json")]
    )
    (tmp_path / "truth").mkdir()
    (tmp_path / "departments.json").write_text("{}")
    workbook = openpyxl.Workbook()
    workbook.save(tmp_path / "bilan.xlsx")
    assert "is not a JSON export" in _error_line(
        ["evaluate", "--truth", str(tmp_path), "--export", str(tmp_path / "bilan.xlsx")]
    )


def test_debug_shows_the_traceback(sqlite_env):
    result = CliRunner().invoke(app, ["--debug", "status", "--region", "Atlantis"])
    assert result.exit_code != 0 and isinstance(result.exception, BadInput)


def test_an_installed_command_prints_no_traceback(tmp_path):
    """The real entry point, in its own process."""
    bilan = REPO / ".venv" / "bin" / "bilan"
    command = [str(bilan)] if bilan.exists() else [sys.executable, "-m", "bilan.cli"]
    done = subprocess.run(
        [*command, "status"], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "BILAN_DATABASE_URL": "foo://", "HOME": str(tmp_path)},
    )
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_flags_show_no_bool_metavar():
    for args in (["--help"], ["status", "--help"], ["export", "--help"], ["reprocess", "--help"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0 and "<bool>" not in result.output, result.output


def test_tls_to_a_plain_port_says_which_port_to_use(dovecot):
    plain = ImapAccount(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, credential=Credential(dovecot.password),
        security="ssl",
    )
    with pytest.raises(ImapUnavailable, match="use the IMAPS port \\(993\\), or set BILAN_IMAP_SSL=false"):
        connect(plain, timeout=10)


def test_a_refused_login_shows_the_server_words_not_bytes(dovecot):
    wrong = ImapAccount(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, credential=Credential("not-it"), security="plain"
    )
    with pytest.raises(ImapLoginFailed) as raised:
        connect(wrong)
    # No bytes literal (b'...'); the quoted user name may itself end in "b" (it is random hex).
    assert not re.search(r"(?<!\w)b['\"]", str(raised.value)), str(raised.value)
    assert "AUTHENTICATIONFAILED" in str(raised.value) or "failed" in str(raised.value).lower()


def test_log_lines_carry_their_time(tmp_path):
    """`bilan watch` and `ingest` log through the same set-up: every line starts with the time."""
    bilan = REPO / ".venv" / "bin" / "bilan"
    command = [str(bilan)] if bilan.exists() else [sys.executable, "-m", "bilan.cli"]
    done = subprocess.run(
        [*command, "-v", "migrate"], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "BILAN_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) ", line) for line in lines[:5])
