"""EmbedLab's benchmark suite: scripts that print figures, never timed unit tests.

Run every item with `.venv/bin/python -m benchmarks` (see `run.py` for flags); each item measures a
baseline and a candidate side by side in one process, interleaved, and reports medians and their
ratio. `gpu.py` is the separate CUDA benchmark. Results go to benchmarks/results/ (not committed).
"""
