"""Command line: ``bsmart run INPUT.json`` (or ``bsmart INPUT.json``), ``list``, ``describe``, ``predict``;
and ``BSMArt INPUT.json [--csv] [--short] [--debug] [--NoMPI] [--resume] [--Settings]``, BSMArt 2.0.2's."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Sequence

from bsmart import __version__
from bsmart.errors import BsmartError, RunInterrupted, describe

COMMANDS = ("run", "list", "describe", "predict", "plot")
SHORT_OF_TARGET = 3  # exit status of a run that finished before reaching its Points


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bsmart", description="Machine-learning-assisted scans of BSM parameter spaces "
                                   "(BSMArt-compatible JSON input files).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  bsmart run inputs/random_f2d.json     a toy scan (or: bsmart inputs/random_f2d.json)\n"
               "  bsmart list                           the scans\n"
               "  bsmart describe MLS_RFC               a scan's settings: type, default, meaning\n"
               "  bsmart plot Random_F2d                plots of a finished run\n"
               "\n`bsmart COMMAND --help` for a command's options; documentation in docs/index.md.")
    parser.add_argument("--version", action="version", version=f"bsmart {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run the scan an input file selects",
                         description="Run the scan selected in INPUT.json (\"Scan\" or Setup.Type); the "
                                     "results go to the run folder <RunName>/.",
                         epilog="exit status: 0 finished; 3 finished short of the scan's target (Points), "
                                "stopped by a limit such as Iterations or Max_Evaluations (the warning says which; "
                                "raise it and --resume); 2 a mistake in the input, or every point failed; "
                                "1 a bug in bsmart; 130 interrupted (continue with --resume).")
    run.add_argument("input", metavar="INPUT.json", help="the input file (BSMArt's JSON format; docs/input.md)")
    run.add_argument("--seed", type=int, help="random seed (overrides Setup.Seed)")
    run.add_argument("--debug", action="store_true", help="verbose log, keep the points' working folders")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted run in its run folder (no point is evaluated twice)")
    run.add_argument("--max-evaluations", type=int, metavar="N",
                     help="stop after N evaluated points, any scan (a trial of a big scan; exit status 3; "
                          "--resume with a higher limit, or none, goes on)")
    run.add_argument("--output", metavar="DIR", help="folder in which <RunName>/ is made (default: here)")
    run.add_argument("--quiet", action="store_true", help="only warnings and errors")
    run.add_argument("--short", action="store_true",
                     help="also write the valid points tab-separated to Spectrum_Files/<Output File>.dat "
                          "(Setup.Short; BSMArt's --short)")
    sub.add_parser("list", help="list the available scans")
    describe = sub.add_parser("describe", help="print a scan's settings: type, default, meaning")
    describe.add_argument("scan", metavar="SCAN", help="a scan name from `bsmart list` (MLS_RFC, "
                                                     "MLScanner.MLS_RFC and mls_rfc are the same)")
    plot = sub.add_parser("plot", help="write PNG plots of a run folder to RUN_DIR/Plots/",
                          description="Corner plot of good over all points, efficiency per iteration, NLL "
                                      "histogram, and the input file's Plotting block.")
    plot.add_argument("run_dir", metavar="RUN_DIR")
    plot.add_argument("--variables", nargs="+", metavar="NAME",
                      help="variables or observables for the corner plot (default: the variables)")
    predict = sub.add_parser("predict", help="print a trained MLScanner model's prediction for each point of a CSV",
                             description="Predict the points of POINTS.csv (one column per variable) with the model "
                                         "saved in RUN_DIR/model: a classifier's probability of good, or a "
                                         "regressor's NLL, and whether that makes the point good.")
    predict.add_argument("run_dir", metavar="RUN_DIR")
    predict.add_argument("points", metavar="POINTS.csv")
    return parser


def cmd_list() -> int:
    from bsmart.scans import available_scans, load_scan

    for scan_id in available_scans():
        meta = load_scan(scan_id).__meta__
        print(f"{scan_id:<24} {meta.get('description', '')}")
    return 0


def cmd_describe(name: str) -> int:
    from bsmart.scans import load_scan, resolve_scan_id

    module = load_scan(name)
    meta = module.__meta__
    print(f"{resolve_scan_id(name)}: {meta.get('description', '')}")
    doc = (module.__doc__ or "").strip()
    if doc:
        print("\n" + doc + "\n")
    print("Settings (key: type, default (block of the input file): meaning):")
    for key, setting in meta["settings"].items():
        print(f"  {key}: {setting.describe()}")
    if meta.get("variable settings"):
        print("Per variable (key in Variables.<name>: meaning):")
        for key, meaning in meta["variable settings"].items():
            print(f"  {key}: {meaning}")
    return 0


def cmd_predict(run_dir: str, points: str) -> int:
    from pathlib import Path

    from bsmart.results import read_points_csv
    from bsmart.scans.MLScanner.models import load_model

    model, space, meta = load_model(Path(run_dir) / "model")
    table = read_points_csv(Path(points), space, where="POINTS.csv")
    unit = space.to_unit(table.physical)
    scores = model.score(unit)
    good = model.likely(scores)
    if model.kind == "classifier":
        columns, values = ["probability"], [scores]
    else:  # the NLL the regressor predicts, in the run's units (its score is a standardised transform)
        columns, values = ["NLL"], [model.scaler.inverse(-scores)]
    print(f"bsmart: {points}: {table.report()}; good: {columns[0]} "
          f"{'at least 0.5' if model.kind == 'classifier' else f'below {model.threshold:g}'} (the run's threshold)",
          file=sys.stderr)
    print(",".join([*space.names, *columns, "good"]))
    for row, value, is_good in zip(table.physical, values[0], good):
        print(",".join([*(repr(float(v)) for v in row), repr(float(value)), str(bool(is_good))]))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bsmart.session import configure_console_logging, run_scan

    configure_console_logging(debug=args.debug, quiet=args.quiet)
    if args.max_evaluations is not None and args.max_evaluations < 1:
        raise BsmartError(f"--max-evaluations: must be at least 1, got {args.max_evaluations}")
    # SIGTERM (a batch system ending the job) stops the run as Ctrl-C does
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        summary = run_scan(args.input, seed=args.seed, debug=args.debug or None, overwrite=args.overwrite,
                           output_dir=args.output, resume=args.resume or None, show_progress=not args.quiet,
                           setup={"Short": True} if args.short else None, max_evaluations=args.max_evaluations)
    except RunInterrupted as exc:
        print(f"bsmart: interrupted; every point evaluated so far is saved. Continue with:\n    {exc.resume}",
              file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # before the run folder was set up: nothing to continue
        print("bsmart: interrupted before the run started; nothing was evaluated", file=sys.stderr)
        return 130
    return SHORT_OF_TARGET if summary.get("short_of_target") else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "run")  # BSMArt users type `bsmart input.json`
    parser = _parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "list":
            return cmd_list()
        if args.command == "describe":
            return cmd_describe(args.scan)
        if args.command == "predict":
            return cmd_predict(args.run_dir, args.points)
        if args.command == "plot":
            from bsmart.plots import make_plots

            for path in make_plots(args.run_dir, args.variables):
                print(path)
            return 0
        parser.print_help()
        return 0
    except BsmartError as exc:
        if debug:
            raise
        print(f"bsmart: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: the reader has gone, nothing is wrong with bsmart
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 1
    except Exception as exc:  # a bug in bsmart: one line here, the traceback in the run's log
        if debug:
            raise
        print(f"bsmart: internal error: {describe(exc, 300)} (run again with --debug for the "
              f"traceback; the points evaluated so far are saved)", file=sys.stderr)
        return 1


def bsmart_compat_main(argv: Sequence[str] | None = None) -> int:
    """BSMArt 2.0.2's command line, so that job scripts written for it run unchanged.

    ``BSMArt INPUT.json`` runs the scan; with no file, or a name that is no file, it lists the
    scans or describes the one named (as ``--Settings NAME`` does)."""
    parser = argparse.ArgumentParser(
        prog="BSMArt", description="BSMArt's command line, run by bsmart (`bsmart run --help` for bsmart's own).")
    parser.add_argument("inputfile", metavar="File", nargs="?", help="the input file, or a scan name with --Settings")
    parser.add_argument("--short", action="store_true", help="Setup.Short: also the tab-separated <Output File>.dat")
    parser.add_argument("--csv", action="store_true", help="CSV output (bsmart always writes its CSV files)")
    parser.add_argument("--debug", action="store_true", help="verbose log, keep the points' working folders")
    parser.add_argument("--NoMPI", action="store_true", help="do not check for MPI (bsmart never uses MPI)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in its run folder")
    parser.add_argument("--Settings", action="store_true", help="describe the scan named instead of running")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    name = args.inputfile
    if not name:
        return main(["list"])
    if args.Settings or not os.path.isfile(name):
        return main(["describe", name])
    return main(["run", name, *(["--debug"] if args.debug else []), *(["--resume"] if args.resume else []),
                 *(["--short"] if args.short else [])])


if __name__ == "__main__":
    sys.exit(main())
