"""How long one DNN fit takes on 1 and 2 torch threads, on an idle machine and with one other
process keeping a core busy (as a code, a second run or a training elsewhere does).

    python benchmarks/torch_threads.py [--points 20000] [--dim 10] [--epochs 40] [--repeats 3]

Prints a markdown table of median seconds. bsmart trains on one thread (TorchMLP): this table
is why.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import numpy as np

from tables import command, when_where


def _spin(stop: "multiprocessing.synchronize.Event") -> None:
    while not stop.is_set():
        pass


def fit_seconds(threads: int, X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    import torch

    from bsmart.scans.MLScanner.models import build_mlp, torchfit

    torch.set_num_threads(threads)
    net = build_mlp(X.shape[1], 100)
    start = time.perf_counter()
    torchfit(net, X, y, torch.nn.BCEWithLogitsLoss(), epochs=epochs, batch_size=500, lr=1e-2, seed=1,
             patience=10 ** 6)  # no early stop: every run does the same work
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.random((args.points, args.dim))
    y = (np.linalg.norm(X - 0.5, axis=1) < 0.3 * np.sqrt(args.dim / 3)).astype(float)
    fit_seconds(1, X[:500], y[:500], 2)  # torch's first call pays its start-up
    rows = []
    for busy in (False, True):
        stop = multiprocessing.Event()
        spinner = multiprocessing.Process(target=_spin, args=(stop,)) if busy else None
        if spinner:
            spinner.start()
        try:
            times = {t: [] for t in (1, 2)}
            for _ in range(args.repeats):
                for threads in (1, 2):  # alternating, so drifts of the machine hit both alike
                    times[threads].append(fit_seconds(threads, X, y, args.epochs))
        finally:
            stop.set()
            if spinner:
                spinner.join()
        rows.append((busy, statistics.median(times[1]), statistics.median(times[2])))
    print(f"{command()}; {when_where()}; {args.points} points, {args.dim}-d, {args.epochs} epochs, "
          f"median of {args.repeats}\n")
    print("| other core | 1 thread s | 2 threads s |\n|---|---|---|")
    for busy, one, two in rows:
        print(f"| {'busy' if busy else 'idle'} | {one:.2f} | {two:.2f} |")


if __name__ == "__main__":
    main()
