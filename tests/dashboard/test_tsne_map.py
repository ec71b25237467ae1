"""The t-SNE maps: from `tsne.TSNE_FROM` pairs up, each side's t-SNE points on the page equal scikit-learn's
TSNE run here with the same seed and parameters on the unit rows of the comparison's vectors, and those rows
equal the vectors of each text embedded alone by a freshly loaded model; the maps are fitted once (after
Compare, in the page's later step) and named on every figure; below the threshold none is fitted and the
page says why.

Why two steps and not one: t-SNE amplifies rounding. Its points from the one-text-at-a-time vectors, which
differ from the batched ones by about 1e-7, land as far apart as the map is wide (measured: a 1e-9 nudge of
every number moves points by about the map's size), so the t-SNE itself is checked on the same numbers,
and the numbers against the independent embedding."""

import numpy as np
import pytest
from sklearn.manifold import TSNE

from embedlab.dashboard import results, tsne
from embedlab.dashboard.results import ViewState
from embedlab.embedding import embed
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.session import Session, get_session
from embedlab.settings import Settings
from embedlab.sides import SideSpec
from tests.support import tinymodels
from tests.support.pages import page

KINDS = ("river", "planet", "engine", "violin", "garden", "glacier", "market")


def pairs(n: int) -> list[Pair]:
    return [Pair(f"What does the {KINDS[i % 7]} number {i} do?", f"The {KINDS[i % 7]} {i} works {i % 5} days a week.")
            for i in range(n)]


@pytest.fixture(scope="module")
def handlers(tmp_path_factory):
    root = tmp_path_factory.mktemp("tsne-map")
    folder = str(tinymodels.llama_causal(root / "llama"))
    get_session("tsne-map", lambda: Session(settings=Settings()))
    handlers = page("tsne-map")
    handlers.folder = folder
    return handlers


def comparison(handlers, n: int):
    return get_session("tsne-map").compare(pairs(n), sides=[SideSpec(handlers.folder, "mean", name="gpt")])


def compared(handlers, n: int) -> ViewState:
    return ViewState.of(comparison(handlers, n))


def alone(folder: str, shown: list[Pair]) -> np.ndarray:
    """The vectors of every question then every answer, each text embedded alone by a freshly loaded model."""
    backend = load(folder)
    texts = [(p.question, Role.QUERY) for p in shown] + [(p.answer, Role.PASSAGE) for p in shown]
    return np.stack([embed(backend, [t], [role], "mean").vectors[0].astype(np.float64) for t, role in texts])


def sklearn_tsne(rows: np.ndarray) -> np.ndarray:
    """scikit-learn's t-SNE of the unit rows: perplexity 30, PCA start, cosine distance, seed 0."""
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return TSNE(n_components=2, perplexity=30, init="pca", metric="cosine", random_state=0).fit_transform(unit)


def test_the_page_t_sne_map_is_scikit_learns_on_the_unit_vectors_and_names_its_method(handlers):
    n = tsne.TSNE_FROM
    whole = comparison(handlers, n)
    vectors = whole.sides["gpt"].vectors.astype(np.float64)
    np.testing.assert_allclose(vectors, alone(handlers.folder, pairs(n)), atol=1e-5)
    state = ViewState.of(whole)
    assert state.tsne_points is None and state.tsne_rows is not None  # not fitted during Compare
    layout = handlers.page.layout
    first = handlers.page.result_outputs(state)
    assert "being computed" in first[layout.tsne_caption]
    assert all(first[plot]["visible"] is False for plot in layout.tsne_maps)
    shown = handlers.page.tsne.fill(state)
    expected = sklearn_tsne(vectors)
    fig = shown[layout.tsne_maps[0]]["value"]
    questions = next(t for t in fig.data if t.name == "question")
    answers = next(t for t in fig.data if t.name == "answer")
    np.testing.assert_array_equal(np.r_[np.c_[questions.x, questions.y], np.c_[answers.x, answers.y]], expected)
    assert "t-SNE (perplexity 30, seed 0)" in fig.layout.title.text
    assert "t-SNE (perplexity 30, seed 0)" in fig.layout.meta["fit"]["narrow"]["layout"]["title.text"]
    assert fig.layout.xaxis.title.text == "t-SNE 1"
    assert "perplexity 30, seed 0" in shown[layout.tsne_caption]
    assert all(shown[plot]["visible"] is False for plot in layout.tsne_maps[1:])
    kept = shown[layout.state]
    np.testing.assert_array_equal(kept.tsne_points["gpt"], expected.astype(kept.tsne_points["gpt"].dtype))
    assert kept.tsne_rows is None  # the rows it came from are dropped once fitted


def test_the_t_sne_map_is_fitted_once_and_exported(handlers, monkeypatch):
    state = compared(handlers, tsne.TSNE_FROM)
    done = handlers.page.tsne.fill(state)[handlers.page.layout.state]
    monkeypatch.setattr(tsne, "fit", lambda rows: pytest.fail("t-SNE fitted a second time"))
    again = handlers.page.tsne.fill(done)
    assert again[handlers.page.layout.state] is done
    exported = results.figures_for(done)["embedlab-tsne"]
    assert "t-SNE (perplexity 30, seed 0)" in exported.layout.annotations[0].text
    question = next(t for t in exported.data if t.name == "question")
    np.testing.assert_array_equal(np.c_[question.x, question.y], done.tsne_points["gpt"][:tsne.TSNE_FROM])


def test_below_the_threshold_no_t_sne_is_fitted_and_the_page_says_why(handlers, monkeypatch):
    monkeypatch.setattr(tsne, "fit", lambda rows: pytest.fail("t-SNE fitted below the threshold"))
    n = tsne.TSNE_FROM - 1
    state = compared(handlers, n)
    assert state.tsne_rows is None
    layout = handlers.page.layout
    first = handlers.page.result_outputs(state)
    assert f"t-SNE is shown from {tsne.TSNE_FROM} pairs up" in first[layout.tsne_caption]
    assert f"this set has {n}" in first[layout.tsne_caption]
    skipped = handlers.page.tsne.fill(state)
    assert list(skipped) == [handlers.page.tsne.caption] and isinstance(skipped[handlers.page.tsne.caption], dict)  # a skip: nothing drawn
    assert "embedlab-tsne" not in results.figures_for(state) and "embedlab-pca" in results.figures_for(state)
