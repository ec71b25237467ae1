"""The `compare_json` endpoint, called with gradio_client against the real app: the CLI's schema, a
second call served from the cache, and bad input answered with the engine's own words."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.slow

OFFLINE = ("smollm2-135m-instruct", "all-minilm-l6-v2")
PAIRS = [{"question": "Where is the headquarter of OpenAI?", "answer": "OpenAI is based at San Francisco."},
         {"question": "What is GPU?", "answer": "A graphics processing unit (GPU) is an electronic circuit that can "
                                                "perform mathematical calculations quickly"}]
RESULT_KEYS = {"model", "method", "options", "dim", "device", "dtype", "similarity", "metrics", "cached", "computed",
               "truncated", "seconds", "intervals", "differences", "metrics_all", "seen_in_training", "geometry"}
METRIC_KEYS = {"top1", "mrr", "auc", "mean_pos", "mean_neg", "margin"}


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False, download_files=False)


def compare(client, pairs, base=OFFLINE[0], base_method="", embed=OFFLINE[1], embed_method=""):
    return client.predict(pairs=pairs, base=base, base_method=base_method, embed=embed, embed_method=embed_method,
                          api_name="/compare_json")


def test_the_endpoint_is_listed(client):
    endpoint = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/compare_json"]
    assert [p["parameter_name"] for p in endpoint["parameters"]] == ["pairs", "base", "base_method", "embed",
                                                                    "embed_method"]


def test_compare_json_returns_the_cli_schema_and_caches(client):
    first = compare(client, PAIRS)
    assert first["pairs"] == PAIRS
    assert list(first["results"]) == ["base", "embed"]
    for side, model, method in (("base", OFFLINE[0], "logits"), ("embed", OFFLINE[1], "native")):
        r = first["results"][side]
        assert set(r) == RESULT_KEYS and set(r["metrics"]) == METRIC_KEYS
        assert (r["model"], r["method"], r["device"]) == (model, method, "cpu")
        assert np.asarray(r["similarity"]).shape == (2, 2)
    assert first["results"]["embed"]["metrics"]["top1"] == 1.0

    second = compare(client, json.dumps(PAIRS))  # the same pairs as a JSON string
    for side in ("base", "embed"):
        assert second["results"][side]["computed"] == 0 and second["results"][side]["cached"] == 4
        assert second["results"][side]["similarity"] == first["results"][side]["similarity"]


def test_empty_model_names_mean_the_default_pair(client):
    result = client.predict(pairs=PAIRS[:1], api_name="/compare_json")
    assert [r["model"] for r in result["results"].values()] == list(OFFLINE)


@pytest.mark.parametrize("kwargs, message", [
    ({"pairs": [{"question": "q"}]}, "item 1: missing 'answer'"),
    ({"pairs": "[{"}, "not valid JSON"),
    ({"pairs": []}, "no pairs given"),
    ({"pairs": PAIRS, "embed_method": "logits"}, "method 'logits' does not apply to all-minilm-l6-v2; valid methods"),
    ({"pairs": PAIRS, "base": "no such model!"}, "unknown model 'no such model!'"),
])
def test_bad_input_gets_a_clear_error(client, kwargs, message):
    with pytest.raises(AppError, match=message.replace("(", r"\(")):
        compare(client, **kwargs)


def test_concurrent_callers_get_their_own_results(client):
    """Two visitors at once: their requests queue (one model computation at a time) and never mix."""
    mine = [{"question": f"What colour is the {thing}?", "answer": f"The {thing} is {colour}."}
            for thing, colour in (("sky", "blue"), ("grass", "green"))]
    theirs = [{"question": "How many legs has a spider?", "answer": "A spider has eight legs."}]
    jobs = [client.submit(pairs=p, base=OFFLINE[0], base_method="", embed=OFFLINE[1], embed_method="",
                          api_name="/compare_json") for p in (mine, theirs)]
    first, second = (job.result(timeout=240) for job in jobs)
    assert first["pairs"] == mine and np.asarray(first["results"]["base"]["similarity"]).shape == (2, 2)
    assert second["pairs"] == theirs and np.asarray(second["results"]["embed"]["similarity"]).shape == (1, 1)


def test_compare_many_json_takes_any_number_of_sides(client):
    sides = [{"name": "gpt-logits", "model": OFFLINE[0]}, {"name": "gpt-echo", "model": OFFLINE[0], "method": "echo"},
             {"name": "st", "model": OFFLINE[1]}]
    result = client.predict(pairs=PAIRS, sides=sides, api_name="/compare_many_json")
    assert result["sides"] == ["gpt-logits", "gpt-echo", "st"]
    assert [result["results"][n]["method"] for n in result["sides"]] == ["logits", "echo", "native"]
    two = compare(client, PAIRS)  # the same models compared two at a time give the same numbers
    for name, side in (("gpt-logits", "base"), ("st", "embed")):
        np.testing.assert_allclose(result["results"][name]["similarity"], two["results"][side]["similarity"], atol=1e-6)
    again = client.predict(pairs=json.dumps(PAIRS), sides=json.dumps(sides), api_name="/compare_many_json")
    assert all(again["results"][n]["computed"] == 0 for n in again["sides"])
    with pytest.raises(AppError, match="the name 'st' is used twice"):
        client.predict(pairs=PAIRS, sides=sides + [{"name": "st", "model": OFFLINE[1]}], api_name="/compare_many_json")
    with pytest.raises(AppError, match="side 'st': method 'logits' does not apply"):
        client.predict(pairs=PAIRS, sides=[{"name": "st", "model": OFFLINE[1], "method": "logits"}],
                       api_name="/compare_many_json")
