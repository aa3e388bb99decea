"""Sweeps over a calibration's posterior, and whether their verdicts hold over it.

An experiment with `posterior = "DIR"` (a `frontline calibrate --out` folder, or
`frontline sweep --posterior DIR`) pins each run's calibrated parameters to one accepted
set of the calibration, by overrides (`--set KEY=VALUE`, so each stored run's command
repeats it). The set is drawn by weight from a seed derived from the master seed, the
design point and the replicate, not the variant: a variant and the baseline are run at the
same sets, replicate by replicate, and a verdict integrates over what the history leaves
open. A key is pinned in a variant only where the variant keeps the value the posterior
stands in for (the prior, or the value the calibrated scenario's parent gave it): a
variant that sets the key itself (e.g. no Russian sorties) keeps its own value.

The report then asks, per comparison, whether the verdict depends on where in the
posterior one stands (`robustness`): the paired differences (variant - baseline at the
same set) against each parameter (Spearman's rho, Holm-adjusted), and the verdict in the
lower and the upper half of the sets along the parameters that move the difference most.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments.comparison import Arms, compare
from sim.experiments.design import key_parts
from sim.experiments.multiplicity import adjust
from sim.experiments.priors import json_value
from sim.experiments.verdicts import decide
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import Scenario, check_scenario, parse_overrides

ACCEPTED = "accepted.parquet"
SUMMARY = "calibration.json"
POSTERIOR_STREAM = 0x9057  # spawn key of the draws of a run's accepted set
MISSING = object()  # no such key in a spec
ALPHA = 0.05
TOP_PARAMETERS = 3  # parameters whose halves are given a verdict of their own
MIN_PAIRS = 6  # paired runs below which no trend is computed


def value_at(spec: Any, parts: tuple[str, ...]) -> Any:
    """The value at a key path in a scenario spec (fields by their TOML name, tables by
    key), or MISSING."""
    value = spec
    for part in parts:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = {
                f.metadata.get("toml_name") or f.name: f.name for f in dataclasses.fields(value)
            }
            if part not in names:
                return MISSING
            value = getattr(value, names[part])
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


@dataclasses.dataclass(frozen=True)
class Posterior:
    """A calibration's accepted sets: values (sets x keys) and weights."""

    directory: Path
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    weights: np.ndarray
    stands_for: dict[str, tuple[Any, ...]]  # key -> the values it replaces (prior, parent's)
    summary: dict

    def choose(self, master_seed: int, point: int, replicate: int) -> int:
        """The accepted set of a (design point, replicate), drawn by weight."""
        sequence = np.random.SeedSequence(
            master_seed, spawn_key=(POSTERIOR_STREAM, point, replicate)
        )
        return int(np.random.default_rng(sequence).choice(len(self.weights), p=self.weights))

    def pinned_keys(self, scenario: Scenario) -> tuple[str, ...]:
        """The keys a scenario keeps at the value the posterior stands in for."""
        return tuple(
            key for key in self.keys if json_value(_value(scenario, key)) in self.stands_for[key]
        )

    def digest(self) -> str:
        return hashlib.sha256((self.directory / ACCEPTED).read_bytes()).hexdigest()


def _value(scenario: Scenario, key: str) -> Any:
    value = value_at(scenario.spec, key_parts(key) or ())
    return None if value is MISSING else value


def load_posterior(directory: Path | str) -> Posterior:
    """The accepted sets of a calibration folder, or `InputError` saying what is wrong."""
    directory = Path(directory)
    try:
        summary = json.loads((directory / SUMMARY).read_text(encoding="utf-8"))
        table = pd.read_parquet(directory / ACCEPTED)
        parameters = summary["parameters"]
        keys = tuple(p["key"] for p in parameters)
        values = table[list(keys)]
        weights = table["weight"].to_numpy(float)
    except (OSError, ValueError, KeyError) as error:
        message = (
            f"not a calibration folder of `frontline calibrate` ({type(error).__name__}: {error})"
        )
        raise InputError([Problem(directory, "posterior", message)]) from None
    if not len(table) or not np.all(weights >= 0) or weights.sum() <= 0:
        raise InputError([Problem(directory / ACCEPTED, "weight", "no accepted set with a weight")])
    rows = tuple(tuple(_plain(v) for v in row) for row in values.itertuples(index=False))
    stands_for = {
        p["key"]: tuple(v for v in (p["prior"], p.get("parent_value")) if v is not None)
        for p in parameters
    }
    return Posterior(directory.resolve(), keys, rows, weights / weights.sum(), stands_for, summary)


def _plain(value: Any) -> Any:
    """A number from a Parquet cell as the Python number an override takes."""
    return value.item() if isinstance(value, np.generic) else value


@dataclasses.dataclass(frozen=True)
class PosteriorUse:
    """A posterior as an experiment uses it: which keys each variant pins."""

    posterior: Posterior
    pinned: dict[str, tuple[str, ...]]  # variant -> keys

    def overrides(self, variant: str, master_seed: int, point: int, replicate: int) -> dict:
        """The overrides that pin a run's calibrated parameters."""
        index = self.posterior.choose(master_seed, point, replicate)
        row = dict(zip(self.posterior.keys, self.posterior.values[index], strict=True))
        return {key: row[key] for key in self.pinned[variant]}

    def manifest(self) -> dict:
        """What a sweep's manifest records of the posterior it drew from."""
        summary = self.posterior.summary
        return {
            "directory": str(self.posterior.directory),
            "scenario": summary.get("scenario"),
            "history": summary.get("history"),
            "split": summary.get("split"),
            "sets": len(self.posterior.values),
            "digest": self.posterior.digest(),
            "keys": list(self.posterior.keys),
            "pinned": {variant: list(keys) for variant, keys in self.pinned.items()},
        }


def check_posterior(
    directory: Path, scenarios: dict[str, Scenario], baseline: str | None
) -> tuple[PosteriorUse | None, list[Problem]]:
    """The posterior of an experiment, with the keys each variant pins, and its problems:
    a folder that is not a calibration's, a baseline that pins none of its keys (it was
    calibrated on another scenario), a variant that does not load with an accepted set."""
    try:
        posterior = load_posterior(directory)
    except InputError as error:
        return None, error.problems
    pinned = {name: posterior.pinned_keys(scenario) for name, scenario in scenarios.items()}
    problems = []
    if baseline in pinned and not pinned[baseline]:
        message = (
            f"the baseline's scenario sets every calibrated key ({', '.join(posterior.keys)}) "
            "otherwise: was this calibration made on another scenario?"
        )
        problems.append(Problem(directory, "posterior", message))
    first = dict(zip(posterior.keys, posterior.values[0], strict=True))
    for name, scenario in scenarios.items():
        overrides = {key: first[key] for key in pinned[name]}
        if overrides:
            _, found = check_scenario(scenario.source, parse_overrides(overrides))
            problems += [
                Problem(directory, f"posterior (variant {name!r}): {p.where}", p.message)
                for p in found
            ]
    return PosteriorUse(posterior, pinned), problems


# ---- verdicts over the posterior ---------------------------------------------------------


@dataclasses.dataclass
class Robustness:
    """Whether a comparison's verdict holds over the posterior."""

    label: str
    pairs: int
    trends: list[dict]  # per parameter: rho, p (Holm), verdicts of its halves


HOLDS = "holds over the posterior"
DEPENDS = "depends on where in the posterior one stands"
UNRESOLVED = "not resolved per region"
NOT_CHECKED = f"not checked (fewer than {MIN_PAIRS} paired runs, or no parameter varies)"
SAME_EVERYWHERE = f"{HOLDS} (the same paired difference at every set)"


def paired_differences(
    runs: pd.DataFrame, spec: dict, baseline: str, keys: list[str]
) -> pd.DataFrame:
    """Per (point, replicate) run at one accepted set: the variant's and the baseline's
    metric values, and the set's values (the baseline run's)."""
    column = f"metric.{spec['metric']}"
    params = [f"param.{k}" for k in keys if f"param.{k}" in runs]
    base = runs[runs["variant"] == baseline][["point", "replicate", column, *params]]
    other = runs[runs["variant"] == spec["variant"]][["point", "replicate", column]]
    pairs = base.merge(other, on=["point", "replicate"], suffixes=("_baseline", "_variant"))
    pairs = pairs.dropna(subset=[f"{column}_baseline", f"{column}_variant"])
    return pairs.rename(columns={f"{column}_baseline": "baseline", f"{column}_variant": "variant"})


def robustness(
    name: str, runs: pd.DataFrame, spec: dict, baseline: str, keys: list[str], overall: str
) -> Robustness:
    """The paired differences against each parameter, and the verdict in each half of the
    sets along the parameters that move the difference most (see the module)."""
    pairs = paired_differences(runs, spec, baseline, keys)
    difference = pairs["variant"] - pairs["baseline"]
    if len(pairs) >= MIN_PAIRS and difference.nunique() == 1:
        return Robustness(SAME_EVERYWHERE, len(pairs), [])
    trends = []
    for key in keys:
        values = pd.to_numeric(pairs.get(f"param.{key}"), errors="coerce")
        if len(pairs) < MIN_PAIRS or values.nunique() < 2 or difference.nunique() < 2:
            continue
        result = stats.spearmanr(values, difference)
        trends.append({"key": key, "rho": float(result.statistic), "p": float(result.pvalue)})
    for trend, adjusted in zip(trends, adjust([t["p"] for t in trends], "holm"), strict=True):
        trend["p_holm"] = adjusted
    trends.sort(key=lambda t: -abs(t["rho"]))
    for trend in trends[:TOP_PARAMETERS]:
        values = pd.to_numeric(pairs[f"param.{trend['key']}"])
        lower = values <= values.median()
        trend["halves"] = [
            _verdict_in(f"{name}:{half}", spec, baseline, pairs.loc[mask])
            for half, mask in (("lower", lower), ("upper", ~lower))
        ]
    return Robustness(_label(overall, trends[:TOP_PARAMETERS]), len(pairs), trends)


def _verdict_in(name: str, spec: dict, baseline: str, pairs: pd.DataFrame) -> str:
    """The comparison's verdict over some of the paired runs alone (uncorrected: a look at
    a region, not another test of the family)."""
    arms = Arms(pairs["variant"].to_numpy(float), pairs["baseline"].to_numpy(float), paired=True)
    result = compare(name, spec, baseline, arms, binary=bool(spec.get("binary")))
    decide([result], "none")
    return result.verdict


def _label(overall: str, trends: list[dict]) -> str:
    if not trends:
        return NOT_CHECKED
    verdicts = {v for t in trends for v in t["halves"]} | {overall}
    if verdicts == {overall}:
        return HOLDS
    opposite = {"supported", "contradicted"} <= verdicts
    moving = any(t["p_holm"] < ALPHA and len(set(t["halves"])) > 1 for t in trends)
    return DEPENDS if opposite or moving else UNRESOLVED


def posterior_section(manifest: dict, runs: pd.DataFrame, results: list) -> list[str]:
    """The report's Markdown section on the verdicts over the posterior (none without one)."""
    info = manifest.get("posterior")
    if not info:
        return []
    finished = runs[runs["status"] == "ok"]
    keys = info["pinned"].get(manifest["baseline"], [])
    lines = [
        "## Over the calibrated uncertainty",
        "",
        f"Each run's calibrated parameters are one of the {info['sets']} accepted sets of "
        f"`{info['directory']}` (fitted on `{Path(str(info['history'])).name}` up to "
        f"{info['split']}), drawn by weight; a variant and the baseline share the set, "
        "replicate by replicate. Per comparison: Spearman's rho of the paired difference "
        "(variant - baseline at one set) with each parameter (Holm-adjusted p), and the "
        f"verdict in the lower and upper half of the sets along the {TOP_PARAMETERS} "
        f"parameters with the largest |rho|. **{HOLDS}**: every half gives the overall "
        f"verdict; **{DEPENDS}**: halves give opposite verdicts, or differ along a parameter "
        f"whose trend is significant; **{UNRESOLVED}**: halves differ without either.",
        "",
    ]
    for variant, pinned in info["pinned"].items():
        missing = [k for k in info["keys"] if k not in pinned]
        if missing:
            lines.append(
                f"- `{variant}` sets its own "
                + ", ".join(f"`{k}`" for k in missing)
                + " (not pinned)"
            )
    lines.append("")
    for result in results:
        if result.insufficient:
            continue
        spec = manifest["comparisons"][result.name]
        found = robustness(result.name, finished, spec, manifest["baseline"], keys, result.verdict)
        lines += [
            f"### {result.name}: {found.label}",
            "",
            f"Overall {result.verdict}; {found.pairs} paired runs.",
            "",
        ]
        if found.trends:
            lines += [
                "| parameter | rho | p (Holm) | lower half | upper half |",
                "| --- | --- | --- | --- | --- |",
            ]
            for t in found.trends[:TOP_PARAMETERS]:
                lower, upper = t.get("halves", ("–", "–"))
                lines.append(
                    f"| `{t['key']}` | {t['rho']:+.2f} | {t['p_holm']:.3g} | {lower} | {upper} |"
                )
            lines.append("")
    return lines
