"""bsmart: machine-learning-assisted scans of BSM parameter spaces (BSMArt-compatible inputs)."""

__version__ = "0.1.0"
