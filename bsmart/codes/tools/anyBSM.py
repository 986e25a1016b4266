"""anyBSM, as BSMArt runs it: the trilinear Higgs self-coupling at one loop, from the anyBSM
package (https://anybsm.gitlab.io), once per point in the point's worker. ``model`` names an
anyBSM model, ``settings`` are anyBSM's options (e.g. its renormalisation ``scheme_name``), and
``setparameters`` maps each model parameter to an expression of the point's variables (or names
a parameter card, e.g. the spectrum file, that anyBSM reads). ``Block ANYBSM``: 1 lambda_hhh at
tree level, 2 at one loop, 3 kappa_lambda = the one-loop value / 187.2818 (the SM's).

Needs ``pip install anyBSM`` (which builds pyCollier: a Fortran compiler) and the model's files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.tools._library import LibraryTool
from bsmart.errors import ConfigError, ExpressionError
from bsmart.expr import Expression
from bsmart.settings import parse_bool

KEYS = {"model", "settings", "setparameters"}
NEEDS_COMMAND = False
SM_LAMBDA_HHH = 187.2818  # GeV, BSMArt's one-loop SM value behind kappa_lambda
_MODELS: dict[tuple, Any] = {}  # (model, settings) -> the anyBSM instance, once per process


class anyBSM(LibraryTool):  # noqa: N801 - BSMArt's tool name, shown in messages
    block = "ANYBSM"
    needs_spectrum = False
    package = ("anyBSM", "install it with `pip install anyBSM` (it builds pyCollier: needs gfortran)")

    def __init__(self, name: str, *, model: str, settings: Mapping[str, Any],
                 parameters: Mapping[str, Expression] | str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.model, self.settings, self.parameters = model, dict(settings), parameters

    def _instance(self) -> Any:
        key = (self.model, tuple(sorted(self.settings.items())))
        if key not in _MODELS:
            from anyBSM import anyBSM as model_class

            instance = model_class(self.model, **self.settings)
            instance.warnSSSS = False
            _MODELS[key] = instance
        return _MODELS[key]

    def check(self) -> None:
        super().check()
        try:
            self._instance()  # an unknown model is one line now, not an error on every point
        except Exception as exc:
            raise ConfigError(f"anyBSM cannot load model {self.model!r}: {exc}",
                              where=f"Codes.{self.name}.model") from None

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        instance = self._instance()
        if isinstance(self.parameters, str):
            instance.setparameters(str(workdir / self.parameters))
        else:
            instance.setparameters({name: float(expr.evaluate(env)) for name, expr in self.parameters.items()})
        lambdas = instance.lambdahhh()
        tree, loop = float(lambdas["treelevel"].real), float(lambdas["total"].real)
        return [(1, tree, "lamhhh(0)"), (2, loop, "lamhhh(1)"), (3, loop / SM_LAMBDA_HHH, "kappa_lambda(1)")]


def build(name: str, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> anyBSM:
    file, where = ctx["file"], f"Codes.{name}"
    model = spec.get("model")
    if not isinstance(model, str) or not model:
        raise ConfigError("anyBSM needs the name of its model (e.g. \"THDMII\")", file=file, where=f"{where}.model")
    settings = spec.get("settings") or {}
    if not isinstance(settings, dict):
        raise ConfigError("must be a JSON object of anyBSM's options", file=file, where=f"{where}.settings")
    # BSMArt's files write anyBSM's flags as strings ("quiet": "True"); anyBSM wants booleans
    settings = {k: parse_bool(v, f"{where}.settings.{k}", file) if str(v) in ("True", "False") else v
                for k, v in settings.items()}
    given = spec.get("setparameters") or {}
    if isinstance(given, str):
        parameters: Mapping[str, Expression] | str = Path(given).name
    elif isinstance(given, dict):
        parameters = {}
        for key, text in given.items():
            try:
                parameters[str(key)] = Expression(str(text))
            except ExpressionError as exc:
                raise ConfigError(str(exc), file=file, where=f"{where}.setparameters.{key}") from None
    else:
        raise ConfigError("expected model parameter -> expression, or a parameter card's name", file=file,
                          where=f"{where}.setparameters")
    return anyBSM(name, model=model, settings=settings, parameters=parameters, spectrum_file=ctx["spectrum_file"],
                  **common)
