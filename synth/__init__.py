"""Synthetic data generators (importable as ``synth``; the output and cards live in ``datasets/``)."""
