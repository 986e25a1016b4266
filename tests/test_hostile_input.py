"""Property-based tests: malformed and adversarial input files and CSVs end in a one-line
BsmartError or a valid configuration, never another exception or a hang."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bsmart.config import build_config, load_config
from bsmart.errors import BsmartError
from bsmart.results import read_points_csv
from bsmart.space import Space, Variable

VALID = {
    "Scan": "Random",
    "Setup": {"RunName": "fuzz", "Cores": 1, "Points": 10, "Seed": 1},
    "Variables": {"x": {"RANGE": [0, 1]}, "y": {"RANGE": [1, 10], "PRIOR": "LOG"}},
    "Derived Variables": {"z": "x + y"},
    "Codes": {"toy_targets": {"Run": "True", "Observables": {
        "F2d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20},
        "G": {"FUNCTION": "F2d * 2 + z", "SCALING": "OFF"}}}},
}

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
# strings a hostile user might try where expressions are read
hostile_strings = st.sampled_from([
    "__import__('os').system('touch /tmp/pwned')", "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()", "x.__class__", "lambda: 1", "[i for i in range(10**9)]", "10**10**10",
    "math.__dict__", "exec('1')", "globals()", "x if y else z", "VARIABLE[99]", "np.linspace(0, 1, num=-5)",
    "../../etc/passwd", "/etc/passwd", "a\nb", "", "nan", "inf", "1e400", "-0", "0,0",
])

PATHS = [("Setup", "Cores"), ("Setup", "Seed"), ("Setup", "RunName"), ("Setup", "Output File"), ("Scan",),
         ("Variables", "x"), ("Variables", "x", "RANGE"), ("Variables", "y", "PRIOR"), ("Derived Variables", "z"),
         ("Codes", "toy_targets", "Run"), ("Codes", "toy_targets", "Observables", "F2d", "MEAN"),
         ("Codes", "toy_targets", "Observables", "F2d", "VARIANCE"),
         ("Codes", "toy_targets", "Observables", "F2d", "SCALING"),
         ("Codes", "toy_targets", "Observables", "G", "FUNCTION"), ("Codes", "toy_targets", "Observables"),
         ("Codes",), ("Variables",), ("Setup",), ("Blocks",), ("Observables",), ("Codes", "toy_targets", "Conditions"),
         ("Codes", "evil"), ("Codes", "evil", "Command"), ("Variables", "w")]


def mutate(spec: dict, path: tuple[str, ...], value) -> dict:
    spec = copy.deepcopy(spec)
    node = spec
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return spec


def accepted_or_one_line_error(raw, tmp_path: Path) -> None:
    try:
        build_config(raw, tmp_path / "input.json")
    except BsmartError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(json_values, hostile_strings)),
                          min_size=1, max_size=3))
def test_mutated_configs_load_or_fail_in_one_line(tmp_path, mutations):
    raw = VALID
    for path, value in mutations:
        raw = mutate(raw, path, value)
    accepted_or_one_line_error(raw, tmp_path)
    assert not Path("/tmp/pwned").exists()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                      json_values.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_files_as_input(tmp_path, data):
    path = tmp_path / "input.json"
    path.write_bytes(data)
    try:
        load_config(path)
    except BsmartError as exc:
        assert "\n" not in str(exc)


SPACE = Space([Variable("x", 0.0, 1.0), Variable("y", 1.0, 10.0, "LOG")])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.one_of(st.floats(-1, 11), st.sampled_from(["nan", "abc", "", "1e999", "0.5"])),
                              min_size=0, max_size=4), max_size=20),
       header=st.sampled_from(["x,y,NLL", "y,x", "x,NLL", "ID,x,y,NLL,extra", "", "x;y;NLL", "x,y,NLL,NLL"]))
def test_arbitrary_csvs_as_init_csv(tmp_path, rows, header):
    path = tmp_path / "points.csv"
    path.write_text(header + "\n" + "\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    try:
        table = read_points_csv(path, SPACE)
    except BsmartError as exc:
        assert "\n" not in str(exc)
        return
    assert table.physical.shape[1] == 2
    assert np.all(SPACE.contains(table.physical))  # only rows inside the declared ranges
    assert len(np.unique(table.physical, axis=0)) == len(table.physical)  # no duplicates
    assert sum(table.skipped.values()) + len(table.physical) <= table.rows_read


def test_init_csv_cases_are_counted(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y,NLL,unrelated\n"
                    "0.5,2,1.0,\n"       # fine (an empty unrelated column does not drop it)
                    "0.5,2,1.0,foo\n"    # duplicate
                    "abc,2,1.0,\n"       # string
                    "nan,2,1.0,\n"       # NaN
                    "0.5,20,1.0,\n"      # outside the range
                    "0.25,3,oops,\n")    # NLL not a number
    table = read_points_csv(path, SPACE, need_nll=True)
    assert table.physical.tolist() == [[0.5, 2.0]]
    assert table.rows_read == 6
    assert table.skipped["duplicates"] == 1
    assert table.skipped["outside the declared ranges"] == 1
    assert table.skipped["non-numeric or NaN variables"] == 2
    assert table.skipped["non-numeric NLL"] == 1
    assert "1 of 6 rows used" in table.report()


def test_missing_column_is_one_line_error(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,NLL\n0.5,1\n")
    with pytest.raises(BsmartError, match=r"no column\(s\) \['y'\]"):
        read_points_csv(path, SPACE)


# -- broken CSVs: every skipped row counted, bounded memory -----------------------------------------

def test_every_skipped_csv_row_is_counted_with_its_reason(tmp_path):
    path = tmp_path / "points.csv"
    with open(path, "w") as fh:
        fh.write("x,y,NLL\n0.5,2,1.0\n")
        fh.write("0.25,3,1.0,extra\n")                      # a field too many
        fh.write("0.3,\"4,1.0\n")                            # a quote left open
        fh.write("0.35," + "9" * 50_000_000 + ",1.0\n")      # a 50 MB field
        fh.write("0.75,5,2.0\n\n")                          # fine, then a blank line (not a row)
    table = read_points_csv(path, SPACE, need_nll=True)
    assert table.physical.tolist() == [[0.5, 2.0], [0.75, 5.0]]
    assert table.rows_read == 5
    assert table.skipped == {"a wrong number of fields": 1, "a malformed quoted field": 1,
                             "a line longer than 1000000 characters": 1, "non-numeric or NaN variables": 0,
                             "outside the declared ranges": 0, "duplicates": 0}
    assert table.report() == ("2 of 5 rows used (skipped: 1 a wrong number of fields, 1 a malformed quoted field, "
                              "1 a line longer than 1000000 characters)")


def test_a_csv_without_a_usable_row_is_an_error(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text('x,y,NLL\n"0.5,2,1.0\n0.5,20,1.0\n')
    with pytest.raises(BsmartError, match=r"no usable row: 0 of 2 rows used \(skipped: 1 a malformed quoted "
                                          r"field, 1 outside the declared ranges\)"):
        read_points_csv(path, SPACE, need_nll=True)


def test_a_large_csv_is_read_in_memory_for_its_numbers_not_its_text(tmp_path):
    """500 000 rows (29 MB): the streamed reader peaks well under what a table of strings takes."""
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    x = rng.random((500_000, 3))
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("x,y,NLL\n")
        np.savetxt(fh, np.column_stack([x[:, 0], 1 + 9 * x[:, 1], x[:, 2]]), delimiter=",", fmt="%.17g")
    # VmHWM: the peak of this process's own memory (ru_maxrss would count pytest's, inherited at fork)
    script = ("import re, sys; from pathlib import Path; from bsmart.results import read_points_csv; "
              "from bsmart.space import Space, Variable; "
              "t = read_points_csv(Path(sys.argv[1]), Space([Variable('x', 0.0, 1.0), Variable('y', 1.0, 10.0, 'LOG')]), "
              "need_nll=True); status = Path('/proc/self/status').read_text(); "
              "print(len(t.physical), int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    rows, peak_mib = map(int, done.stdout.split())
    assert rows == 500_000, done.stderr
    print(f"peak RSS reading {path.stat().st_size / 1e6:.0f} MB: {peak_mib} MiB")
    assert peak_mib < 200  # pandas with string columns took about 3x more


# -- duplicates at the precision the codes see ------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(x=st.floats(-1e12, 1e12, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-12))
def test_code_precision_is_what_a_template_writes(x):
    from bsmart.slha import format_value

    assert Space.code_precision(np.array([x]))[0] == float(format_value(x))


def test_an_ml_scan_never_gives_a_code_the_same_input_twice(tmp_path):
    """In a range 1e-6 wide only about 1000 values differ at the 9 digits a template writes: the
    points must differ there, not only in the unit cube."""
    from bsmart.session import run_scan
    from bsmart.slha import format_value

    spec = {"Scan": "MLS_RFR", "Setup": {"RunName": "narrow", "Points": 10_000, "Seed": 3},
            "Variables": {"x1": {"RANGE": [1.0, 1.000001]}, "x2": {"RANGE": [0.0, 31.4]}},
            "Networks": {"Iterations": 2, "Points_Per_Iteration": 150, "Bootstrap_Points": 100,
                         "Candidate_Points": 2000, "Estimators": 20},
            "Codes": {"toy_targets": {"Observables": {"F2d": {"MEAN": 100, "VARIANCE": 20}}}}}
    (tmp_path / "in.json").write_text(json.dumps(spec))
    summary = run_scan(tmp_path / "in.json", output_dir=tmp_path)
    import csv as csv_module

    with open(tmp_path / "narrow" / "all_points.csv", newline="") as fh:
        seen = [(format_value(float(r["x1"])), format_value(float(r["x2"]))) for r in csv_module.DictReader(fh)]
    assert len(seen) == summary["evaluations"] > 250
    assert len(set(seen)) == len(seen)
