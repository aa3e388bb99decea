"""A team's orders for the turn, within its faction's means, with their cost and odds.

The choices come from the engine: objectives from `sim.wargame.orders.attackable`, the places a
reinforcement may go to (its side's supplied places), the enemies its air force may
strike; the odds of each attack from `sim.wargame.orders.odds` (Lanchester square law, from
what the team sees: the defenders it observes, their hidden morale assumed as the page
says). The orders are checked by `sim.wargame.orders.check_orders` when submitted
(`games.submit`), and its problems are shown here, in its words; nothing is checked twice
in the page.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import solara

from dashboards import games
from dashboards.svg import esc
from dashboards.widgets import ProblemList
from sim.wargame.orders import (
    Orders,
    attack_size,
    attackable,
    doctrine_orders,
    max_objectives,
    odds,
    reinforceable,
)
from sim.wargame.store import Access


@dataclasses.dataclass(frozen=True)
class Target:
    """A place the team may attack, with the attack its doctrine would size for it."""

    place: str
    holder: str
    defenders: float
    terrain: float
    suggested: float  # attackers the doctrine seeks: attack_ratio x defenders x terrain


@dataclasses.dataclass(frozen=True)
class Means:
    """What the faction can order this turn (read from the game under its lock)."""

    faction: str
    reserve: float
    max_objectives: int
    targets: tuple[Target, ...]
    reinforceable: tuple[str, ...]
    sorties: float
    enemies: tuple[tuple[str, str], ...]  # (key, label) of the factions it may strike
    targeting: dict  # the current air tasking, key -> share
    observed: tuple[str, ...]  # places it may focus strikes on
    doctrine: Orders  # what its doctrine would order now


def means_of(game, faction: str, observed) -> Means:
    """The faction's means in the game's current state (call while reading the game)."""
    model = game.model
    f = model.faction_number(faction)
    labels = [x.label for x in model.factions]
    params = model.params
    targets = []
    for place in attackable(model, faction):
        p = model.map.index(place)
        holder = model.controller[p]
        targets.append(
            Target(
                place,
                labels[holder] if holder >= 0 else "nobody",
                odds(model, faction, place, 0.0)["defenders"],
                float(model.map.terrain[p]),
                attack_size(model, faction, place),
            )
        )
    reinforcing = reinforceable(model, faction)
    enemies = [(x.key, x.label) for x in model.factions if model.hostile[f, x.index]]
    targeting = {
        x.key: float(params.targeting[f, x.index])
        for x in model.factions
        if params.targeting[f, x.index] > 0
    }
    return Means(
        faction=faction,
        reserve=float(model.reserve[f]),
        max_objectives=max_objectives(model, faction),
        targets=tuple(targets),
        reinforceable=tuple(sorted(reinforcing, key=str.lower)),
        sorties=float(params.sorties[f]),
        enemies=tuple(enemies),
        targeting=targeting,
        observed=tuple(sorted(observed, key=str.lower)),
        doctrine=doctrine_orders(model, faction),
    )


def attack_odds(access: Access, place: str, attackers: float) -> dict:
    """The model's estimate of an attack on `place` with `attackers` (read under the lock)."""
    with games.reading(access.game_id) as game:
        return odds(game.model, access.faction, place, attackers)


def odds_text(result: dict) -> str:
    """The odds in words, with the morale assumed for the defenders (the fog hides it)."""
    ratio = result["force_ratio"]
    ratio_text = "no defenders" if math.isinf(ratio) else f"force ratio {ratio:.1f}:1"
    if result["attacker_wins"]:
        verdict = f"<b class='fl-win'>expected to win</b>, about {result['survivors']:,.0f} left"
    else:
        verdict = (
            f"<b class='fl-lose'>expected to fail</b>, about {result['survivors']:,.0f} "
            "defenders left"
        )
    assumed = ", ".join(f"{k} {m:.2f}" for k, m in result["assumed_morale"].items())
    morale = f"; their morale unseen, assumed as at the start ({esc(assumed)})" if assumed else ""
    return (
        f"{result['attackers']:,.0f} against {result['defenders']:,.0f} ({ratio_text}): "
        f"{verdict}{morale}"
    )


def draft_from(orders: dict | None, means: Means) -> dict:
    """The form's starting values: the orders already submitted this turn, else none."""
    orders = orders or {}
    chosen = {t.place: t.suggested for t in means.targets}
    return {
        "objectives": [p for p in orders.get("objectives", []) if p in chosen],
        "sizes": chosen,
        "reinforcements": dict(orders.get("reinforcements", {})),
        "air": any(orders.get(k) for k in ("targeting", "air_places", "air_focus")),
        "targeting": {
            k: round(100 * v) for k, v in (orders.get("targeting") or means.targeting).items()
        },
        "focus": list(orders.get("air_focus", [])) + list(orders.get("air_places", {})),
    }


def orders_of(draft: dict) -> Orders:
    """The Orders the form describes."""
    air = draft["air"]
    return Orders(
        objectives=list(draft["objectives"]),
        reinforcements={p: float(a) for p, a in draft["reinforcements"].items() if a > 0},
        targeting={k: v / 100 for k, v in draft["targeting"].items() if v > 0} if air else {},
        air_focus=list(draft["focus"]) if air else [],
    )


def chosen_attacks(draft: dict, means: Means) -> list[tuple[Target, float]]:
    """The draft's objectives that may be attacked, each with the attackers it sends (what
    the doctrine suggests, unless the team changed it)."""
    targets = {t.place: t for t in means.targets}
    return [
        (targets[place], float(draft["sizes"].get(place, targets[place].suggested)))
        for place in draft["objectives"]
        if place in targets
    ]


def amend(draft: solara.Reactive, **fields) -> None:
    """Changes some fields of the draft (a new dict, so that the form redraws)."""
    draft.set({**draft.value, **fields})


@solara.component
def OrdersForm(access: Access, means: Means, turn: int, draft: solara.Reactive):
    """The orders of `access`'s faction for `turn` (the `draft`, which the map edits too);
    Submit sends them to the umpire. Each part of the form reads the draft itself, so that
    an edit redraws only those parts."""
    with solara.Column(classes=["fl-orders", f"fl-orders-{means.faction}"], style="gap: 2px"):
        solara.HTML("h3", f"Orders for turn {turn}")
        Objectives(access, means, turn, draft)
        Reinforcements(means, draft)
        if means.sorties > 0:
            AirTasking(means, draft)
        CostLine(means, draft)
        SubmitControls(access, means, turn, draft)
        DoctrineHint(means.doctrine)


@solara.component
def Objectives(access: Access, means: Means, turn: int, draft: solara.Reactive):
    """The places to attack, and for each one chosen its attackers and their odds."""
    del turn  # a new turn: the odds are read again, from the game as it now stands
    d = draft.value

    def resize(place: str) -> Callable[[float | None], None]:
        return lambda v: amend(draft, sizes={**draft.value["sizes"], place: max(v or 0, 0)})

    with solara.Column(style="gap: 2px"):
        solara.HTML(
            "div",
            f"<b>Objectives</b> <small>(at most {means.max_objectives}; your forces attack "
            "only these this turn, before any attack of theirs under way elsewhere, and "
            "still defend everywhere)</small>",
        )
        if means.targets:
            solara.SelectMultiple(
                "Places to attack (or click them on the map)",
                values=d["objectives"],
                all_values=[t.place for t in means.targets],
                on_value=lambda v: amend(draft, objectives=list(v)),
                classes=["fl-objectives"],
            )
        else:
            solara.HTML("div", "<small>No place can be attacked from your supplied ground.</small>")
        for target, size in chosen_attacks(d, means):
            OddsRow(access, target, size, on_size=resize(target.place))
        solara.HTML(
            "div",
            "<small>Your doctrine sizes each attack itself (towards "
            "the attackers shown first); change them to see other odds.</small>",
            classes=["fl-help-small"],
        )


@solara.component
def OddsRow(access: Access, target: Target, size: float, on_size: Callable[[float | None], None]):
    """The attackers sent against one objective, and the odds the model gives them."""
    with solara.Row(style="align-items: center; gap: 6px", classes=["fl-odds-row"]):
        solara.InputFloat(
            f"Attackers on {target.place}",
            value=round(size),
            on_value=on_size,
            style="max-width: 150px",
        )
        result = attack_odds(access, target.place, size)
        solara.HTML(
            "div",
            f"<small>{esc(target.place)} (held by {esc(target.holder)}, terrain "
            f"×{target.terrain:g}): {odds_text(result)}</small>",
            classes=["fl-odds"],
        )


@solara.component
def Reinforcements(means: Means, draft: solara.Reactive):
    """Fighters sent from the reserve: a place and an amount to add, then each sending,
    which may be taken back."""

    def remove(name: str):
        sent = draft.value["reinforcements"]
        amend(draft, reinforcements={k: v for k, v in sent.items() if k != name})

    with solara.Column(style="gap: 2px"):
        solara.HTML(
            "div", "<b>Reinforcements</b> <small>(from the reserve, now, along the roads)</small>"
        )
        ReinforcementPicker(means.reinforceable, draft)
        for name, sent in draft.value["reinforcements"].items():
            with solara.Row(style="align-items: center; gap: 4px", classes=["fl-sent"]):
                solara.HTML("span", f"{sent:,.0f} to {esc(name)}")
                solara.Button(
                    icon_name="mdi-close", on_click=lambda n=name: remove(n), text=True, small=True
                )


@solara.component
def ReinforcementPicker(places: tuple[str, ...], draft: solara.Reactive):
    """A place of `places` and a number of fighters, added to those sent there."""
    place, set_place = solara.use_state(None)
    amount, set_amount = solara.use_state(500.0)

    def add():
        if place:
            sent = dict(draft.value["reinforcements"])
            sent[place] = sent.get(place, 0.0) + float(amount)
            amend(draft, reinforcements=sent)

    with solara.Row(style="align-items: center; gap: 6px"):
        solara.Select(
            "Send to",
            values=list(places),
            value=place,
            on_value=set_place,
            style="max-width: 200px",
        )
        solara.InputFloat(
            "Fighters",
            value=amount,
            on_value=lambda v: set_amount(v or 0.0),
            style="max-width: 110px",
        )
        solara.Button("Add", on_click=add, disabled=not place, text=True, icon_name="mdi-plus")


@solara.component
def AirTasking(means: Means, draft: solara.Reactive):
    """Whether the air force is tasked, and if so its share of strikes on each enemy and
    the observed places it focuses them on."""
    d = draft.value
    with solara.Column(style="gap: 2px"):
        solara.Switch(
            label=f"Task the air force ({means.sorties:g} sorties a day)",
            value=d["air"],
            on_value=lambda v: amend(draft, air=v),
        )
        if d["air"]:
            for key, label in means.enemies:
                share = int(d["targeting"].get(key, 0))
                solara.SliderInt(
                    f"Share on {label}: {share} %",
                    value=share,
                    min=0,
                    max=100,
                    on_value=lambda v, k=key: amend(
                        draft, targeting={**draft.value["targeting"], k: v}
                    ),
                )
            total = sum(d["targeting"].get(k, 0) for k, _ in means.enemies)
            solara.HTML(
                "div",
                f"<small>Shares sum to <b>{total} %</b> (must be 100 %)</small>",
                classes=["fl-share-sum"],
            )
            solara.SelectMultiple(
                "Focus strikes on (observed places)",
                values=d["focus"],
                all_values=list(means.observed),
                on_value=lambda v: amend(draft, focus=list(v)),
            )


@solara.component
def CostLine(means: Means, draft: solara.Reactive):
    """The fighters the draft commits (reinforcements and attacks), against the reserve."""
    sent_total = sum(draft.value["reinforcements"].values())
    attack_total = sum(size for _, size in chosen_attacks(draft.value, means))
    committed = sent_total + attack_total
    solara.HTML(
        "div",
        f"<b>Cost</b>: reinforcements {sent_total:,.0f} + attacks (estimate) "
        f"{attack_total:,.0f} = <b class='fl-cost'>{committed:,.0f}</b> fighters committed, "
        f"of a reserve of {means.reserve:,.0f}",
        classes=["fl-cost-line"],
    )


@solara.component
def DoctrineHint(doctrine: Orders):
    """What the faction's doctrine would order now, for comparison."""
    with solara.Details(summary="What would your doctrine order?"):
        sent = ", ".join(f"{a:,.0f} to {esc(p)}" for p, a in doctrine.reinforcements.items())
        solara.HTML(
            "div",
            f"<small>Attack: {esc(', '.join(doctrine.objectives) or 'nothing new')}. "
            f"Reinforce: {sent or 'nothing'}.</small>",
        )


@solara.component
def SubmitControls(access: Access, means: Means, turn: int, draft: solara.Reactive):
    """Submit and Hold, and what came of the last submission: the engine's problems or a
    receipt. A component of its own, so that a submission redraws only this."""
    (problems, note), set_outcome = solara.use_state(((), ""))
    solara.use_effect(lambda: set_outcome(((), "")), [turn, means.faction])

    def submit():
        try:
            found = games.submit(access, orders_of(draft.value))
        except games.RefusedError as error:
            found = [str(error)]
        receipt = (
            f"Orders for turn {turn} received. You may change them until the umpire plays the turn."
        )
        set_outcome((tuple(found), "" if found else receipt))

    with solara.Column(style="gap: 0"):  # one root, so that the buttons keep their widgets
        with solara.Row(style="gap: 8px; align-items: center"):
            solara.Button("Submit orders", color="primary", icon_name="mdi-send", on_click=submit)
            solara.Button(
                "Hold (no attacks)",
                text=True,
                on_click=lambda: draft.set({**draft_from(None, means), "objectives": []}),
            )
        if problems:
            ProblemList(list(problems), "Not submitted: the orders exceed your means")
        if note:
            solara.HTML("div", esc(note), classes=["fl-submitted"])
