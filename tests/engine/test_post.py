"""Label-free post-processing (`post=center|whiten`, `whiten_dims`) and the geometry of a side's vectors,
each against plain NumPy: the covariance (ddof 1) and its eigenvectors, the SVD, worked cases; then on
every kind of side (a tiny model, a vectors file, a remote server)."""

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab.analysis.geometry import geometry
from embedlab.analysis.post import WHITEN_DIMS, fit
from embedlab.cache import EmbeddingCache
from embedlab.errors import PostError, SideError
from embedlab.loading import load
from embedlab.metrics import cos_sim, score
from embedlab.pairs import Pair
from embedlab.prompts import Options
from embedlab.registry import ModelRegistry
from embedlab.session import Session
from embedlab.sides import SideSpec, specs_from_value, with_side_option
from tests.support.remoteservers import FakeServer, expected

rng = np.random.default_rng(0)
PAIRS = [Pair(f"Question number {i} about topic {i % 3}?", f"Answer {i}: it is about topic {i % 3}.") for i in range(6)]


def whitened_by_hand(x: np.ndarray, k: int, fitted: np.ndarray | None = None) -> np.ndarray:
    """BERT-whitening as the issue defines it: (v - mu) @ U[:, :K] / sqrt(s[:K]) from np.cov (ddof 1)."""
    fitted = x if fitted is None else fitted
    mu = fitted.mean(axis=0)
    s, u = np.linalg.eigh(np.cov(fitted, rowvar=False, ddof=1))
    order = np.argsort(s)[::-1]
    return (x - mu) @ u[:, order[:k]] / np.sqrt(s[order[:k]])


def test_whiten_equals_numpy_from_the_covariance():
    x = rng.normal(size=(40, 12)) + 3.0  # off the origin, as raw GPT vectors are
    for k in (1, 5, 12):
        ours = fit(x, "whiten", k).apply(x)
        by_hand = whitened_by_hand(x, k)
        np.testing.assert_allclose(np.abs(ours), np.abs(by_hand), rtol=1e-4, atol=1e-5)  # eigenvector signs are free
        np.testing.assert_allclose(cos_sim(ours, ours), cos_sim(by_hand, by_hand), atol=1e-5)
    np.testing.assert_allclose(np.cov(fit(x, "whiten", 5).apply(x), rowvar=False), np.eye(5), atol=1e-4)
    other = rng.normal(size=(7, 12))  # fitted on some vectors, applied to others
    np.testing.assert_allclose(np.abs(fit(x, "whiten", 4).apply(other)), np.abs(whitened_by_hand(other, 4, x)),
                               rtol=1e-4, atol=1e-5)


def test_center_subtracts_the_fitted_mean_and_none_leaves_vectors_alone():
    x = rng.normal(size=(10, 4)) + 1.0
    np.testing.assert_allclose(fit(x, "center").apply(x), x - x.mean(axis=0), rtol=1e-6, atol=1e-6)
    assert fit(x, "none").apply(x) is x


def test_bad_post_options_fail_in_one_line():
    x = rng.normal(size=(10, 4))
    with pytest.raises(PostError, match="post='white': use one of none, center, whiten"):
        fit(x, "white")
    with pytest.raises(PostError, match=r"whiten_dims=10: use 1\.\.9, below the 10 vectors"):
        fit(x, "whiten", 10)
    with pytest.raises(PostError, match="only 4 dimensions"):
        fit(x, "whiten", 6)
    with pytest.raises(PostError, match="applies only with post=whiten"):
        fit(x, "center", 3)
    assert fit(rng.normal(size=(300, 100)), "whiten").basis.shape[1] == WHITEN_DIMS
    assert fit(x, "whiten").basis.shape[1] == 4 and fit(rng.normal(size=(5, 9)), "whiten").basis.shape[1] == 2


def test_geometry_equals_an_svd_and_worked_cases():
    x = rng.normal(size=(30, 8)) + np.linspace(0, 4, 8)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    centred = np.linalg.svd(unit - unit.mean(axis=0), compute_uv=False)
    plain = np.linalg.svd(unit, compute_uv=False)
    p = plain / plain.sum()
    shape = geometry(x)
    assert shape.top_share == pytest.approx(centred[0] ** 2 / (centred**2).sum(), rel=1e-9)
    assert shape.effective_rank == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-9)
    wide = rng.normal(size=(5, 50))  # fewer vectors than dimensions: the other Gram matrix
    unit = wide / np.linalg.norm(wide, axis=1, keepdims=True)
    plain = np.linalg.svd(unit, compute_uv=False)
    p = plain / plain.sum()
    assert geometry(wide).effective_rank == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-9)
    basis = geometry(np.eye(6) * 3)  # six orthogonal directions: every one used evenly
    assert basis.effective_rank == pytest.approx(6) and basis.top_share == pytest.approx(1 / 5)
    same = geometry(np.ones((4, 3)))  # one direction only
    assert same.effective_rank == pytest.approx(1)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return str(tinymodels.llama_causal(tmp_path_factory.mktemp("post") / "llama"))


def _session() -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), registry=ModelRegistry(loader=load))


def _check_side(raw: np.ndarray, side, post: str, k: int | None) -> None:
    """The side's vectors, scores and geometry equal the raw vectors post-processed and scored here."""
    n = len(raw) // 2
    done = {"none": raw, "center": raw - raw.mean(axis=0), "whiten": whitened_by_hand(raw.astype(np.float64), k or 0)}[post]
    np.testing.assert_allclose(cos_sim(side.vectors[:n], side.vectors[n:]), cos_sim(done[:n], done[n:]), atol=2e-4)
    expected_metrics = score(cos_sim(done[:n], done[n:]))
    for name, value in expected_metrics.as_dict().items():
        assert side.metrics[name] == pytest.approx(value, abs=2e-4), name
    assert side.geometry.effective_rank == pytest.approx(geometry(done).effective_rank, rel=1e-3)
    assert side.options.post == post and side.options.whiten_dims == (k if post == "whiten" else None)


def test_post_on_a_model_side_equals_numpy_on_its_raw_vectors(llama):
    sides = [SideSpec(llama, "mean", name="raw"), SideSpec(llama, "mean", Options(post="center"), "centred"),
             SideSpec(llama, "mean", Options(post="whiten", whiten_dims=5), "white5"),
             SideSpec(llama, "mean", Options(post="whiten"), "white")]
    result = _session().compare(PAIRS, sides=sides)
    raw = result.sides["raw"].vectors
    _check_side(raw, result.sides["centred"], "center", None)
    _check_side(raw, result.sides["white5"], "whiten", 5)
    _check_side(raw, result.sides["white"], "whiten", len(PAIRS))  # the default, capped at half the 12 texts
    data = result.to_json()["results"]["white5"]
    assert data["options"]["post"] == "whiten" and data["options"]["whiten_dims"] == 5
    assert set(data["geometry"]) == {"top_share", "effective_rank", "explain"}


def test_post_on_vectors_and_remote_sides(tmp_path):
    q, a = rng.normal(size=(6, 8)) + 2, rng.normal(size=(6, 8)) + 2
    np.savez(tmp_path / "v.npz", questions=q, answers=a)
    with FakeServer(dim=8) as server:
        specs = specs_from_value([{"name": "file", "model": f"vectors:{tmp_path / 'v.npz'}", "post": "whiten",
                                   "whiten_dims": 3},
                                  {"name": "server", "model": server.name(), "options": {"post": "center"}}])
        result = _session().compare(PAIRS, sides=specs)
    _check_side(np.concatenate([q, a]).astype(np.float32), result.sides["file"], "whiten", 3)
    texts = [p.question for p in PAIRS] + [p.answer for p in PAIRS]
    _check_side(expected(texts), result.sides["server"], "center", None)


def test_bad_post_options_at_the_edges(llama):
    with pytest.raises(SideError, match="post='white': use one of none, center, whiten"):
        with_side_option([SideSpec(llama, "mean", name="gpt")], "gpt.post=white")
    spec = with_side_option([SideSpec(llama, "mean", name="gpt")], "gpt.whiten-dims=12")
    with pytest.raises(PostError, match=r"side 'gpt': whiten_dims=12 applies only with post=whiten"):
        _session().compare(PAIRS, sides=spec)
    spec = with_side_option(with_side_option(spec, "gpt.post=whiten"), "gpt.whiten-dims=12")
    with pytest.raises(PostError, match=r"side 'gpt': whiten_dims=12: use 1\.\.11, below the 12 vectors"):
        _session().compare(PAIRS, sides=spec)


def test_the_page_shows_each_sides_reading_and_shape(llama):
    from embedlab.analysis.geometry import EXPLAIN
    from embedlab.dashboard import views

    sides = [SideSpec(llama, "mean", name="raw"), SideSpec(llama, "mean", Options(layer=1, post="whiten"), "white")]
    result = _session().compare(PAIRS, sides=sides)
    html = views.metrics_html(result)
    assert "mean, layer 1, whitened (6 dims), dim 6" in html and "mean, dim 32" in html
    for side in result.sides.values():
        assert f"<td>{side.geometry.top_share:.2f}</td>" in html and f"<td>{side.geometry.effective_rank:.1f}</td>" in html
    assert EXPLAIN["effective_rank"] in html.replace("&#x27;", "'")
