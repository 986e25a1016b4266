"""One run from an input file: config -> scan -> run manager -> codes -> losses -> results.

This is the only place that wires the pieces together; ``bsmart run`` and the tests call
:func:`run_scan`.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bsmart import __version__
from bsmart.config import SETUP_KEYS, UNWRITTEN_OUTPUTS, RunConfig, load_config
from bsmart.errors import BsmartError, ConfigError, RunInterrupted, ScanError
from bsmart.progress import ProgressBar, resume_command, summary_lines
from bsmart.results import ResultStore
from bsmart.backends import BACKEND_KEYS, make_executor
from bsmart.runfolder import RunFolder
from bsmart.runner import EvaluationLimitReached, PointEvaluator, RunManager, make_temp_root
from bsmart.scans import load_scan
from bsmart.settings import block_of, parse_bool, resolve

log = logging.getLogger("bsmart")


def _warn_unknown_keys(config: RunConfig, declared: dict) -> None:
    for message in config.warnings:
        log.warning(message)
    setup = config.raw.get("Setup") or {}
    for key, what in UNWRITTEN_OUTPUTS.items():
        if key in setup and key not in declared and parse_bool(setup[key], f"Setup.{key}"):
            log.warning("%s: Setup.%s: bsmart does not write %s yet; every point is in all_points.csv, the valid "
                        "ones in Spectrum_Files/<Output File>.csv", config.path, key, what)
    by_block: dict[str, set[str]] = {}
    for key, setting in declared.items():
        by_block.setdefault(setting.block, set()).add(key)
    known = {"Setup": SETUP_KEYS | BACKEND_KEYS | by_block.get("Setup", set())}
    for block, keys in by_block.items():
        if block.startswith("Setup."):  # a block inside Setup (DEAP's Setup.DEAP) is a key of Setup
            known["Setup"].add(block.split(".")[1])
        if block != "Setup":
            known[block] = keys | {"Threshold_Value"}
    for block, keys in known.items():
        section = block_of(config.raw, block)
        if isinstance(section, dict):
            for key in section:
                if key not in keys:
                    log.warning("%s: %s.%s: unknown key for scan %s, ignored", config.path, block, key,
                                config.scan_name)


def _check_resumable(run_dir: Path, config: RunConfig) -> int | None:
    """The stored seed of the run to resume; refuses when the input changed what a point is."""
    stored_input = run_dir / "input.json"
    if not stored_input.is_file():
        log.warning("resume: %s holds no run yet; starting a new one", run_dir)
        return None
    try:
        stored = json.loads(stored_input.read_text())
        summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").is_file() \
            else {}
    except (OSError, json.JSONDecodeError) as exc:
        raise BsmartError(f"cannot resume {run_dir}: {exc}") from None
    for block in ("Variables", "Observables", "Codes", "Derived Variables", "Blocks"):
        if stored.get(block) != config.raw.get(block):
            raise BsmartError(f"cannot resume {run_dir}: the input's {block} block differs from the one the run "
                              f"was started with ({stored_input})")
    # the threshold decides which stored points are good: a change would mix two definitions
    for block, key in (("Setup", "Threshold"), ("Networks", "Threshold_Value")):
        before, now = (d.get(block) if isinstance(d.get(block), dict) else {} for d in (stored, config.raw))
        if before.get(key) != now.get(key):
            raise BsmartError(f"cannot resume {run_dir}: {block}.{key} is {now.get(key)!r}, the run was started "
                              f"with {before.get(key)!r} ({stored_input}); the stored points' good flags would "
                              f"mix two thresholds")
    seed = summary.get("seed")
    if seed is None:
        seed = (stored.get("Setup") or {}).get("Seed")
    return int(seed) if seed is not None else None


def _attach_log_file(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.DEBUG:  # also when called from Python, without the CLI
        log.setLevel(logging.DEBUG)
    return handler


def run_scan(input_path: str | Path, *, seed: int | None = None, debug: bool | None = None,
             overwrite: bool = False, output_dir: str | Path | None = None,
             resume: bool | None = None, show_progress: bool = False,
             setup: Mapping[str, Any] | None = None, max_evaluations: int | None = None) -> dict[str, Any]:
    """Run the scan an input file selects; returns the summary (also written to summary.json).

    ``resume`` (or ``Setup.Resume``) continues an interrupted run in the same run folder: the
    scan replays from its stored seed and every point already on disk is reused, not re-run.
    ``max_evaluations`` stops any scan after that many points (a trial of a big scan; resume
    with a higher limit, or none, to go on).
    """
    started = time.time()
    config = load_config(input_path, seed=seed, debug=debug, setup=setup)
    file = str(config.path)
    try:
        module = load_scan(config.scan_name)
    except BsmartError as exc:
        raise BsmartError(f"{file}: {exc}") from None
    declared = module.__meta__["settings"]
    settings = resolve(declared, config.raw, file)
    try:  # files the settings name (InitCSV, Input_CSV_File) are checked before the run folder exists
        module.NewScan.check(config, settings)
    except ConfigError as exc:
        raise exc.in_file(file) from None
    _warn_unknown_keys(config, declared)

    parent = Path(output_dir) if output_dir is not None else Path.cwd()
    run_dir = (parent / config.run_name).resolve()
    if resume is None:
        resume = parse_bool(config.raw.get("Setup", {}).get("Resume", False), "Setup.Resume", file)
    try:
        temp_root = make_temp_root(config.temp_dir, config.run_name) if config.chain.needs_workdir else None
    except ConfigError as exc:
        raise exc.in_file(file) from None
    try:  # checked, locked and (with --overwrite) emptied before anything else reads or writes it
        folder = RunFolder.open(run_dir, resume=resume, overwrite=overwrite, protected=(Path.cwd(), config.base_dir))
    except BaseException:
        if temp_root is not None:
            shutil.rmtree(temp_root, ignore_errors=True)
        raise
    executor = store = handler = None
    try:  # nothing is left behind, and the folder is unlocked, when the run cannot be set up
        stored_seed = _check_resumable(run_dir, config) if resume else None
        killed_the_run = folder.journal.record_deaths() if resume else {}
        seed = config.seed if config.seed is not None else stored_seed
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2 ** 32)
        rng = np.random.default_rng(seed)
        # "good" = valid and NLL below the threshold: Setup.Threshold, Networks.Threshold_Value, or the
        # scan's own default for it; no threshold at all means every valid point is good
        threshold = config.threshold if config.threshold is not None else \
            settings.get(module.NewScan.threshold_setting)
        if threshold is None:
            log.warning("%s: no Setup.Threshold: every valid point counts as good (good_points.csv holds them all); "
                        "set Threshold, the NLL below which a point is good, to tell them apart", file)
        store_spectra = config.store_spectra or module.NewScan.stores_spectra
        evaluator = PointEvaluator(config.chain, threshold, temp_root, keep_folders=config.debug,
                                   store_spectra=store_spectra,
                                   input_file=config.chain.input_file if config.store_inputs else None,
                                   archive=f"{run_dir / 'All_Outputs' / config.output_file}_"
                                   if config.store_everything else None)
        observables = config.chain.observables
        executor = make_executor(config.raw, evaluator, config.cores, file, folder.journal)
        store = ResultStore(run_dir, config.space.names, list(observables),
                            [n for n, o in observables.items() if o.used], config.output_file, resume=resume,
                            store_spectra=store_spectra, store_invalid=config.store_invalid,
                            store_tabbed=config.store_tabbed, result_column=module.NewScan.result_column,
                            accumulated=module.NewScan.accumulated, separate_spectra=config.store_separate,
                            input_files=config.run_name if evaluator.input_file else None)
        handler = _attach_log_file(run_dir / "bsmart.log")
        store.save_input(config.raw)
        # written now so that a run killed with SIGKILL can still be resumed with its seed
        store.write_summary({"status": "running", "scan": config.scan_name, "input": file, "seed": seed})
        runner = RunManager(evaluator, executor, store, previous=store.previous, journal=folder.journal,
                            killed_the_run=killed_the_run, max_evaluations=max_evaluations)
        scan = module.NewScan(config, settings, runner, rng, store, log)
    except BaseException as exc:
        for resource in (executor, store):
            if resource is not None:
                resource.close()
        if handler is not None:
            log.removeHandler(handler)
            handler.close()
        if temp_root is not None:
            shutil.rmtree(temp_root, ignore_errors=True)
        folder.release()
        if isinstance(exc, ConfigError):
            raise exc.in_file(file) from None
        raise
    if store.rejected_rows:
        log.warning("resume: %d row(s) of %s could not be read back; moved to all_points.rejected.csv, their "
                    "points are evaluated again", store.rejected_rows, store.all_path)
    if store.previous:
        log.info("resuming %s: %d points on disk will be reused as the scan replays", run_dir,
                 len(store.previous))
    progress = ProgressBar(scan, runner, enabled=None if show_progress else False)
    runner.on_batch, runner.on_points = progress.batch, progress.points
    log.info("bsmart %s: scan %s, input %s, run folder %s, seed %d, %d core(s)", __version__, config.scan_name,
             file, run_dir, seed, config.cores)
    status, error = "finished", None
    try:
        with progress.showing(log):
            scan.launch()
    except KeyboardInterrupt:
        status = "interrupted"
    except EvaluationLimitReached:
        scan.result.update(stopped_by="--max-evaluations", short_of_target=(
            f"stopped after {runner.evaluated} evaluations (--max-evaluations {max_evaluations}); to go on, run "
            f"{resume_command(input_path, run_dir)} with a higher --max-evaluations, or none"))
    except BsmartError as exc:
        status, error = "stopped", exc.in_file(file) if isinstance(exc, ConfigError) else exc
    except Exception:
        status = "crashed"  # a bug: the traceback goes to the log file, the points stay on disk
        log.debug("scan crashed", exc_info=True)
        raise
    finally:
        runner.close()
        folder.journal.clear()  # the run stopped under our control: nothing it had in flight killed it
        if status == "finished" and runner.evaluated and not runner.valid:
            reasons = "; ".join(f"{n}x {why}" for why, n in runner.failures.most_common(3))
            status, error = "failed", ScanError(f"every one of the {runner.evaluated} evaluated points failed: "
                                                f"{reasons} (details in {run_dir / 'all_points.csv'})")
        summary = {
            "status": status, "scan": config.scan_name, "input": file, "run_dir": str(run_dir), "seed": seed,
            "cores": config.cores, "evaluations": runner.evaluated,
            "evaluations_this_session": runner.evaluated - runner.replayed, "valid": runner.valid, "good": runner.good,
            "threshold": threshold, "seconds": round(time.time() - started, 3),
            "seconds_in_codes": round(runner.seconds_in_codes, 3),
            "failures": dict(runner.failures.most_common(10)), **scan.result,
        }
        if error is not None:
            summary["error"] = str(error)
        store.write_summary(summary)
        store.close()
        if temp_root is not None and not config.debug:
            shutil.rmtree(temp_root, ignore_errors=True)
        progress.close()
        resume_extra = ["--short"] if setup and setup.get("Short") else []
        for line in summary_lines(summary, str(input_path), resume_extra):
            log.info(line)
        if status == "finished" and summary.get("short_of_target"):
            log.warning("%s: short of its target: %s", config.scan_name, summary["short_of_target"])
        log.removeHandler(handler)
        handler.close()
        folder.release()
    if status == "interrupted":
        raise RunInterrupted(resume_command(input_path, run_dir, resume_extra))
    if error is not None:
        raise error
    return summary


def configure_console_logging(debug: bool = False, quiet: bool = False) -> None:
    log.setLevel(logging.DEBUG)
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
               for h in log.handlers):
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(console)
    for h in log.handlers:
        if not isinstance(h, logging.FileHandler):
            h.setLevel(logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO)
    log.propagate = False
