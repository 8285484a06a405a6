"""Rebuild `communes.csv.gz` from Etalab's `@etalab/decoupage-administratif`
npm package (see README.md beside this file).

    npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-decoupage-administratif-6.0.0.tgz
    python bilan/data/build_communes.py package/data

One line per (commune name, department): current communes and the former
communes that live on as `commune déléguée` / `commune associée` (people keep
using those names), with the population (to rank homonyms) and whether the
commune is the seat of a prefecture (P) or of a sous-préfecture (S).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
KEPT_TYPES = {"commune-actuelle", "commune-deleguee", "commune-associee"}


def build(data_dir: Path) -> bytes:
    communes = json.loads((data_dir / "communes.json").read_text(encoding="utf-8"))
    arrondissements = json.loads((data_dir / "arrondissements.json").read_text(encoding="utf-8"))
    departements = json.loads((data_dir / "departements.json").read_text(encoding="utf-8"))
    with (HERE / "departments.csv").open(encoding="utf-8", newline="") as handle:
        ours = {row["code"] for row in csv.DictReader(handle)}
    prefectures = {d["chefLieu"] for d in departements}
    sous_prefectures = {a["chefLieu"] for a in arrondissements}
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for commune in communes:
        department = commune.get("departement")
        if commune["type"] not in KEPT_TYPES or department not in ours:
            continue
        seat = ""
        if commune["type"] == "commune-actuelle":
            seat = "P" if commune["code"] in prefectures else "S" if commune["code"] in sous_prefectures else ""
        key = (commune["nom"], department)
        population, known_seat = best.get(key, (0, ""))
        best[key] = (max(population, commune.get("population") or 0), seat or known_seat)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "department", "population", "seat"])
    for (name, department), (population, seat) in sorted(best.items()):
        writer.writerow([name, department, population, seat])
    return buffer.getvalue().encode("utf-8")


if __name__ == "__main__":
    data = build(Path(sys.argv[1]))
    with gzip.GzipFile(HERE / "communes.csv.gz", "wb", mtime=0) as handle:
        handle.write(data)
    lines = data.count(b"\n") - 1
    print(f"{lines} communes written to {HERE / 'communes.csv.gz'}")
