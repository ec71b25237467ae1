"""The real Mistral 7B v0.1 tokenizer with no Hub download: the sentencepiece model that the
`mistral-common` wheel carries (`mistral_common/data/tokenizer.model.v1`, 32,000 tokens), read by
transformers' `LlamaTokenizer`.

`benchmarks.gpu_tune` writes it into its random Mistral-7B-shaped model folder, and the tests build tiny
random Mistral models with it (`tests/support/tinymodels.py`). The wheel is downloaded, not installed
(`scripts/setup.sh`, from requirements-data.txt, into the environment's `wheels/` folder), and the file
is read straight out of it: installed without its dependencies, mistral-common breaks transformers'
AutoTokenizer for every Mistral model (it imports the package, which then fails on a missing import).
A full install of mistral-common is used where there is one. The file holds no chat template; the tests
add Mistral-7B-Instruct-v0.1's where they need it.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import zipfile
from pathlib import Path

VOCAB = 32000
PACKAGE_FILE = "mistral_common/data/tokenizer.model.v1"
WHEELS = Path(sys.prefix) / "wheels"  # where scripts/setup.sh downloads requirements-data.txt


def tokenizer_model(given: Path | None = None) -> bytes:
    """The sentencepiece model's bytes: `given` (a file, or a folder holding tokenizer.model), else the copy
    in an installed mistral-common, else the one in its downloaded wheel."""
    if given is not None:
        return (given / "tokenizer.model" if given.is_dir() else given).read_bytes()
    spec = importlib.util.find_spec("mistral_common")  # found, never imported
    if spec and spec.submodule_search_locations:
        installed = Path(next(iter(spec.submodule_search_locations))).parent / PACKAGE_FILE
        if installed.is_file():
            return installed.read_bytes()
    for wheel in sorted(WHEELS.glob("mistral_common-*.whl"), reverse=True):
        with zipfile.ZipFile(wheel) as archive:
            if PACKAGE_FILE in archive.namelist():
                return archive.read(PACKAGE_FILE)
    raise FileNotFoundError(f"the Mistral 7B v0.1 tokenizer was not found: run scripts/setup.sh (it downloads the "
                            f"mistral-common wheel into {WHEELS}), or name a tokenizer.model file")


def load_tokenizer(given: Path | None = None, append_eos: bool = False):
    """The tokenizer as the Hub's Mistral 7B v0.1 folders set it up (their tokenizer_config.json, which a
    bare sentencepiece file does not carry): BOS in front of every text (add_bos_token), EOS after it only
    with `append_eos`, and `legacy` on, so that text right after a special token starts a word as it does
    in Mistral's own v1 tokenisation ("<s>[INST]" is "<s>", "▁[", "INST", "]"; with legacy off transformers
    writes "[" without the word start). Save it with `embedlab.loading.save_tokenizer`, which keeps that
    setting. Converting the sentencepiece model takes a second or two."""
    from transformers import LlamaTokenizer

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "tokenizer.model").write_bytes(tokenizer_model(given))
        tokenizer = LlamaTokenizer.from_pretrained(folder, add_bos_token=True, add_eos_token=append_eos, legacy=True)
    if len(tokenizer) != VOCAB:
        raise ValueError(f"that is not Mistral 7B v0.1's tokenizer ({len(tokenizer)} tokens, not {VOCAB})")
    return tokenizer
