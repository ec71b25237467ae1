"""Figure builders on hand-made results: shapes, one colour scale, escaped texts, the marked diagonal,
and the PCA projection on points whose answer is known."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from embedlab.comparison import Comparison, SideResult
from embedlab.dashboard import figures
from embedlab.metrics import score, split_scores
from embedlab.pairs import Pair
from embedlab.prompts import Options

HOSTILE = "<script>alert('x')</script> & <b>bold</b>"


def side(model: str, sim) -> SideResult:
    sim = np.asarray(sim, dtype=np.float64)
    return SideResult(model=model, method="m", options=Options(), device="cpu", dtype="float32", similarity=sim,
                      metrics=score(sim), cached=0, computed=2 * len(sim), truncated=0, seconds=0.1, dim=3)


def fake_result(base_sim, embed_sim, questions=None, answers=None) -> Comparison:
    n = len(base_sim)
    questions = questions or [f"question {i}" for i in range(n)]
    answers = answers or [f"answer {i}" for i in range(n)]
    return Comparison(tuple(Pair(q, a) for q, a in zip(questions, answers)),
                      {"base": side("gpt<i>", base_sim), "embed": side("embedder", embed_sim)})


@pytest.fixture
def result():
    base = [[0.95, 0.94, 0.93], [0.92, 0.96, 0.91], [0.90, 0.93, 0.97]]
    embed = [[0.80, 0.10, -0.20], [0.05, 0.70, 0.00], [0.10, 0.20, 0.60]]
    return fake_result(base, embed, questions=[HOSTILE, "What is GPU?", "q3 " * 40],
                       answers=["plain", HOSTILE, "a3"])


def heatmap_traces(fig: go.Figure) -> list[go.Heatmap]:
    return [t for t in fig.data if isinstance(t, go.Heatmap)]


def all_label_text(fig: go.Figure) -> list[str]:
    """Every text a person can see or hover: hover texts, tick labels, titles, annotations, names."""
    texts = []
    for trace in fig.data:
        for attr in ("text", "hovertext", "name"):
            value = getattr(trace, attr, None)
            if value is not None:
                texts.extend(str(v) for v in np.ravel(np.asarray(value, dtype=object)))
    layout = fig.to_plotly_json()["layout"]
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            texts.extend(axis.get("ticktext", []))
    texts.extend(a.get("text", "") for a in layout.get("annotations", []))
    texts.append(layout.get("title", {}).get("text", ""))
    return texts


def test_heatmaps_are_square_and_side_by_side(result):
    fig = figures.heatmaps(result)
    traces = heatmap_traces(fig)
    assert len(traces) == 2
    for trace in traces:
        assert np.asarray(trace.z).shape == (3, 3)
    assert [t.xaxis for t in traces] == ["x", "x2"]
    layout = fig.to_plotly_json()["layout"]
    assert len(layout["yaxis"]["ticktext"]) == 3 and layout["yaxis"]["ticktext"][1].startswith("Q2 What is GPU")
    assert len(layout["xaxis"]["ticktext"]) == 3 and layout["xaxis2"]["ticktext"][0].startswith("A1 plain")


def test_heatmaps_share_one_colour_scale(result):
    traces = heatmap_traces(figures.heatmaps(result))
    every = np.concatenate([np.ravel(t.z) for t in traces])
    assert traces[0].zmin == traces[1].zmin == pytest.approx(every.min())
    assert traces[0].zmax == traces[1].zmax == pytest.approx(every.max())
    assert traces[0].colorscale == traces[1].colorscale
    assert [bool(t.showscale) for t in traces] == [False, True]  # one colour bar serves both


def test_color_range_of_constant_matrices_is_not_empty():
    low, high = figures.color_range([[[0.5, 0.5]], [[0.5]]])
    assert low < 0.5 < high


def test_diagonal_cells_are_outlined(result):
    fig = figures.heatmaps(result)
    shapes = fig.layout.shapes
    assert len(shapes) == 2 * 3
    for shape in shapes:
        centre_x, centre_y = (shape.x0 + shape.x1) / 2, (shape.y0 + shape.y1) / 2
        assert centre_x == centre_y and shape.x1 - shape.x0 == 1
        assert shape.xref.replace("x", "") == shape.yref.replace("y", "")
    assert {(s.xref, (s.x0 + s.x1) / 2) for s in shapes} == {(ref, i) for ref in ("x", "x2") for i in range(3)}


def test_hover_text_has_the_full_text_escaped(result):
    fig = figures.heatmaps(result)
    base = heatmap_traces(fig)[0]
    cell = base.text[0][1]
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in cell.replace("<br>", " ")
    assert "matching" not in cell and "matching pair" in base.text[1][1]
    assert ("q3 " * 40).split()[-1] in base.text[2][2]  # the full long question, not the short label


@pytest.mark.parametrize("build", ["heatmaps", "score_distributions", "projection"])
def test_no_figure_lets_markup_through(result, build):
    if build == "projection":
        points = {side: np.zeros((6, 2)) for side in ("base", "embed")}
        fig = figures.projection(result, points, {side: np.array([0.5, 0.2]) for side in points})
    else:
        fig = getattr(figures, build)(result)
    texts = " ".join(all_label_text(fig))
    for raw in ("<script", "<b>bold", "<i>"):
        assert raw not in texts
    assert "&lt;" in texts or build == "score_distributions"


def test_labels_are_short_and_escaped():
    assert figures.short_label("abcdefghij", width=5) == "abcd…"
    assert figures.short_label("  two\n lines ") == "two lines"
    assert figures.short_label("<b>", width=10) == "&lt;b&gt;"
    assert figures.hover_text("a < b " * 20, width=20).count("<br>") >= 3


def test_distributions_hold_matching_and_non_matching_scores(result):
    fig = figures.score_distributions(result)
    assert len(fig.data) == 4
    for trace, (side, kind) in zip(fig.data, [(s, k) for s in ("base", "embed") for k in ("matching", "non-matching")]):
        pos, neg = split_scores(result.sides[side].similarity)
        expected = pos if kind == "matching" else neg
        assert trace.name == kind
        np.testing.assert_allclose(trace.y, expected)
        assert len(trace.text) == len(expected)
        assert set(trace.x) == {f"{side}: {figures.escape(result.sides[side].model)}"}


def pca_2d(rows, unit: bool = True):
    """The maps' PCA as the page uses it: the rows' own points and each direction's share of variance."""
    from embedlab.dashboard import pca

    basis = pca.fit(rows, unit)
    return basis.project(rows), basis.explained


def test_pca_recovers_points_on_a_line():
    points, explained = pca_2d([[0, 0], [1, 0], [2, 0], [3, 0]], unit=False)
    np.testing.assert_allclose(points[:, 0], [-1.5, -0.5, 0.5, 1.5], atol=1e-12)
    np.testing.assert_allclose(points[:, 1], 0, atol=1e-12)
    np.testing.assert_allclose(explained, [1.0, 0.0], atol=1e-12)


def test_pca_matches_the_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)) * np.array([5.0, 2.0, 0.5, 0.1, 0.1])
    x = x @ np.linalg.qr(rng.normal(size=(5, 5)))[0]  # rotate, so the components are not the axes
    points, explained = pca_2d(x, unit=False)
    centred = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred.T, bias=True))
    top = vectors[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(points), np.abs(centred @ top), atol=1e-9)
    np.testing.assert_allclose(explained, values[::-1][:2] / values.sum(), atol=1e-9)
    again, _ = pca_2d(x[::-1], unit=False)  # signs are fixed: row order does not flip the map
    np.testing.assert_allclose(again[::-1], points, atol=1e-9)


def test_pca_of_few_long_vectors_matches_the_covariance_eigenvectors_too():
    """Fewer rows than numbers in each (the page's usual case): the same map, signs fixed the same way."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 30)) * np.linspace(3.0, 0.1, 30)
    points, explained = pca_2d(x, unit=False)
    centred = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred.T, bias=True))
    top = vectors[:, ::-1][:, :2]
    top = top * np.sign(top[np.abs(top).argmax(axis=0), [0, 1]])  # each direction's largest loading positive
    np.testing.assert_allclose(points, centred @ top, atol=1e-9)
    np.testing.assert_allclose(explained, values[::-1][:2] / values.sum(), atol=1e-9)


def test_pca_on_unit_vectors_ignores_length():
    a, _ = pca_2d([[1, 0, 0], [0, 2, 0], [0, 0, 3]])
    b, _ = pca_2d([[5, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_pca_of_fewer_rows_than_components_pads_with_zeros():
    points, explained = pca_2d([[1.0, 2.0, 3.0]])
    assert points.shape == (1, 2) and np.all(points == 0) and np.all(explained == 0)


def test_projection_joins_each_question_to_its_answer(result):
    q = np.array([[0, 0], [1, 1], [2, 2]], dtype=float)
    a = q + [10, 0]
    points = {"base": np.vstack([q, a]), "embed": np.vstack([a, q])}
    fig = figures.projection(result, points, {"base": np.array([0.6, 0.3]), "embed": np.array([0.5, 0.1])})
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 2
    base_line = lines[0]
    assert list(base_line.x) == [0, 10, None, 1, 11, None, 2, 12, None]
    markers = [t for t in fig.data if t.mode != "lines"]
    assert [t.name for t in markers] == ["question", "answer"] * 2
    assert list(markers[0].text) == ["Q1", "Q2", "Q3"]
    assert "90% of variance" in fig.layout.annotations[0].text


# one figure per side for the page, the combined figures for exports ----------------------------------
def test_side_heatmaps_are_one_figure_per_side_on_one_scale(result):
    figs = figures.side_heatmaps(result)
    assert len(figs) == len(result.sides) == 2
    traces = [heatmap_traces(fig)[0] for fig in figs]
    every = np.concatenate([np.ravel(t.z) for t in traces])
    assert [t.zmin for t in traces] == [pytest.approx(every.min())] * 2
    assert [t.zmax for t in traces] == [pytest.approx(every.max())] * 2
    for fig, (name, side_result) in zip(figs, result.sides.items()):
        assert len(fig.data) == 1 and fig.data[0].showscale  # each map has its own colour bar, same scale
        np.testing.assert_allclose(fig.data[0].z, side_result.similarity)
        assert fig.layout.title.text == figures.side_title(name, side_result)
        assert {((s.x0 + s.x1) / 2, (s.y0 + s.y1) / 2) for s in fig.layout.shapes} == {(i, i) for i in range(3)}
        assert fig.layout.yaxis.ticktext[1].startswith("Q2 What is GPU")


def test_page_and_export_heatmaps_come_from_the_same_traces(result):
    """The combined export figure and the per-side page figures draw identical heatmap traces."""
    combined = heatmap_traces(figures.heatmaps(result))
    for trace, fig in zip(combined, figures.side_heatmaps(result)):
        page, export = fig.data[0].to_plotly_json(), trace.to_plotly_json()
        for key in ("z", "zmin", "zmax", "text", "hovertemplate", "colorscale", "texttemplate"):
            assert str(page[key]) == str(export[key]), key


def test_a_narrow_heatmap_keeps_numbers_for_labels_and_full_texts_on_hover():
    n = 30
    sim = np.eye(n) * 0.5 + 0.25
    long_result = fake_result(sim, sim * 0.9, questions=[f"question number {i} " * 4 for i in range(n)])
    fig = figures.side_heatmaps(long_result)[0]
    fit = fig.layout.meta["fit"]
    narrow, wide = fit["narrow"], fit["wide"]
    assert fit["below"] == figures.NARROW_BELOW
    assert narrow["layout"]["yaxis.ticktext"] == [f"Q{i + 1}" for i in range(n)]
    assert narrow["layout"]["xaxis.ticktext"] == [f"A{j + 1}" for j in range(0, n, 2)]  # every other answer
    assert "<br>" in narrow["layout"]["title.text"]  # the model on a line of its own
    assert narrow["data"]["colorbar.orientation"] == ["h"]  # the colour bar under the map
    # `wide` holds the figure's own values of the same paths, so the page can switch back
    assert set(wide["layout"]) == set(narrow["layout"]) and set(wide["data"]) == set(narrow["data"])
    assert wide["layout"]["yaxis.ticktext"] == list(fig.layout.yaxis.ticktext)
    assert wide["layout"]["height"] == fig.layout.height and wide["data"]["colorbar.orientation"] == [None]
    assert "question number 7 question number 7" in fig.data[0].text[7][0]  # the full text on hover


def test_side_projections_are_one_map_per_side(result):
    points = {"base": np.arange(12.0).reshape(6, 2), "embed": -np.arange(12.0).reshape(6, 2)}
    explained = {"base": np.array([0.6, 0.3]), "embed": np.array([0.5, 0.1])}
    figs = figures.side_projections(result, points, explained)
    combined = figures.projection(result, points, explained)
    assert len(figs) == 2
    for k, (fig, side) in enumerate(zip(figs, ("base", "embed"))):
        assert [t.name for t in fig.data] == ["pair", "question", "answer"]
        assert fig.layout.title.text == f"{figures.side_title(side, result.sides[side])}, PCA ({round(explained[side].sum() * 100)}% of variance)"
        assert combined.layout.annotations[k].text == fig.layout.title.text
        for page, export in zip(fig.data, combined.data[3 * k: 3 * k + 3]):
            assert list(page.x) == list(export.x) and list(page.y) == list(export.y)
            assert page.hovertext == export.hovertext
    assert "90% of variance" in figs[0].layout.title.text
    assert "<br>" in figs[0].layout.meta["fit"]["narrow"]["layout"]["title.text"]


def test_export_figures_keep_every_side_in_one_figure(result):
    """What "Export figures as images" writes: one figure with every side side by side, no narrow variant."""
    for fig in (figures.heatmaps(result),
                figures.projection(result, {s: np.zeros((6, 2)) for s in result.sides},
                                   {s: np.array([0.5, 0.2]) for s in result.sides})):
        assert fig.layout.meta is None
        assert {t.xaxis for t in fig.data} == {"x", "x2"}  # two subplots, side by side
