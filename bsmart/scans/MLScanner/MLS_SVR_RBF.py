"""MLS_SVR_RBF: a support-vector regressor (RBF kernel) of log(1+NLL); candidates scored by
predicted NLL. Smooth fits from few points; the fit costs O(n^2) to O(n^3), so it suits runs
of a few thousand points."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, method_meta, svr_settings

__meta__ = method_meta("MLS_SVR_RBF", "MLscanner: support-vector regressor (RBF kernel) of log(1+NLL)",
                       svr_settings(100.0))


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.svr_rbf)
