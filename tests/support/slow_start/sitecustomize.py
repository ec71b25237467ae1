"""Read at start-up by a Python whose PYTHONPATH holds this folder (test_app_first_load's `python app.py`):
with EMBEDLAB_TEST_IMPORT_DELAY set, the process's first import of transformers first waits that many
seconds, as that import can take on a loaded machine. The page's first method fill waits for it, so a
test can act while that fill is surely pending. Nothing else changes."""

import os
import sys
import time


class _SlowFirstImport:
    """A finder that finds nothing: asked for transformers the first time, it sleeps, steps aside, and the
    ordinary finders import it (the module's import lock held meanwhile, so other threads wait too)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def find_spec(self, name, path=None, target=None):
        if name == "transformers":
            sys.meta_path.remove(self)
            time.sleep(self.seconds)
        return None


_delay = float(os.environ.get("EMBEDLAB_TEST_IMPORT_DELAY") or 0)
if _delay > 0:
    sys.meta_path.insert(0, _SlowFirstImport(_delay))
