"""A parser worker process: `python -m bilan.parsers.worker READ_FD WRITE_FD`.

Started by `pool.ParserPool` as a fresh interpreter (not a fork of the
caller, which may hold threads, a database connection or spaCy), it imports
every parser once, then parses the files it is sent, one at a time, answering
each with a `ParseOutcome`, until its input closes.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import sys
import warnings
from multiprocessing.connection import Connection

#: How much less CPU a parser worker asks for than the extraction worker
#: (`os.nice` steps: each is about 1.25x less weight for the scheduler).
#: Parsing runs ahead of extraction, which is one process doing one message
#: after another: when both want a core, the one stage that cannot go faster
#: by waiting goes first, and parsing takes what is left. Alone on a machine,
#: a parser worker runs at full speed all the same.
NICENESS = 5


def main(read_fd: int, write_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    os.nice(NICENESS)
    warnings.simplefilter("ignore")  # libraries warn about every oddity of a file
    logging.basicConfig(level=logging.ERROR)
    from bilan.parsers.document import ParseStatus
    from bilan.parsers.pool import READY
    from bilan.parsers.registry import ParseOutcome, parse_outcome, parsers_by_format

    parsers_by_format()  # import every parser and its libraries now, not on the first file
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    outbox.send(READY)  # the time limit of the first file starts now, not before the imports
    while True:
        try:
            job = inbox.recv()
        except (EOFError, OSError):
            return  # the pool closed, or its process is gone
        if job is None:
            return
        data, filename, fmt, limits = job
        _limit_memory(limits.worker_memory_bytes)
        outcome = parse_outcome(data, filename, fmt, limits)
        try:
            outbox.send(outcome)
        except Exception as exc:  # an unpicklable document: say so rather than hang
            outbox.send(ParseOutcome(ParseStatus.CORRUPT, f"parsed document could not be returned: {exc}", cacheable=False))


def _limit_memory(size: int) -> None:
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = size if hard == resource.RLIM_INFINITY else min(size, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ValueError, OSError):
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
    os._exit(0)  # as the extraction workers: every answer went through the pipe, nothing to tear down
