"""The parameters a student can move, derived from a scenario's factions, as overrides.

Nothing here is specific to Syria: every faction with air support gets a sorties slider
(and a targeting slider when it splits its sorties between targets), every ground faction
its reserve and morale, and a scenario with local militias (factions with a
`home_region`) a switch that removes them. A control changes the scenario only through
overrides, the same tables as `frontline run --set`, so the loader checks every value and
the run can be repeated from the command line.
"""

from __future__ import annotations

import dataclasses

from dashboards.svg import nice_ceiling
from sim.formats.typed_tables import format_path, toml_value
from sim.model.events import event_day
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
    start = scenario.spec.run.start_date
    controls: list[Control] = []
    for faction in model.factions:
        controls += _air_controls(scenario, model, faction, start)
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


def _air_events(scenario, key: str, setting: str, start):
    """(name, day, value) of the enabled events of faction `key` that set `setting`."""
    found = [
        (name, event_day(event, start), event.set[setting])
        for name, event in scenario.spec.events.items()
        if event.enabled and event.faction == key and setting in event.set
    ]
    return sorted(found, key=lambda item: item[1])


def _air_controls(scenario, model, faction, start) -> list[Control]:
    spec = scenario.spec.factions[faction.key].air
    rates = _air_events(scenario, faction.key, "air.sorties_per_day", start)
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
    mixes += [mix for _, _, mix in _air_events(scenario, faction.key, "air.targeting", start)]
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


def targeting_mix(reference: dict[str, float], primary: str, share: float) -> dict[str, float]:
    """`share` of the sorties on `primary`, the rest over the other targets of `reference`
    in their proportions (equally if they have none)."""
    others = [t for t in reference if t != primary]
    weights = {t: max(reference[t], 0.0) for t in others}
    total = sum(weights.values())
    if total <= 0:
        weights = dict.fromkeys(others, 1.0)
        total = float(len(others))
    mix = {t: round((1 - share) * w / total, 6) for t, w in weights.items()}
    mix[primary] = round(1 - sum(mix.values()), 6)
    return mix


def overrides_for(scenario, controls: list[Control], values: dict) -> dict:
    """The override table (as for `load_scenario`) of the controls moved from their default."""
    table: dict = {}
    start = scenario.spec.run.start_date
    for control in controls:
        value = values.get(control.key, control.default)
        if value == control.default:
            continue
        kind, _, key = control.key.partition(":")
        if kind == "sorties":
            factor = value / control.default if control.default else 0.0
            _scale_sorties(table, scenario, key, factor, start)
        elif kind == "targeting":
            _set_targeting(table, scenario, key, control, float(value), start)
        elif kind == "reserve":
            shift = control.default - scenario.spec.factions[key].reserve  # day-0 events
            _put(table, ("factions", key, "reserve"), max(float(value) - shift, 0.0))
        elif kind == "morale":
            _put(table, ("factions", key, "morale"), float(value))
        elif kind == "militias" and not value:
            _remove_militias(table, scenario)
    return table


def _scale_sorties(table: dict, scenario, key: str, factor: float, start) -> None:
    own = scenario.spec.factions[key].air.sorties_per_day
    _put(table, ("factions", key, "air", "sorties_per_day"), round(own * factor, 2))
    for name, _, rate in _air_events(scenario, key, "air.sorties_per_day", start):
        _put(table, ("events", name, "set", "air.sorties_per_day"), round(rate * factor, 2))


def _set_targeting(table: dict, scenario, key: str, control: Control, share: float, start):
    primary = control.target
    spec = scenario.spec.factions[key].air
    events = _air_events(scenario, key, "air.targeting", start)
    reference = next(
        (mix for mix in [spec.targeting, *(m for _, _, m in events)] if len(mix) > 1), {}
    )
    _put(table, ("factions", key, "air", "targeting"), targeting_mix(reference, primary, share))
    for name, _, mix in events:
        if sum(1 for s in mix.values() if s > 0) >= 2:
            _put(
                table, ("events", name, "set", "air.targeting"), targeting_mix(mix, primary, share)
            )


def _remove_militias(table: dict, scenario) -> None:
    for key, spec in scenario.spec.factions.items():
        if spec.home_region is None:
            continue
        _put(table, ("factions", key, "reserve"), 0.0)
        _put(table, ("factions", key, "recruitment", "rate"), 0.0)
        for place in spec.forces:
            _put(table, ("factions", key, "forces", place), 0.0)
        for name, event in scenario.spec.events.items():
            if event.faction == key:
                _put(table, ("events", name, "add_reserve"), 0.0)
                for place in event.add_forces:
                    _put(table, ("events", name, "add_forces", place), 0.0)


def _put(table: dict, path: tuple[str, ...], value) -> None:
    for part in path[:-1]:
        table = table.setdefault(part, {})
    table[path[-1]] = value


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
