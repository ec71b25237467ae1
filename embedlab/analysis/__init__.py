"""Analyses of a comparison's numbers beyond the metrics themselves (each in a module of its own)."""
