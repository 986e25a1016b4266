"""``bsmart plot RUN_DIR``: PNG plots of a run folder, read back from its CSV files.

- ``corner.png``: pairwise scatter of the good points over all evaluated points, with
  histograms on the diagonal, for the chosen variables and observables;
- ``efficiency.png``: good/evaluated per iteration, and good points against evaluations;
- ``nll_histogram.png``: the NLL of the valid points, with the threshold;
- one PNG per entry of the input file's ``Plotting.Plots`` block (BSMArt's format:
  ``{"name": {"Values": [x, y(, colour)], "Labels": [...], "Ranges": [[..], [..]]}}``).

Plots go to ``RUN_DIR/Plots/``. matplotlib is imported only here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bsmart.errors import BsmartError
from bsmart.results import ALL_POINTS

MAX_CORNER = 6  # beyond this a corner plot is unreadable; choose with --variables


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    return plt


def _load(run_dir: Path):
    import pandas as pd

    path = run_dir / ALL_POINTS
    if not path.is_file():
        raise BsmartError(f"{run_dir} is not a bsmart run folder (no {ALL_POINTS})")
    try:
        points = pd.read_csv(path)
    except Exception as exc:  # pandas raises several kinds on a broken file
        raise BsmartError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    try:
        raw = json.loads((run_dir / "input.json").read_text())
    except (OSError, json.JSONDecodeError):
        raw = {}
    return points, raw


def _save(fig, out: Path) -> Path:
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    _pyplot().close(fig)
    return out


def corner(points, names: Sequence[str], out: Path) -> Path:
    plt = _pyplot()
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n + 1, 2.4 * n + 1), squeeze=False)
    good = points[points["good"].astype(bool)]
    for i, yname in enumerate(names):
        for j, xname in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                values = points[xname].to_numpy(float)
                values = values[np.isfinite(values)]
                bins = np.histogram_bin_edges(values, bins=30) if len(values) else 10
                ax.hist(values, bins=bins, color="0.75", label="evaluated")
                ax.hist(good[xname].to_numpy(float), bins=bins, color="tab:red", alpha=0.8, label="good")
            else:
                ax.scatter(points[xname], points[yname], s=2, color="0.75", rasterized=True)
                ax.scatter(good[xname], good[yname], s=3, color="tab:red", rasterized=True)
            if i == n - 1:
                ax.set_xlabel(xname)
            if j == 0 and i != 0:
                ax.set_ylabel(yname)
    axes[0, 0].legend(fontsize="small", loc="upper right")
    fig.suptitle(f"{len(good)} good of {len(points)} evaluated points")
    return _save(fig, out)


def efficiency(points, out: Path) -> Path:
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    per_iteration = points.groupby("iteration").agg(evaluated=("ID", "size"), good=("good", "sum"))
    left.plot(per_iteration.index, per_iteration["good"] / per_iteration["evaluated"], "o-")
    left.set_xlabel("iteration")
    left.set_ylabel("batch efficiency (good / evaluated)")
    left.set_ylim(0, 1.05)
    ordered = points.sort_values("ID")
    right.plot(np.arange(1, len(ordered) + 1), ordered["good"].astype(int).cumsum())
    right.set_xlabel("evaluations")
    right.set_ylabel("good points found")
    return _save(fig, out)


def nll_histogram(points, threshold: float | None, out: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    nll = points.loc[points["valid"].astype(bool), "NLL"].to_numpy(float)
    nll = nll[np.isfinite(nll)]
    shifted = np.log10(np.clip(nll, 0, None) + 1e-3)  # NLL spans many decades, down to 0
    ax.hist(shifted, bins=50, color="tab:blue")
    if threshold is not None and threshold > 0:
        ax.axvline(math.log10(threshold + 1e-3), color="tab:red", label=f"threshold {threshold:g}")
        ax.legend()
    ax.set_xlabel("log10(NLL + 0.001) of valid points")
    ax.set_ylabel("points")
    return _save(fig, out)


def user_plot(points, name: str, spec: dict[str, Any], out_dir: Path) -> Path:
    """One entry of BSMArt's Plotting.Plots block."""
    plt = _pyplot()
    values = spec.get("Values") or []
    missing = [v for v in values if v not in points.columns]
    if len(values) not in (2, 3) or missing:
        raise BsmartError(f"Plotting.Plots.{name}: Values must name 2 or 3 columns of the run "
                          f"(unknown: {missing})")
    labels = spec.get("Labels") or values
    fig, ax = plt.subplots(figsize=(6, 5))
    shown = points[points["valid"].astype(bool)]
    if len(values) == 3:
        sc = ax.scatter(shown[values[0]], shown[values[1]], c=shown[values[2]], s=4, cmap="viridis")
        fig.colorbar(sc, ax=ax, label=labels[2] if len(labels) > 2 else values[2])
    else:
        ax.scatter(shown[values[0]], shown[values[1]], s=4, color="0.6", label="valid")
        good = shown[shown["good"].astype(bool)]
        ax.scatter(good[values[0]], good[values[1]], s=5, color="tab:red", label="good")
        ax.legend(fontsize="small")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ranges = spec.get("Ranges") or []
    if len(ranges) >= 1 and ranges[0]:
        ax.set_xlim(*ranges[0])
    if len(ranges) >= 2 and ranges[1]:
        ax.set_ylim(*ranges[1])
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return _save(fig, out_dir / f"{safe}.png")


def make_plots(run_dir: str | Path, names: Sequence[str] | None = None) -> list[Path]:
    """Write the plots of a run folder; returns their paths."""
    run_dir = Path(run_dir)
    points, raw = _load(run_dir)
    if points.empty:
        raise BsmartError(f"{run_dir} has no evaluated points to plot")
    variables = [v for v in (raw.get("Variables") or {}) if v in points.columns]
    if names:
        unknown = [n for n in names if n not in points.columns]
        if unknown:
            raise BsmartError(f"no column(s) {unknown} in {run_dir / ALL_POINTS}")
        chosen = list(names)
    else:
        chosen = [v for v in variables if points[v].nunique() > 1][:MAX_CORNER]
    out_dir = run_dir / "Plots"
    out_dir.mkdir(exist_ok=True)
    written = []
    if chosen:
        written.append(corner(points, chosen, out_dir / "corner.png"))
    written.append(efficiency(points, out_dir / "efficiency.png"))
    threshold = _threshold(run_dir)
    written.append(nll_histogram(points, threshold, out_dir / "nll_histogram.png"))
    plots = (raw.get("Plotting") or {}).get("Plots") or {}
    if isinstance(plots, dict):
        for name, spec in plots.items():
            if isinstance(spec, dict):
                written.append(user_plot(points, name, spec, out_dir))
    return written


def _threshold(run_dir: Path) -> float | None:
    try:
        return json.loads((run_dir / "summary.json").read_text()).get("threshold")
    except (OSError, json.JSONDecodeError):
        return None
