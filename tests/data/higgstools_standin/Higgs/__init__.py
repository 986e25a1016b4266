"""A stand-in for HiggsTools' Python package ``Higgs`` (https://gitlab.com/higgsbounds/higgstools,
not on PyPI), for bsmart's tests: the same modules, classes and calls that BSMArt's HiggsTools tool
uses, with made-up physics that depends on the input dictionary so that a test can tell whether
the spectrum reached it intact:

- HiggsBounds: each neutral scalar's observed ratio is 0.5 * effc_WW^2 * (125 / m)^2, each
  charged scalar's 10 * BR(t -> H+ b); allowed when every ratio is below 1.
- HiggsSignals: 159 observables; chi^2 = 150 + ((m - 125.09) / dm)^2 + 100 BR(h -> invisible)
  for the neutral scalar h closest to 125.09 GeV.
- channel rates (BSMArt's signal strengths): see ``Higgs.predictions``.
"""
