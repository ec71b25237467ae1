"""`python -m benchmarks`: the whole suite (see run.py)."""

from .run import main

raise SystemExit(main())
