"""Analyses of a side's vectors beyond the pair metrics: their geometry, label-free post-processing,
layer sweeps."""
