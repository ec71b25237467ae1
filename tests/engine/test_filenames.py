"""One rule makes a side's name part of a file name: the command line's `--matrix` files and the
dashboard's export names both follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedlab.errors import EmbedLabError
from embedlab.filenames import matrix_paths, safe_name


@pytest.mark.parametrize("name, safe", [("base", "base"), ("gpt-mean", "gpt-mean"), ("a/b c", "a_b_c"),
                                        ("v1.5", "v1_5"), ("..", "side"), ("", "side"), ("__x__", "x")])
def test_a_name_keeps_letters_digits_underscores_and_dashes(name, safe):
    assert safe_name(name) == safe


def test_the_matrix_files_and_the_export_names_share_the_rule():
    from tests.support.results import fake_result

    from embedlab.dashboard import exports

    paths = matrix_paths("out/m.npy", ["a/b c", "gpt-mean"])
    assert paths == {"a/b c": Path("out/m.a_b_c.npy"), "gpt-mean": Path("out/m.gpt-mean.npy")}
    assert matrix_paths("m.npy", ["only"]) == {"only": Path("m.npy")}  # one side: the name as given
    result = fake_result()
    weird = type(result)(result.pairs, {"a/b c": result.sides["base"], "gpt-mean": result.sides["embed"]})
    assert "-a_b_c-vs-gpt-mean-" in exports.file_stem(weird)
    with pytest.raises(EmbedLabError, match="must end in .npy"):
        matrix_paths("m.txt", ["a", "b"])
