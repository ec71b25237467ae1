"""Every per-side view of the results in one order: with more than two sides the leaderboard's (highest
AUC first, each title led by its place), for a small set (heatmaps, PCA maps) and a large one (block-mean
maps, exact zooms, PCA maps) alike, the PCA maps drawn again for an asked question too, and the metrics
table's columns, each side under the name its figures give it; with two sides the order given, no
places. The expected order is each side's AUC computed here, one text at a time."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from embedlab.comparison import Comparison
from embedlab.dashboard import ask_section, overview, results, views
from embedlab.metrics_blocks import score_blocks
from embedlab.pairs import Pair
from embedlab.presets import SIDES
from tests.support.results import side

N, DIM = 12, 8
BOOSTS = (("base", 0.3), ("embed", 3.0), ("mean", 0.0), ("echo", 1.2))  # given in an order that is not the ranking


def _cos(u: np.ndarray, v: np.ndarray) -> float:
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def _auc(vectors: np.ndarray) -> float:
    """Share of (matching, non-matching) scores where the matching one is higher (ties: half), each score
    one question against one answer."""
    pos = [_cos(vectors[i], vectors[N + i]) for i in range(N)]
    neg = [_cos(vectors[i], vectors[N + j]) for i in range(N) for j in range(N) if i != j]
    return float(np.mean([(p > q) + 0.5 * (p == q) for p in pos for q in neg]))


def _comparison(names, large: bool) -> Comparison:
    rng = np.random.default_rng(5)
    sides = {}
    for name, boost in BOOSTS:
        if name not in names:
            continue
        questions = rng.normal(size=(N, DIM))
        answers = rng.normal(size=(N, DIM)) + boost * questions
        vectors = np.concatenate([questions, answers])
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        r = replace(side(f"model-{name}", unit[:N] @ unit[N:].T), vectors=vectors, dim=DIM)
        if large:  # scored in blocks, as a set above the page's overview size is
            r = replace(r, similarity=None, blocks=score_blocks(questions, answers, grid=4))
        sides[name] = r
    return Comparison(tuple(Pair(f"q{i}", f"a{i}") for i in range(N)), sides)


def _label(name: str) -> str:
    return SIDES.get(name, name)


def _titles(figs) -> list[str]:
    return [fig.layout.title.text for fig in figs]


@pytest.mark.parametrize("large", [False, True], ids=["small set", "large set"])
def test_every_per_side_figure_and_the_table_follow_the_leaderboard(large):
    comparison = _comparison([name for name, _ in BOOSTS], large)
    auc = {name: _auc(r.vectors) for name, r in comparison.sides.items()}
    assert len(set(auc.values())) == len(auc)  # no ties: the order is AUC's alone
    order = sorted(auc, key=lambda name: -auc[name])
    assert order != list(comparison.sides)
    expected = [f"#{k} {_label(name)}:" for k, name in enumerate(order, 1)]
    state = results.ViewState.of(comparison)
    page = results.page_figures(state)
    assert overview.is_large(state.comparison) is large
    for kind in ("heatmaps", "projections"):
        titles = _titles(page[kind])
        assert [t[:len(e)] for t, e in zip(titles, expected)] == expected, (kind, titles)
        narrow = [fig.layout.meta["fit"]["narrow"]["layout"]["title.text"] for fig in page[kind]
                  if fig.layout.meta]
        assert all(t.startswith(e.rstrip(":")) for t, e in zip(narrow, expected)), (kind, narrow)
    asked = ask_section.maps_with_question(state, {}, "q")  # the PCA maps again, after a question
    assert _titles(asked) == _titles(page["projections"])
    if large:
        _, zoomed = overview.zoom_views(state.comparison, state.vectors, 0, 5)
        assert [t[:len(e)] for t, e in zip(_titles(zoomed), expected)] == expected
    table = views.metrics_html(state.comparison)  # its columns in that order, each side named as in its figures
    columns = [table.index(f"#{k} {_label(name)}<br>") for k, name in enumerate(order, 1)]
    assert columns == sorted(columns)


def test_two_sides_keep_the_order_given_without_places():
    comparison = _comparison(["base", "embed"], large=True)
    assert _auc(comparison.sides["embed"].vectors) > _auc(comparison.sides["base"].vectors)  # ranked, embed first
    page = results.page_figures(results.ViewState.of(comparison))
    for kind in ("heatmaps", "projections"):
        titles = _titles(page[kind])
        assert titles[0].startswith("Base GPT:") and titles[1].startswith("Embedding model:"), titles
