"""Helpers shared by the notebooks: loading run folders and figure folders, and the aggregations of the paper
figures, computed the way src/report/paper-charts.ts computes them (per seed, then over seeds), so a notebook can
recompute a figure's data from the experiments' CSVs and check it against the figure's own CSV.

The folders come from the environment (npm run notebooks sets them): STREAMTUNE_RUN (a run folder) and
STREAMTUNE_FIGURES (a figures folder, with manifest.json); STREAMTUNE_NOTEBOOK_OUT is where charts are saved.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

alt.data_transformers.disable_max_rows()

# One colour per tuner, as src/report/charts.ts (tunerColors): notebooks/tuners.json, generated from the tuner
# registry by `npm run schema`. A name not in it (a variant, an external tuner) takes the next free palette colour.
_TABLE = json.loads((Path(__file__).resolve().parent / "tuners.json").read_text())
TUNER_ORDER = list(_TABLE["order"])
TUNER_COLOR = {t["name"]: t["color"] for t in _TABLE["tuners"]}
PALETTE = list(_TABLE["palette"])
_FREE = [c for c in PALETTE if c not in TUNER_COLOR.values()]


class Columns:
    """A CSV's column names as attributes (EPISODE.parallelismOverOracle == "parallelismOverOracle"): a renamed
    column fails where it is used, not as an empty result. From notebooks/columns.json, which `npm run schema`
    generates from the column table (src/loop/rows.ts)."""

    def __init__(self, columns: list[dict]):
        self._columns = columns
        for c in columns:
            setattr(self, c["name"], c["name"])

    def names(self) -> list[str]:
        return [c["name"] for c in self._columns]

    def numeric(self) -> list[str]:
        """The columns of a numeric type (integer, number, optional number)."""
        return [c["name"] for c in self._columns if c["type"] != "text"]


_COLUMNS = json.loads((Path(__file__).resolve().parent / "columns.json").read_text())
EPISODE = Columns(_COLUMNS["episodes"])
TIMELINE = Columns(_COLUMNS["timeline"])


def tuner_order(tuners) -> list[str]:
    """As src/report/paper-charts.ts (tunerOrder): each known tuner followed by its named variants (ds2, ds2-op10)."""
    present = list(dict.fromkeys(tuners))
    extra = sorted(t for t in present if t not in TUNER_ORDER)
    placed = [x for k in TUNER_ORDER for x in ([k] if k in present else []) + [t for t in extra if t.startswith(k + "-")]]
    return placed + [t for t in extra if t not in placed]


def tuner_scale(tuners) -> alt.Scale:
    """The colour scale of src/report/charts.ts: a tuner has the same colour in every chart."""
    extra = sorted({t for t in tuners if t not in TUNER_ORDER})
    domain = [t for t in TUNER_ORDER + extra if t in set(tuners)]
    colour = lambda t: TUNER_COLOR.get(t) or _FREE[extra.index(t) % len(_FREE)]
    return alt.Scale(domain=domain, range=[colour(t) for t in domain])


def folder(var: str) -> Path:
    value = os.environ.get(var)
    if not value:
        raise KeyError(f"set {var} (npm run notebooks sets it from its arguments)")
    path = Path(value)
    if not path.is_dir():
        raise FileNotFoundError(f"{var}={value}: not a folder")
    return path


def out_dir() -> Path:
    path = Path(os.environ.get("STREAMTUNE_NOTEBOOK_OUT", "."))
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_csv(path: Path) -> pd.DataFrame:
    # Everything as text first (as the harness reads its CSVs), then the numeric columns converted.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def numeric(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    df = df.copy()
    for c in columns:
        df[c] = pd.to_numeric(df[c].replace("", np.nan), errors="coerce")
    return df


def load_run(run: Path) -> dict:
    """A run folder: its resolved config, episodes and timeline (the numeric columns of columns.json converted)."""
    episodes = read_csv(run / "episodes.csv")
    episodes = numeric(episodes, *[c for c in EPISODE.numeric() if c in episodes.columns])
    timeline = read_csv(run / "timeline.csv")
    timeline = numeric(timeline, *[c for c in TIMELINE.numeric() if c in timeline.columns])
    return {"config": json.loads((run / "config.resolved.json").read_text()), "episodes": episodes, "timeline": timeline}


def load_manifest(figures: Path) -> dict:
    return json.loads((figures / "manifest.json").read_text())


def experiment_dir(figures: Path, fig: dict, experiment_id: str) -> Path:
    """The run folder a figure was made from, for one of its experiments."""
    return (figures / fig["sources"][experiment_id]).resolve()


def experiment_record(manifest: dict, figures: Path, run_dir: Path) -> dict:
    """The manifest's entry of a run folder (its label, seeds, engines, hash)."""
    return next(e for e in manifest["experiments"] if (figures / e["dir"]).resolve() == run_dir)


def figure(manifest: dict, name: str) -> dict | None:
    return next((f for f in manifest["figures"] if f["name"] == name), None)


def _mean(series: pd.Series) -> float:
    s = series.dropna()
    return float(s.mean()) if len(s) else np.nan


def sustained_share(g: pd.DataFrame) -> float:
    """Sustained episodes over feasible ones, as src/report/paper-charts.ts (share): infeasible rates count apart."""
    feasible = g[g[EPISODE.outcome] != "infeasible"]
    return float((feasible[EPISODE.outcome] == "sustained").sum() / len(feasible)) if len(feasible) else float("nan")


def per_seed(episodes: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group: episodes, sustained share, mean reconfigurations, mean P / oracle over sustained episodes."""
    rows = []
    for key, g in episodes.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        sustained = g[g[EPISODE.outcome] == "sustained"]
        feasible = g[g[EPISODE.outcome] != "infeasible"]
        # The figure's columns (its CSV) are named as the episode columns they average.
        rows.append({**dict(zip(keys, key)), "episodes": len(g), "sustainedShare": sustained_share(g),
                     EPISODE.reconfigurations: _mean(feasible[EPISODE.reconfigurations]),
                     EPISODE.parallelismOverOracle: _mean(sustained[EPISODE.parallelismOverOracle])})
    return pd.DataFrame(rows)


def per_seed_by_workload(figures: Path, manifest: dict, fig: dict) -> pd.DataFrame:
    """The data of the *-by-workload figures, from the experiments' episodes.csv."""
    frames = []
    for exp_id in fig["experiments"]:
        run_dir = experiment_dir(figures, fig, exp_id)
        run = load_run(run_dir)
        label = experiment_record(manifest, figures, run_dir)["label"]
        d = per_seed(run["episodes"], [EPISODE.tuner, EPISODE.seed])
        d.insert(0, "workload", label)
        frames.append(d)
    return pd.concat(frames, ignore_index=True)


def _key(v) -> str:
    """A join key as text: 1, 1.0 and '1' alike."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if f.is_integer() else repr(f)


def check_same(recomputed: pd.DataFrame, published: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Asserts that a recomputed table equals a figure's CSV (same keys, values within 1e-9); returns them joined."""
    published = numeric(published, *[c for c in values if c in published.columns])
    for k in keys:
        recomputed[k] = recomputed[k].map(_key)
        published[k] = published[k].map(_key)
    joined = recomputed.merge(published, on=keys, how="outer", suffixes=("", "_figure"), indicator=True)
    only = joined[joined["_merge"] != "both"]
    assert only.empty, f"rows in one table only:\n{only[keys + ['_merge']]}"
    for v in values:
        a = joined[v].astype(float).to_numpy()
        b = joined[f"{v}_figure"].astype(float).to_numpy()
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), f"{v} differs from the figure's CSV"
    return joined.drop(columns=["_merge"])
