"""The shipped examples and the docs, run as tests.

Every ``inputs/**/*.json`` runs in a quick mode: the inputs tree is copied and the copy's budgets
(Points, Iterations, Candidate_Points, Epochs, ...) are shrunk so that all of them run in
seconds; the files of a subfolder (the chained example) run in name order. The docs must only
name inputs that exist, and the example scan of docs/writing-a-scan.md must run as written.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bsmart.session import run_scan

REPO = Path(__file__).resolve().parent.parent
INPUTS = REPO / "inputs"
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]

# quick mode: upper bounds on the budgets of an input (block, key) -> most allowed
QUICK_LIMITS = {
    ("Setup", "Points"): 300,
    ("Networks", "Iterations"): 2,
    ("Networks", "Bootstrap_Points"): 100,
    ("Networks", "Points_Per_Iteration"): 100,
    ("Networks", "Candidate_Points"): 2000,
    ("Networks", "Epochs"): 20,
}
MLS_MAX_EVALUATIONS = 300  # added to every MLScanner input, so a run never exceeds it
EXTERNAL_POINTS = 20  # an external program (simsusy) takes about 0.15 s a point on 2 cores


def _in_run_folder(path: Path) -> bool:
    """Whether a file lies in a run folder (one holding summary.json), e.g. inputs/chain/Chain_1_Random/
    left by following docs/mlscanner.md: its input.json is a copy, not an example."""
    return any((parent / "summary.json").is_file() for parent in path.parents if INPUTS in parent.parents)


def _ignore_run_folders(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if (Path(folder) / name / "summary.json").is_file()]


def _example_groups() -> list[list[Path]]:
    """Top-level inputs run alone; the inputs of one subfolder run together, in name order."""
    groups: dict[Path, list[Path]] = {}
    for path in sorted(p for p in INPUTS.rglob("*.json") if not _in_run_folder(p)):
        rel = path.relative_to(INPUTS)
        key = rel if rel.parent == Path(".") else rel.parent
        groups.setdefault(key, []).append(rel)
    return list(groups.values())


def _shrink(data: dict[str, Any]) -> dict[str, Any]:
    """The quick-mode copy of an input: every budget capped by QUICK_LIMITS."""
    for (block, key), most in QUICK_LIMITS.items():
        section = data.get(block)
        if isinstance(section, dict) and key in section:
            section[key] = min(int(float(section[key])), most)
    if "Networks" in data:
        data["Networks"]["Max_Evaluations"] = MLS_MAX_EVALUATIONS
    return data


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _check_run(summary: dict[str, Any], input_path: Path, data: dict[str, Any], log: str) -> None:
    """A finished run whose counts agree with each other, with its files and with the printed summary."""
    run_dir = Path(summary["run_dir"])
    assert summary["status"] == "finished", summary
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "finished"
    assert (f"{summary['scan']} finished: {summary['evaluations']} evaluations, {summary['valid']} valid, "
            f"{summary['good']} good") in log
    assert f"results: {run_dir}/" in log
    assert 0 < summary["good"] <= summary["valid"] <= summary["evaluations"], summary
    assert len(_csv_rows(run_dir / "all_points.csv")) == summary["evaluations"]
    good_rows = _csv_rows(run_dir / "good_points.csv")
    assert len(good_rows) == summary["good"]
    threshold = summary["threshold"]
    assert all(float(row["NLL"]) < threshold for row in good_rows)
    if "Networks" in data:  # MLScanner: within the quick-mode budget, stopped for a stated reason
        assert summary["evaluations"] <= MLS_MAX_EVALUATIONS
        # the reason given is the one that holds, and a stop short of Points says so
        stopped, iterations = summary["stopped_by"], len(_csv_rows(run_dir / "iterations.csv")) - 1
        assert {"points": summary["good_found"] >= data["Setup"]["Points"],
                "max_evaluations": summary["evaluations"] == MLS_MAX_EVALUATIONS,
                "iterations": iterations == data["Networks"].get("Iterations")}[stopped], (stopped, summary)
        assert ("short_of_target" in summary) == (stopped != "points"), summary
        if data["Setup"].get("InitCSV"):  # the chained example: learnt from every point of the run before
            assert summary["initcsv_points"] == len(_csv_rows(input_path.parent / data["Setup"]["InitCSV"]))
    elif summary["scan"] == "Random":
        assert summary["evaluations"] == data["Setup"]["Points"]
    elif summary["scan"] == "Grid":
        assert summary["evaluations"] == summary["grid_points"] > 1
    elif summary["scan"] == "read_csv":
        # the same code gives the same verdict: a replayed CSV that has an NLL column keeps its good points
        # (inputs/chain/3_read_csv.json: every good point of MLS_DNNC is good again)
        source = _csv_rows(input_path.parent / data["Setup"]["Input_CSV_File"])
        assert summary["evaluations"] == summary["csv_rows"] == len(source)
        if source and "NLL" in source[0]:
            assert summary["good"] == sum(float(row["NLL"]) < threshold for row in source)


@pytest.mark.parametrize("group", _example_groups(), ids=lambda group: str(group[0].parent if len(group) > 1
                                                                             else group[0]))
def test_example_runs_in_quick_mode(group: list[Path], tmp_path: Path, request: pytest.FixtureRequest,
                                    caplog: pytest.LogCaptureFixture) -> None:
    shutil.copytree(INPUTS, tmp_path / "inputs", ignore=_ignore_run_folders)
    for rel in group:
        path = tmp_path / "inputs" / rel
        data = _shrink(json.loads(path.read_text()))
        for code in data["Codes"].values():
            if "Function" in code:  # a physics library (flavio: 0.1-0.4 s a point)
                data["Setup"]["Points"] = min(data["Setup"]["Points"], EXTERNAL_POINTS)
            if "softpoint.x" in str(code.get("Command", "")):  # SOFTSUSY, built by the fixture (cached)
                code["Command"] = str(request.getfixturevalue("softsusy_bin"))
                data["Setup"]["Points"] = min(data["Setup"]["Points"], EXTERNAL_POINTS)
            if str(code.get("Command", "")).split()[:1] and "simsusy" in code["Command"].split()[0]:
                # the example points at .venv-simsusy (README); tests use the fixture's own venv
                simsusy = request.getfixturevalue("simsusy_bin")
                code["Command"] = " ".join([str(simsusy), *code["Command"].split()[1:]])
                if "Points" in data["Setup"]:  # read_dir evaluates its folder's few files
                    data["Setup"]["Points"] = min(data["Setup"]["Points"], EXTERNAL_POINTS)
        path.write_text(json.dumps(data, indent=1))
        # run from the input's folder, as the docs do (chained inputs name each other's run folders)
        caplog.clear()
        bsmart_log = logging.getLogger("bsmart")
        bsmart_log.addHandler(caplog.handler)  # also when an in-process `bsmart run` stopped propagation
        try:
            with caplog.at_level(logging.INFO, logger="bsmart"):  # the end-of-run summary is logged at INFO
                summary = run_scan(path, output_dir=path.parent)
        finally:
            bsmart_log.removeHandler(caplog.handler)
        _check_run(summary, path, data, caplog.text)


# -- the docs ---------------------------------------------------------------------------------------

def _code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, and of each indented block (language "")."""
    blocks = [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)]
    unfenced = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    blocks += [("", m.group(0)) for m in re.finditer(r"(?:^(?: {4}|\t).*\n?)+", unfenced, re.M)]
    return blocks


def _referenced_inputs(doc: Path) -> list[str]:
    """Every inputs/ path a doc names, and every file a `bsmart run` command in a code block runs
    (relative to the folder of a `cd` earlier in the block, else to the repository root)."""
    text = doc.read_text()
    found = re.findall(r"\binputs/[\w./*-]*", text)
    for _, body in _code_blocks(text):
        folder = ""
        for line in body.splitlines():
            if (cd := re.match(r"\s*cd\s+(\S+)", line)):
                folder = cd.group(1)
            for target in re.findall(r"\bbsmart\s+run\s+(\S+\.json)", line):
                path = os.path.normpath(os.path.join(folder, target))
                if path.startswith("inputs/"):  # a shipped example, not a placeholder such as INPUT.json
                    found.append(path)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_docs_name_only_existing_inputs(doc: Path) -> None:
    missing = [ref for ref in _referenced_inputs(doc) if not any(REPO.glob(ref.rstrip("/")))]
    assert not missing, f"{doc.relative_to(REPO)} names inputs that do not exist: {missing}"


def test_docs_json_inputs_match_the_shipped_files() -> None:
    """A complete input shown in a doc under the RunName of a shipped input is that file, verbatim."""
    shipped = {json.loads(path.read_text())["Setup"]["RunName"]: path for path in INPUTS.rglob("*.json")
               if not _in_run_folder(path)}
    for doc in DOCS:
        for lang, body in _code_blocks(doc.read_text()):
            try:
                data = json.loads(body) if lang == "json" else None
            except json.JSONDecodeError:  # an excerpt with "..." in it, not a whole input
                continue
            if isinstance(data, dict) and data.get("Setup", {}).get("RunName") in shipped:
                path = shipped[data["Setup"]["RunName"]]
                assert data == json.loads(path.read_text()), f"{doc.name} shows an outdated {path.name}"


def test_index_links_every_doc() -> None:
    index = (REPO / "docs" / "index.md").read_text()
    linked = set(re.findall(r"\]\(([\w-]+\.md)(?:#[\w-]*)?\)", index))
    assert {doc.name for doc in DOCS if doc.parent.name == "docs"} - {"index.md"} <= linked


def test_writing_a_scan_example_runs(tmp_path: Path) -> None:
    """docs/writing-a-scan.md as a user follows it: its scan file dropped into bsmart/scans/ (of a
    copy of the package, so the installed one is left alone), its input run with `bsmart run`."""
    blocks: dict[str, str] = {}
    for lang, body in _code_blocks((REPO / "docs" / "writing-a-scan.md").read_text()):
        blocks.setdefault(lang, body)  # the first python block is the scan, the first json block its input
    package = tmp_path / "site"
    shutil.copytree(REPO / "bsmart", package / "bsmart", ignore=shutil.ignore_patterns("__pycache__"))
    (package / "bsmart" / "scans" / "Zoom.py").write_text(blocks["python"])
    data = json.loads(blocks["json"])
    (tmp_path / "zoom_f2d.json").write_text(json.dumps(data))
    env = {**os.environ, "PYTHONPATH": str(package), "PYTHONWARNINGS": "ignore"}

    def bsmart(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bsmart", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)

    assert "Zoom " in bsmart("list").stdout
    described = bsmart("describe", "zoom").stdout
    assert "Step: float" in described and "default 0.05" in described
    result = bsmart("run", "zoom_f2d.json")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / data["Setup"]["RunName"] / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == data["Setup"]["Points"]
    iterations = _csv_rows(tmp_path / data["Setup"]["RunName"] / "iterations.csv")
    assert [row["zoom"] for row in iterations][:2] == ["False", "True"]
    uniform = float(iterations[0]["efficiency"])
    assert summary["zoom_efficiency"] > 2 * uniform  # stepping around good points beats uniform sampling


def test_describe_gives_every_setting_of_every_scan_with_type_default_and_meaning(
        capsys: pytest.CaptureFixture[str]) -> None:
    from bsmart.cli import main
    from bsmart.scans import available_scans, load_scan

    for scan_id in available_scans():
        assert main(["describe", scan_id]) == 0
        lines = capsys.readouterr().out.splitlines()
        for key, setting in load_scan(scan_id).__meta__["settings"].items():
            line = next(line for line in lines if line.startswith(f"  {key}: "))
            assert "default " in line and f"({setting.block}): " in line and setting.help.strip(), line
