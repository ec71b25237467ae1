"""Asking a comparison a question, on tiny random models: every cosine and rank equals the question and
each answer embedded alone with NumPy's cosines, the question runs once per side (and a table question
comes from the cache), the answers are never embedded again, and bad questions fail in words."""

import json

import numpy as np
import pytest

from tests.support import tinymodels
from embedlab import cli, embedding
from embedlab.ask import TOP_ANSWERS, ask
from embedlab.cache import EmbeddingCache
from embedlab.embedding import embed
from embedlab.errors import PairsError
from embedlab.loading import load
from embedlab.methods import Role
from embedlab.pairs import Pair
from embedlab.session import Session
from embedlab.settings import Settings
from embedlab.sides import SideSpec

PAIRS = [Pair("What is GPU?", "A chip that does maths quickly."),
         Pair("Where is OpenAI?", "OpenAI is based at San Francisco."),
         Pair("What is the quick brown fox?", "It jumps over the lazy dog."),
         Pair("Which sentence means one word?", "This sentence means in one word."),
         Pair("Rewrite the sentence", "The rewritten sentence is here."),
         Pair("What does a graphics processing unit do?", "It performs calculations quickly."),
         Pair("Who jumps over the dog?", "The quick brown fox.")]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("ask")
    return {"llama": str(tinymodels.llama_causal(root / "llama")), "bert": str(tinymodels.bert_sentence_transformer(root / "bert"))}


def sides(folders):
    return [SideSpec(folders["llama"], "mean", name="gpt"), SideSpec(folders["bert"], "native", name="bert")]


def alone(model: str, method: str, text: str, role: Role) -> np.ndarray:
    """`text` embedded by itself, by a freshly loaded model, with no cache."""
    return embed(load(model), [text], [role], method).vectors[0].astype(np.float64)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def scores_alone(spec: SideSpec, question: str) -> tuple[np.ndarray, np.ndarray]:
    """The question embedded alone, and its cosine with each answer embedded alone."""
    q = alone(spec.model, spec.method, question, Role.QUERY)
    return q, np.array([cosine(q, alone(spec.model, spec.method, p.answer, Role.PASSAGE)) for p in PAIRS])


@pytest.mark.parametrize("question", ["Where is the chip that does maths?", "  Where is OpenAI? "])
def test_answers_and_ranks_equal_an_independent_computation(folders, question):
    session = Session(cache=EmbeddingCache(use_disk=False), settings=Settings())
    comparison = session.compare(PAIRS, sides=sides(folders))
    asked = ask(comparison, question, session)
    intended = 1 if question.strip() == "Where is OpenAI?" else None
    assert asked.intended == intended and asked.question == question.strip() and not asked.skipped
    for spec in sides(folders):
        q, scores = scores_alone(spec, question.strip())
        got = asked.sides[spec.name]
        np.testing.assert_allclose(got.query_vector, q, rtol=1e-5, atol=1e-6)
        assert len(got.answers) == TOP_ANSWERS
        best = sorted(range(len(PAIRS)), key=lambda i: -scores[i])[:TOP_ANSWERS]
        assert [a.pair for a in got.answers] == best
        assert [a.answer for a in got.answers] == [PAIRS[i].answer for i in best]
        np.testing.assert_allclose([a.cosine for a in got.answers], scores[best], atol=1e-6)
        if intended is None:
            assert got.intended_rank is None
        else:
            assert got.intended_rank == 1 + sorted(range(len(PAIRS)), key=lambda i: -scores[i]).index(intended)
        assert got.cached == (intended is not None)  # a table question was embedded as a query already


def test_the_question_runs_once_per_side_and_the_answers_never(folders, monkeypatch):
    session = Session(cache=EmbeddingCache(use_disk=False), settings=Settings())
    comparison = session.compare(PAIRS, sides=sides(folders))
    texts = []
    real = embedding._run

    def counting(backend, items, uses):
        texts.extend([backend.name] * len(items))
        return real(backend, items, uses)

    monkeypatch.setattr(embedding, "_run", counting)
    asked = ask(comparison, "A new question about dogs?", session)
    assert sorted(texts) == sorted([folders["llama"], folders["bert"]])
    assert set(asked.sides) == {"gpt", "bert"}
    assert asked.to_json()["sides"]["gpt"]["answers"][0]["pair"] == asked.sides["gpt"].answers[0].pair


@pytest.mark.parametrize("question, words", [("   ", "empty"), ("x" * 41, "over the limit of 40")])
def test_bad_questions_are_refused_in_words(folders, question, words):
    session = Session(cache=EmbeddingCache(use_disk=False), settings=Settings(max_text_chars=40))
    comparison = session.compare(PAIRS[:2], sides=sides(folders)[:1])
    with pytest.raises(PairsError, match=words):
        ask(comparison, question, session)


def test_the_command_line_prints_and_writes_the_same_answers(folders, tmp_path, capsys):
    table = tmp_path / "pairs.csv"
    table.write_text("question,answer\n" + "".join(f'"{p.question}","{p.answer}"\n' for p in PAIRS))
    out = tmp_path / "asked.json"
    spec = sides(folders)[1]
    assert cli.main(["ask", str(table), PAIRS[3].question, "--side", f"bert={spec.model}:native", "--json", str(out),
                     "--no-cache"]) == 0
    written = json.loads(out.read_text())
    _, scores = scores_alone(spec, PAIRS[3].question)
    order = sorted(range(len(PAIRS)), key=lambda i: -scores[i])
    assert written["intended"] == 3 and written["sides"]["bert"]["intended_rank"] == 1 + order.index(3)
    assert [a["pair"] for a in written["sides"]["bert"]["answers"]] == order[:TOP_ANSWERS]
    np.testing.assert_allclose([a["cosine"] for a in written["sides"]["bert"]["answers"]], scores[order[:TOP_ANSWERS]],
                               atol=1e-6)
    printed = capsys.readouterr().out
    first = written["sides"]["bert"]["answers"][0]
    assert f"{first['cosine']:7.4f}  pair {first['pair'] + 1}" in printed
    assert f"intended answer ranked {written['sides']['bert']['intended_rank']}" in printed


def test_the_command_line_refuses_an_empty_question_before_loading_a_model(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run_compare", lambda args: pytest.fail("compared before checking the question"))
    table = tmp_path / "pairs.csv"
    table.write_text("question,answer\nWhat is GPU?,A chip.\n")
    assert cli.main(["ask", str(table), "   "]) == 2
    assert capsys.readouterr().err.strip() == "error: the question is empty; type a question to ask"
