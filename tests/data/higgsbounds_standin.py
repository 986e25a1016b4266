#!/usr/bin/env python3
"""A stand-in for the HiggsBounds 5 / HiggsSignals 2 programs, called as they are:
``HiggsBounds LandH effC <n> <m> <prefix>`` or ``HiggsSignals latestresults 2 effC <n> <m> <prefix>``.
It reads the masses from <prefix>MH_GammaTot.dat and <prefix>MHplus_GammaTot.dat (failing, as the
real programs do, when they are missing) and writes <prefix>HiggsBounds_results.dat or
<prefix>HiggsSignals_results.dat in their layout: comment lines, a ``#cols:`` header, one line of
results (a mass file with fewer scalars than asked for ends it as Fortran's read does). Made-up physics: obsratio = 0.5 (125 / mh1)^2; HiggsSignals' csq(mh) = ((mh1 - 125.09) /
dm)^2 with dm the first mass uncertainty of MHall_uncertainties.dat (which HiggsSignals then
needs), csq(mu) = 100, Pvalue = exp(-csq(tot) / 200)."""
import math
import sys

*options, prefix = sys.argv[1:]
signals = options[0] == "latestresults"
neutral, charged = int(options[-2]), int(options[-1])
masses = []
for name, count in (("MH_GammaTot.dat", neutral), ("MHplus_GammaTot.dat", charged)):
    with open(prefix + name) as fh:
        values = fh.read().split()[1:]
    if len(values) < 2 * count:  # a mass and a width each
        sys.exit(f"Fortran runtime error: End of file ({prefix + name})")
    masses += [float(x) for x in values[:count]]
names = [f"Mh({i + 1})" for i in range(neutral)] + [f"Mhplus({i + 1})" for i in range(charged)]
if signals:
    with open(prefix + "MHall_uncertainties.dat") as fh:
        dm = float(fh.read().split()[1])
    csq_mh = ((masses[0] - 125.09) / dm) ** 2
    columns = ["csq(mu)", "csq(mh)", "csq(tot)", "nobs(mu)", "nobs(mh)", "nobs(tot)", "Pvalue"]
    values = [100.0, csq_mh, 100.0 + csq_mh, 80, 1, 81, math.exp(-(100.0 + csq_mh) / 200)]
    out, title = "HiggsSignals_results.dat", "HiggsSignals 2.6.2"
else:
    obsratio = 0.5 * (125 / masses[0]) ** 2
    columns = ["HBresult", "chan", "obsratio", "ncomb"]
    values = [1 if obsratio < 1 else 0, 123, obsratio, 1]
    out, title = "HiggsBounds_results.dat", "HiggsBounds 5.10.2"
with open(prefix + out, "w") as fh:
    fh.write(f"# generated with {title} (stand-in)\n# settings: {' '.join(options)}\n#\n"
             f"#cols: n {' '.join(names + columns)}\n#\n")
    fh.write("           1" + "".join(f"  {v:16.8E}" for v in masses + values) + "\n")
