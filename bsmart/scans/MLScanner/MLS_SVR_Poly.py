"""MLS_SVR_Poly: a support-vector regressor (polynomial kernel, coef0 = 1) of log(1+NLL);
candidates scored by predicted NLL. Only for good regions a low-degree polynomial describes."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, method_meta, svr_settings
from bsmart.settings import Setting

__meta__ = method_meta("MLS_SVR_Poly", "MLscanner: support-vector regressor (polynomial kernel) of log(1+NLL)", {
    **svr_settings(1.0),
    "Degree": Setting(3, int, "polynomial degree", block="Networks", minimum=1),
}, regressor=True)


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.svr_poly)
