"""Write history-2015.csv: the calibration record of shared/reference/ and the period-end map.

    python scenarios/syria/history/build_history.py REFERENCE_HISTORY_CSV

It copies the reference's history-2015.csv (dated changes of control and one route cut,
2015-10-01 to 2015-12-31, with windows and sources) and appends one `holds` fact a place for
2016-03-01, the period's end, from places.csv `controller_2016_03` (the committed copy in
../reference/). A divided city (`contested` on both dates) is given as the parts of map.toml,
each with its holder of 2015-10-01: places.csv records no change of their split. It adds the
`never` facts of NEVER: what the sources say did not happen in the period.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "reference"))

from build_map import DIVIDED  # noqa: E402

END = "2016-03-01"
SOURCE = "places.csv controller_2016_03"
START = "2015-10-01"
VITAL = ("Damascus", "Latakia", "Tartous", "Homs")  # article.txt: the regime kept them
NEVER = [
    *(
        ["never", place, "", side, START, END, "the regime keeps its vital cities", "article.txt"]
        for place in VITAL
        for side in ("rebels", "isis")
    ),
    *(
        ["never", place, "rebels", "isis", START, END,
         "rebel-held on both dates; ISIS's October offensive took the villages south-east of it",
         "places.csv controller_2015_10 and controller_2016_03; history-2015.csv"]
        for place in ("Mare'", "Azaz")
    ),
]  # fmt: skip


def main() -> int:
    reference = Path(sys.argv[1])
    rows = list(csv.reader(reference.read_text(encoding="utf-8").splitlines()))
    with (HERE.parent / "reference" / "places.csv").open(encoding="utf-8", newline="") as file:
        places = list(csv.DictReader(file))
    rows += NEVER
    for place in places:
        holder = place["controller_2016_03"]
        if holder == "contested":
            for part in DIVIDED[place["name"]]:
                note = f"part of divided {place['name']}; its holder as on 2015-10-01 (map.toml)"
                rows.append(["holds", part.name, "", part.controller, END, END, note, SOURCE])
        else:
            rows.append(["holds", place["name"], "", holder, END, END, "period-end map", SOURCE])
    with (HERE / "history-2015.csv").open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)
    print(f"wrote {HERE / 'history-2015.csv'}: {len(rows) - 1} facts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
