"""Benchmark: parsing every attachment of the dev corpus.

Prints, per format, documents per second and pages (PDF) or sheets
(spreadsheets) per second, each file parsed in this process on one core;
then the whole corpus through the worker pool, cold (no cache) and warm
(every file from the parse cache), with peak memory of this process and of
the workers; then pdfplumber's and PDFium's text extraction on the same text
PDFs: pages per second and how often they give the same words.

    .venv/bin/python bench/parse.py [--corpus ../shared/corpus/dev] [--workers N]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import io
import re
import resource
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from bilan.parsers.cache import ParseCache  # noqa: E402
from bilan.parsers.document import EmbeddedFile  # noqa: E402
from bilan.parsers.message import parse_message, split_message  # noqa: E402
from bilan.parsers.pool import ParserPool  # noqa: E402
from bilan.parsers.registry import CONTAINER_FORMATS, parse_outcome  # noqa: E402
from bilan.parsers.sniff import sniff_format  # noqa: E402


def corpus_files(messages: list[Path]) -> list[tuple[str, EmbeddedFile]]:
    """Every file of every message, containers' contents included, with its format."""
    found: list[tuple[str, EmbeddedFile]] = []
    todo: list[EmbeddedFile] = []
    for path in messages:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        todo.extend(split_message(message)[1])
    while todo:
        file = todo.pop(0)
        fmt = sniff_format(file.data, file.filename, file.content_type)
        found.append((fmt, file))
        if fmt in CONTAINER_FORMATS:
            outcome = parse_outcome(file.data, file.filename, fmt)
            if outcome.document is not None:
                todo.extend(outcome.document.files)
    return found


def per_format(files: list[tuple[str, EmbeddedFile]]) -> None:
    seconds: dict[str, float] = defaultdict(float)
    documents: Counter[str] = Counter()
    units: Counter[str] = Counter()
    for fmt, file in files:
        if len(file.data) > 5 * 1024 * 1024:
            continue  # refused unread, as in a real run
        if fmt in ("png", "jpg") and file.inline:
            continue  # pictures of the body are not parsed
        start = time.perf_counter()
        outcome = parse_outcome(file.data, file.filename, fmt)
        elapsed = time.perf_counter() - start
        label = fmt
        metadata = outcome.document.metadata if outcome.document is not None else {}
        if fmt == "pdf" and metadata.get("ocr_pages"):
            label = "pdf (scan, OCR)"
        seconds[label] += elapsed
        documents[label] += 1
        units[label] += metadata.get("pages") or metadata.get("sheets") or 0
    print("format               docs  seconds   docs/s   pages_or_sheets/s")
    for label in sorted(documents):
        rate = f"{units[label] / seconds[label]:10.1f}" if units[label] else "         -"
        print(f"{label:18s} {documents[label]:6d} {seconds[label]:8.2f} {documents[label] / seconds[label]:8.1f} {rate}")
    total = sum(seconds.values())
    print(f"{'all':18s} {sum(documents.values()):6d} {total:8.2f} {sum(documents.values()) / total:8.1f}")
    print(f"peak_rss_this_process_mib: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def through_the_pool(messages: list[Path], workers: int | None) -> None:
    raws = [path.read_bytes() for path in messages]
    with tempfile.TemporaryDirectory(prefix="bilan-parse-cache-") as folder:
        cache = ParseCache(folder)
        with ParserPool(workers) as pool:
            pool.parse_many([])  # nothing: workers start with the first file, as in a real run
            for label in ("cold", "warm"):
                start = time.perf_counter()
                # As bilan/pipeline.py's process_many does: messages parsed side by side,
                # so that a message with a single long file does not leave the other workers idle.
                with ThreadPoolExecutor(max_workers=max(pool.size, 1)) as executor:
                    parsed = list(executor.map(lambda raw: parse_message(raw, pool=pool, cache=cache), raws))
                attachments = sum(len(message.attachments) for message in parsed)
                elapsed = time.perf_counter() - start
                print(f"pool_{label}: {len(raws)} messages, {attachments} files in {elapsed:.2f} s "
                      f"({attachments / elapsed:.1f} files/s, {pool.size} workers, cache hits {cache.hits})")
            worker_peaks = [_peak_rss_mib(pid) for pid in pool.worker_pids()]
        print(f"peak_rss_workers_mib: {', '.join(f'{p:.0f}' for p in worker_peaks)}")
        print(f"peak_rss_this_process_mib: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pdf_engines(files: list[tuple[str, EmbeddedFile]]) -> None:
    import pdfplumber
    import pypdfium2 as pdfium

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.replace("(cid:127)", ""))

    timing = {"pdfplumber": 0.0, "pypdfium2": 0.0}
    pages = same_words = same_order = 0
    for fmt, file in files:
        if fmt != "pdf":
            continue
        try:
            start = time.perf_counter()
            with pdfplumber.open(io.BytesIO(file.data)) as pdf:
                plumber = [page.extract_text() or "" for page in pdf.pages]
            timing["pdfplumber"] += time.perf_counter() - start
            start = time.perf_counter()
            document = pdfium.PdfDocument(file.data)
            fast = [page.get_textpage().get_text_range() for page in document]
            document.close()
            timing["pypdfium2"] += time.perf_counter() - start
        except Exception:
            continue  # the damaged PDF of the corpus
        for slow_text, fast_text in zip(plumber, fast):
            if not slow_text.strip():
                continue  # a scan: neither engine has text
            pages += 1
            same_words += Counter(words(slow_text)) == Counter(words(fast_text))
            same_order += words(slow_text) == words(fast_text)
    print(f"text PDF pages compared: {pages}")
    for engine, seconds in timing.items():
        print(f"{engine}: {pages / seconds:.0f} pages/s (text extraction only)")
    print(f"same words: {same_words}/{pages} pages; same words in the same order: {same_order}/{pages} pages")
    print("(pdfplumber reads line by line across the page, so two-column pages interleave; PDFium keeps "
          "the written order)")


def pdf_tables(files: list[tuple[str, EmbeddedFile]]) -> None:
    """pdfplumber's own tables against its table finder fed by PDFium (what parsers/pdf.py does)."""
    import pdfplumber
    import pypdfium2 as pdfium

    from bilan.parsers.pdf import clean_cell, has_rulings, page_tables

    timing = {"pdfplumber": 0.0, "PDFium + pdfplumber's finder": 0.0}
    pages = same = 0
    for fmt, file in files:
        if fmt != "pdf":
            continue
        try:
            document = pdfium.PdfDocument(file.data)
            plumber = pdfplumber.open(io.BytesIO(file.data))
        except Exception:
            continue
        with plumber:
            for number, page in enumerate(document):
                if not has_rulings(page):
                    continue
                pages += 1
                start = time.perf_counter()
                ours = [rows for _, rows in page_tables(page)]
                timing["PDFium + pdfplumber's finder"] += time.perf_counter() - start
                start = time.perf_counter()
                theirs = [[[clean_cell(c) for c in row] for row in table.extract()] for table in plumber.pages[number].find_tables()]
                timing["pdfplumber"] += time.perf_counter() - start
                same += ours == theirs
        document.close()
    print(f"ruled PDF pages: {pages}; identical tables: {same}/{pages}")
    for engine, seconds in timing.items():
        print(f"{engine}: {pages / seconds:.0f} pages/s (table finding and extraction)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "dev")
    parser.add_argument("--workers", type=int, default=None, help="parser workers (default: one per core, at most 4)")
    args = parser.parse_args()
    messages = sorted((args.corpus / "messages").glob("*.eml"))
    files = corpus_files(messages)
    print(f"corpus: {len(messages)} messages, {len(files)} files")
    print("\n== per format, in this process, one core ==")
    per_format(files)
    print("\n== whole corpus through the worker pool ==")
    through_the_pool(messages, args.workers)
    print("\n== PDF text: pdfplumber vs PDFium ==")
    pdf_engines(files)
    print("\n== PDF tables: pdfplumber vs its table finder on PDFium's rulings and text ==")
    pdf_tables(files)


if __name__ == "__main__":
    main()
