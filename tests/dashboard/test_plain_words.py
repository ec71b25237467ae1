"""The small things a first-time visitor reads: what each metric means (one place, in the tooltips, the
glossary and the command line's help), export names that say what they hold, the fine-tune's caveat
when the loss reaches ~0 on few pairs, and why "before tuning" can differ from Compare."""

import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np

from tests.support.results import fake_result

from embedlab.analysis.intervals import measure
from embedlab.dashboard import exports, tune_section, tune_view, views
from embedlab.glossary import METRIC_MEANINGS, meaning
from embedlab.metrics import METRIC_LABELS, METRIC_NAMES
from embedlab.tuning.lab import TuneResult
from embedlab.tuning.split import Split


def test_every_metric_has_one_meaning_used_by_the_table_and_the_command_line():
    assert set(METRIC_MEANINGS) == set(METRIC_NAMES)
    assert meaning("top1") == f"Top-1: {METRIC_MEANINGS['top1']}; higher is better"
    assert meaning("mean_pos") == f"Mean matching: {METRIC_MEANINGS['mean_pos']}"
    table = views.metrics_html(fake_result())
    for metric in METRIC_NAMES:
        label = METRIC_LABELS[metric]
        assert f"<th scope='row' title='{meaning(metric)}'>{label}</th>" in table.replace("&#x27;", "'")
        assert f"<li>{meaning(metric)}</li>" in table.replace("&#x27;", "'")  # the glossary under the table
    help_text = subprocess.run([sys.executable, "-m", "embedlab", "compare", "--help"], capture_output=True,
                               text=True, check=True).stdout
    flat = " ".join(help_text.split())
    assert all(meaning(metric) in flat for metric in METRIC_NAMES)


def test_export_names_carry_the_set_the_sides_and_the_time(tmp_path):
    result = fake_result()
    stem = exports.file_stem(result, when=0)
    assert re.fullmatch(r"embedlab-2-pairs-[0-9a-f]{6}-base-vs-embed-19700101-000000", stem)
    other = fake_result(questions=("q1", "another q2"))
    assert exports.file_stem(other, when=0) != stem  # another set, another name
    assert exports.file_stem(result, when=61) == stem[:-6] + "000101"
    json_path, csv_path, intervals_path = exports.write_results(result, tmp_path)
    assert intervals_path.name == json_path.stem + "-intervals.csv"
    assert json_path.stem == csv_path.stem and json_path.stem.startswith("embedlab-2-pairs-")
    assert "-base-vs-embed-" in json_path.stem
    weird = fake_result()
    weird = type(weird)(weird.pairs, {"a/b c": weird.sides["base"], "..": weird.sides["embed"]})
    assert "-a_b_c-vs-side-" in exports.file_stem(weird)  # no path separators, nothing hidden


def tune_result(losses, train=24, heldout=6) -> TuneResult:
    split = Split(tuple(range(train)), tuple(range(train, train + heldout)))
    return TuneResult("smollm2-135m-instruct", "out", "e5", None, split, tuple(losses), 1.0, None, None, {})


def test_a_loss_near_zero_on_few_pairs_gets_a_caveat():
    caveat = tune_result([2.0] * 10 + [0.01] * 5).caveat()
    assert caveat.startswith("The loss reached ~0 on 24 training pairs") and "one pair more or less moves top-1 by 0.17" in caveat
    assert tune_result([2.0] * 10 + [0.5] * 5).caveat() == ""  # still learning
    assert tune_result([0.01] * 5, train=200, heldout=50).caveat() == ""  # enough held out to tell
    side = SimpleNamespace(metrics=SimpleNamespace(auc=0.5, top1=0.5))
    result = tune_result([0.01] * 5)
    result = TuneResult(result.model, result.out, result.method, None, result.split, result.losses, 1.0, side, side, {})
    held_out = np.eye(6) + 0.1
    u = measure(dict.fromkeys(tune_view.SIDE_NAMES, held_out), dict.fromkeys(tune_view.SIDE_NAMES, [0.5] * 6), 6)
    comparison = SimpleNamespace(sides=dict.fromkeys(tune_view.SIDE_NAMES, side), uncertainty=u)
    assert "learnt them by heart" not in tune_view.summary(result, comparison)  # the caveat is a line of its own
    assert "Before tuning reads the base GPT with e5, the method it is tuned with" in tune_section.before_note("e5")


def _first_count(similarity: np.ndarray) -> int:
    """Questions whose own answer scores above every other answer, one question at a time."""
    count = 0
    for i, row in enumerate(similarity):
        if all(row[i] >= row[j] for j in range(len(row)) if j != i):
            count += 1
    return count


def test_the_plain_verdict_counts_the_questions_each_side_answered_first():
    from tests.support.results import side
    from embedlab.comparison import Comparison
    from embedlab.pairs import Pair
    from embedlab.report import first_answers

    rng = np.random.default_rng(3)
    n = 12
    sims = {"base": rng.normal(size=(n, n)), "embed": rng.normal(size=(n, n)) + 3 * np.eye(n),
            "third": rng.normal(size=(n, n)) + np.eye(n)}
    comparison = Comparison(tuple(Pair(f"q{i}", f"a{i}") for i in range(n)),
                            {name: side(name + "-model", s) for name, s in sims.items()})
    counts = {name: _first_count(s) for name, s in sims.items()}
    order = sorted(counts, key=lambda name: -comparison.sides[name].metrics.auc)
    said = ", ".join(f"{counts[name]} of {n}{' questions' if i == 0 else ''} with {name}-model (m)"
                     for i, name in enumerate(order[:-1]))
    assert first_answers(comparison) == (f"The right answer came first for {said}, and {counts[order[-1]]} of {n} "
                                         f"with {order[-1]}-model (m).")
    assert len(set(counts.values())) > 1  # the sides differ, so a wrong count or order shows
    page = views.verdict_html(comparison)
    assert page.index(first_answers(comparison)) < page.index("verdict-detail")  # plain words first, then the figures
    assert "Ranked by AUC, then margin" in views.metrics_html(comparison)  # the ranking rule beside the leaderboard
    assert "Ranked by" not in views.metrics_html(fake_result())  # two sides: no leaderboard, no rule


def test_the_plain_verdict_of_two_sides_and_of_one_question():
    from embedlab.report import first_answers

    assert first_answers(fake_result()) == ("The right answer came first for 2 of 2 questions with embedder (m) "
                                            "and 1 of 2 with gpt (m).")
