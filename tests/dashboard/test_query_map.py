"""The asked question on each side's PCA map: the map's PCA (`pca.fit`) places rows and a new point
exactly as plain NumPy's SVD of the centred unit rows does (both of its ways: through the Gram matrix
and through the covariance), and the page's question box draws the question, embedded alone by a
freshly loaded model, at that point on each side's map, with the map's own points unchanged."""

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.dashboard import pca
from embedlab.dashboard.results import ViewState
from embedlab.embedding import embed
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.session import Session, get_session
from tests.support.pages import page
from embedlab.settings import Settings
from embedlab.sides import SideSpec

PAIRS = [Pair("What is GPU?", "A chip that does maths quickly."),
         Pair("Where is OpenAI?", "OpenAI is based at San Francisco."),
         Pair("What is the quick brown fox?", "It jumps over the lazy dog."),
         Pair("Who jumps over the dog?", "The quick brown fox.")]
QUESTION = "Which chip does maths?"


def numpy_map(rows: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and new rows on the first two principal directions of the unit rows, by NumPy's SVD; each
    direction's sign makes its largest loading positive."""
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    x = unit(rows)
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    v = vt[:2].T
    v = v * np.sign(v[np.abs(v).argmax(axis=0), np.arange(2)])
    return (x - mean) @ v, (unit(new) - mean) @ v


@pytest.mark.parametrize("n, dim", [(12, 64), (200, 6)])  # the Gram matrix way, the covariance way
def test_the_maps_pca_places_rows_and_a_new_point_as_numpys_svd(n, dim):
    rng = np.random.default_rng(n)
    rows, new = rng.normal(size=(n, dim)) * np.linspace(3, 1, dim), rng.normal(size=(3, dim))
    basis = pca.fit(rows)
    points, placed = numpy_map(rows, new)
    np.testing.assert_allclose(basis.project(rows), points, atol=1e-9)
    np.testing.assert_allclose(basis.project(new), placed, atol=1e-9)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("query-map")
    return {"llama": str(tinymodels.llama_causal(root / "llama")), "bert": str(tinymodels.bert_sentence_transformer(root / "bert"))}


def test_the_question_box_draws_the_question_on_each_sides_map(folders):
    specs = [SideSpec(folders["llama"], "mean", name="gpt"), SideSpec(folders["bert"], "native", name="bert")]
    get_session("query-map", lambda: Session(settings=Settings()))
    handlers = page("query-map")
    comparison = get_session("query-map").compare(PAIRS, sides=specs)
    state = ViewState.of(comparison)
    answers, maps = handlers.page.layout.answers, handlers.page.layout.projections
    shown = handlers.ask.ask(state, QUESTION)
    assert "<table" in shown[answers]
    for slot, spec in zip(maps, specs):
        fig = shown[slot]["value"]
        star = fig.data[-1]
        assert star.name == "your question" and QUESTION in star.hovertext[0]
        alone = embed(load(spec.model), [QUESTION], [Role.QUERY], spec.method).vectors.astype(np.float64)
        points, placed = numpy_map(comparison.sides[spec.name].vectors.astype(np.float64), alone)
        np.testing.assert_allclose([star.x[0], star.y[0]], placed[0], atol=1e-5)
        questions = next(t for t in fig.data if t.name == "question")
        np.testing.assert_allclose(np.c_[questions.x, questions.y], points[:len(PAIRS)], atol=1e-5)
    assert all(shown[slot]["visible"] is False for slot in maps[len(specs):])
