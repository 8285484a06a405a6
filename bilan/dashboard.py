"""`bilan report`: the dashboard, one self-contained HTML file in French.

Everything is drawn here, server side, as inline SVG and HTML: no script, no
font, no image is fetched, so the file opens anywhere, offline, and can be
sent by e-mail. The map uses the real department boundaries shipped by the
`pygal_maps_fr` package (the 96 metropolitan departments, an inset for Paris
and its inner suburbs, and the five overseas departments).

It lives beside the CLI rather than in `storage/` because it is presentation:
it reads the warehouse only through `storage` functions and views, so it
shows what people corrected (`storage/corrections.py`) as every reader does.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from bilan.outgoing.letters import french_date, french_datetime
from bilan.reference import departments
from bilan.storage.status import (
    EXEMPT,
    LATE,
    MISSING,
    ON_TIME,
    DepartmentStatus,
    campaign_status,
    closes_at,
    contributions_by_day,
    department_statuses,
)
from bilan.storage.views import STATUS_LABELS, THEME_LABELS, counts_by
from bilan.storage.warehouse import Warehouse

SVG = "{http://www.w3.org/2000/svg}"
TEMPLATE = Path(__file__).parent / "templates" / "rapport.html"
STATUS_COLOURS = {ON_TIME: "#2e8540", LATE: "#f0a202", MISSING: "#c9191e", EXEMPT: "#8a94a6"}


@dataclass(frozen=True)
class MapShape:
    code: str
    path: str
    inset: bool


@dataclass(frozen=True)
class MapGroup:
    transform: str | None
    shapes: tuple[MapShape, ...]


@lru_cache(maxsize=1)
def department_shapes() -> tuple[str, tuple[MapGroup, ...]]:
    """The viewBox and the outlines of the 101 departments (the inset of
    Paris and its inner suburbs repeats four of them, marked `inset`)."""
    source = importlib.resources.files("pygal_maps_fr") / "fr.departments.svg"
    root = ET.fromstring(source.read_bytes())
    known = {d.code for d in departments()}
    groups = []
    for group in root.findall(f"{SVG}g"):
        shapes = []
        for element in group.findall(f"{SVG}g"):
            code = next((c[1:] for c in element.get("class", "").split() if c.startswith("z")), None)
            if code not in known:  # e.g. 975, Saint-Pierre-et-Miquelon, not a department
                continue
            path = " ".join(_rounded(p.get("d", "")) for p in element.findall(f"{SVG}path"))
            shapes.append(MapShape(code, path, group.get("id") == "paris-petite-couronne"))
        groups.append(MapGroup(group.get("transform"), tuple(shapes)))
    return root.get("viewBox"), tuple(groups)


def _rounded(path: str) -> str:
    """One decimal is finer than a pixel here, and halves the file."""
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.1f}", path)


@dataclass(frozen=True)
class ProgressChart:
    """The running count of departments that responded, day by day, against the deadline."""

    width: int
    height: int
    points: str
    dots: tuple[tuple[float, float, str], ...]
    deadline_x: float
    target_y: float
    x_labels: tuple[tuple[float, str], ...]
    y_labels: tuple[tuple[float, str], ...]


def progress_chart(series: list[tuple[dt.date, int, int]], deadline: dt.date, total: int, today: dt.date) -> ProgressChart:
    width, height, left, right, top, bottom = 760, 280, 48, 16, 16, 36
    first = min([day for day, _, _ in series] + [deadline - dt.timedelta(days=14)])
    last = max([day for day, _, _ in series] + [deadline + dt.timedelta(days=7)])
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return round(left + (day - first).days / span * (width - left - right), 1)

    def y(count: int) -> float:
        return round(top + (1 - count / max(total, 1)) * (height - top - bottom), 1)

    points, dots, running = [(x(first), y(0))], [], 0
    for day, new, running in series:
        points.append((x(day), points[-1][1]))
        points.append((x(day), y(running)))
        dots.append((x(day), y(running), f"{french_date(day)} : {new} nouveau(x), {running} au total"))
    points.append((x(min(max(today, series[-1][0] if series else first), last)), y(running)))
    step = max(span // 6, 1)
    x_labels = tuple((x(first + dt.timedelta(days=d)), (first + dt.timedelta(days=d)).strftime("%d/%m")) for d in range(0, span + 1, step))
    y_labels = tuple((y(count), str(count)) for count in range(0, total - 9, 20)) + ((y(total), str(total)),)
    return ProgressChart(
        width, height, " ".join(f"{px},{py}" for px, py in points), tuple(dots), x(deadline), y(total), x_labels, y_labels
    )


def dashboard_data(warehouse: Warehouse, now: dt.datetime | None = None) -> dict:
    """Everything the dashboard shows, read from the warehouse now: the
    figures, the map, the progress, the regions, the recommendations, the
    late and missing departments (`bilan report` and the web application's
    campaign page draw the same)."""
    now = now or dt.datetime.now(dt.UTC)
    campaign = warehouse.campaign
    zone = ZoneInfo(campaign.timezone)
    statuses = department_statuses(warehouse.engine, campaign)
    summary = campaign_status(warehouse.engine, campaign)
    series = contributions_by_day(warehouse.engine, campaign)
    closes = closes_at(campaign)
    with warehouse.engine.connect() as connection:
        recommendations = counts_by(connection, "recommendations", ("theme", "region"), "recommendation_id")
        theme_totals = counts_by(connection, "recommendations", ("theme",), "recommendation_id")
    by_code = {s.code: s for s in statuses}
    viewbox, groups = department_shapes()
    regions: dict[str, Counter] = {}
    for s in statuses:
        regions.setdefault(s.region, Counter())[s.status] += 1
    late = sorted((s for s in statuses if s.status == LATE), key=lambda s: s.first_contribution_at)
    missing = [s for s in statuses if s.status == MISSING]
    exempt = [s for s in statuses if s.status == EXEMPT]
    doubtful = [s for s in statuses if s.doubtful_senders]
    return dict(
        campaign=campaign,
        summary=summary,
        deadline=french_date(campaign.deadline),
        generated=french_datetime(now, campaign.timezone),
        statuses=statuses,
        by_code=by_code,
        labels=STATUS_LABELS,
        colours=STATUS_COLOURS,
        viewbox=viewbox,
        groups=groups,
        tooltip=lambda s: _tooltip(s, campaign.timezone),
        chart=progress_chart(series, campaign.deadline, len(statuses), now.astimezone(zone).date()),
        after_deadline=now >= closes,
        regions=sorted(regions.items()),
        late=late,
        delay=lambda s: (s.first_contribution_at - closes).days + 1,
        missing=missing,
        exempt=exempt,
        doubtful=doubtful,
        recommendations=(
            theme_region_pivot(recommendations, theme_totals) if recommendations is not None else None
        ),
    )


def build_report(warehouse: Warehouse, now: dt.datetime | None = None) -> str:
    """The dashboard as one HTML document."""
    timezone = warehouse.campaign.timezone
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["paris"] = lambda moment: french_datetime(moment, timezone) if moment else ""
    return environment.from_string(TEMPLATE.read_text(encoding="utf-8")).render(dashboard_data(warehouse, now))


def _tooltip(status: DepartmentStatus, timezone: str) -> str:
    text = f"{status.name} ({status.code}) — {STATUS_LABELS[status.status]}"
    if status.first_contribution_at:
        text += f", le {french_datetime(status.first_contribution_at, timezone)}"
    return text


NO_THEME = "sans thème"


def theme_label(theme: str | None) -> str:
    """A theme as the analysts read it (the XLSX's labels), not its code."""
    return THEME_LABELS.get(theme, theme) if theme else NO_THEME


def theme_region_pivot(rows: list[tuple], theme_totals: list[tuple] | None = None) -> dict:
    """Theme × region counts, for the recommendations table. Each
    recommendation counts once per region, and once in its theme's total,
    however many departments it was sent for (`theme_totals`)."""
    regions = sorted({region or "inconnue" for _, region, _ in rows})
    cells = Counter()
    for theme, region, count in rows:
        cells[(theme_label(theme), region or "inconnue")] += count
    totals = Counter()
    if theme_totals is None:  # no separate totals: sum the regions
        for (theme, _), count in cells.items():
            totals[theme] += count
    else:
        for theme, count in theme_totals:
            totals[theme_label(theme)] += count
    themes = sorted({theme for theme, _ in cells} | set(totals))
    return {"themes": sorted(themes, key=lambda t: (-totals[t], t)), "regions": regions, "cells": cells, "totals": totals}


def write_report(warehouse: Warehouse, out: Path, now: dt.datetime | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(warehouse, now), encoding="utf-8")
    return out
