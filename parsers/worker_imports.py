"""Imported once by the forkserver that forks parser workers, so that every
worker starts with the parser libraries already loaded (and shares their
pages with its siblings). Nothing here may start a thread or open a file."""

import os

# Tesseract must not start one thread per core in each worker: the pool
# already uses the cores. Read by the OpenMP runtime when it loads.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import bilan.parsers.registry as registry  # noqa: E402

registry._parsers()  # imports every parser module and the libraries they use

for _library in ("openpyxl", "docx", "xlrd", "pdfplumber", "PIL.Image", "extract_msg", "tnefparse", "tesserocr"):
    try:
        __import__(_library)
    except ImportError:  # an optional engine missing: its parser says so when used
        pass
