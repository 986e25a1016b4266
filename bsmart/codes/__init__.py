"""Codes turn a point into observables. They know nothing about scans or likelihoods.

A :class:`Chain` runs the declared codes in order for one point, collects each code's
observables, applies ``VALID`` bounds and ``Conditions`` (a failure stops the chain and
makes the point invalid) and finally the global observables.
"""

from bsmart.codes.base import Chain, Code, CodeOutput

__all__ = ["Chain", "Code", "CodeOutput"]
