"""The soak benchmark's checks (benchmarks/soak.py): each can fail; and a small soak in CI, 6 clients for
a minute on the real app and the offline models, with the same checks."""

import numpy as np
import pytest

from benchmarks import soak

MATRIX = [[0.9, 0.1], [0.2, 0.8]]


def compare_request() -> soak.Request:
    return soak.Request("compare", "/compare_json", {}, expected={"base": MATRIX, "embed": MATRIX})


def test_a_result_is_judged_against_the_local_run():
    request = compare_request()
    right = {"results": {"base": {"similarity": MATRIX}, "embed": {"similarity": (np.array(MATRIX) + 1e-6).tolist()}}}
    assert request.judge(right) == "ok"
    wrong = {"results": {"base": {"similarity": MATRIX}, "embed": {"similarity": [[0.9, 0.1], [0.2, 0.7]]}}}
    assert request.judge(wrong).startswith("wrong: side 'embed' differs from a local run by 0.1")
    assert request.judge({"results": {"base": {"similarity": MATRIX}}}).startswith("wrong: sides")
    assert request.judge({"results": {"base": {"similarity": MATRIX}, "embed": {"similarity": MATRIX[:1]}}}
                         ).startswith("wrong")


def test_refusals_are_expected_only_in_the_catalogues_words():
    bad = soak.Request("bad", "/compare_json", {}, error="no pairs given")
    assert bad.judge_refusal("Error: no pairs given") == "refused"
    assert bad.judge_refusal("the queue is full").startswith("unexpected")
    assert bad.judge({"results": {}}).startswith("unexpected: accepted")
    assert compare_request().judge_refusal("no pairs given").startswith("unexpected")


def test_status_is_wrong_when_a_model_loaded_twice():
    status = soak.Request("status", "/status", {})
    assert status.judge({"loads": {soak.BASE: 1, soak.EMBED: 1}}) == "ok"
    assert status.judge({"loads": {soak.BASE: 2, soak.EMBED: 1}}).startswith("wrong")


def figures(**changes) -> dict:
    kinds = {k: {"calls": 1, "ok": 1, "refused": 0, "wrong": 0, "unexpected": 0} for k in ("compare", "sweep", "status",
                                                                                            "bad")}
    memory = {"drift": 0.02, "peak_overall_bytes": 3 * 2**30}
    base = {"warm_up_problems": [], "kinds": kinds, "loads": {soak.BASE: 1, soak.EMBED: 1}, "memory": memory}
    return base | changes


def test_each_failed_check_is_named():
    assert soak.failures(figures()) == []
    wrong = figures()
    wrong["kinds"]["sweep"]["wrong"] = 1
    assert soak.failures(wrong) == ["1 wrong results"]
    assert soak.failures(figures(loads={soak.BASE: 2, soak.EMBED: 1}))[0].startswith("loads")
    assert "moved +11.0%" in soak.failures(figures(memory={"drift": 0.11, "peak_overall_bytes": 0}))[0]
    assert "over 16 GB" in soak.failures(figures(memory={"drift": 0, "peak_overall_bytes": 17 * 2**30}))[0]
    assert soak.failures(figures(warm_up_problems=["unexpected: x"]))[0].startswith("warm-up")


@pytest.mark.slow
@pytest.mark.timeout(1800)  # about 8 minutes at a load average of 13 on 2 cores; over 10 at 22
def test_a_small_soak_holds(app_server):
    requests = soak.workload(small=True)
    soak.fill_expected(requests)
    result = soak.soak(app_server, soak.server_pid(app_server), requests, clients=6, seconds=60)
    print(soak.table(result))
    assert soak.failures(result) == [], (soak.failures(result), result["problems"])
    assert sum(k["calls"] for k in result["kinds"].values()) >= 20  # the crowd did call, all kinds


def test_the_memory_baseline_starts_after_the_warm_up_and_leaves_fine_tunes_out():
    gb = 2**30
    warm, crowd = soak.Tally(), soak.Tally()
    warm.add("bad", 1.0, "refused")  # the warm-up's crowd round sends bad requests too: refused is right
    crowd.add("compare", 1.0, "ok")
    samples = [(t, 1 * gb, False) for t in range(0, 100, 2)]  # the warm-up: lower, before every kind has run
    samples += [(t, 2 * gb, t % 40 < 10) for t in range(100, 700, 2)]  # the crowd: flat, fine-tunes at 3 GB below
    samples = [(t, 3 * gb if tuning else rss, tuning) for t, rss, tuning in samples]
    figures = soak.summary(warm, crowd, samples, warmed=100, ended=700, status={"loads": {}}, clients=2, seconds=600)
    memory = figures["memory"]
    assert memory["after_warm_up_bytes"] == memory["at_end_bytes"] == 2 * gb and memory["drift"] == 0
    assert memory["peak_tuning_bytes"] == memory["peak_overall_bytes"] == 3 * gb
    assert figures["warm_up_problems"] == []
    warm.add("compare", 1.0, "unexpected: ReadTimeout")
    assert soak.summary(warm, crowd, samples, 100, 700, {"loads": {}}, 2, 600)["warm_up_problems"] == [
        "unexpected: ReadTimeout"]
