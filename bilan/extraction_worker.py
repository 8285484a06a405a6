"""The extraction worker processes: `python -m bilan.extraction_worker [--memo-store FILE] FD...`.

Started by `extraction_pool.ExtractionPool` as one fresh interpreter (not a fork of the
caller, which holds threads, a database connection and the parser pool), it
loads the language models once (`extraction.warm_up`), freezes what it
loaded out of the garbage collector's reach, then forks one child per
further pair of pipes it was given: the children share the loaded model
copy-on-write (one load's CPU and, mostly, one load's memory), and each
serves its own pair, the first process the first pair. Each answers a
parsed message with the rows to store (`loading.message_record` of its
`Extraction`), or the exception that stopped it, and the CPU seconds it
took, until its input closes. With `--memo-store`, what the models say of
each text is kept in that file too (`nlp/memo.py`), for the other workers
and the next runs.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import sys
import time
import warnings
from multiprocessing.connection import Connection


def main(fds: list[int], memo_store: str | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR)
    from bilan.nlp import memo
    from bilan.nlp.extraction import warm_up

    if memo_store is not None:
        logging.getLogger(memo.__name__).setLevel(logging.WARNING)  # a store it cannot use is worth saying
        memo.use_store(memo_store)
    warm_up()
    _rehearse()
    pairs = [(fds[i], fds[i + 1]) for i in range(0, len(fds), 2)]
    # What is loaded now stays: keep the collector from touching (and so
    # copying) the shared pages of every object it holds.
    gc.collect()
    gc.freeze()
    mine = pairs[0]
    for pair in pairs[1:]:
        if os.fork() == 0:
            mine = pair
            break
    for pair in pairs:
        if pair != mine:
            for fd in pair:
                os.close(fd)
    serve(*mine)


#: A small contribution that takes every extraction step (a table of Annexe 1,
#: a recommendations section, a signature), read once before the fork so that
#: what the steps load on first use (anchor phrases, lemma tables, theme
#: descriptions...) is loaded once and shared, not once per worker.
REHEARSAL = """From: Bureau de la politique de la ville <pref-bpv@aisne.gouv.fr>
To: participation-habitants@anct.gouv.fr
Subject: Bilan des demarches participatives - Aisne
Date: Mon, 6 Dec 2021 10:00:00 +0100
Message-ID: <rehearsal@bilan.invalid>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<p>Madame, Monsieur, veuillez trouver la contribution de l'Aisne (modalité 1).</p>
<table><tr><th>Code QPV</th><th>Nom du quartier</th><th>Commune</th><th>Conseil citoyen</th></tr>
<tr><td>QN00201M</td><td>Europe</td><td>Saint-Quentin</td><td>oui</td></tr></table>
<h2>Préconisations opérationnelles</h2>
<ul><li>Former les conseillers citoyens à la conduite de projet avec la CAF.</li></ul>
<h2>Atouts</h2><ul><li>Les habitants participent nombreux aux réunions.</li></ul>
<p>Cordialement,<br>Le délégué du préfet</p>
"""


def _rehearse() -> None:
    """Extract `REHEARSAL` once (its result is dropped; a failure only costs
    the sharing)."""
    from bilan.loading import message_record
    from bilan.nlp.extraction import extract
    from bilan.parsers.message import parse_message
    from bilan.parsers.pool import ParserPool

    try:
        raw = REHEARSAL.replace("\n", "\r\n").encode("utf-8")
        parsed = parse_message(raw, pool=ParserPool(0))
        message_record(parsed, extract(parsed))
    except Exception:
        logging.getLogger(__name__).exception("the rehearsal extraction failed")


def serve(read_fd: int, write_fd: int) -> None:
    from bilan.extraction_pool import READY
    from bilan.loading import message_record
    from bilan.nlp.extraction import extract

    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    outbox.send((READY, os.getpid()))
    while True:
        try:
            job = inbox.recv_bytes()
        except (EOFError, OSError):
            return  # the pool closed, or its process is gone
        started = time.process_time()
        try:
            job = pickle.loads(job)
            if job is None:
                return
            parsed, thresholds = job
            answer = ("ok", message_record(parsed, extract(parsed, thresholds)))
        except Exception as exc:
            answer = ("error", exc)
        try:
            outbox.send((*answer, time.process_time() - started))
        except Exception as exc:  # an unpicklable result or exception: say so rather than hang
            outbox.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), time.process_time() - started))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    store = arguments[1] if arguments[:1] == ["--memo-store"] else None
    main([int(fd) for fd in arguments[2 if store is not None else 0 :]], store)
    # Every answer went through the pipe: nothing is left to flush, and
    # freeing the loaded model object by object (0.1 s and more, which the
    # pool's close waits for at the end of every run) serves no one.
    os._exit(0)
