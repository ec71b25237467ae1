"""Pair files: every format reads, every bad file names its line and what is wrong."""

import json

import pytest

from embedlab.errors import PairsError
from embedlab.pairs import Pair, make_pairs, parse_pairs, read_pairs

EXPECTED = [Pair("What is GPU?", "A chip, quickly."), Pair("Where is OpenAI?", "In San Francisco.")]


@pytest.mark.parametrize("name, text", [
    ("p.csv", 'question,answer\nWhat is GPU?,"A chip, quickly."\nWhere is OpenAI?,In San Francisco.\n'),
    ("p.tsv", "question\tanswer\nWhat is GPU?\tA chip, quickly.\nWhere is OpenAI?\tIn San Francisco.\n"),
    ("p.jsonl", '{"question": "What is GPU?", "answer": "A chip, quickly."}\n\n'
                '{"question": "Where is OpenAI?", "answer": "In San Francisco."}\n'),
    ("p.json", json.dumps([p.as_dict() for p in EXPECTED])),
    ("p.txt", "\ufeffAnswer,Question,id\nA chip, quickly.,What is GPU?,1\n".replace("A chip, quickly.", '"A chip, quickly."')
     + "In San Francisco.,Where is OpenAI?,2\n"),
])
def test_formats(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert read_pairs(path) == EXPECTED


def test_results_json_reads_back_its_pairs():
    text = json.dumps({"pairs": [p.as_dict() for p in EXPECTED], "results": {}})
    assert parse_pairs(text, "json") == EXPECTED


@pytest.mark.parametrize("name, content, message", [
    ("a.csv", "What is GPU?,A chip\n", "line 1: a CSV file needs a header row with 'question' and 'answer'"),
    ("a.csv", "q,a\nx,y\n", "found 'q', 'a'"),
    ("a.tsv", "question\tanswer\nx\t   \n", "line 2: the answer is empty"),
    ("a.csv", "question,answer\nx,y\nonly one column\n", "line 3: expected 2 columns, found 1"),
    ("a.csv", "question,answer\nx,y\nWhat is it?,Plants turn light, water and CO2 into sugar\n",
     'line 3: 3 fields where the header has 2; a text that holds a comma must be in double quotes, '
     'e.g. "Plants turn light, water and CO2 into s…"'),
    ("a.tsv", "question\tanswer\n\nx\ty\tz\n", "line 3: 3 fields where the header has 2; a text that holds a tab"),
    ("a.jsonl", '{"question": "x", "answer": "y"}\n{"question": "x", "answer": \n', "line 2: not valid JSON"),
    ("a.jsonl", '{"question": "x", "answer": "y"}\n["x", "y"]\n', "line 2: expected a JSON object"),
    ("a.jsonl", '{"question": "x"}\n', "line 1: missing 'answer'"),
    ("a.json", '{"question": "x", "answer": "y"}', "got a JSON dict"),
    ("a.json", '[{"question": "x", "answer": null}]', "item 1: the answer is empty"),
    ("a.json", '[{"question": NaN, "answer": "y"}]', "item 1: the question is empty"),
    ("a.json", '[{"question": "x", "answer": "y"},', "not valid JSON"),
    ("a.csv", "", "the file is empty"),
    ("a.csv", "question,answer\n", "no pairs given"),
])
def test_bad_files_name_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PairsError) as err:
        read_pairs(path)
    assert message in str(err.value)


def test_non_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("question,answer\nx,y\ncaf\xe9,z\n".encode("latin-1"))
    with pytest.raises(PairsError, match="line 3: latin1.csv is not UTF-8"):
        read_pairs(path)


def test_limits(tmp_path):
    with pytest.raises(PairsError, match="3 pairs is over the limit of 2"):
        make_pairs([("a", "b")] * 3, max_pairs=2)
    path = tmp_path / "big.csv"
    path.write_text("question,answer\n" + "x,y\n" * 100)
    with pytest.raises(PairsError, match="over the 0.0 MB limit"):
        read_pairs(path, max_bytes=10)
    with pytest.raises(PairsError, match="no such file"):
        read_pairs(tmp_path / "missing.csv")


def test_odd_but_valid_texts_are_kept_exactly():
    texts = ["Qu'est-ce qu'un GPU ? 🚀", "مرحبا بالعالم", "什么是GPU？", "zero\u200bwidth", "<script>alert(1)</script>"]
    pairs = make_pairs([(t, t[::-1]) for t in texts])
    assert [p.question for p in pairs] == texts
