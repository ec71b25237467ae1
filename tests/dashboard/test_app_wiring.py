"""The page's wiring, read from the built app's own configuration (no browser, no models): each extra
side row's controls reach the events meant for that row. Rows are read from a flat list of fields, so
a field added to a row must not shift what the events of the rows after it read (it did once: the
Layer and Post fields came in while the wiring still counted four fields a row)."""

from __future__ import annotations

import importlib

from embedlab.dashboard.sides_form import EXTRA_ROWS


def config():
    app = importlib.import_module("app")
    cfg = app.demo.get_config_file()
    ids = {c["props"]["elem_id"]: c["id"] for c in cfg["components"] if c.get("props", {}).get("elem_id")}
    return cfg, ids


def test_each_extra_rows_model_fills_its_own_method_list():
    cfg, ids = config()
    for row in range(3, 3 + EXTRA_ROWS):
        model, method = ids[f"side-{row}-model"], ids[f"side-{row}-method"]
        fills = [d for d in cfg["dependencies"] if (model, "input") in [tuple(t) for t in d["targets"]]]
        assert [(d["inputs"], d["outputs"]) for d in fills] == [([model], [method])], row


def test_a_fine_tune_offers_its_model_to_every_model_list_and_to_nothing_else():
    cfg, ids = config()
    start = next(d for d in cfg["dependencies"] if (ids["tune-start"], "click") in [tuple(t) for t in d["targets"]])
    offered = {ids[f"side-{row}-model"] for row in range(3, 3 + EXTRA_ROWS)} | {ids["base-model"]}
    others = {ids[f"side-{row}-{field}"] for row in range(3, 3 + EXTRA_ROWS) for field in ("method", "layer", "post")}
    assert offered <= set(start["outputs"]) and not others & set(start["outputs"])
