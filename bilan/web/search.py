"""The search page: full-text search over messages and the text read from
them (`storage/search.py`); messages flagged as personal data are found
only by editors and admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bilan.storage.accounts import AccountRow
from bilan.storage.search import search, words_of
from bilan.web.auth import EDITOR, VIEWER, require
from bilan.web.rendering import page

router = APIRouter()


@router.get("/recherche", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", account: AccountRow = Depends(require(VIEWER))):
    site = request.app.state.site
    q = q[:200]
    hits = []
    if words_of(q):
        with site.reader.engine.connect() as connection:
            hits = search(connection, q, include_pii=account.can(EDITOR))
    return page(request, "recherche.html", q=q, hits=hits, searched=bool(words_of(q)))
