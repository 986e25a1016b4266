"""Where points are evaluated: the executor behind the run manager, chosen in ``Setup``.

``"Backend": "local"`` (default): local worker processes (:mod:`bsmart.pool`); bsmart's own
toy targets on one core run in this process.
``"Backend": "dask"``: Dask futures, either on a running scheduler (``"Scheduler":
"tcp://host:port"``), on a SLURM/PBS/... cluster started through dask-jobqueue (``"Cluster":
{"Type": "SLURM", "queue": ..., "cores": ..., "memory": ..., "walltime": ..., "jobs": N}``),
or on a ``LocalCluster`` of ``Cores`` workers. Dask is an optional extra
(``pip install .[dask]``), imported only when asked for. See docs/cluster.md.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
import uuid
from typing import Any, Callable, Mapping, Sequence

from bsmart.errors import ConfigError
from bsmart.points import EvaluatedPoint
from bsmart.pool import WorkerPool
from bsmart.runfolder import Journal
from bsmart.runner import Executor, PointEvaluator, SerialExecutor, Task
from bsmart.settings import parse_float, parse_int

log = logging.getLogger("bsmart")

BACKEND_KEYS = {"Backend", "Scheduler", "Cluster", "Batch Timeout"}
# dask-jobqueue cluster classes by the name users write in "Cluster.Type"
JOBQUEUE_CLUSTERS = {"SLURM": "SLURMCluster", "PBS": "PBSCluster", "SGE": "SGECluster", "LSF": "LSFCluster",
                     "HTCONDOR": "HTCondorCluster", "OAR": "OARCluster", "MOAB": "MoabCluster"}


def make_executor(raw: Mapping[str, Any], evaluator: PointEvaluator, cores: int, file: str,
                  journal: Journal | None = None) -> Executor:
    """``journal``: where local workers note the points in flight (see :mod:`bsmart.runfolder`)."""
    setup = raw.get("Setup") if isinstance(raw.get("Setup"), dict) else {}
    backend = str(setup.get("Backend", "local")).strip().lower()
    if backend == "local":
        if cores == 1 and not evaluator.chain.isolated:
            return SerialExecutor(evaluator)
        return WorkerPool(evaluator, cores, journal)
    if backend != "dask":
        raise ConfigError(f"'{setup.get('Backend')}' is not a backend (local, dask)", file=file,
                          where="Setup.Backend")
    batch_timeout = None
    if setup.get("Batch Timeout") is not None:
        batch_timeout = parse_float(setup["Batch Timeout"], "Setup.Batch Timeout", file)
    return DaskExecutor.from_setup(setup, evaluator, cores, file, batch_timeout)


_REMOTE_EVALUATORS: dict[str, PointEvaluator] = {}


def _evaluate_remote(key: str, payload: bytes, task: Task) -> EvaluatedPoint:
    # The evaluator travels with every task (a few kB) and is unpickled once per worker: a
    # scattered copy would be lost with the worker holding it.
    evaluator = _REMOTE_EVALUATORS.get(key)
    if evaluator is None:
        evaluator = _REMOTE_EVALUATORS[key] = pickle.loads(payload)
    return evaluator(task)


class DaskExecutor:
    """Submits one future per point and gathers them as they complete.

    A worker lost while running a point makes Dask reschedule it; the scheduler we start
    allows one such retry (``allowed-failures: 1``). Dask counts a death against every point
    the worker held, so a point that still ends in KilledWorker is tried once more alone (then
    only a point that kills its worker by itself dies) before it is marked invalid.
    A batch never waits longer than its deadline: points still running then are cancelled and
    marked invalid, so one stuck job cannot stall the scan.
    """

    def __init__(self, evaluator: PointEvaluator, client: Any, cluster: Any = None,
                 batch_timeout: float | None = None):
        self.evaluator = evaluator
        self.client = client
        self.cluster = cluster
        self._payload = pickle.dumps(evaluator)
        self._key = uuid.uuid4().hex
        # the slowest a point can legitimately be: every external code at its timeout
        code_timeouts = [getattr(c, "timeout", 0.0) for c in evaluator.chain.codes]
        self.point_timeout = sum(code_timeouts) + 60.0
        self.batch_timeout = batch_timeout
        self.on_points: Callable[[list[EvaluatedPoint]], None] | None = None

    @classmethod
    def from_setup(cls, setup: Mapping[str, Any], evaluator: PointEvaluator, cores: int, file: str,
                   batch_timeout: float | None) -> "DaskExecutor":
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("the dask backend needs Dask: pip install 'bsmart[dask]'", file=file,
                              where="Setup.Backend") from None
        dask.config.set({"distributed.scheduler.allowed-failures": 1})
        cluster = None
        if setup.get("Scheduler"):
            address = str(setup["Scheduler"])
            try:
                client = Client(address, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"cannot reach Dask scheduler {address}: {exc}", file=file,
                                  where="Setup.Scheduler") from None
        elif setup.get("Cluster") is not None:
            cluster = start_jobqueue_cluster(setup["Cluster"], file)
            client = Client(cluster)
        else:
            cluster = LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        log.info("dask backend: %s", client.dashboard_link if cluster is None else cluster)
        return cls(evaluator, client, cluster, batch_timeout)

    def _submit(self, task: Task) -> Any:
        return self.client.submit(_evaluate_remote, self._key, self._payload, task, pure=False,
                                  key=f"bsmart-point-{task[0]}-{time.time_ns()}")

    def _alone(self, task: Task) -> EvaluatedPoint:
        """A point evaluated with nothing else on the cluster: a worker death is its own."""
        future = self._submit(task)
        try:
            return future.result(timeout=self.point_timeout * 2)
        except Exception as exc:
            self.client.cancel([future])
            return self.evaluator.make_point(task[0], task[1], task[2], None,
                                             f"lost on the cluster, also when evaluated alone: {type(exc).__name__}")

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]:
        from distributed import KilledWorker, as_completed

        futures = {self._submit(task): task for task in tasks}
        results: dict[int, EvaluatedPoint] = {}
        suspects: list[Task] = []
        deadline = self.batch_timeout if self.batch_timeout is not None else \
            self.point_timeout * max(1, math.ceil(len(tasks) / max(1, self._n_workers())))
        iterator = as_completed(futures, with_results=False, timeout=deadline)
        try:
            for future in iterator:
                task = futures[future]
                try:
                    results[task[0]] = future.result()
                    if self.on_points is not None:
                        self.on_points([results[task[0]]])
                except KilledWorker:  # perhaps only beside the point that killed the workers
                    suspects.append(task)
                except Exception as exc:  # a lost future
                    results[task[0]] = self.evaluator.make_point(task[0], task[1], task[2], None,
                                                                 f"lost on the cluster: {type(exc).__name__}")
        except TimeoutError:
            pass  # the rest is marked below
        except BaseException:
            self.client.cancel(list(futures))
            raise
        unfinished = [f for f, t in futures.items() if t[0] not in results and t not in suspects]
        if unfinished:
            self.client.cancel(unfinished)
            log.warning("%d point(s) did not finish within %.0f s on the cluster; marked invalid",
                        len(unfinished), deadline)
        for future in unfinished:
            task = futures[future]
            results[task[0]] = self.evaluator.make_point(task[0], task[1], task[2], None,
                                                         f"did not finish within the batch deadline ({deadline:.0f} s)")
        for task in suspects:
            results[task[0]] = self._alone(task)
        return [results[t[0]] for t in tasks]

    def _n_workers(self) -> int:
        try:
            return len(self.client.scheduler_info(n_workers=-1)["workers"])
        except Exception:  # scheduler_info's signature differs between versions
            return len(self.client.scheduler_info().get("workers", {}))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def start_jobqueue_cluster(spec: Any, file: str) -> Any:
    """Start a dask-jobqueue cluster from the ``Setup.Cluster`` block and ask for its jobs."""
    where = "Setup.Cluster"
    if not isinstance(spec, dict):
        raise ConfigError("must be a JSON object", file=file, where=where)
    options = dict(spec)
    kind = str(options.pop("Type", "SLURM")).upper()
    if kind not in JOBQUEUE_CLUSTERS:
        raise ConfigError(f"Type '{kind}' is not one of {sorted(JOBQUEUE_CLUSTERS)}", file=file, where=where)
    jobs = parse_int(options.pop("jobs", 1), f"{where}.jobs", file)
    try:
        import dask_jobqueue
    except ImportError:
        raise ConfigError("a Cluster needs dask-jobqueue: pip install 'bsmart[dask]'", file=file,
                          where=where) from None
    options.setdefault("cores", 1)
    options.setdefault("memory", "2GB")
    options.setdefault("processes", options["cores"])
    cluster_class = getattr(dask_jobqueue, JOBQUEUE_CLUSTERS[kind])
    try:
        cluster = cluster_class(**options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad {kind} cluster option: {exc}", file=file, where=where) from None
    cluster.scale(jobs=jobs)
    return cluster
