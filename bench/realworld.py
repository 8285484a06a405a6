"""Real-world regression suite: other people's mail and files, read by `bilan import`.

Takes folders of real inputs that nobody here wrote (the test data of mail
and document libraries, obtained by the user, never committed): `.eml`
messages, and files that start like a message (the test data of mail
libraries often has no `.eml` suffix: `msg_02.txt`, `mail_test_6`,
`email.01`), are imported as they are; any other file (PDF, DOCX, XLSX, PPTX,
.msg, winmail.dat...) is wrapped as the only attachment of a generated
message. Each folder is imported into a fresh warehouse on SQLite and on
PostgreSQL, by `bilan import` in its own process, and the bench prints per
folder and database:

- files (inputs), distinct (inputs whose bytes differ once line ends are
  made CRLF, as every source delivers them: identical messages are one
  message) and rows (messages stored: one per distinct input);
- statuses of the attached files (top level) and processing errors;
- wall time and peak RSS of the import's process tree;
- text agreement with the plain library: the word-set Jaccard index of what
  the warehouse holds against what pdfplumber or PDFium, python-docx,
  openpyxl, xlrd, python-pptx, extract-msg, tnefparse or the email package
  read alone (for PDFs the closer of pdfplumber and PDFium), and the recall,
  the share of the library's words that the warehouse holds;
- U+FFFD and C1 control characters in the stored subjects, names, file
  names and texts, and which inputs have them.

    .venv/bin/python bench/realworld.py FOLDER... [--db sqlite,postgresql] [--bilan PATH] [--json OUT]

`--bilan` runs another installation's `bilan` (e.g. the one of an older
commit's worktree), so that before and after are measured with one script.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.proctree import run_sampled  # noqa: E402
from bilan.mailbox.local import canonical_form  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
_WORD = re.compile(r"\w+", re.UNICODE)
_BAD = re.compile("[\ufffd\x80-\x9f]")
MESSAGE_SUFFIXES = {".eml"}
#: Suffixes under which mail test data keeps whole messages (or none at all).
_MAYBE_MESSAGE = re.compile(r"^(|\.txt|\.mbox|\.\d+)$")
_KNOWN_HEADER = re.compile(
    rb"(?mi)^(from|to|subject|date|message-id|mime-version|received|return-path|content-type|delivered-to)[ \t]*:"
)
#: Reference readers need a few seconds per hundred PDF pages; past this many
#: pages a PDF is compared on its first pages only (as many as bilan reads).
REFERENCE_MAX_PAGES = 300
#: Statuses of a file that bilan declines to read by design: no text to compare.
REFUSED = {"encrypted", "too_large"}


def is_message(path: Path) -> bool:
    """An `.eml`, or a file with a mail-test-data suffix whose head is a
    header block (an mbox "From " line allowed) naming at least two of the
    usual headers."""
    suffix = path.suffix.lower()
    if suffix in MESSAGE_SUFFIXES:
        return True
    if not _MAYBE_MESSAGE.match(suffix):
        return False
    with path.open("rb") as handle:
        head = handle.read(8192)
    if head.startswith(b"From "):
        head = head.partition(b"\n")[2]
    head = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    return bool(re.match(rb"[!-9;-~]+[ \t]*:", head)) and len(_KNOWN_HEADER.findall(head)) >= 2


def wrap_documents(folder: Path, out: Path) -> dict[str, Path]:
    """Copy the folder's messages and wrap each document in a message; return
    {Message-ID: source path}."""
    out.mkdir(parents=True, exist_ok=True)
    sources: dict[str, Path] = {}
    for number, path in enumerate(sorted(p for p in folder.rglob("*") if p.is_file())):
        marker = f"<realworld-{number}@bench.invalid>"
        if is_message(path):
            (out / f"{number:04d}.eml").write_bytes(path.read_bytes())
        else:
            mail = EmailMessage()
            mail["From"] = "Bench <bench@example.org>"
            mail["To"] = "participation-habitants@anct.gouv.fr"
            mail["Subject"] = f"Document {path.name}"
            mail["Message-ID"] = marker
            mail["Date"] = "Mon, 01 Mar 2021 10:00:00 +0100"
            mail.set_content("Document joint.\n")
            mail.add_attachment(path.read_bytes(), maintype="application", subtype="octet-stream", filename=path.name)
            (out / f"{number:04d}.eml").write_bytes(mail.as_bytes(policy=email.policy.SMTP))
        sources[f"{number:04d}"] = path
    return sources


@contextlib.contextmanager
def database(kind: str, workdir: Path):
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bilan.db'}"
        return
    import psycopg

    name = f"realworld_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_import(bilan: Path, messages: Path, url: str, workdir: Path) -> dict:
    env = {**os.environ, "BILAN_DATABASE_URL": url, "BILAN_ARCHIVE_DIR": str(workdir / "archive"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    log = workdir / "import.log"
    with log.open("wb") as handle:
        usage = run_sampled([str(bilan), "import", str(messages)], env=env, stdout=handle, stderr=subprocess.STDOUT)
    return {"wall_seconds": usage.wall_seconds, "peak_rss_mib": usage.peak_tree_rss_mib,
            "log_tail": log.read_text(errors="replace")[-400:]}  # fmt: skip


def warehouse_rows(url: str) -> list[dict]:
    """One dict per stored message: its file (by the generated name in its
    source URI), subject, names, errors, top-level files and texts."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    rows: dict[int, dict] = {}
    with engine.connect() as connection:
        for mid, source, subject, sender_name, error in connection.execute(
            text("SELECT id, source, subject, sender_name, process_error FROM message")
        ):
            rows[mid] = {"file": Path(source.split("/")[-1]).stem, "subject": subject or "",
                         "sender_name": sender_name or "", "process_error": error, "attachments": [],
                         "texts": {}}  # fmt: skip
        for mid, position, parent, filename, fmt, status, error in connection.execute(
            text("SELECT message_id, position, parent_id, filename, format, parse_status, parse_error FROM attachment")
        ):
            rows[mid]["attachments"].append({"position": position, "top": parent is None, "filename": filename,
                                             "format": fmt, "status": status, "error": error})  # fmt: skip
        for mid, position, body in connection.execute(text("SELECT message_id, position, text FROM extracted_text")):
            rows[mid]["texts"][position] = body or ""
    engine.dispose()
    return list(rows.values())


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "") if not w.isdigit() or len(w) > 1}


def jaccard(a: set[str], b: set[str]) -> float | None:
    if not a and not b:
        return None
    return len(a & b) / len(a | b)


def recall(stored: set[str], reference: set[str]) -> float | None:
    """Share of the plain library's words that the warehouse holds: a message
    body read whole where the email package returns its first text part
    lowers the Jaccard index, not this."""
    return len(stored & reference) / len(reference) if reference else None


def reference_text(path: Path) -> str | list[str] | None:
    """What the plain library reads of the file (several texts when two plain
    libraries read the format; None when none has an opinion)."""
    data = path.read_bytes()
    if not data.strip():
        return None
    suffix = path.suffix.lower()
    try:
        if is_message(path):
            message = email.message_from_bytes(data, policy=email.policy.default)
            body = message.get_body(("plain", "html"))
            if body is None:
                return None
            content = body.get_content()
            if "\ufffd" in content or "\x00" in content:
                return None  # the email package could not decode it (a file in UTF-16): no opinion to compare with
            if body.get_content_type() == "text/html":
                from bs4 import BeautifulSoup

                content = BeautifulSoup(content, "html.parser").get_text(" ")
            return content
        if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
            return pdf_references(data)
        if suffix == ".docx":
            import docx
            from docx.oxml.ns import qn

            # Every paragraph of the body, nested ones included; runs joined as Word shows them.
            body = docx.Document(io.BytesIO(data)).element.body
            pieces = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}
            return "\n".join("".join(e.text or "" if pieces[e.tag] is None else pieces[e.tag]
                                      for e in p.iter(*pieces)) for p in body.iter(qn("w:p")))  # fmt: skip
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
            return " ".join(shown(v) for s in book.worksheets if s.sheet_state == "visible"
                            for row in s.iter_rows(values_only=True) for v in row if v is not None)  # fmt: skip
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(file_contents=data)
            return " ".join(xls_shown(book, cell) for s in book.sheets() for r in range(s.nrows)
                            for cell in s.row(r) if cell.value != "")  # fmt: skip
        if suffix == ".pptx":
            from pptx import Presentation

            deck = Presentation(io.BytesIO(data))
            return " ".join(text for slide in deck.slides for shape in slide.shapes for text in shape_texts(shape))
        if suffix == ".msg":
            import extract_msg

            message = extract_msg.openMsg(data)
            return message.body or ""
        if suffix in (".tnef", ".dat"):
            from tnefparse import TNEF

            tnef = TNEF(data, do_checksum=False)
            body = tnef.body or tnef.htmlbody
            if isinstance(body, bytes):
                body = body.decode("cp1252", "replace")
            if body and not tnef.body:
                from bs4 import BeautifulSoup

                body = BeautifulSoup(body, "html.parser").get_text(" ")
            return body
    except Exception:  # the plain library cannot read it: no reference
        return None
    return None


def shape_texts(shape) -> list[str]:
    """The text of a slide's shape as python-pptx's documentation reads it:
    text frames, the cells of tables, the shapes of groups."""
    if shape.shape_type == 6:  # MSO_SHAPE_TYPE.GROUP
        return [text for inner in shape.shapes for text in shape_texts(inner)]
    if getattr(shape, "has_table", False) and shape.has_table:
        return [cell.text for row in shape.table.rows for cell in row.cells]
    return [shape.text_frame.text] if shape.has_text_frame else []


def shown(value: object) -> str:
    """A cell value as a sheet shows it: a date without the midnight that
    the library adds, a whole number without ".0"."""
    import datetime as dt

    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xls_shown(book, cell) -> str:
    """An xlrd cell as the sheet shows it (a date, TRUE), not the serial
    number or the 1 that xlrd's values hold."""
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            when = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return shown(cell.value)
        return shown(when.time() if 0 <= cell.value < 1 else when)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return ""  # a broken formula (#REF!): no words, for xlrd's code as for bilan's empty cell
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return str(bool(cell.value))
    return shown(cell.value)


def pdf_references(data: bytes) -> list[str] | None:
    """What pdfplumber reads, and what PDFium reads, page after page: the two
    plain readers disagree (pdfplumber glues words and doubles bold letters,
    PDFium cannot map some CJK fonts); text agreement is with the closer one."""
    texts: list[str] = []
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            texts.append("\n".join(page.extract_text() or "" for page in pdf.pages[:REFERENCE_MAX_PAGES]))
    except Exception:  # pdfminer cannot read it: PDFium may
        pass
    try:
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
        texts.append("\n".join(document[n].get_textpage().get_text_range()
                               for n in range(min(len(document), REFERENCE_MAX_PAGES))))  # fmt: skip
    except Exception:  # PDFium cannot open it: pdfplumber may have
        pass
    return texts or None


def measure(folder: Path, kind: str, bilan: Path, references: dict[str, str | None]) -> dict:
    with tempfile.TemporaryDirectory(prefix="bilan-realworld-") as tmp:
        workdir = Path(tmp)
        sources = wrap_documents(folder, workdir / "messages")
        distinct = len({canonical_form(p.read_bytes()) for p in (workdir / "messages").glob("*.eml")})
        with database(kind, workdir) as url:
            run = run_import(bilan, workdir / "messages", url, workdir)
            try:
                rows = warehouse_rows(url)
            except Exception as exc:  # the import did not even create the schema
                rows = []
                run["log_tail"] += f"\n{type(exc).__name__}: {exc}"
    statuses: Counter[str] = Counter()
    scores: list[float] = []
    recalls: list[float] = []
    low: list[tuple[float, str]] = []
    bad: list[str] = []
    for row in rows:
        source = sources.get(row["file"])
        top = [a for a in row["attachments"] if a["top"]]
        wrapped = source is not None and not is_message(source)
        for attachment in top if wrapped else row["attachments"]:
            statuses[attachment["status"]] += 1
        if wrapped:
            stored = " ".join(row["texts"].get(a["position"], "") for a in top)
            names = [a["filename"] for a in top]
        else:
            stored = row["texts"].get(-1, "")
            names = [a["filename"] for a in row["attachments"]]
        shown = " ".join([row["subject"], row["sender_name"], *names, stored])
        if _BAD.search(shown) and source is not None:
            bad.append(source.name)
        reference = references.get(str(source)) if source is not None else None
        if wrapped and any(a["status"] in REFUSED for a in top):
            reference = None  # refused on purpose (a password, a limit): counted in the statuses, not compared
        if reference is not None:
            candidates = [reference] if isinstance(reference, str) else reference
            # Where the plain library reads no word at all, there is nothing to lose (an OCR'd scan).
            found = [(jaccard(words(stored), words(text)), recall(words(stored), words(text)))
                     for text in candidates if words(text)]  # fmt: skip
            score, held = max(found, default=(None, None))
            if score is not None:
                scores.append(score)
                recalls.append(held)
                if score < 0.8 and source is not None:
                    low.append((round(score, 2), source.name))
    return {
        "folder": folder.name,
        "db": kind,
        "files": len(sources),
        "distinct": distinct,
        "rows": len(rows),
        "statuses": dict(sorted(statuses.items())),
        "process_errors": sum(1 for r in rows if r["process_error"]),
        "wall_seconds": round(run["wall_seconds"], 1),
        "peak_rss_mib": round(run["peak_rss_mib"]),
        "agreement": round(statistics.mean(scores), 3) if scores else None,
        "recall": round(statistics.mean(recalls), 3) if recalls else None,
        "compared": len(scores),
        "low_agreement": sorted(low)[:8],
        "bad_characters": sorted(bad)[:8],
        "bad_count": len(bad),
        "errors": sorted({(r["process_error"] or "")[:120] for r in rows if r["process_error"]})[:4],
        "log_tail": run["log_tail"] if len(rows) < distinct else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--bilan", type=Path, default=REPO / ".venv" / "bin" / "bilan")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON")
    args = parser.parse_args()
    results = []
    header = f"{'folder':<19}{'db':<11}{'files':>6}{'dist':>6}{'rows':>6}{'errors':>7}{'secs':>7}{'RSS MiB':>8}{'agree':>7}{'recall':>7}{'bad':>5}  statuses"
    print(header)
    for folder in args.folders:
        references = {str(p): reference_text(p) for p in sorted(folder.rglob("*")) if p.is_file()}
        for kind in args.db.split(","):
            result = measure(folder, kind.strip(), args.bilan, references)
            results.append(result)
            agreement = "-" if result["agreement"] is None else f"{result['agreement']:.3f}"
            held = "-" if result["recall"] is None else f"{result['recall']:.3f}"
            statuses = " ".join(f"{k}={v}" for k, v in result["statuses"].items())
            print(f"{result['folder']:<19}{result['db']:<11}{result['files']:>6}{result['distinct']:>6}{result['rows']:>6}"
                  f"{result['process_errors']:>7}{result['wall_seconds']:>7}{result['peak_rss_mib']:>8}"
                  f"{agreement:>7}{held:>7}{result['bad_count']:>5}  {statuses}", flush=True)  # fmt: skip
            for label in ("low_agreement", "bad_characters", "errors"):
                if result[label]:
                    print(f"    {label}: {result[label]}")
            if result["log_tail"]:
                print(f"    import log: {result['log_tail']!r}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
