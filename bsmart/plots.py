"""``bsmart plot RUN_DIR``: PNG plots of a run folder, read back from its CSV files.

- ``corner.png`` (``corner_<names>.png`` for names chosen with ``--variables``): pairwise
  scatter of the good, the valid but not good, and the invalid points, with histograms on the
  diagonal; a variable with a LOG prior on log axes;
- ``efficiency.png``: good/evaluated per iteration, and good points against evaluations, with
  random sampling's (the uniform first batch's rate) for Random and the ML scans;
- ``nll_histogram.png``: the NLL of the valid points, with the threshold;
- one PNG per entry of the input file's ``Plotting.Plots`` block (BSMArt's format:
  ``{"name": {"Values": [x, y(, colour)], "Labels": [...], "Ranges": [[..], [..]]}}``).

Axes are labelled with a variable's or observable's optional ``LABEL`` (matplotlib's LaTeX
subset, e.g. ``"$m_0$"``) and ``UNIT``; titles name the run. Plots go to ``RUN_DIR/Plots/``.
matplotlib is imported only here.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bsmart.errors import BsmartError
from bsmart.results import ALL_POINTS

MAX_CORNER = 6  # beyond this a corner plot is unreadable; choose with --variables
UNIFORM_START = ("Random", "MLS", "AL", "DLScanner")  # scans whose iteration 0 is uniform (and the MLS_* ones)
log = logging.getLogger("bsmart")


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


class Axes:
    """What the input file says about a column: its axis label and whether its axis is logarithmic."""

    def __init__(self, raw: dict[str, Any]):
        specs: dict[str, Any] = {**(raw.get("Observables") or {})}
        for code in (raw.get("Codes") or {}).values():
            if isinstance(code, dict) and isinstance(code.get("Observables"), dict):
                specs.update(code["Observables"])
        specs.update(raw.get("Variables") or {})
        self.labels: dict[str, str] = {}
        self.log = {n for n, s in specs.items() if isinstance(s, dict) and str(s.get("PRIOR", "")).upper() == "LOG"}
        for name, spec in specs.items():
            if isinstance(spec, dict) and (spec.get("LABEL") or spec.get("UNIT")):
                label = _checked_label(str(spec.get("LABEL") or name), name)
                self.labels[name] = f"{label} [{spec['UNIT']}]" if spec.get("UNIT") else label

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def scale(self, ax, name: str, axis: str) -> None:
        if name in self.log:
            getattr(ax, f"set_{axis}scale")("log")

    def bins(self, name: str, values: np.ndarray) -> Any:
        if not len(values):
            return 10
        if name in self.log and values.min() > 0:
            return np.geomspace(values.min(), values.max(), 31) if values.max() > values.min() else 10
        return np.histogram_bin_edges(values, bins=30)


def _checked_label(label: str, name: str) -> str:
    """A LABEL matplotlib can draw, else the column's name (a warning says why)."""
    from matplotlib.mathtext import MathTextParser

    if "$" in label:
        try:
            MathTextParser("path").parse(label)
        except ValueError as exc:
            why = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            log.warning("LABEL of %s: matplotlib cannot draw %r (%s); the plots use its name", name, label, why)
            return name
    return label


def corner(points, names: Sequence[str], axes_info: Axes, title: str, out: Path) -> Path:
    plt = _pyplot()
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n + 1, 2.4 * n + 1), squeeze=False)
    valid, good = points["valid"].astype(bool), points["good"].astype(bool)
    groups = [("invalid", points[~valid], "0.55", "x", 3),  # (label, points, colour, marker, size)
              ("valid, not good", points[valid & ~good], "tab:blue", ".", 2), ("good", points[good], "tab:red", ".", 3)]
    for i, yname in enumerate(names):
        for j, xname in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                values = points[xname].to_numpy(float)
                bins = axes_info.bins(xname, values[np.isfinite(values)])
                for label, group, colour, _, _ in groups:
                    shown = group[xname].to_numpy(float)
                    ax.hist(shown[np.isfinite(shown)], bins=bins, color=colour, alpha=0.6, label=label)
            else:
                for label, group, colour, marker, size in groups:
                    ax.scatter(group[xname], group[yname], s=size, color=colour, marker=marker, linewidths=0.5,
                               rasterized=True, label=label)
                axes_info.scale(ax, yname, "y")
            axes_info.scale(ax, xname, "x")
            if i == n - 1:
                ax.set_xlabel(axes_info.label(xname))
            if j == 0 and i != 0:
                ax.set_ylabel(axes_info.label(yname))
    axes[0, 0].legend(fontsize="small", loc="upper right")
    fig.suptitle(f"{title}: {good.sum()} good, {(valid & ~good).sum()} valid but not good, {(~valid).sum()} invalid "
                 f"of {len(points)} evaluated")
    return _save(fig, out)


def efficiency(points, title: str, uniform_start: bool, out: Path) -> Path:
    """``uniform_start``: the first batch (iteration 0) is uniform, so its rate is random sampling's."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    per_iteration = points.groupby("iteration").agg(evaluated=("ID", "size"), good=("good", "sum"))
    left.plot(per_iteration.index, per_iteration["good"] / per_iteration["evaluated"], "o-", label="this scan")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_xlabel("iteration")
    left.set_ylabel("batch efficiency (good / evaluated)")
    left.set_ylim(0, 1.05)
    ordered = points.sort_values("ID")
    evaluations = np.arange(1, len(ordered) + 1)
    right.plot(evaluations, ordered["good"].astype(int).cumsum(), label="this scan")
    right.set_xlabel("evaluations")
    right.set_ylabel("good points found")
    if uniform_start and 0 in per_iteration.index:
        rate = per_iteration.loc[0, "good"] / per_iteration.loc[0, "evaluated"]
        label = f"random sampling ({rate:.3f}, the uniform iteration 0's rate)"
        left.axhline(rate, color="0.4", linestyle="--", label=label)
        right.plot(evaluations, rate * evaluations, color="0.4", linestyle="--", label="random sampling")
        left.legend(fontsize="small")
        right.legend(fontsize="small")
    fig.suptitle(title)
    return _save(fig, out)


def nll_histogram(points, threshold: float | None, title: str, out: Path) -> Path:
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
    ax.set_title(title)
    return _save(fig, out)


def user_plot(points, name: str, spec: dict[str, Any], axes_info: Axes, title: str, out_dir: Path) -> Path:
    """One entry of BSMArt's Plotting.Plots block."""
    plt = _pyplot()
    values = spec.get("Values") or []
    missing = [v for v in values if v not in points.columns]
    if len(values) not in (2, 3) or missing:
        raise BsmartError(f"Plotting.Plots.{name}: Values must name 2 or 3 columns of the run "
                          f"(unknown: {missing})")
    labels = spec.get("Labels") or [axes_info.label(v) for v in values]
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
    axes_info.scale(ax, values[0], "x")
    axes_info.scale(ax, values[1], "y")
    ax.set_title(f"{title}: {name}")
    ranges = spec.get("Ranges") or []
    if len(ranges) >= 1 and ranges[0]:
        ax.set_xlim(*ranges[0])
    if len(ranges) >= 2 and ranges[1]:
        ax.set_ylim(*ranges[1])
    return _save(fig, out_dir / f"{_safe(name)}.png")


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
        corner_name = "corner_" + "_".join(_safe(n) for n in chosen)[:120] + ".png"  # one file per choice
    else:
        chosen = [v for v in variables if points[v].nunique() > 1][:MAX_CORNER]
        corner_name = "corner.png"
    summary = _summary(run_dir)
    title = str((raw.get("Setup") or {}).get("RunName") or run_dir.name)
    axes_info = Axes(raw)
    out_dir = run_dir / "Plots"
    out_dir.mkdir(exist_ok=True)
    written = []
    if chosen:
        written.append(corner(points, chosen, axes_info, title, out_dir / corner_name))
    uniform_start = str(summary.get("scan", "")).rsplit(".", 1)[-1] in UNIFORM_START or \
        str(summary.get("scan", "")).rsplit(".", 1)[-1].startswith("MLS_")
    written.append(efficiency(points, title, uniform_start, out_dir / "efficiency.png"))
    written.append(nll_histogram(points, summary.get("threshold"), title, out_dir / "nll_histogram.png"))
    plots = (raw.get("Plotting") or {}).get("Plots") or {}
    if isinstance(plots, dict):
        for name, spec in plots.items():
            if isinstance(spec, dict):
                written.append(user_plot(points, name, spec, axes_info, title, out_dir))
    return written


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _summary(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((run_dir / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
