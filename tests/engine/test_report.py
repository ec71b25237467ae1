"""The words around the one "which side is better" rule (a paired bootstrap, `analysis.intervals`): the
verdict, the table and its marks; NaN-aware, and no side crowned on too few pairs."""

import numpy as np

from embedlab.comparison import Comparison, SideResult
from embedlab.dashboard import views
from embedlab.metrics import Metrics, rank, score
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.report import table, verdict

NAN = float("nan")


def side(model: str, similarity: np.ndarray) -> SideResult:
    return SideResult(model=model, method="m", options=Options(), device="cpu", dtype="float32",
                      similarity=similarity, metrics=score(similarity), cached=0, computed=2 * len(similarity),
                      truncated=0, seconds=0.1, dim=4)


def matrix(n: int, shift: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, n)) + shift * np.eye(n)


def comparison(*sims: np.ndarray, names=("base", "embed", "third")) -> Comparison:
    n = len(sims[0])
    return Comparison(tuple(Pair(f"q{i}", f"a{i}") for i in range(n)),
                      {name: side(f"model-{name}", s) for name, s in zip(names, sims)})


def metrics(auc, margin) -> Metrics:
    return Metrics(top1=0.5, mrr=0.5, auc=auc, mean_pos=0.5 + margin, mean_neg=0.5, margin=margin)


def test_rank_orders_by_auc_then_margin_with_nan_last_and_no_threshold():
    ms = {"a": metrics(0.991, 0.2), "b": metrics(0.995, 0.1), "c": metrics(NAN, NAN), "d": metrics(0.995, 0.3)}
    assert rank(ms) == ["d", "b", "a", "c"]


def test_a_clear_difference_names_the_better_side_with_its_interval():
    c = comparison(matrix(40, 0.3), matrix(40, 2.0, seed=1))
    d = c.uncertainty.difference("embed", "base", "auc")
    assert d.low > 0
    words = verdict(c)
    assert "model-embed (m) tells matching pairs apart better (AUC " in words
    assert f"AUC difference {d.value:.3f} [{d.low:.3f}, {d.high:.3f}], p = {d.p:.3f}" in words


def test_no_clear_difference_says_so_with_the_pairs_that_would_show_it():
    c = comparison(matrix(8, 1.0), matrix(8, 1.2, seed=2))
    d = c.uncertainty.difference("embed", "base", "auc")
    assert d.low < 0 < d.high  # the point AUCs differ, the interval holds 0
    words = verdict(c)
    assert "no clear difference in AUC between model-embed (m) and model-base (m) on these 8 pairs" in words
    assert "better" not in words
    assert f"about {d.pairs_to_show(8):,} pairs would likely show it if it held" in words


def test_identical_sides_are_no_difference():
    s = matrix(10, 1.0)
    assert "no difference between model-base (m) and model-embed (m) on these 10 pairs" in verdict(comparison(s, s.copy()))


def test_two_pairs_crown_no_side():
    """The original experiment's size: one side has AUC 1, the other 0, and still no verdict."""
    c = comparison(np.array([[0.2, 0.9], [0.8, 0.1]]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    words = verdict(c)
    assert "no verdict on these 2 pairs" in words and "add pairs" in words and "better" not in words
    assert "No intervals: an interval needs at least 5 pairs" in table(c)
    assert "class='best'" not in views.metrics_html(c)


def test_one_pair_gives_no_nan_verdict():
    """Seen before: '... tells matching pairs apart better (AUC nan vs nan)'."""
    c = comparison(np.array([[0.4]]), np.array([[0.7]]))
    words = verdict(c)
    assert "nan" not in words.lower() and "add at least one more pair" in words
    assert "n/a" in table(c)
    html = views.metrics_html(c)
    assert "class='best'" not in html and "nan" not in html.lower() and html.count("n/a") == 6 + 4  # + no geometry for one pair


def test_the_table_prints_each_value_with_its_interval():
    c = comparison(matrix(12, 0.5), matrix(12, 1.5, seed=1))
    low, high = c.uncertainty.interval("embed", "auc")
    assert f"{c.sides['embed'].metrics.auc:.3f} [{low:.3f}, {high:.3f}]" in table(c)
    assert "95% interval, 1000 bootstrap resamples over pairs, seed 0" in table(c)


def test_table_marks_only_clear_winners():
    clear = comparison(matrix(40, 0.3), matrix(40, 2.0, seed=1))
    html = views.metrics_html(clear)
    auc_row = next(row for row in html.split("<tr>") if ">AUC<" in row)
    assert "class='best'" in auc_row and auc_row.index("<td>") < auc_row.index("class='best'")  # base first, embed marked
    unclear = comparison(matrix(8, 1.0), matrix(8, 1.2, seed=2))
    auc_row = next(row for row in views.metrics_html(unclear).split("<tr>") if ">AUC<" in row)
    assert "class='best'" not in auc_row


def test_with_many_sides_the_best_must_be_clear_of_every_other():
    s = matrix(40, 2.0, seed=1)
    c = comparison(matrix(40, 0.3), s, s.copy())  # two equal leaders: neither is the best
    words = verdict(c)
    assert "3 sides: no difference between the first two, model-embed (m) and model-third (m) on" in words
    assert "the best" not in words
    c = comparison(matrix(40, 0.3), matrix(40, 3.0, seed=1), matrix(40, 0.5, seed=2))
    assert "model-embed (m) tells matching pairs apart the best" in verdict(c)


def test_the_sides_are_ranked_once_for_the_verdict_the_table_and_the_page(monkeypatch):
    import embedlab.comparison as comparison_module

    calls = []
    monkeypatch.setattr(comparison_module, "rank", lambda ms: calls.append(1) or rank(ms))
    c = comparison(matrix(12, 3.0), matrix(12, 0.5, seed=1), matrix(12, 1.5, seed=2))
    verdict(c), table(c), views.metrics_html(c), views.verdict_html(c), c.without_vectors().ranking()
    assert len(calls) == 1 and c.ranking() == rank({n: s.metrics for n, s in c.sides.items()})


def test_a_small_negative_that_rounds_to_zero_is_written_without_its_sign():
    from embedlab.numbers import number, span

    assert number(-0.0004, 3) == "0.000" and number(-0.0006, 3) == "-0.001" and number(float("nan")) == "n/a"
    assert span(-0.0001, 0.0114) == "[0.000, 0.011]"
