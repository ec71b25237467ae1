"""Sides of precomputed vectors (`vectors:FILE.npz`) through every front end, bad files, the JSON size
limit, and the dashboard's large-set figures; no model is loaded (and torch is not needed)."""

from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pytest

from embedlab.backends.vectors import read_vectors
from embedlab.cache import EmbeddingCache
from embedlab.cli import main
from embedlab.comparison import FULL_MATRIX_PAIRS, OVERVIEW_PAIRS, TOP_K, Comparison
from embedlab.dashboard.exports import to_csv
from embedlab.errors import EmbedLabError, MethodError, ModelUnavailableError, VectorsError
from embedlab.metrics import cos_sim, score
from embedlab.pairs import Pair
from embedlab.session import Session, register
from embedlab.settings import Settings
from embedlab.sides import SideSpec


def vectors(n: int, dim: int = 8, noise: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n, dim)).astype(np.float32)
    return q, (q + noise * rng.standard_normal((n, dim))).astype(np.float32)


def save(path, n: int, **kwargs) -> str:
    q, a = vectors(n, **kwargs)
    np.savez(path, questions=q, answers=a)
    return str(path)


def pairs_file(path, n: int) -> str:
    path.write_text("question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(n)))
    return str(path)


def session(**settings) -> Session:
    return Session(cache=EmbeddingCache(use_disk=False), settings=Settings(max_pairs=10**5, **settings))


@pytest.mark.parametrize("arrays, words", [
    ({"questions": np.ones((3, 4))}, "no 'answers' array"),
    ({"q": np.ones((3, 4)), "a": np.ones((3, 4))}, "found 'q', 'a'"),
    ({"questions": np.ones((3, 4)), "answers": np.ones((3, 5))}, "questions are 3 x 4 but answers are 3 x 5"),
    ({"questions": np.ones((3, 4)), "answers": np.ones((2, 4))}, "questions are 3 x 4 but answers are 2 x 4"),
    ({"questions": np.ones(4), "answers": np.ones(4)}, "must be a non-empty [n, dim] array"),
    ({"questions": np.array([[1.0, np.nan]] * 3), "answers": np.ones((3, 2))}, "questions row 1 holds NaN or infinite"),
    ({"questions": np.ones((3, 2)), "answers": np.array([[1.0, 1.0], [np.inf, 0.0], [1.0, 1.0]])},
     "answers row 2 holds NaN or infinite"),
    ({"questions": np.ones((3, 2)), "answers": np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])}, "answers row 3 is all zeros"),
    ({"questions": np.array([["a", "b"]] * 3), "answers": np.ones((3, 2))}, "must hold real numbers"),
    ({"questions": np.ones((2, 2)), "answers": np.ones((2, 2))}, "holds vectors for 2 pairs but there are 3 pairs"),
])
def test_bad_vector_files_are_one_line_errors(tmp_path, arrays, words):
    path = tmp_path / "v.npz"
    np.savez(path, **arrays)
    with pytest.raises(VectorsError) as error:
        read_vectors(path, pairs=3)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_files_that_are_not_npz(tmp_path):
    text = tmp_path / "v.npz"
    text.write_text("questions,answers\n")
    with pytest.raises(VectorsError, match="not a NumPy .npz file"):
        read_vectors(text)
    with pytest.raises(VectorsError, match="no such vectors file"):
        read_vectors(tmp_path / "missing.npz")
    pickled = tmp_path / "p.npz"
    np.savez(pickled, questions=np.array([{"x": 1}] * 2, dtype=object), answers=np.ones((2, 2)))
    with pytest.raises(VectorsError, match="not a NumPy .npz file"):
        read_vectors(pickled)  # object arrays would need pickle, which is never allowed


def test_python_api_compares_vector_sides_like_model_sides(tmp_path):
    q, a = vectors(12, seed=1)
    np.savez(tmp_path / "mine.npz", questions=q, answers=a)
    pairs = [Pair(f"q{i}", f"a{i}") for i in range(12)]
    result = session().compare(pairs, sides=[SideSpec(f"vectors:{tmp_path / 'mine.npz'}", name="mine")])
    side = result.sides["mine"]
    assert side.model == "vectors:mine.npz" and side.method == "vectors" and side.dim == 8
    np.testing.assert_allclose(side.similarity, cos_sim(q, a), atol=1e-12)
    assert side.metrics == score(cos_sim(q, a))
    np.testing.assert_array_equal(side.vectors, np.concatenate([q, a]))
    with pytest.raises(MethodError, match="side 'mine': precomputed vectors take no method"):
        session().compare(pairs, sides=[SideSpec(f"vectors:{tmp_path / 'mine.npz'}", "mean", name="mine")])
    with pytest.raises(VectorsError, match="holds vectors for 12 pairs but there are 11 pairs"):
        session().compare(pairs[:11], sides=[SideSpec(f"vectors:{tmp_path / 'mine.npz'}", name="mine")])


def test_hosted_mode_takes_uploaded_files_only(tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    (uploads / "abc").mkdir(parents=True)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    outside = save(tmp_path / "server.npz", 3)
    uploaded = save(uploads / "abc" / "mine.npz", 3)
    pairs = [Pair(f"q{i}", f"a{i}") for i in range(3)]
    hosted = session(hosted=True)
    with pytest.raises(ModelUnavailableError, match="only as an uploaded .npz file"):
        hosted.compare(pairs, sides=[SideSpec(f"vectors:{outside}", name="v")])
    with pytest.raises(ModelUnavailableError, match="only as an uploaded"):
        hosted.compare(pairs, sides=[SideSpec(f"vectors:{uploads}/abc/../../server.npz", name="v")])
    assert hosted.compare(pairs, sides=[SideSpec(f"vectors:{uploaded}", name="v")]).sides["v"].method == "vectors"
    small = session(hosted=True, max_upload_bytes=100)
    with pytest.raises(VectorsError, match="over the 0.0 MB upload limit"):
        small.compare(pairs, sides=[SideSpec(f"vectors:{uploaded}", name="v")])


def test_cli_compares_vectors_and_writes_the_matrix(tmp_path, capsys):
    pairs, out, matrix = pairs_file(tmp_path / "p.csv", 20), tmp_path / "out.json", tmp_path / "m.npy"
    one, two = save(tmp_path / "one.npz", 20, seed=2), save(tmp_path / "two.npz", 20, noise=3.0, seed=3)
    code = main(["compare", pairs, "--side", f"one=vectors:{one}", "--side", f"two=vectors:{two}", "--no-cache",
                 "--json", str(out), "--matrix", str(matrix)])
    assert code == 0
    assert "vectors:one.npz" in capsys.readouterr().out
    data = json.loads(out.read_text())
    q, a = np.split(read_vectors(one), 2)
    assert data["results"]["one"]["metrics"] == pytest.approx(score(cos_sim(q, a)).as_dict())
    written = np.load(tmp_path / "m.one.npy")
    assert written.dtype == np.float32 and written.shape == (20, 20)
    np.testing.assert_allclose(written, cos_sim(q, a), atol=1e-6)
    assert (tmp_path / "m.two.npy").exists()
    assert main(["compare", pairs, "--side", f"one=vectors:{tmp_path / 'nope.npz'}", "--no-cache"]) == 2
    assert "no such vectors file" in capsys.readouterr().err
    assert main(["compare", pairs, "--side", f"one=vectors:{one}", "--no-cache", "--matrix", "m.txt"]) == 2
    assert "must end in .npy" in capsys.readouterr().err


def test_json_holds_the_matrix_up_to_the_limit_and_top_answers_above(tmp_path):
    n = FULL_MATRIX_PAIRS + 1
    pairs = [Pair(f"q{i}", f"a{i}") for i in range(n)]
    path = save(tmp_path / "v.npz", n, dim=6, noise=2.0)
    result = session().compare(pairs, sides=[SideSpec(f"vectors:{path}", name="v")])
    side = result.sides["v"]
    assert side.similarity is None and side.blocks is not None
    data = result.to_json()["results"]["v"]
    assert data["similarity"] is None and f"over the limit of {FULL_MATRIX_PAIRS:,}" in data["similarity_omitted"]
    q, a = np.split(read_vectors(path), 2)
    row = cos_sim(q[:3], a)
    assert data["top_answers"][:3] == np.argsort(-row, axis=1, kind="stable")[:, :TOP_K].tolist()
    np.testing.assert_allclose(data["top_scores"][:3], -np.sort(-row, axis=1)[:, :TOP_K], atol=1e-6)
    back = Comparison.from_json(result.to_json())
    assert back.to_json() == result.to_json()
    assert to_csv(back).count("\n") == 1 + n * TOP_K  # the CSV of a large set: each question's top answers
    small = session().compare(pairs[:FULL_MATRIX_PAIRS],
                              sides=[SideSpec(f"vectors:{save(tmp_path / 's.npz', FULL_MATRIX_PAIRS, dim=6)}", name="v")])
    assert len(small.to_json()["results"]["v"]["similarity"]) == FULL_MATRIX_PAIRS


def test_dashboard_uploads_vectors_and_draws_a_large_set(tmp_path):
    from tests.support.pages import outputs, page, rows_read

    from embedlab.dashboard.results import SIDE_SLOTS
    from embedlab.dashboard.sides_form import EXTRA_ROWS, ROW_FIELDS

    n = 2500
    path = save(tmp_path / "big.npz", n, dim=16, noise=2.0)
    register("vectors-test", session())
    dash = page("vectors-test")
    layout = dash.page.layout
    rows = [[f"q{i}", f"a{i}"] for i in range(n)]
    no_rows = [None] * (len(ROW_FIELDS) * EXTRA_ROWS)
    form = dash.form.add_vectors(path, rows, 0, *no_rows)
    assert set(form) == outputs(dash, "add_vectors") and form[layout.extra_count] == 1
    row = rows_read(dash, form)[0]
    assert row["name"]["value"] == "big" and row["model"]["value"] == f"vectors:{path}"
    with pytest.raises(gr.Error, match="holds vectors for 2,500 pairs but there are 3 pairs"):
        dash.form.add_vectors(path, rows[:3], 0, *no_rows)
    extra = ["big", f"vectors:{path}", None, "default", None, None] + no_rows[len(ROW_FIELDS):]
    out = dash.page.compare(rows, f"vectors:{path}", "", f"vectors:{path}", "", "", "default", 0, "auto", None, 1,
                            *extra)
    state, caption, heatmaps = out[layout.state], out[layout.heatmap_caption], [out[p] for p in layout.heatmaps]
    assert out[layout.zoom_row].visible is True  # the zoom control
    assert "2,500 pairs: each cell is the mean cosine of a block" in caption and "500 pairs drawn at random" in caption
    shown = [h["value"] for h in heatmaps if h["visible"]]
    assert len(shown) == 3
    grid = shown[0].data[0]
    q, a = np.split(read_vectors(path), 2)
    full = cos_sim(q, a)
    edges = state.comparison.sides["base"].blocks.edges
    assert np.asarray(grid.z).shape == (100, 100)
    assert grid.z[3][5] == pytest.approx(full[edges[3]:edges[4], edges[5]:edges[6]].mean(), abs=1e-12)
    assert shown[0].data[1].mode == "lines" and shown[0].data[1].x[:5] == (edges[0] - 0.5, edges[1] - 0.5, edges[1] - 0.5,
                                                                          edges[0] - 0.5, edges[0] - 0.5)
    histograms = out[layout.distributions]
    assert sum(t.y.sum() for t in histograms.data) == pytest.approx(6.0)  # each of 3 sides x 2 kinds sums to 1
    assert len(state.sample) == 500 and len(state.projections["base"][0]) == 1000

    def zoom(start, size):
        zoomed = dash.page.zoom(state, start, size)
        assert set(zoomed) == outputs(dash, "zoom")
        return zoomed[layout.heatmap_caption], [zoomed[p] for p in layout.heatmaps]

    caption, figs = zoom(101, 30)
    assert "Pairs 101-130 of 2,500" in caption and [f["visible"] for f in figs] == [True] * 3 + [False] * (SIDE_SLOTS - 3)
    np.testing.assert_allclose(figs[0]["value"].data[0].z, full[100:130, 100:130], atol=1e-12)
    hover = figs[0]["value"].data[0].text  # each cell: its pair numbers in the whole set, texts and cosine
    assert hover[0][1] == f"<b>Q101</b> q100<br><b>A102</b> a101<br>cosine {full[100, 101]:.3f}"
    assert hover[1][1].endswith(f"cosine {full[101, 101]:.3f} (matching pair)")
    caption, figs = zoom(2490, 30)  # kept inside the set
    assert "Pairs 2471-2500" in caption
    caption, figs = zoom(1, 0)  # size 0: the block means again
    assert caption == out[layout.heatmap_caption] and np.asarray(figs[0]["value"].data[0].z).shape == (100, 100)


def test_small_sets_keep_every_cell_on_the_page(tmp_path, monkeypatch):
    from tests.support.pages import outputs, page

    from embedlab.dashboard import exports

    def no_files(*args, **kwargs):
        raise AssertionError("a Compare wrote result files")

    monkeypatch.setattr(exports, "new_folder", no_files)  # a Compare writes no files; Export does

    n = OVERVIEW_PAIRS
    path = save(tmp_path / "v.npz", n)
    register("vectors-small", session())
    dash = page("vectors-small")
    layout = dash.page.layout
    out = dash.page.compare([[f"q{i}", f"a{i}"] for i in range(n)], f"vectors:{path}", "", f"vectors:{path}", "", "",
                            "default", 0, "auto", None, 0)
    assert set(out) == outputs(dash, "compare")  # keyed by component: every result output, nothing else
    assert out[layout.downloads] is None  # and the last export's files are no longer offered
    assert out[layout.zoom_row].visible is False and np.asarray(out[layout.heatmaps[0]]["value"].data[0].z).shape == (n, n)
    with pytest.raises(gr.Error, match="zoom is for large pair sets"):
        dash.page.zoom(out[layout.state], 1, 10)


def test_errors_are_embedlab_errors():
    assert issubclass(VectorsError, EmbedLabError)
