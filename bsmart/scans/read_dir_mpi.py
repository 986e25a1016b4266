"""read_dir_mpi: BSMArt's MPI version of read_dir. bsmart spreads a batch over the cores (or a
Dask cluster) for every scan, so it is read_dir under the other name."""

from bsmart.scans.read_dir import NewScan, __meta__ as READ_DIR_META

__meta__ = {**READ_DIR_META, "name": "read_dir_mpi",
            "description": "The same as read_dir (BSMArt's MPI version; bsmart parallelises every scan)."}
__all__ = ["NewScan", "__meta__"]
