"""The one "which side is better" rule and the words around it: NaN-aware, ties at printed precision."""

import numpy as np

from embedlab.comparison import Comparison, SideResult
from embedlab.dashboard import views
from embedlab.metrics import Metrics, best_of, better, compare_metrics, rank
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.report import table, verdict

NAN = float("nan")


def metrics(auc, margin, top1=0.5) -> Metrics:
    return Metrics(top1=top1, mrr=top1, auc=auc, mean_pos=0.5 + margin, mean_neg=0.5, margin=margin)


def comparison(*sides: tuple[str, Metrics], n: int = 3) -> Comparison:
    def result(model, m):
        return SideResult(model=model, method="m", options=Options(), device="cpu", dtype="float32",
                          similarity=np.eye(n), metrics=m, cached=0, computed=2 * n, truncated=0, seconds=0.1, dim=4)

    return Comparison(tuple(Pair(f"q{i}", f"a{i}") for i in range(n)),
                      {name: result(model, m) for name, (model, m) in zip(("base", "embed"), sides)})


def test_better_is_nan_and_tie_aware():
    assert better(0.9, 0.5, "auc") == 1 and better(0.5, 0.9, "auc") == -1
    assert better(0.551, 0.549, "auc") == 0  # both print as 0.55
    assert better(NAN, 0.5, "auc") is None and better(0.5, NAN, "margin") is None
    assert better(0.9, 0.1, "mean_pos") is None  # a mean alone has no better direction


def test_an_auc_tie_is_decided_by_the_margin_not_by_the_order():
    """Seen before: 'gpt tells matching pairs apart better (AUC 0.55 vs 0.55)' for the side whose margin was
    0.019 against the other's 0.030."""
    first, second = metrics(auc=0.551, margin=0.019), metrics(auc=0.549, margin=0.030)
    assert compare_metrics(first, second) == (-1, "margin")
    words = verdict(comparison(("gpt", first), ("other", second)))
    assert "other (m) tells matching pairs apart better (AUC 0.55 vs 0.55, margin 0.030 vs 0.019)" in words
    assert rank({"gpt": first, "other": second}) == ["other", "gpt"]


def test_a_full_tie_names_no_winner():
    words = verdict(comparison(("a", metrics(0.70, 0.10)), ("b", metrics(0.701, 0.101))))
    assert "neither tells matching pairs apart better" in words


def test_one_pair_gives_no_nan_verdict():
    """Seen before: '... tells matching pairs apart better (AUC nan vs nan)'."""
    one = metrics(auc=NAN, margin=NAN, top1=1.0)
    words = verdict(comparison(("gpt", one), ("embedder", one), n=1))
    assert "nan" not in words.lower() and "add at least one more pair" in words
    assert "n/a" in table(comparison(("gpt", one), ("embedder", one), n=1))


def test_table_marks_follow_the_same_rule():
    assert best_of({"a": 0.9, "b": 0.5}, "auc") == {"a"}
    assert best_of({"a": 0.551, "b": 0.549}, "auc") == set()  # a tie marks nothing
    assert best_of({"a": NAN, "b": 0.5}, "auc") == set()
    assert best_of({"a": 0.9, "b": 0.1}, "mean_neg") == set()
    assert best_of({"a": 0.9, "b": 0.9, "c": 0.1}, "auc") == {"a", "b"}
    html = views.metrics_html(comparison(("gpt", metrics(NAN, NAN)), ("embedder", metrics(NAN, NAN)), n=1))
    assert "class='best'" not in html and "nan" not in html.lower() and html.count("n/a") == 6 + 4  # + no geometry
