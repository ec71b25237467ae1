"""The docs stay true: the README has its table of contents and glossary, every relative link in the
README and `docs/` points at a file that exists (and at a heading that exists, where it names one), and
`docs/layout.md` lists every module in `embedlab/` and no module that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    out = set()
    for line in page.read_text().splitlines():
        if match := re.match(r"#{1,6} (.+)", line):
            out.add(re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-"))
    return out


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def test_the_readme_has_a_table_of_contents_a_glossary_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert {"contents", "quick-start", "what-the-numbers-mean"} <= anchors(ROOT / "README.md")
    for term in ("Top-1", "MRR", "AUC", "margin", "How a verdict is reached"):
        assert term in readme
    assert "bash scripts/run.sh" in readme and "bash scripts/test.sh" in readme
    assert len(readme.splitlines()) <= 220, "the README is for a newcomer: details go to docs/"


def test_every_relative_link_resolves():
    broken = []
    for page in PAGES:
        for target in links(page):
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(ROOT / "README.md")}
    assert not [page.name for page in PAGES[1:] if page.resolve() not in linked]


def test_the_layout_lists_every_module_and_only_those():
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", (ROOT / "docs" / "layout.md").read_text(), flags=re.M))
    present = {path.relative_to(ROOT / "embedlab").as_posix() for path in (ROOT / "embedlab").rglob("*.py")}
    assert listed - present == set(), "listed in docs/layout.md but gone"
    assert present - listed == set(), "in embedlab/ but not in docs/layout.md"


def test_the_tests_mirror_the_project_and_never_import_the_benchmarks():
    """Test files live in the folders docs/testing.md names; helpers the benchmarks also need are in tests/support,
    and only the tests of the benchmark scripts themselves (tests/project) import benchmarks/."""
    folders = {"engine", "dashboard", "browser", "deploy", "project", "support"}
    loose = [p.name for p in (ROOT / "tests").glob("*.py") if p.name != "conftest.py"]
    loose += [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("*/conftest.py")]  # one conftest: test_rules imports it
    strays = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("*/*.py") if p.parent.name not in folders]
    importing = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("*.py") if p.parent.name != "project"
                 and re.search(r"^\s*(from|import) benchmarks\b", p.read_text(), flags=re.M)]
    assert (loose, strays, importing) == ([], [], [])
