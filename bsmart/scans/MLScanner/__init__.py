"""The MLScanner scans: seven methods (model + scoring rule) on one active-learning loop."""
