"""Where the page's model work runs, and the session it runs in.

`compute` (a comparison), `compute_answers` (a question asked of one) and `compute_layers` (a layer
sweep) are the only functions that run models; on ZeroGPU they run on a GPU and only embed:
`PageSession.place` loads the models before them, outside the GPU call (see `zerogpu.py`). They take
plain values and find their session by name, as ZeroGPU pickles a GPU call's arguments.

`PageSession` is the page's link to the shared session: its name, its settings (what this deployment
allows), the start-up models' warm-up (behind a page that is already served, or on ZeroGPU before it)
and which session owns a model (a visitor's tuned folder: the visitor's own). Per-visitor results never
live here: they travel in the page's `gr.State` (`results.ViewState`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Iterable

from .. import allocator
from ..analysis.layers import layer_sweep
from ..ask import ask
from ..comparison import Comparison
from ..registry import ModelRegistry
from ..session import Session, get_session
from ..request import CompareRequest, build, from_python
from ..settings import Settings
from ..sides import SideSpec
from . import choices, visitors, waiting, zerogpu
from .page_errors import for_api
from .zerogpu import compare_duration, gpu, layers_duration

log = logging.getLogger(__name__)


@gpu(compare_duration, "the comparison")
@for_api
def compute(session_name: str, request: CompareRequest, vectors: bool = False, progress=None) -> Comparison:
    """Run `request` (built and checked once by the event that made it) in the named session; the vectors come
    back only when asked for (the PCA map needs them, `compare_json` does not), so a ZeroGPU worker sends back
    no more than is used."""
    report = _reporter(progress)
    session = get_session(session_name)
    waiting.wait_turn(session.compute_lock, report)
    try:
        comparison = session.run(request, progress=report)
    finally:
        allocator.release_freed()  # the models' activations, freed, go back to the system
    return comparison if vectors else comparison.without_vectors()


@gpu(compare_duration, "the question")  # the comparison (cached, or not yet) and one text per side
@for_api
def compute_answers(session_name: str, request: CompareRequest, question: str, vectors: bool = False) -> dict:
    """Run `request` (from the cache where it holds its vectors) and ask the comparison `question`; with
    `vectors`, also each side's question vector ("query_vectors", for the page's PCA maps)."""
    session = get_session(session_name)
    asked = ask(session.run(request), question, session)
    extra = {"query_vectors": {name: side.query_vector for name, side in asked.sides.items()}} if vectors else {}
    return {**asked.to_json(), **extra}


@gpu(layers_duration, "the layer sweep")
@for_api
def compute_layers(session_name: str, request: CompareRequest, methods: list[str], progress=None) -> tuple:
    """Every layer of `methods` of the request's first side (`analysis.layers.layer_sweep`, bounded as a
    Compare is), and the request's other sides compared on the same pairs (their AUCs are the sweep's
    reference lines): (LayerSweep, {side's model: AUC})."""
    report = _reporter(progress)
    session = get_session(session_name)
    waiting.wait_turn(session.compute_lock, report)
    swept, *others = request.sides
    try:
        sweep = layer_sweep(session, request.pairs, swept.model, methods, swept.options, report)
        compared = session.run(replace(request, sides=tuple(others)), report) if others else None
    finally:
        allocator.release_freed()  # as after a comparison
    references = {spec.model: compared.sides[spec.name].metrics.auc for spec in others} if compared else {}
    return sweep, references


def _reporter(progress):
    def report(done: int, total: int, message: str) -> None:
        if progress is not None:  # not `if progress`: gr.Progress is falsy until it tracks an iterable
            progress((done, total) if total else 0.0, desc=message)
    return report


def dashboard_session() -> Session:
    """The web page's own session: its settings read with the dashboard's rule (hosted on Spaces). On
    ZeroGPU its models are placed on `zerogpu.PLACEMENT` whole (no `device_map`), in bf16 (an RTX Pro 6000;
    asked outright rather than of the emulated device), and all kept."""
    settings = Settings.from_env(dashboard=True)
    if not zerogpu.ON_ZEROGPU:
        return Session(settings=settings)
    registry = ModelRegistry(max_models=len(zerogpu.startup_models(settings)) + 2, access=settings.access,
                             device_map=False)
    return Session(settings=settings, registry=registry, device=zerogpu.PLACEMENT, dtype="bfloat16")


class PageSession:
    """The shared session the page's events run in, by name (made now, so the first visitor does not wait)."""

    def __init__(self, session_name: str = "dashboard"):
        self.session_name = session_name
        self.settings = get_session(session_name, dashboard_session if session_name == "dashboard" else None).settings
        self.warm: dict = {"state": "idle"}

    def warm_up(self, models: list[str], background: bool = True) -> threading.Thread | None:
        """Load `models` in a background thread, so the page is served first (a Compare that comes
        sooner waits for the same load: the registry loads each model once), or here and now. A model
        that cannot be loaded (not installed, Hub unreachable) is named in `status` with the reason, and
        the others still load."""

        def run() -> None:
            start = time.perf_counter()
            self.warm = {"state": "loading", "models": list(models)}
            failed = {}
            for name in models:
                try:
                    get_session(self.session_name).backend(name)
                except Exception as exc:  # noqa: BLE001 - a Compare reports it in its own words; keep serving
                    log.warning("warm-up: %s could not be loaded: %s", name, exc)
                    failed[name] = str(exc)
            self.warm = {"state": "failed" if failed else "ready", "models": list(models),
                         "seconds": round(time.perf_counter() - start, 2), **({"failed": failed} if failed else {})}

        if not background:
            run()
            return None
        thread = threading.Thread(target=run, name="embedlab-warm-up", daemon=True)
        thread.start()
        return thread

    def place(self, specs: list[SideSpec], session_name: str | None = None) -> None:
        """On ZeroGPU, load the sides' models before the GPU call, on the main thread, onto the emulated
        CUDA device (the GPU call only embeds); elsewhere the comparison loads them itself, with progress.
        A preset that cannot run here is refused first, in one short line."""
        choices.check_available(spec.model for spec in specs)
        if not zerogpu.ON_ZEROGPU:
            return
        session = get_session(session_name or self.session_name)
        for name in dict.fromkeys(spec.model for spec in specs):
            zerogpu.on_main_thread(session.backend, name)

    def request(self, pairs, specs: list[SideSpec], session_name: str | None = None, device: str | None = None,
                from_value: bool = False) -> CompareRequest:
        """The one request of an event: the sides' models placed (`place`, which refuses a preset that cannot
        run here first), then the request built and checked once (`request.build`; `from_value`: the JSON API's
        pairs as `request.from_python` reads them) in the session that may open them, on `device` (None: the
        session's own)."""
        name = session_name or self.session_name
        self.place(specs, name)
        opened = get_session(name)
        make = from_python if from_value else build
        return make(opened.settings, pairs, sides=specs, device=device or opened.device)

    def session_for(self, models: Iterable[str]) -> str:
        """The session that may open `models`: a visitor's own for their tuned folder, else the shared one."""
        return visitors.session_for(self.session_name, models)

    def owner(self, model: str) -> tuple[str, Settings]:
        """`model` as the engine names it (a visitor's tuned folder for its page name, `visitors.resolve`)
        and the settings of the session that may open it."""
        path = visitors.resolve(model)
        return path, get_session(self.session_for([path])).settings
