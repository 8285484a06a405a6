"""The review queue (`review_queue`), ordered by what matters: first the
messages of departments that have no accepted contribution (one of them may
be the contribution everyone is waiting for), then those no department
was found for, then the rest, oldest first; with one-click actions, among
them "Marquer comme vérifié", which takes a message out of the queue: the
queue shrinks as people work."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bilan.storage.accounts import AccountRow
from bilan.storage.status import MISSING, department_statuses
from bilan.web.auth import EDITOR, VIEWER, require
from bilan.web.rendering import page
from bilan.web.sql import fetch

router = APIRouter()

#: Rank of a message in the queue: lower comes first. A message leaves the
#: queue when a person marks it checked (`message_review`); one a person
#: corrected but did not mark stays, last: someone has already worked on
#: it, and what is left is most likely a last look before "Marquer comme
#: vérifié" (a correction alone does not say the other values are right).
FOR_A_MISSING_DEPARTMENT, WITHOUT_DEPARTMENT, OTHER, CORRECTED = 0, 1, 2, 3


def review_items(site) -> list[dict]:
    missing = {s.code for s in department_statuses(site.reader.engine, site.reader.campaign) if s.status == MISSING}
    with site.reader.engine.connect() as connection:
        items = fetch(connection, """
            SELECT q.message_id, q.received_at, q.sender, q.subject, q.kind, q.problem, q.detail, m.sha256, m.pii
            FROM review_queue q JOIN message m ON m.id = q.message_id
        """)  # fmt: skip
        attributed: dict[int, list[dict]] = {}
        for row in fetch(connection, """
            SELECT md.message_id, md.department_code, d.name, md.confidence
            FROM effective_message_department md JOIN department d ON d.code = md.department_code
            WHERE md.message_id IN (SELECT message_id FROM review_queue) ORDER BY md.department_code
        """):  # fmt: skip
            attributed.setdefault(row["message_id"], []).append(row)
        corrected = set()
        for row in fetch(connection, "SELECT target, target_sha256 FROM active_correction"):
            corrected.update(filter(None, (row["target"], row["target_sha256"])))
    for item in items:
        item["departments"] = attributed.get(item["message_id"], [])
        codes = {d["department_code"] for d in item["departments"]}
        item["missing"] = sorted(codes & missing)
        item["corrected"] = item["sha256"] in corrected
        if item["corrected"]:
            item["rank"] = CORRECTED
        elif item["missing"]:
            item["rank"] = FOR_A_MISSING_DEPARTMENT
        else:
            item["rank"] = WITHOUT_DEPARTMENT if not codes else OTHER
    far_future = "9999"
    return sorted(items, key=lambda i: (i["rank"], i["received_at"].isoformat() if i["received_at"] else far_future,
                                        i["message_id"]))  # fmt: skip


#: Messages shown at once: the first of the queue, in its order.
SHOWN = 200


@router.get("/a-verifier", response_class=HTMLResponse)
def review_page(request: Request, account: AccountRow = Depends(require(VIEWER))):
    items = review_items(request.app.state.site)
    return page(request, "a_verifier.html", items=items[:SHOWN], total=len(items), editor=account.can(EDITOR),
                ranks={FOR_A_MISSING_DEPARTMENT: "département sans contribution acceptée",
                       WITHOUT_DEPARTMENT: "aucun département trouvé", OTHER: "autres",
                       CORRECTED: "corrigé, pas encore marqué vérifié"})  # fmt: skip
