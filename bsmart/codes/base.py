"""The code interface and the per-point chain of codes."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from bsmart.errors import CodeError, ExpressionError, UnknownNameError
from bsmart.expr import Expression
from bsmart.fitting import Fitting
from bsmart.likelihood import Observable, as_float
from bsmart.slha import join_spectrum, slha_value


GIVEN_INPUT = "__given_input__"  # env key: a file the first template's code takes as is (read_dir)


@dataclass
class CodeOutput:
    """What one code returns for one point: named numbers and/or a parsed SLHA document."""

    values: dict[str, float] = field(default_factory=dict)
    slha: Any = None


class Code:
    """Base of every code. ``run`` gets the expression environment and the point's folder.

    ``timeout`` (seconds) bounds one run: past it the run kills the worker process evaluating the
    point, a few seconds later for a ``self_timed`` code (one that ends its own runs on time and
    says so more precisely, as a program does).
    ``isolated`` codes (user functions, programs) always run in a worker process."""

    kind = "code"
    needs_workdir = False
    isolated = True
    self_timed = False

    def __init__(self, name: str, observables: Mapping[str, Observable] | None = None,
                 conditions: Sequence[Expression] = (), timeout: float = 600.0):
        self.name = name
        self.observables = dict(observables or {})
        self.conditions = tuple(conditions)
        self.timeout = timeout

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        raise NotImplementedError

    @property
    def writes_slha(self) -> bool:
        """Whether its results come as an SLHA document (its observables may read SLHA entries)."""
        return False

    def check(self) -> None:
        """Fail early (in the main process, before any point) if the code cannot run."""

    def write_input(self, env: Mapping[str, Any], workdir: Path) -> None:
        """Write the point's input file: the template filled in, or the file the point was given
        (read_dir: ``env[GIVEN_INPUT]``), as it is. Codes without a template write nothing."""
        template = getattr(self, "template", None)
        if env.get(GIVEN_INPUT) is not None:
            shutil.copyfile(env[GIVEN_INPUT], workdir / self.input_file)
        elif template is not None:
            (workdir / self.input_file).write_text(template.render(env))


def _finite(code: str | None, name: str, value: float) -> float:
    """An observable that is NaN or infinite has no likelihood: the point is invalid, with the reason."""
    if not math.isfinite(value):
        raise CodeError(f"{code + ': ' if code else ''}observable {name} is {value} (not a finite number)")
    return value


class Chain:
    """The ordered codes plus the observables and derived variables of a run."""

    def __init__(self, codes: Sequence[Code], observables: Mapping[str, Observable],
                 variable_names: Sequence[str], derived: Mapping[str, Expression] | None = None,
                 spectrum_code: str | None = None, fitting: Fitting | None = None):
        self.codes = tuple(codes)
        self.observables = dict(observables)
        self.variable_names = tuple(variable_names)
        self.derived = dict(derived or {})
        self.spectrum_code = spectrum_code
        self.fitting = fitting  # nuisance variables solved for at each point (BSMArt's Fitting block)
        self.global_observables = {n: o for n, o in self.observables.items() if o.code is None}

    @property
    def needs_workdir(self) -> bool:
        return any(code.needs_workdir for code in self.codes)

    @property
    def template_code(self) -> Code | None:
        """The first code that fills a template: it writes the point's input file."""
        return next((c for c in self.codes if getattr(c, "template", None) is not None), None)

    @property
    def input_file(self) -> str | None:
        """The file the first code that fills a template writes for a point (BSMArt's StoreInputs keeps it)."""
        code = self.template_code
        return code.input_file if code is not None else None

    @property
    def isolated(self) -> bool:
        return any(code.isolated for code in self.codes)

    def environment(self, variables: Mapping[str, float]) -> dict[str, Any]:
        env: dict[str, Any] = dict(variables)
        env["VARIABLE"] = [variables[n] for n in self.variable_names]
        for name, expr in self.derived.items():
            try:
                env[name] = float(expr.evaluate(env))
            except (ExpressionError, TypeError, ValueError) as exc:
                raise CodeError(f"derived variable {name}: {exc}") from None
        return env

    def evaluate(self, variables: Mapping[str, float], workdir: Path | None = None,
                 on_code: Callable[[int], None] | None = None, given_input: str | None = None,
                 undeclared: set[tuple[str, str]] | None = None) -> tuple[dict[str, float], Any]:
        """Observables of one point and its spectrum (the parsed SLHA document every code's
        blocks joined, or None); raises CodeError when the point is invalid (a code failed, or
        an observable is NaN or infinite). ``on_code(i)`` is called as the i-th code starts.
        ``given_input``: a file the first template's code takes instead of filling its template.
        ``undeclared`` collects (code, name) of the values a Python code returned that no observable
        declares (they reach later codes and expressions, but no CSV file).

        The CodeError carries the observables computed before the failure in ``partial``, so
        that an invalid point still shows e.g. the mass that failed its VALID bounds."""
        values: dict[str, float] = {}
        try:
            if self.fitting is not None:
                variables = {**variables, **self._fit(variables, workdir, on_code, given_input)}
            spectrum = self._evaluate(variables, workdir, values, on_code, given_input=given_input,
                                      undeclared=undeclared)
        except CodeError as exc:
            exc.partial = dict(values)
            raise
        return values, spectrum

    def _fit(self, variables: Mapping[str, float], workdir: Path | None,
             on_code: Callable[[int], None] | None, given_input: str | None) -> dict[str, float]:
        """The Fitting variables of this point: each trial runs the codes until the fitted
        observables are known (the codes after them are not needed to fit)."""
        wanted = self.fitting.observables

        def trial(nuisance: dict[str, float]) -> list[float]:
            values: dict[str, float] = {}
            self._evaluate({**variables, **nuisance}, workdir, values, on_code, wanted, given_input)
            return [values[name] for name, _, _ in self.fitting.targets]

        return self.fitting.solve(trial)

    def _evaluate(self, variables: Mapping[str, float], workdir: Path | None, values: dict[str, float],
                  on_code: Callable[[int], None] | None, wanted: set[str] | None = None,
                  given_input: str | None = None, undeclared: set[tuple[str, str]] | None = None) -> Any:
        env = self.environment(variables)
        protected = set(env)
        spectrum = None
        given_to = self.template_code if given_input is not None else None
        for index, code in enumerate(self.codes):
            if on_code is not None:
                on_code(index)
            out = code.run({**env, GIVEN_INPUT: given_input} if code is given_to else env, workdir)
            for key, value in out.values.items():
                if key not in protected:
                    env[key] = as_float(value)
            if undeclared is not None and code.kind == "python":  # a user's function: its extra values are its own
                undeclared.update((code.name, k) for k in out.values
                                  if k not in self.observables and k not in protected)
            if out.slha is not None and (spectrum is None or code.name == self.spectrum_code):
                spectrum = out.slha
            elif out.slha is not None:  # as BSMArt: a later code's blocks join (and replace) the spectrum's
                join_spectrum(spectrum, out.slha)
            # as BSMArt: a code's SLHA observables read the joined spectrum (its blocks and the earlier codes')
            doc = spectrum if out.slha is not None else None
            for name, obs in code.observables.items():
                try:
                    value = self._value(obs, out.values, doc, env)
                except CodeError as exc:
                    raise CodeError(f"{code.name}: {exc}") from None
                values[name] = env[name] = _finite(code.name, name, value)
                if obs.valid is not None and not (obs.valid[0] <= value <= obs.valid[1]):
                    raise CodeError(f"{code.name}: {name} = {value:g} outside VALID "
                                    f"[{obs.valid[0]:g}, {obs.valid[1]:g}]")
            for condition in code.conditions:
                try:
                    ok = condition.evaluate(env)
                except ExpressionError as exc:
                    raise CodeError(f"{code.name}: condition '{condition.source}': {exc}") from None
                if not ok:
                    raise CodeError(f"{code.name}: condition '{condition.source}' is false")
            if wanted is not None and wanted <= values.keys():
                return spectrum
        for name, obs in self.global_observables.items():
            values[name] = env[name] = _finite(None, name, self._value(obs, env, spectrum, env))
        return spectrum

    @staticmethod
    def _value(obs: Observable, raw: Mapping[str, Any], doc: Any, env: Mapping[str, Any]) -> float:
        if obs.function is not None:
            try:
                return as_float(obs.function.evaluate(env))
            except UnknownNameError as exc:
                # a name that no code produced is a broken chain, not a bad value
                raise CodeError(f"observable {obs.name}: FUNCTION {exc}") from None
            except ExpressionError:
                return math.nan  # e.g. log of a negative number: the value cannot be computed
        if obs.slha is not None:
            if doc is None:
                raise CodeError(f"observable {obs.name}: no SLHA output to read it from")
            try:
                return slha_value(doc, *obs.slha)
            except CodeError as exc:
                raise CodeError(f"observable {obs.name}: {exc}") from None
        return as_float(raw.get(obs.name, math.nan))
