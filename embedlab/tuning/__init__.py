"""The fine-tune lab: tune a base GPT contrastively on part of the pairs, measure the rest before and after.

    from embedlab.tuning import TuneConfig, tune
    result = tune(pairs, "smollm2-135m-instruct", "tuned-smollm2", TuneConfig(minutes=1),
                  progress=lambda step, loss, elapsed: ..., cancel=threading.Event())
    result.before.metrics.auc, result.after.metrics.auc    # held-out pairs only

The tuned folder is a plain transformers model with `embedlab-tune.json` (base, split, the training
pairs' texts, settings, loss per step, before/after metrics, the method), which every EmbedLab entry
point takes as a model; a comparison scores it on the pairs it did not train on (`embedlab.tuned`).
Modules: `config` (settings, limits, errors), `split` (the held-out split), `loss` (InfoNCE),
`model` (what trains and how texts become vectors), `train` (the loop), `output` (the folder),
`lab` (the whole run). Names are imported on first use, so the settings do not pull in torch.
"""

from __future__ import annotations

import importlib

_WHERE = {"MAX_MINUTES": "config", "TuneCancelled": "config", "TuneConfig": "config", "TuneError": "config",
          "trainable_methods": "config", "Split": "split", "split_pairs": "split", "read_info": "output",
          "TuneResult": "lab", "tune": "lab"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'embedlab.tuning' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
