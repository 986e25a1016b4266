"""The pieces under the run: the restricted evaluator, the likelihood formulas, SLHA templates,
grid strings and the toy targets."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from bsmart.codes.toy_targets import toy_values
from bsmart.config import load_config
from bsmart.errors import CodeError, ConfigError, ExpressionError
from bsmart.expr import Expression
from bsmart.likelihood import MAX_LOSS, Observable, failed_nll, loss_from_log_likelihood, losses, total_nll
from bsmart.slha import Template, read_slha
from bsmart.space import parse_grid_values
from conftest import write_json

# -- the restricted evaluator ----------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("m0", 100.0), ("0.25*m12", 100.0), ("VARIABLE[1]+VARIABLE[0]", 500.0), ("math.sqrt(m0)", 10.0),
    ("np.log10(m0)", 2.0), ("sqrt(m0) + abs(-1)", 11.0), ("max(m0, m12) - min(m0, m12)", 300.0),
    ("m0 ** 2 / 1e4", 1.0), ("-m0 % 7", 5.0), ("pi", math.pi), ("math.pi", math.pi),
    ("m0 if m0 > m12 else m12", 400.0), ("m0 < m12 < 500", True), ("m0 > 50 and not m12 < 300", True),
])
def test_expressions_evaluate(source: str, expected: float) -> None:
    assert Expression(source).evaluate({"m0": 100.0, "m12": 400.0, "VARIABLE": [100.0, 400.0]}) == expected


@pytest.mark.parametrize("source, message", [
    ("x.real", "attribute access is not allowed"),
    ("().__class__.__bases__", "attribute access is not allowed"),
    ("__import__('os').system('ls')", "only math functions may be called"),
    ("__import__('os')", "unknown function '__import__'"),
    ("__builtins__", "name '__builtins__' is not allowed"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("math.os", "attribute access is not allowed"),
    ("os.system('ls')", "only math functions may be called"),
    ("(lambda: 1)()", "only math functions may be called"),
    ("[i for i in range(3)]", "'ListComp' is not allowed"),
    ("'a' * 3", "constant 'a' is not a number"),
    ("x[0]", "only VARIABLE[i] may be indexed"),
    ("VARIABLE[x]", "VARIABLE index must be an integer"),
    ("sqrt(x=1)", "keyword arguments are not allowed"),
    ("import os", "cannot parse"),
    ("x = 1", "cannot parse"),
    ("1 +", "cannot parse"),
])
def test_expressions_refused(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        Expression(source)


def test_expression_runtime_errors_are_expression_errors() -> None:
    for source in ("1/x", "log(-x)", "VARIABLE[5]", "y + 1", "(-8)**(1/3)"):
        with pytest.raises(ExpressionError):
            Expression(source).evaluate({"x": 0.0, "VARIABLE": [0.0]})
    start = time.perf_counter()
    with pytest.raises(ExpressionError):  # float powers: fails at once instead of computing a huge integer
        Expression("(10**9999)**9999").evaluate({})
    assert time.perf_counter() - start < 1.0
    assert Expression("a + b").names == {"a", "b"}


# -- likelihoods --------------------------------------------------------------------------------

def _obs(scaling: str, **kw) -> Observable:
    return Observable("o", scaling=scaling, **kw)


def _log_sigmoid(z: float) -> float:
    return -math.log1p(math.exp(-z))


@pytest.mark.parametrize("obs, x, ll", [
    (_obs("GAUSS", mean=125.0, sigma=2.0), 121.0, -2.0),
    (_obs("UPPER", mean=1.0, sigma=0.5), 2.0, _log_sigmoid(-2.0)),
    (_obs("LOWER", mean=1.0, sigma=0.5), 2.0, _log_sigmoid(2.0)),
    (_obs("BIAS", mean=2.0, sigma=3.0), 4.0, 3 * math.log(2.0)),
    (_obs("USER"), 0.25, math.log(0.25)),
    (_obs("SIGUSER"), 1.5, _log_sigmoid(1.5)),
    (_obs("EXPUSER"), -3.5, -3.5),
    (_obs("MINUSEXPUSER"), 3.5, -3.5),
    (_obs("LOGUSER"), 3.5, -3.5),
    (_obs("LOG", mean=1.0, sigma=1.0), 3.0, -math.log(3.0)),
    (_obs("CFUNCTION", lower_bound=1.0, upper_bound=2.0), 1.5, 0.0),
    (_obs("CFUNCTION", lower_bound=1.0, upper_bound=2.0), 11.0, -1.0),
    (_obs("CFUNCTION", lower_bound=1.0, upper_bound=2.0), -8.0, -math.log10(10.0)),
    (_obs("CFUNCTION", mean=10.0, sigma=5.0), 24.0, -1.0),
    (_obs("CFUNCTION", lower_bound=1.0, upper_bound=10.0, log_scaling=True), 10 * math.e ** 2, -math.log10(3.0)),
    (_obs("OFF"), 3.0, 0.0),
])
def test_scaling_formulas(obs: Observable, x: float, ll: float) -> None:
    assert obs.log_likelihood(x) == pytest.approx(ll, rel=1e-12, abs=1e-15)
    assert obs.loss(x) == pytest.approx(-MAX_LOSS * math.expm1(ll / MAX_LOSS), rel=1e-12, abs=1e-15)


def test_loss_cap_and_missing_values() -> None:
    assert MAX_LOSS == pytest.approx(710.7827, abs=1e-4)
    assert loss_from_log_likelihood(-1e-3) == pytest.approx(1e-3, rel=1e-5)  # loss ~ -LL when small
    for ll in (-1e3, -1e6, -1e300):
        assert 0 < loss_from_log_likelihood(ll) <= MAX_LOSS  # smoothly up to the cap, never above
    assert loss_from_log_likelihood(-1e6) == pytest.approx(MAX_LOSS)
    assert loss_from_log_likelihood(-math.inf) == MAX_LOSS and loss_from_log_likelihood(math.nan) == MAX_LOSS
    assert loss_from_log_likelihood(1e9) == pytest.approx(-MAX_LOSS * (math.e - 1))  # finite for huge LL
    gauss = _obs("GAUSS", mean=0.0, sigma=1.0)
    for bad in (math.nan, math.inf, -math.inf, "garbage", None):
        assert gauss.loss(bad) == MAX_LOSS
    assert _obs("USER").loss(-1.0) == MAX_LOSS  # log of a negative likelihood
    assert gauss.loss(1e200) == MAX_LOSS  # (x-m)^2 overflows: cannot be computed


def test_the_array_losses_are_the_losses_of_each_value() -> None:
    values = np.array([-1e200, -50.0, -3.0, -1e-3, 0.0, 0.5, 1.0, 2.5, 40.0, 1e200, math.nan, math.inf, -math.inf])
    for scaling in ("GAUSS", "LOG", "UPPER", "LOWER", "EXPUSER", "MINUSEXPUSER", "LOGUSER", "OFF", "BIAS", "USER",
                    "SIGUSER", "CFUNCTION", "CUT"):
        for mean, sigma in ((1.0, 0.5), (-2.0, 30.0), (0.0, 0.0)):
            obs = _obs(scaling, mean=mean, sigma=sigma, lower_bound=-1.0, upper_bound=2.0)
            expected = [obs.loss(v) for v in values]
            assert obs.losses(values) == pytest.approx(expected, rel=1e-12, abs=1e-12), (scaling, mean, sigma)


def test_a_spread_gives_the_likelihood_expected_over_a_models_gaussian_error() -> None:
    x = np.array([-3.0, 0.0, 1.0, 1.4, 4.0])
    spread = np.array([0.0, 0.2, 1.0, 3.0, 2.0])
    gauss = _obs("GAUSS", mean=1.0, sigma=0.5)
    t = np.linspace(-10.0, 10.0, 40001)  # -log E[L(v)], v ~ N(x, spread²), on a fine grid
    normal = np.exp(-t ** 2 / 2) / np.exp(-t ** 2 / 2).sum()
    expected = [loss_from_log_likelihood(math.log(np.sum(normal * np.exp(-(xi + si * t - 1.0) ** 2 / (2 * 0.25)))))
                for xi, si in zip(x, spread)]
    assert gauss.losses(x, spread) == pytest.approx(expected, rel=1e-6)
    assert gauss.losses(x, np.zeros(len(x))) == pytest.approx(gauss.losses(x), rel=1e-12)
    # far off the window a wide error makes the point likelier; on the window, less likely
    assert gauss.losses([4.0], [2.0])[0] < gauss.losses([4.0])[0] and gauss.losses([1.0], [2.0])[0] > 0
    for scaling in ("LOG", "UPPER", "LOWER"):  # their width is SIGMA widened in quadrature
        widened = _obs(scaling, mean=1.0, sigma=math.hypot(0.5, 2.0)).losses(x)
        assert _obs(scaling, mean=1.0, sigma=0.5).losses(x, np.full(len(x), 2.0)) == pytest.approx(widened)
    for scaling in ("EXPUSER", "CUT", "BIAS"):  # no width to widen
        obs = _obs(scaling, mean=1.0, sigma=0.5, lower_bound=-1.0, upper_bound=2.0)
        assert obs.losses(np.abs(x), np.full(len(x), 2.0)) == pytest.approx(obs.losses(np.abs(x)))


def test_total_nll_sums_used_observables_and_failed_points() -> None:
    observables = {"a": _obs("GAUSS", mean=0.0, sigma=1.0), "b": _obs("EXPUSER"), "off": _obs("OFF")}
    per = losses(observables, {"a": 2.0, "b": -1.0, "off": 99.0})
    assert set(per) == {"a", "b"}
    assert total_nll(per) == pytest.approx(sum(-MAX_LOSS * math.expm1(-v / MAX_LOSS) for v in (2.0, 1.0)))
    failed = losses(observables, None)
    assert failed == {"a": MAX_LOSS, "b": MAX_LOSS} and failed_nll(observables) == 2 * MAX_LOSS == total_nll(failed)
    assert failed_nll({"off": _obs("OFF")}) == MAX_LOSS and total_nll({}) == 0.0  # a failure always weighs
    assert losses(observables, {"b": -1.0})["a"] == MAX_LOSS  # a missing value


# -- SLHA templates and outputs ------------------------------------------------------------------

TEMPLATE = """# a BSMArt-style template
Block MODSEL
    1   1          # fixed
Block MINPAR       # input parameters
    1   m0
    2   0.25*m12   # an expression
    3   1.0E+01
    4   VARIABLE[1]+VARIABLE[0]
Block EXTPAR
   23   math.sqrt(m0) * mu_eff
DECAY 6 1.5
    1.0  2  5  24
"""


def _config(tmp_path: Path, blocks: dict | None = None, template: str = TEMPLATE):
    (tmp_path / "template.in").write_text(template)
    data = {"Setup": {"Type": "Random"}, "Variables": {"m0": {"RANGE": [100, 200]}, "m12": {"RANGE": [100, 900]}},
            "Derived Variables": {"mu_eff": "2*m0 + m12"},
            "Codes": {"prog": {"Command": "true", "InputFile": "template.in", "OutputFile": "out.slha"}}}
    if blocks is not None:
        data["Blocks"] = blocks
    return load_config(write_json(tmp_path / "input.json", data))


def test_template_renders_expressions_variable_index_blocks_and_derived(tmp_path: Path) -> None:
    config = _config(tmp_path, blocks={"MINPAR": {"3": "m0/10", "5": 7}, "HMIX": {"1,2": "mu_eff"}})
    code = config.chain.codes[0]
    text = code.template.render(config.chain.environment({"m0": 100.0, "m12": 400.0}))
    lines = [line.strip() for line in text.splitlines()]
    assert "1    1.00000000E+02" in lines  # m0
    assert "2    1.00000000E+02   # an expression" in lines  # 0.25*m12
    assert "3    1.00000000E+01" in lines  # Blocks override replaces the template's 1.0E+01
    assert "4    5.00000000E+02" in lines  # VARIABLE[1]+VARIABLE[0]
    assert "5   7" in lines  # Blocks adds an entry
    assert "23    6.00000000E+03" in lines  # sqrt(100) * mu_eff, mu_eff = 2*100 + 400
    assert lines[-2:] == ["Block HMIX", "1     2    6.00000000E+02"]  # a new block, two indices
    assert "1.0  2  5  24" in lines and "1   1   # fixed" in lines  # literal values as written


def test_template_entry_failing_at_run_time_is_a_point_error(tmp_path: Path) -> None:
    config = _config(tmp_path, template="Block MINPAR\n    1   math.log(m0 - 150)\n")
    code = config.chain.codes[0]
    with pytest.raises(CodeError, match=r"template entry MINPAR \(1,\).*math domain error"):
        code.template.render(config.chain.environment({"m0": 120.0, "m12": 400.0}))


def test_template_refuses_unknown_names_and_bad_lines() -> None:
    with pytest.raises(ConfigError, match=r"line 2 \(block MINPAR\): 'mzero' uses unknown name"):
        Template("Block MINPAR\n    1   mzero\n", {"m0"})
    with pytest.raises(ConfigError, match="line 2 in block MINPAR is not 'index value'"):
        Template("Block MINPAR\n    1   m0.__class__\n", {"m0"})


def test_read_slha_values(tmp_path: Path) -> None:
    out = tmp_path / "out.slha"
    # SPheno's one-loop decays after the tree-level ones (pyslha alone added them to DECAY 25)
    out.write_text("Block MASS\n   25   1.25E+02\nBlock NMIX\n  1  1  0.9\n"
                   "DECAY 25 4.1E-03\n   0.6  2  5  -5\n   0.4  2  24  -24\n"
                   "DECAY1L 25 4.5E-03\n   0.7  2  5  -5\n   0.3  2  24  -24\nBlock HMIX\n  1  500.0\n")
    doc = read_slha(out)
    from bsmart.slha import slha_value
    assert slha_value(doc, "MASS", (25,)) == 125.0
    assert slha_value(doc, "nmix", (1, 1)) == 0.9
    assert slha_value(doc, "WIDTH", (25,)) == pytest.approx(4.1e-3)
    assert slha_value(doc, "BR", (25, (-5, 5))) == 0.6
    assert sum(d.br for d in doc.decays[25].decays) == pytest.approx(1.0)
    assert slha_value(doc, "HMIX", (1,)) == 500.0
    assert slha_value(doc, "BR", (25, (22, 22))) == 0.0  # an absent channel
    with pytest.raises(CodeError, match=r"entry MASS \[1000022\] is missing"):
        slha_value(doc, "MASS", (1000022,))


def test_hackanalysis_blocks_are_read_per_analysis_and_written_back(tmp_path: Path) -> None:
    """HackAnalysis' efficiency file names each analysis in the block header and keys its entries
    by name (pyslha dropped them all): read as BSMArt's zslha reads them, kept when the spectrum
    is written again (StoreAllPoints), and joined with a later code's blocks."""
    from bsmart.slha import join_spectrum, parse_slha, slha_text, slha_value

    out = tmp_path / "spectrum.slha"
    out.write_text("Block MASS\n  1000021  1500.\nBLOCK PROCESS ATLAS_SUSY_2018_04\nXS   1.5e+01   # (fb) \n"
                   "Events  10000\nBLOCK EFFICIENCIES ATLAS_SUSY_2018_04 # name, eff, rel. uncert.\n"
                   "SR-high   2.500000e-01   4.000000e-02\nSR-low   1.0e-01   2.0e-02\n"
                   "BLOCK PROCESS cms_sus_16_039\nXS   3.0e+00   # (fb) \nEvents  5000\nBlock HMIX\n  1  500.0\n")
    doc = read_slha(out)
    assert slha_value(doc, "PROCESS", ("atlas_susy_2018_04", "XS")) == 15.0
    assert slha_value(doc, "PROCESS", ("CMS_SUS_16_039", "Events")) == 5000
    assert slha_value(doc, "EFFICIENCIES", ("ATLAS_SUSY_2018_04", "SR-high", 1)) == 0.04
    assert slha_value(doc, "HMIX", (1,)) == 500.0 and slha_value(doc, "MASS", (1000021,)) == 1500.0
    with pytest.raises(CodeError, match=r"entry EFFICIENCIES \['ATLAS_SUSY_2018_04', 'SR-mid', 0\] is missing"):
        slha_value(doc, "EFFICIENCIES", ("ATLAS_SUSY_2018_04", "SR-mid", 0))
    again = parse_slha(slha_text(doc))
    assert again.analyses == doc.analyses and again.blocks["HMIX"][1] == 500.0
    later = parse_slha("Block MADGRAPH\n  1  0.003\n")
    join_spectrum(later, doc)
    assert slha_value(later, "PROCESS", ("ATLAS_SUSY_2018_04", "XS")) == 15.0


def test_a_repeated_block_adds_its_entries(tmp_path: Path) -> None:
    """BSMArt's MicrOmegas cross-section driver writes BLOCK ZPEEDIN once per Z' (entries 1-9,
    then 11-19): both Z' must reach ZPEED (pyslha alone kept only the last block's entries)."""
    out = tmp_path / "omg.slha"
    out.write_text("BLOCK ZPEEDIN # Z' 1\n  1  31\n  2  0.1\nBLOCK MASS\n  31  3000.\n"
                   "Block ZPEEDIN # Z' 2\n  11  32\n  12  0.2\n  2  0.15\n")
    doc = read_slha(out)
    assert dict(doc.blocks["ZPEEDIN"].items()) == {1: 31, 2: 0.15, 11: 32, 12: 0.2}  # a repeated entry: the last
    assert sorted(doc.blocks) == ["MASS", "ZPEEDIN"]


# -- grids -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, values", [
    ("np.linspace(0, 1, num=5)", np.linspace(0, 1, 5)),
    ("np.linspace(2.8, 3.2, 3)", np.linspace(2.8, 3.2, 3)),
    ("numpy.geomspace(1.0e2, 1.0e14, num=13)", np.geomspace(1e2, 1e14, 13)),
    ("np.logspace(0, 2, 3)", [1.0, 10.0, 100.0]),
    ("np.arange(0, 1, 0.25)", [0.0, 0.25, 0.5, 0.75]),
    ("linspace(0, 1, 2)", [0.0, 1.0]),
    ("[1, 2.5, 4]", [1.0, 2.5, 4.0]),
])
def test_grid_strings_are_parsed_not_evaluated(text: str, values) -> None:
    assert parse_grid_values(text, "Variables.x") == pytest.approx(tuple(values))


@pytest.mark.parametrize("text", ["np.linspace(0, 1, num=0)", "np.linspace(0, x, 3)", "np.ones(3)",
                                  "__import__('os').getcwd()", "np.arange(0, 1e12, 1)", "np.linspace(0, 1, foo=3)"])
def test_bad_grid_strings(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_grid_values(text, "Variables.x")


# -- toy targets -------------------------------------------------------------------------------

def test_toy_target_minima() -> None:
    assert toy_values([1.0, 1.0, 1.0], {})["Rosenbrock"] == 0.0
    assert toy_values([0.0, 0.0], {})["Rastrigin"] == 0.0
    assert toy_values([0.0, 0.0], {})["Ackley"] == pytest.approx(0.0, abs=1e-12)
    for minimum in ([3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]):
        assert toy_values(minimum, {})["Himmelblau"] == pytest.approx(0.0, abs=1e-9)
    assert toy_values([math.pi, math.pi], {})["Easom"] == pytest.approx(-1.0)
    assert toy_values([0.0, 0.0], {})["F2d"] == 3.0 ** 5
    assert toy_values([0.0, 0.0, 0.0], {})["F3d"] == 3.0 ** 5
    assert "Himmelblau" not in toy_values([1.0], {})  # needs two variables: its observable is missing
    assert toy_values([2.0], {"Rosenbrock a": 2.0})["Rosenbrock"] == 0.0


def test_toy_band_is_the_benchmarks_band(monkeypatch: pytest.MonkeyPatch) -> None:
    """benchmarks/problems.py's 30-d band (its vectorised offset and its sampler of good points)
    is the toy code's Band, which a scan's input file computes."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "benchmarks"))
    from problems import band_offset, problems

    band = problems()["band30d"]
    on_band = band.reference(np.random.default_rng(1), 50)
    anywhere = band.uniform(np.random.default_rng(2), 50)
    for x in on_band, anywhere:
        assert np.allclose([toy_values(list(p), {})["Band"] for p in x], band_offset(x), rtol=0, atol=1e-12)
    assert np.abs(band_offset(on_band)).max() <= 0.003 and np.ptp(on_band[:, 0]) > 0.5  # thin, curving across
    assert (band.true_nll(on_band) < band.threshold).all() and (band.true_nll(anywhere) > band.threshold).mean() > 0.9
    assert "Band" not in toy_values([0.5], {})  # needs two variables


def test_direct_detection_exclusion_as_bsmart() -> None:
    """MicrOmegas' DD_Limits (DARKMATTER 501): 1 allowed, 0 excluded; cross sections in pb."""
    from bsmart.codes.tools._dd_limits import allowed, limit

    # the SI curve at 100 GeV is 8.637e-47 cm^2 by BSMArt's spline (scipy UnivariateSpline, k=3, s=0)
    assert limit("SI", 100) == pytest.approx(8.637e-47, rel=1e-3)
    share = 0.1 / 0.11933  # the candidate's share of the dark matter scales every rate
    assert allowed(100, 0.1, 1e-10, 1e-10, 0, 0) == 1  # 0.84e-46 cm^2, just under the limit
    assert allowed(100, 0.1, 1.1e-10, 1.1e-10, 0, 0) == 0
    assert allowed(100, 0.1, 0, 1.1e-10 * 131 / 77, 0, 0) == 0  # xenon: 77 of its 131 nucleons are neutrons
    assert share * 1e-40 > limit("SD_P", 50) and allowed(50, 0.1, 0, 0, 1e-4, 0) == 0
    assert allowed(1500, 0.1, 0, 0, 1e-4, 1e-4) == 1  # no spin-dependent limit above 1001 GeV
    assert allowed(100, 0.13, 0, 0, 0, 0) == 0  # overabundant
    assert allowed(1.5, 0.1, 1, 1, 1, 1) == 1 and allowed(20_000, 0.1, 1, 1, 1, 1) == 1  # outside the curves


def test_an_observable_declared_again_takes_the_last_declaration_as_bsmart(tmp_path: Path) -> None:
    """BSMArt merges each code's observables into the global ones, so a name declared in both
    (anyBSM/random.json's MW) or in two codes keeps its last declaration: here the second code's
    VALID, not the global FUNCTION's nor the first code's; each repeat is a warning."""
    data = {"Setup": {"Type": "Random", "Points": 1}, "Variables": {"x": {"RANGE": [0, 1]}},
            "Observables": {"y": {"FUNCTION": "2 * x"}},
            "Codes": {"first": {"Function": "math:sqrt", "Observables": {"y": {"FUNCTION": "3 * x"}}},
                      "second": {"Function": "math:sqrt", "Observables": {"y": {"FUNCTION": "x", "VALID": [0, 0.5]}}}}}
    config = load_config(write_json(tmp_path / "in.json", data))
    chain = config.chain
    assert [list(c.observables) for c in chain.codes] == [[], ["y"]] and chain.global_observables == {}
    assert chain.codes[1].observables["y"].valid == (0, 0.5)
    assert [w.split(": ", 1)[1] for w in config.warnings] == [
        "Codes.first.Observables.y: also declared in Observables; this declaration is used, as in BSMArt",
        "Codes.second.Observables.y: also declared in Codes.first.Observables; this declaration is used, as in BSMArt"]
