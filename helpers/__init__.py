"""Helpers for the book "Convolutional Modulation Theory": one module per concept.

runtime (modes, devices, seeds, paths) · data (real datasets) · integrity (datasets verified
against their manifests before they are read) · claims (verdicts computed from measurements) ·
signals (carriers, DSB-SC, FDM, MIMO) ·
spectra (energy spectra, Algorithm 1) · plotting (one style) · book (the runner) ·
assets (offline JS).
"""

__version__ = "0.1.0"
