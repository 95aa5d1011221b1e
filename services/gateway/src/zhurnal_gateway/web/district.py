"""Pages of the district's roles: read-only summaries across institutions.

Counts only (the journal's timeliness per institution, asked with aggregate.read): nobody's
name or marks reach a district analyst, who holds no right to personal data (152-FZ).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from zhurnal.identity.v1 import identity_pb2
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.api.journal import TimelinessRow, timeliness_rows
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_gateway.web.render import menu_item, page
from zhurnal_gateway.web.viewer import DISTRICT_ROLES, ViewerDep

router = APIRouter(include_in_schema=False)
MENU = [menu_item("/district", "District summary", *sorted(DISTRICT_ROLES))]

# A district is tens of institutions; the journal takes up to 500 in one summary.
MAX_INSTITUTIONS = 500


async def _institutions(gateway: Gateway) -> list[identity_pb2.Institution]:
    found: list[identity_pb2.Institution] = []
    token = ""
    while len(found) < MAX_INSTITUTIONS:
        reply = await gateway.identity.ListInstitutions(
            identity_pb2.ListInstitutionsRequest(page_size=200, page_token=token)
        )
        found += reply.institutions
        token = reply.next_page_token
        if not token:
            break
    return found[:MAX_INSTITUTIONS]


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` in whole percent ("—" when there is nothing to share)."""
    return f"{round(100 * part / whole)} %" if whole else "—"


@router.get("/district")
async def district_summary(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    from_date: Annotated[date | None, Query(alias="from")] = None,
    to_date: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """Every institution's journal timeliness over a range of days (this week by default)."""
    today = date.today()
    first = from_date or today - timedelta(days=today.weekday())
    last = to_date or today
    institutions = await _institutions(gateway)
    rows: dict[str, TimelinessRow] = {}
    if institutions and first <= last:
        found = await timeliness_rows(
            gateway, [i.id for i in institutions], first, last, "institution"
        )
        rows = {r.institution_id: r for r in found}
    counted = ("scheduled", "due", "recorded", "recorded_late", "overdue", "due_recorded")
    empty = TimelinessRow(key="", institution_id="", **dict.fromkeys(counted, 0))
    lines = [(i, rows.get(i.id, empty)) for i in institutions]
    total = TimelinessRow(
        key="",
        institution_id="",
        **{name: sum(getattr(r, name) for _, r in lines) for name in counted},
    )
    return page(
        request,
        "district.html",
        {
            "first": first,
            "last": last,
            "range_error": first > last,
            "lines": lines,
            "total": total,
            "share": share,
        },
        viewer=viewer,
    )
