"""Shared fixtures and the rules every test runs under.

- Every cache and Hugging Face folder points into pytest's temporary folders; tiny random models are
  built from configs (`tinymodels.py`); the offline pack is loaded once per session (`smollm2`, `minilm`).
- Every test runs as on a CPU-only machine (no CUDA, no MPS, in this process and in the processes it
  starts) unless it is marked `cuda`; a `cuda` test is skipped where there is no CUDA GPU.
- The fast lane (`pytest -m "not slow"`) loads no model of the offline pack and starts no app: a test
  not marked `slow` that does fails and says so (`_FastLaneGuard`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PRESET_FIXTURES = ("smollm2", "minilm", "app_server")  # each loads the offline pack or starts the app
MARK_SLOW = "mark it @pytest.mark.slow, or use a tiny model from tinymodels.py"


# folders ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def session_cache_dir(tmp_path_factory):
    """One EmbedLab cache folder for the session, so the GGUF model is converted once."""
    return tmp_path_factory.mktemp("embedlab-cache")


@pytest.fixture(scope="session", autouse=True)
def _session_dirs(session_cache_dir, tmp_path_factory):
    """The same folders for session- and module-scoped fixtures, which are set up before a test's own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMBEDLAB_CACHE_DIR", str(session_cache_dir))
        mp.setenv("HF_HOME", str(tmp_path_factory.getbasetemp() / "hf-home"))
        yield


@pytest.fixture(autouse=True)
def _isolated_dirs(request, monkeypatch, session_cache_dir, tmp_path_factory):
    """Slow tests share the session's cache folder (one GGUF conversion); each fast-lane test gets its own
    empty one, afterwards checked for traces of the offline pack left by a process the test started."""
    fast = request.node.get_closest_marker("slow") is None
    cache = tmp_path_factory.mktemp("cache") if fast else session_cache_dir
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(cache))
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.getbasetemp() / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield
    if fast:
        _GUARD.check_cache_folder(cache, request.node.nodeid)


# the offline pack and the app --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def offline_registry(session_cache_dir):
    """The registry that loads the offline pair, once for every test that needs real models."""
    os.environ["EMBEDLAB_CACHE_DIR"] = str(session_cache_dir)
    from embedlab.registry import ModelRegistry

    return ModelRegistry(max_models=4)


@pytest.fixture(scope="session")
def smollm2(offline_registry):
    return offline_registry.get("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def minilm(offline_registry):
    return offline_registry.get("all-minilm-l6-v2")


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a module's tests (tiny models train faster without thread hand-offs)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def app_server(session_cache_dir, tmp_path_factory):
    """The real dashboard (`python app.py`) on a free port, shared by one module's browser or API tests."""
    from tests.support.apphelpers import running_app

    with running_app(session_cache_dir, tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(app_server):
    """The browser tests' shared Chromium: one headless browser per test module, on the module's running app
    (`app_server`), with test-artifacts/ ready for its screenshots."""
    from tests.support.apphelpers import ARTIFACTS, launch_chromium

    playwright = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


# CPU only, unless marked cuda ----------------------------------------------------------------------------
_real_cuda: bool | None = None


def real_cuda() -> bool:
    """Whether this machine has a CUDA GPU, asked once, before any test hides it."""
    global _real_cuda
    if _real_cuda is None:
        import torch

        _real_cuda = torch.cuda.is_available()
    return _real_cuda


@contextlib.contextmanager
def _cpu_only():
    """torch sees no CUDA and no MPS (`embedlab.devices` asks torch at call time), and processes started
    meanwhile (the CLI, the app, probes) see no CUDA device either."""
    import torch

    from embedlab import devices

    real_cuda()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.cuda, "is_available", lambda: False)
        mp.setattr(torch.cuda, "device_count", lambda: 0)
        mp.setattr(torch.backends.mps, "is_available", lambda: False)
        if hasattr(devices, "_nvidia_driver"):  # what the page offers is found without torch, from the driver
            mp.setattr(devices, "_nvidia_driver", lambda: False)
        mp.setenv("CUDA_VISIBLE_DEVICES", "")
        yield


# the fast lane loads no model of the offline pack --------------------------------------------------------
class _FastLaneGuard:
    """Refuses, in a test not marked slow, to load a preset's weights (in this process, through
    transformers, which every loader and sentence-transformers go through) or to start the app; and finds
    the traces a started process leaves in the test's cache folder when it loads the offline pack."""

    def __init__(self):
        self._roots: list[Path] | None = None
        self._names: set[str] = set()

    def roots(self) -> list[Path]:
        """Where the offline pack lies (the real `Preset.local_path`, asked before anything is patched)."""
        if self._roots is None:
            from embedlab.presets import PRESETS

            self._names = {name for preset in PRESETS.values() for name in (preset.name, preset.hub_id)}
            roots = []
            for preset in PRESETS.values():
                path = preset.local_path()
                if path is not None:
                    roots.append((path.parent if path.is_file() else path).resolve())
            self._roots = roots
        return self._roots

    def preset_in(self, location) -> str | None:
        """The preset that `location` (a name, Hub id or path) is, or None."""
        text = os.fspath(location) if isinstance(location, (str, os.PathLike)) else ""
        if not text:
            return None
        if text in self._names:
            return text
        path = Path(text).expanduser()
        if not path.is_absolute() and not path.exists():
            return None
        path = path.resolve()
        for root in self.roots():
            if path == root or root in path.parents:
                return str(root)
        cache = Path(os.environ.get("EMBEDLAB_CACHE_DIR", "/nonexistent")).resolve() / "converted"
        if cache in path.parents:  # a converted GGUF preset
            return str(path)
        return None

    @contextlib.contextmanager
    def active(self, nodeid: str):
        from transformers import PreTrainedModel

        self.roots()
        original = PreTrainedModel.__dict__["from_pretrained"]
        guard = self

        def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
            preset = guard.preset_in(pretrained_model_name_or_path)
            if preset:
                pytest.fail(f"{nodeid} loads the offline pack ({preset}) in the fast lane; {MARK_SLOW}")
            return original.__func__(cls, pretrained_model_name_or_path, *args, **kwargs)

        class Popen(subprocess.Popen):
            def __init__(self, args, *rest, **kwargs):
                words = args.split() if isinstance(args, str) else [args] if isinstance(args, os.PathLike) else args
                if any(isinstance(w, (str, os.PathLike)) and Path(w).name == "app.py" for w in words):
                    pytest.fail(f"{nodeid} starts the app in the fast lane; mark it @pytest.mark.slow")
                super().__init__(args, *rest, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(PreTrainedModel, "from_pretrained", classmethod(from_pretrained))
            mp.setattr(subprocess, "Popen", Popen)
            yield

    def check_cache_folder(self, folder: Path, nodeid: str) -> None:
        """A process that loads smollm2 converts its GGUF file into `converted/`; one that loads a packaged
        model records its files' hashes under their paths (`fingerprints.py`). Either means the fast lane
        used the offline pack's weights."""
        if (folder / "converted").exists():
            pytest.fail(f"{nodeid} converted the GGUF preset (in a process it started) in the fast lane; {MARK_SLOW}")
        roots = [str(root) for root in self.roots()]
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_size < 4 * 2**20:
                text = path.read_bytes().decode("utf-8", errors="ignore")
                hit = next((root for root in roots if root in text), None)
                if hit:
                    pytest.fail(f"{nodeid} hashed or loaded the offline pack's weights ({hit}) in the fast lane, "
                                f"itself or in a process it started (see {path.name}); {MARK_SLOW}")


_GUARD = _FastLaneGuard()


def pytest_runtest_setup(item):
    if item.get_closest_marker("cuda") is not None and not real_cuda():
        pytest.skip("needs a CUDA GPU")
    if item.get_closest_marker("slow") is None:
        used = [name for name in PRESET_FIXTURES if name in item.fixturenames]
        if used:
            pytest.fail(f"{item.nodeid} uses {', '.join(used)} in the fast lane; {MARK_SLOW}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """The rules hold through the test's setup (module- and session-scoped fixtures too) and teardown."""
    with contextlib.ExitStack() as rules:
        if item.get_closest_marker("cuda") is None:
            rules.enter_context(_cpu_only())
        if item.get_closest_marker("slow") is None:
            rules.enter_context(_GUARD.active(item.nodeid))
        return (yield)
