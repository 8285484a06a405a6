"""The campaign page: the dashboard's figures and map, live, then what needs
chasing: late and missing departments, contributions without a required
annex, files that could not be read, and the size of the review queue."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from bilan.dashboard import dashboard_data
from bilan.storage.accounts import AccountRow
from bilan.storage.status import MISSING
from bilan.web.auth import VIEWER, require
from bilan.web.rendering import page
from bilan.web.sql import fetch

router = APIRouter()

UNREADABLE_SHOWN = 200


@router.get("/", response_class=HTMLResponse)
def campaign_page(request: Request, account: AccountRow = Depends(require(VIEWER))):
    site = request.app.state.site
    data = dashboard_data(site.reader)
    required = site.settings.required_annex_numbers
    incomplete = [
        (status, status.missing_annexes(required)) for status in data["statuses"]
        if status.status != MISSING and status.contributions and status.missing_annexes(required)
    ]  # fmt: skip
    with site.reader.engine.connect() as connection:
        unreadable = fetch(connection, (
            "SELECT u.attachment_id, u.message_id, u.department_code, u.department_name, u.received_at, "
            "u.filename, u.inside, u.parse_status, u.parse_error, m.pii "
            "FROM unreadable_file u JOIN message m ON m.id = u.message_id "
            "ORDER BY u.received_at DESC, u.attachment_id LIMIT :limit"
        ), {"limit": UNREADABLE_SHOWN})
        review_size = connection.scalar(text("SELECT count(*) FROM review_queue"))
    return page(request, "campagne.html", data=data, incomplete=incomplete, unreadable=unreadable,
                review_size=review_size, required=required, unreadable_shown=UNREADABLE_SHOWN)
