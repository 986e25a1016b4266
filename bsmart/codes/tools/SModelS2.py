"""SModelS2: BSMArt's tool for SModelS 2 (kept as legacy in BSMArt 2.0.2). It reads SModelS' keys
(``Parameter file``, ``QNUMBERS file``, ``Cache``, ``Path``) and writes the same ``Block SMODELS``,
so bsmart runs it as :mod:`SModelS`, with the installed SModelS (3; the two cannot be installed
side by side): a BSMArt input that names SModelS2 runs unchanged. A database that SModelS 3
cannot load stops the run at the start, in one line naming the parameter file.
"""

from bsmart.codes.tools.SModelS import KEYS, NEEDS_COMMAND, build

__all__ = ["KEYS", "NEEDS_COMMAND", "build"]
