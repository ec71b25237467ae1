"""Analyses of a comparison beyond its metrics, each in a module of its own: intervals and paired
differences (bootstrap, intervals), the vectors' geometry, label-free post-processing, layer sweeps."""
