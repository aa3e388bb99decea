"""The map of a wargame, drawn with the dashboard's map (map_view.MapPainter):

- a team's map under the fog of war: its own forces everywhere, other factions' forces
  only where `sim.wargame.fog.faction_view` says the team observes them (control is public);
- the replay of a day of the game: who held what that day (`sim.wargame.debrief.daily_control`)
  and that day's air strikes.

Both hand the painter a `ModelView`: the model with some of its arrays replaced, so the
painter draws what the viewer may see, never the hidden state.
"""

from __future__ import annotations

import numpy as np

from dashboards.map_view import MapPainter, strikes_today
from dashboards.svg import esc


class ModelView:
    """A model as someone may see it: every attribute of `model`, except those replaced."""

    def __init__(self, model, **replaced):
        self._model = model
        self.__dict__.update(replaced)

    def __getattr__(self, name):
        return getattr(self._model, name)


def fogged(model, faction: str, since_day: int = 0) -> tuple[ModelView, dict, np.ndarray]:
    """What `faction` sees of the model: (the model as it sees it, its faction_view, the
    places it observes)."""
    from sim.wargame.fog import faction_view

    view = faction_view(model, faction, since_day)
    f = model.faction_number(faction)
    keys = [x.key for x in model.factions]
    forces = np.zeros_like(model.forces)
    morale = np.full_like(model.morale, np.nan)
    seen = np.zeros(len(view["places"]), dtype=bool)
    for p, entry in enumerate(view["places"]):
        forces[f, p] = entry["own_forces"]
        if entry["own_morale"] is not None:
            morale[f, p] = entry["own_morale"]
        seen[p] = entry["observed"]
        for key, amount in entry.get("forces", {}).items():
            forces[keys.index(key), p] = amount
    return ModelView(model, forces=forces, morale=morale), view, seen


def visible_strikes(model, seen: np.ndarray) -> dict:
    """Today's air strikes at the places the viewer observes."""
    return {p: rows for p, rows in strikes_today(model).items() if seen[p]}


class FogPainter(MapPainter):
    """A team's map: places it does not observe are veiled and marked `data-observed=0`;
    other factions' morale is never shown."""

    def svg(
        self, view, seen: np.ndarray, strikes: dict, selected: int | None = None, marks: str = ""
    ) -> str:
        self._seen = seen
        return (
            super()
            .svg(view, selected, strikes, marks)
            .replace('class="fl-map"', 'class="fl-map fl-fog"', 1)
        )

    def _place(self, model, p: int, selected: bool) -> str:
        drawn = super()._place(model, p, selected)
        seen = bool(self._seen[p])
        drawn = drawn.replace(
            f'data-place="{p}"', f'data-place="{p}" data-observed="{int(seen)}"', 1
        )
        if seen:
            return drawn
        x, y = self.frame.x[p], self.frame.y[p]
        if self.grid:
            half = self.frame.cell / 2
            veil = (
                f'<rect class="fl-veil" x="{x - half:.1f}" y="{y - half:.1f}" '
                f'width="{2 * half:.1f}" height="{2 * half:.1f}"'
            )
        else:
            veil = (
                f'<circle class="fl-veil" cx="{x:.1f}" cy="{y:.1f}" r="{self.radius[p] + 4:.1f}" '
                f'stroke="#3c3c3c" stroke-width="0.8"'
            )
        return drawn.replace("</g>", f'{veil} fill="url(#fl-fog)" pointer-events="none"/></g>')

    def _title(self, model, p: int, forces: np.ndarray) -> str:
        c = int(model.controller[p])
        lines = [self.details[p], f"held by {esc(self.labels[c]) if c >= 0 else 'nobody'}"]
        if not self._seen[p]:
            lines.append("not observed: forces unknown")
        for f in np.argsort(-forces):
            if forces[f] <= 0:
                break
            morale = model.morale[f, p]
            known = f", morale {morale:.2f}" if np.isfinite(morale) else ""
            lines.append(f"{esc(self.labels[f])}: {forces[f]:,.0f} fighters{known}")
        return "\n".join(lines + self._strike_lines(p))


def replay_frame(model, control: np.ndarray, day: int) -> tuple[ModelView, dict]:
    """The game's map on `day`: its holders and its air strikes (forces are not replayed)."""
    log = model.strike_log()
    today = log[log[:, 0] == day] if len(log) else log
    strikes: dict[int, list] = {}
    for _, air, target, place, sorties, _ in today:
        if sorties > 0:
            strikes.setdefault(int(place), []).append((int(air), int(target), float(sorties)))
    view = ModelView(
        model,
        controller=control[day],
        forces=np.zeros_like(model.forces),
        morale=np.zeros_like(model.morale),
        day=day,
        captures=[c for c in model.captures if c.day <= day],
        event_log=[(d, name) for d, name in model.event_log if d <= day],
    )
    return view, strikes
