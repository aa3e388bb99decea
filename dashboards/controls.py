"""The parameters a student can move, derived from a scenario's factions, as overrides.

Nothing here is specific to Syria: every faction with air support gets a sorties slider
(and a targeting slider when it splits its sorties between targets), every ground faction
its reserve and morale, and a scenario with local militias (factions with a
`home_region`) a switch that removes them. A control changes the scenario only through
overrides, the same tables as `frontline run --set`, so the loader checks every value and
the run can be repeated from the command line. What a control does to a scenario is an
intervention of `sim.formats.interventions`, the same that experiments use.
"""

from __future__ import annotations

import dataclasses

from dashboards.svg import nice_ceiling
from sim.formats import interventions
from sim.formats.interventions import air_events, merge
from sim.formats.typed_tables import format_path, toml_value
from sim.model.model import FrontlineModel


@dataclasses.dataclass(frozen=True)
class Control:
    """One slider or switch."""

    key: str  # "sorties:russia", "targeting:russia", "reserve:regime", "morale:isis", ...
    label: str
    default: float | bool
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    help: str = ""
    faction: str = ""  # the faction it belongs to ("" for scenario-wide switches)
    target: str = ""  # targeting: the faction whose share it sets

    @property
    def kind(self) -> str:
        if isinstance(self.default, bool):
            return "switch"
        return "int" if float(self.step).is_integer() else "float"


def derive_controls(scenario) -> list[Control]:
    """The controls of a scenario, with its values on day 0 as defaults."""
    model = FrontlineModel(scenario)  # day 0, after the events dated on or before it
    controls: list[Control] = []
    for faction in model.factions:
        controls += _air_controls(scenario, model, faction)
    for faction in model.factions:
        f = faction.index
        if not model.params.ground[f] or faction.is_militia:
            continue
        reserve = float(model.reserve[f])
        high = nice_ceiling(max(2.5 * reserve, 1000.0))
        controls.append(
            Control(
                f"reserve:{faction.key}",
                f"{faction.label}: reserve manpower",
                round(reserve),
                0,
                high,
                max(nice_ceiling(high / 200), 10),
                "fighters in reserve on day 0, sent out by the faction's doctrine",
                faction.key,
            )
        )
        controls.append(
            Control(
                f"morale:{faction.key}",
                f"{faction.label}: morale",
                round(float(model.base_morale[f]), 2),
                0.05,
                1.0,
                0.01,
                f"baseline morale (forces rout below {faction.spec.break_point:g})",
                faction.key,
            )
        )
    militias = [f.label for f in model.factions if f.is_militia]
    if militias:
        controls.append(
            Control(
                "militias",
                "Local militias",
                True,
                help="off: " + ", ".join(militias) + " have no men and recruit none",
            )
        )
    return controls


def _air_controls(scenario, model, faction) -> list[Control]:
    spec = scenario.spec.factions[faction.key].air
    rates = air_events(scenario.spec, faction.key, "air.sorties_per_day")
    day0 = faction.spec.air.sorties_per_day
    later = [(day, rate) for _, day, rate in rates if day > 0 and rate > 0]
    if day0 <= 0 and not later:
        return []
    reference, since = (day0, 0) if day0 > 0 else (later[0][1], later[0][0])
    highest = max([day0, spec.sorties_per_day] + [rate for _, _, rate in rates])
    controls = [
        Control(
            f"sorties:{faction.key}",
            f"{faction.label}: sorties per day",
            round(reference),
            0,
            nice_ceiling(max(3 * highest, 20)),
            1,
            f"from day {since}; later changes of the rate (surges, withdrawals) are scaled "
            "by the same factor",
            faction.key,
        )
    ]
    mixes = [faction.spec.air.targeting, spec.targeting]
    mixes += [mix for _, _, mix in air_events(scenario.spec, faction.key, "air.targeting")]
    targets = list(dict.fromkeys(t for mix in mixes for t, share in mix.items() if share > 0))
    if len(targets) >= 2:
        first = next(mix for mix in mixes if any(mix.values()))
        primary = max(targets, key=lambda t: first.get(t, 0.0))
        others = [t for t in targets if t != primary]
        label = {f.key: f.label for f in model.factions}
        controls.append(
            Control(
                f"targeting:{faction.key}",
                f"{faction.label}: share of sorties on {label[primary]}",
                round(first.get(primary, 0.0), 2),
                0.0,
                1.0,
                0.01,
                f"the rest on {', '.join(label[t] for t in others)}; replaces the mix at the "
                "start and at every later change that splits sorties between these targets "
                "(a change sending all sorties to one target is kept)",
                faction.key,
                primary,
            )
        )
    return controls


def overrides_for(scenario, controls: list[Control], values: dict) -> dict:
    """The override table (as for `load_scenario`) of the controls moved from their default."""
    table: dict = {}
    spec = scenario.spec
    for control in controls:
        value = values.get(control.key, control.default)
        if value == control.default:
            continue
        kind, _, key = control.key.partition(":")
        if kind == "sorties":
            factor = value / control.default if control.default else 0.0
            merge(table, interventions.scale_sorties(spec, key, factor))
        elif kind == "targeting":
            merge(table, interventions.targeting_share(spec, key, control.target, float(value)))
        elif kind == "reserve":
            shift = control.default - spec.factions[key].reserve  # day-0 events
            merge(table, {"factions": {key: {"reserve": max(float(value) - shift, 0.0)}}})
        elif kind == "morale":
            merge(table, {"factions": {key: {"morale": float(value)}}})
        elif kind == "militias" and not value:
            merge(table, interventions.remove_militias(spec))
    return table


def set_lines(table: dict, prefix: tuple[str, ...] = ()) -> list[str]:
    """The override table as `--set` assignments of `frontline run`."""
    lines = []
    for name, value in table.items():
        path = (*prefix, name)
        if isinstance(value, dict):
            lines += set_lines(value, path)
        else:
            lines.append(f"{format_path(path)} = {toml_value(value)}")
    return lines


MAX_DAYS = 3650  # a run from the page: at most ten years
MAX_MAGNITUDE = 1e6  # any number set from the page (fighters, sorties, rates)
PAGE_SETTINGS = {  # what the page may override, under factions.<faction>. and events.<event>.
    "factions": ("reserve", "morale", "lethality", "break_point", "recruitment", "doctrine",
                 "air", "forces"),
    "events": ("enabled", "day", "date", "set", "add_reserve", "add_forces"),
}  # fmt: skip
PAGE_TABLES = ("combat", "morale")  # scenario-wide teaching parameters


def _leaves(table: dict, prefix: tuple[str, ...] = ()):
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, name))
        else:
            yield (*prefix, name), value


def page_override_problems(table: dict, scenario) -> list[str]:
    """Why overrides typed on the page are refused (empty: none is). A page may change
    the teaching parameters of the scenario's own factions, events and places, the seed
    and the days (up to MAX_DAYS), with numbers of sane magnitude; never the map (its size
    costs memory), `extends` or anything the scenario does not have."""
    spec = scenario.spec
    places = set(scenario.map.names)
    problems = []
    for path, value in _leaves(table):
        where = format_path(path)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and not abs(value) <= MAX_MAGNITUDE:  # also NaN
            problems.append(f"{where}: at most {MAX_MAGNITUDE:,.0f} in size from this page")
            continue
        head = path[0]
        if head == "run":
            if path[1:] not in (("seed",), ("days",), ("deterministic",)):
                problems.append(f"{where}: only run.seed, run.days and run.deterministic here")
            elif path[1] == "days" and not (isinstance(value, int) and 1 <= value <= MAX_DAYS):
                problems.append(f"{where}: from 1 to {MAX_DAYS} days from this page")
        elif head in PAGE_SETTINGS and len(path) >= 3:
            known = spec.factions if head == "factions" else spec.events
            if path[1] not in known:
                problems.append(f"{where}: the scenario has no {head[:-1]} {path[1]!r}")
            elif path[2] not in PAGE_SETTINGS[head]:
                allowed = ", ".join(PAGE_SETTINGS[head])
                problems.append(f"{where}: not a setting of this page (only {allowed})")
            elif path[2] in ("forces", "add_forces") and len(path) > 3 and path[3] not in places:
                problems.append(f"{where}: the scenario has no place {path[3]!r}")
        elif head in PAGE_TABLES:
            pass
        else:
            problems.append(
                f"{where}: not a setting of this page (the factions', the events', "
                "combat, morale, run.seed and run.days)"
            )
    return problems
