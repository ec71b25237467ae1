"""The catalogue of bad and odd inputs that every front end must answer well.

Each case is data: pairs (for the Python API and `compare_json`) or a file (for the command line, the
file reader and the dashboard's upload), the models to use, and either the words the error must
contain or a check on the result of a run that works. `test_catalogue.py` runs every case through the
command line, the Python API and the running app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

BASE, EMBED = "smollm2-135m-instruct", "all-minilm-l6-v2"
GOOD = [{"question": "What is GPU?", "answer": "A chip that does maths quickly."},
        {"question": "Where is OpenAI?", "answer": "OpenAI is based in San Francisco."}]
LONG = " ".join(["The graphics processing unit renders images and trains neural networks."] * 120)  # ~1,300 tokens
ODD = {
    "emoji": "What does 🚀 mean in a commit message? 👩‍💻",
    "rtl": "ما هي وحدة معالجة الرسومات؟ מה זה מעבד גרפי?",
    "cjk": "什么是GPU？ GPUとは何ですか？ GPU는 무엇입니까?",
    "zero-width": "What\u200b is\u200c GPU\u200d?\ufeff",
    "control": "What is\x07 GPU?\x1b[31m red\x1b[0m\x00 end",
    "html": "<script>alert('x')</script><b>bold</b> & <img src=x onerror=alert(1)>",
    "formula": "=HYPERLINK(\"http://example.invalid\",\"click\")",
}


def _pairs_kept(expected: list[dict]) -> Callable[[dict], None]:
    def check(result: dict) -> None:
        assert result["pairs"] == expected, "texts must come back exactly as given"
        assert len(result["results"]["embed"]["similarity"]) == len(expected)
    return check


def _truncated(result: dict) -> None:
    assert result["results"]["embed"]["truncated"] >= 1 and result["results"]["base"]["truncated"] == 0


def _duplicates_score_alike(result: dict) -> None:
    for side in result["results"].values():
        assert side["similarity"][0] == side["similarity"][2], "a repeated pair scores as its first copy"


@dataclass(frozen=True)
class Case:
    id: str
    pairs: Any = None  # records for the API and compare_json
    file: tuple[str, bytes] | None = None  # (name, content) for the CLI, read_pairs and upload
    base: str = BASE
    base_method: str = ""
    embed: str = EMBED
    embed_method: str = ""
    device: str | None = None
    error: str | None = None  # words the message must contain; None: the run works
    check: Callable[[dict], None] | None = None
    hosted: bool = False

    def file_or_json(self) -> tuple[str, bytes]:
        """The case as a file: its own, or its pairs written as JSON."""
        return self.file or ("pairs.json", json.dumps(self.pairs, ensure_ascii=False).encode("utf-8"))


def _csv_export_is_safe(expected: list[dict]) -> Callable[[dict], None]:
    def check(result: dict) -> None:
        import csv
        import io

        from embedlab.comparison import Comparison
        from embedlab.dashboard.exports import to_csv

        _pairs_kept(expected)(result)
        rows = list(csv.DictReader(io.StringIO(to_csv(Comparison.from_json(result)))))
        texts = [row[column] for row in rows for column in ("question", "answer")]
        assert not any(text.startswith("=") for text in texts) and "'" + ODD["formula"] in texts
    return check


def _odd(key: str) -> Case:
    pairs = [{"question": ODD[key], "answer": f"An answer about {key}: {ODD[key]}"}, *GOOD]
    check = _csv_export_is_safe(pairs) if key == "formula" else _pairs_kept(pairs)
    return Case(f"odd-{key}", pairs=pairs, check=check)


CASES = [
    # the table or the list is empty, or a text in it is
    Case("empty-list", pairs=[], error="no pairs given"),
    Case("empty-file", file=("empty.csv", b""), error="the file is empty"),
    Case("header-only", file=("h.csv", b"question,answer\n"), error="no pairs given"),
    Case("blank-question", pairs=[{"question": "   ", "answer": "a"}], error="item 1: the question is empty"),
    Case("blank-answer", pairs=[GOOD[0], {"question": "q", "answer": ""}], error="item 2: the answer is empty"),
    Case("whitespace-cells", file=("w.tsv", b"question\tanswer\nq\t \t\n"), error="line 2: the answer is empty"),
    Case("null-cell", pairs=[{"question": None, "answer": "a"}], error="item 1: the question is empty"),
    Case("nan-cell", file=("nan.json", b'[{"question": NaN, "answer": "a"}]'), error="item 1: the question is empty"),
    Case("empty-csv-cell", file=("e.csv", b"question,answer\nWhat is GPU?,\n"), error="line 2: the answer is empty"),
    Case("only-questions", pairs=[{"question": "What is GPU?"}], error="item 1: missing 'answer'"),
    Case("only-question-column", file=("q.csv", b"question\nWhat is GPU?\n"),
         error="needs a header row with 'question' and 'answer'"),
    Case("text-not-string", pairs=[{"question": {"nested": 1}, "answer": "a"}], error="the question must be text"),
    # file formats
    Case("csv-no-header", file=("n.csv", b"What is GPU?,A chip\n"), error="line 1: a CSV file needs a header row"),
    Case("csv-wrong-columns", file=("c.csv", b"q,a\nWhat is GPU?,A chip\n"), error="found 'q', 'a'"),
    Case("csv-ragged-row", file=("r.csv", b"question,answer\nq,a\nonly one\n"), error="line 3: expected 2 columns"),
    Case("csv-unquoted-comma", file=("u.csv", b"question,answer\nWhat is GPU?,A chip\nWhat is photosynthesis?,"
                                           b"Plants turn light, water and CO2 into sugar\n"),
         error="line 3: 3 fields where the header has 2; a text that holds a comma must be in double quotes"),
    Case("tsv-extra-tab", file=("x.tsv", b"question\tanswer\nWhat is GPU?\tA chip\tthat does maths\n"),
         error="line 2: 3 fields where the header has 2; a text that holds a tab must be in double quotes"),
    Case("csv-trailing-empty-field", file=("t.csv", b"question,answer\nWhat is GPU?,A chip,\nWhere?,SF\n"),
         check=_pairs_kept([{"question": "What is GPU?", "answer": "A chip"}, {"question": "Where?", "answer": "SF"}])),
    Case("csv-nul-byte", file=("z.csv", b"question,answer\nWhat is\x00 GPU?,A chip\nWhere?,SF\n"),
         check=_pairs_kept([{"question": "What is\x00 GPU?", "answer": "A chip"}, {"question": "Where?", "answer": "SF"}])),
    Case("jsonl-broken-line", file=("b.jsonl", b'{"question": "q", "answer": "a"}\n\n{"question": "q2", "answer": \n'),
         error="line 3: not valid JSON"),
    Case("jsonl-array-line", file=("a.jsonl", b'{"question": "q", "answer": "a"}\n["q", "a"]\n'),
         error="line 2: expected a JSON object"),
    Case("json-object", file=("o.json", b'{"question": "q", "answer": "a"}'), error="got a JSON dict"),
    Case("json-broken", file=("j.json", b'[{"question": "q", "answer": "a"},'), error="not valid JSON"),
    Case("non-utf8", file=("l.csv", "question,answer\ncafé,crème\n".encode("latin-1")), error="line 2: l.csv is not UTF-8"),
    Case("too-many-pairs", pairs=[{"question": f"q{i}", "answer": f"a{i}"} for i in range(257)],
         error="257 pairs is over the limit of 256", hosted=True),  # a hosted demo's limit (outside: 100,000)
    Case("file-over-size-limit", file=("big.csv", b"question,answer\n" + b"q,a\n" * 1_400_000),
         error="over the 5.0 MB limit", hosted=True),  # a hosted demo's limit (outside: 256 MB)
    # texts that are odd but fine
    Case("long-text", pairs=[{"question": "What is GPU?", "answer": LONG}, GOOD[1]], check=_truncated),
    Case("duplicate-pairs", pairs=[GOOD[0], GOOD[1], GOOD[0]], check=_duplicates_score_alike),
    *(_odd(key) for key in ODD),
    # keys other than question and answer are dropped, and those two are found whatever their case
    Case("extra-keys", pairs=[{"id": 7, **GOOD[0]}, {"Question": "Where is OpenAI?", "ANSWER": "In SF.", "x": 1}],
         check=_pairs_kept([GOOD[0], {"question": "Where is OpenAI?", "answer": "In SF."}])),
    # models, methods, devices
    Case("unknown-preset", pairs=GOOD, base="gpt-17", error="unknown model 'gpt-17'"),
    Case("not-offline", pairs=GOOD, embed="someorg/some-model-not-cached", error="cannot load 'someorg/some-model"),
    Case("method-does-not-fit", pairs=GOOD, embed_method="logits",
         error="method 'logits' does not apply to all-minilm-l6-v2; valid methods: last-token, mean, cls, native"),
    Case("unknown-method", pairs=GOOD, base_method="magic", error="unknown method 'magic'"),
    Case("invalid-device", pairs=GOOD, device="tpu", error="unknown device 'tpu'"),
    Case("missing-device", pairs=GOOD, device="cuda:3", error="no CUDA GPU"),
    # remote embedding servers (URL#MODEL); port 9 on loopback has no server
    Case("remote-no-model", pairs=GOOD, embed="http://127.0.0.1:9/v1", error="write a remote model as URL#MODEL"),
    Case("remote-method-does-not-fit", pairs=GOOD, embed="http://127.0.0.1:9/v1#m", embed_method="logits",
         error="valid methods: native, e5"),
    Case("remote-server-down", pairs=GOOD, embed="http://127.0.0.1:9/v1#m", error="cannot reach the server"),
    # what a public deployment refuses
    Case("hosted-hub-id", pairs=GOOD, base="meta-llama/Llama-3.1-70B", hosted=True,
         error="this deployment only offers these models"),
    Case("hosted-local-path", pairs=GOOD, embed="/etc", hosted=True, error="this deployment only offers these models"),
    Case("hosted-gguf-path", pairs=GOOD, base="/root/model.gguf", hosted=True,
         error="this deployment only offers these models"),
    Case("hosted-remote-endpoint", pairs=GOOD, embed="http://169.254.169.254/latest#m", hosted=True,
         error="this deployment only offers these models"),
    Case("hosted-long-text", pairs=[{"question": "q", "answer": "x" * 20_001}], hosted=True,
         error="pair 1: the answer is 20,001 characters, over the limit of 20,000"),
]
