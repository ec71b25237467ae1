"""The dashboard's ZeroGPU path, with the `spaces` decorator imitated as ZeroGPU runs it: the duration
asked of the call's own arguments in the main process, the call's arguments and result pickled, the
function run in a process forked for the call (whatever it loads is thrown away with it). Models are
placed at start-up and before each GPU call, in the main process; the counted loads say where each
model was loaded. Tiny random models; CUDA placement itself (emulated on a real ZeroGPU Space) is not
imitated: the placement device here is the CPU.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from embedlab.cache import EmbeddingCache
from embedlab.dashboard import api, compute, gpu_time, zerogpu
from embedlab.registry import ModelRegistry, _load
from embedlab.session import Session, register
from embedlab.settings import Settings
from tests.support.tinymodels import bert_sentence_transformer, llama_causal, mistral_causal

PAIRS = [{"question": "Where is OpenAI based?", "answer": "OpenAI is based at San Francisco."},
         {"question": "What is a GPU?", "answer": "A circuit that performs calculations quickly."}]


class ForkingSpaces:
    """`spaces` as on ZeroGPU: `GPU(duration=...)(fn)` asks the duration of the call's arguments, then
    runs `fn` in a forked process, its arguments and result pickled; it records each call's duration and
    the process that ran it. The forked process computes on one CPU thread: GNU OpenMP's thread pool,
    which torch's CPU matrix products use, does not survive a fork (the child waits for the parent's
    pool threads for ever), whereas on ZeroGPU the fork computes on its GPU. A call that has not
    answered within CALL_SECONDS is killed and fails."""

    CALL_SECONDS = 120

    def __init__(self):
        self.durations: list[int] = []
        self.pids: list[int] = []

    def GPU(self, task=None, *, duration=None):  # noqa: N802 - the spaces package's name
        def decorate(fn):
            def call(*args, **kwargs):
                self.durations.append(duration(*args, **kwargs) if callable(duration) else duration)
                sent = pickle.dumps((args, kwargs))
                read, write = os.pipe()
                pid = os.fork()
                if pid == 0:  # the GPU process: runs the call, sends back (pid, ok, value), exits
                    os.close(read)
                    try:
                        import torch

                        torch.set_num_threads(1)
                        a, k = pickle.loads(sent)
                        answer = (os.getpid(), True, fn(*a, **k))
                    except BaseException as exc:  # noqa: BLE001 - sent back to the caller
                        answer = (os.getpid(), False, exc)
                    with os.fdopen(write, "wb") as out:
                        pickle.dump(answer, out)
                    os._exit(0)
                os.close(write)
                with os.fdopen(read, "rb") as inp:
                    if not select.select([inp], [], [], self.CALL_SECONDS)[0]:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        raise TimeoutError(f"the GPU call did not answer within {self.CALL_SECONDS} s")
                    child, ok, value = pickle.load(inp)
                os.waitpid(pid, 0)
                self.pids.append(child)
                if not ok:
                    raise value
                return value
            return call
        return decorate if task is None else decorate(task)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zerogpu-models")
    return {"gpt": str(llama_causal(folder / "gpt")), "st": str(bert_sentence_transformer(folder / "st")),
            "later": str(mistral_causal(folder / "later"))}


@pytest.fixture
def on_zerogpu(monkeypatch, tmp_path):
    """The dashboard as on a ZeroGPU Space: a forking `spaces`, models placed on the CPU, loads counted
    (one line per load: the loading process and the model)."""
    fake = ForkingSpaces()
    monkeypatch.setattr(zerogpu, "ON_ZEROGPU", True)
    monkeypatch.setattr(zerogpu, "spaces", fake)
    monkeypatch.setattr(api, "compute", zerogpu.gpu(zerogpu.compare_duration, "the comparison")(compute.compute))
    loads = tmp_path / "loads.txt"

    def counting_load(name, **options):
        with loads.open("a") as out:
            out.write(f"{os.getpid()} {name}\n")
        return _load(name, **options)

    session = Session(cache=EmbeddingCache(use_disk=False), settings=Settings(),
                      registry=ModelRegistry(max_models=4, loader=counting_load, device_map=False), device="cpu")
    register("zerogpu-test", session)
    yield SimpleNamespace(api=api.Api(compute.PageSession("zerogpu-test")), spaces=fake, loads=lambda: loads.read_text().splitlines()
                          if loads.exists() else [])


def test_models_are_placed_once_in_the_main_process_and_the_gpu_call_only_embeds(on_zerogpu, tiny):
    z = on_zerogpu
    z.api.session.warm_up([tiny["gpt"], tiny["st"]], background=False)  # start-up, before launch
    assert z.api.session.warm["state"] == "ready"
    sides = [{"name": "gpt", "model": tiny["gpt"]}, {"name": "st", "model": tiny["st"]}]
    first = z.api.compare_many_json(PAIRS, sides)
    second = z.api.compare_many_json(PAIRS, sides)
    here = str(os.getpid())
    assert z.loads() == [f"{here} {tiny['gpt']}", f"{here} {tiny['st']}"]  # no load in either GPU call
    assert len(z.spaces.pids) == 2 and here not in map(str, z.spaces.pids)  # each call ran in its own fork
    assert first["results"].keys() == {"gpt", "st"}
    for side in ("gpt", "st"):  # the same numbers; the fork's cache went with it, so both calls computed
        assert first["results"][side]["similarity"] == second["results"][side]["similarity"]
        assert first["results"][side]["computed"] == second["results"][side]["computed"] == 2 * len(PAIRS)

    # a model chosen later is placed before the GPU call, in this process, once
    later = [{"name": "later", "model": tiny["later"]}, {"name": "st", "model": tiny["st"]}]
    z.api.compare_many_json(PAIRS, later)
    z.api.compare_many_json(PAIRS[:1], later)
    assert z.loads()[2:] == [f"{here} {tiny['later']}"]
    assert len(z.spaces.pids) == 4


def test_the_gpu_duration_is_asked_of_the_calls_own_arguments_and_grows_with_pairs_and_sides(on_zerogpu, tiny):
    z = on_zerogpu
    one = [{"name": "st", "model": tiny["st"]}]
    two = [*one, {"name": "gpt", "model": tiny["gpt"]}]
    many = [{"question": f"question {i}?", "answer": f"answer {i}."} for i in range(640)]
    z.api.compare_many_json(PAIRS, one)
    z.api.compare_many_json(many, one)
    z.api.compare_many_json(many, two)
    placed = zerogpu.startup_models(Settings())
    asked = [gpu_time.compare_seconds(placed, pairs, [SimpleNamespace(model=m) for m in models])
             for pairs, models in ((PAIRS, [tiny["st"]]), (many, [tiny["st"]]), (many, [tiny["st"], tiny["gpt"]]))]
    assert z.spaces.durations == asked
    assert asked[0] < asked[1] < asked[2] <= gpu_time.COMPARE_CEILING


def test_a_failure_in_the_gpu_call_reaches_the_visitor_as_one_line_naming_it(on_zerogpu, tiny, monkeypatch):
    import gradio as gr

    z = on_zerogpu

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be ...")

    monkeypatch.setattr(zerogpu.get_session("zerogpu-test"), "run", broken)  # the engine's entry, inside the GPU call
    with pytest.raises(gr.Error) as caught:
        z.api.compare_many_json(PAIRS, [{"name": "st", "model": tiny["st"]}])
    assert caught.value.message == ("the comparison failed on the GPU: RuntimeError: CUDA error: an illegal memory "
                                    "access was encountered CUDA kernel errors might be ...")


def test_the_spaces_packages_bare_worker_failures_are_explained_and_its_refusals_pass_through():
    import gradio as gr

    from embedlab.dashboard import gpu_errors

    def failing(message, title):
        def call():
            raise gr.Error(message, title=title)
        return gpu_errors.in_main(call, "the comparison")

    for message, says in (("RuntimeError", "the comparison could not start: ZeroGPU's GPU worker failed with RuntimeError"),
                          ("GPU task aborted", "the comparison was stopped by ZeroGPU before it finished")):
        with pytest.raises(gr.Error) as caught:
            failing(message, gpu_errors.WORKER_ERROR)()
        assert caught.value.message.startswith(says) and "\n" not in caught.value.message
    quota = "You have exceeded your free ZeroGPU quota (30s requested vs. 10s left). Try again in 0:10:00."
    with pytest.raises(gr.Error) as caught:
        failing(quota, "ZeroGPU quota exceeded")()
    assert caught.value.message == quota


def test_a_model_that_cannot_be_placed_is_named_before_any_gpu_call(on_zerogpu, tiny, tmp_path):
    import gradio as gr

    z = on_zerogpu
    with pytest.raises(gr.Error, match="not a model folder"):
        z.api.compare_many_json(PAIRS, [{"name": "gone", "model": str(tmp_path / "gone")}])
    assert z.spaces.durations == []


def test_jobs_from_other_threads_run_on_the_main_thread(monkeypatch):
    monkeypatch.setattr(zerogpu, "ON_ZEROGPU", True)
    seen, closed = [], []

    def stop():
        raise KeyboardInterrupt

    def visitor():
        zerogpu._serving.wait(5)
        seen.append(zerogpu.on_main_thread(lambda: threading.current_thread() is threading.main_thread()))
        with pytest.raises(ValueError, match="bad"):
            zerogpu.on_main_thread(int, "bad")
        zerogpu._jobs.put((stop, (), {}, Future()))

    thread = threading.Thread(target=visitor)
    thread.start()
    zerogpu.serve(SimpleNamespace(close=lambda: closed.append(True)))
    thread.join(5)
    assert seen == [True] and closed == [True] and not zerogpu._serving.is_set()
    assert zerogpu.on_main_thread(lambda: 7) == 7  # no loop serving: run where asked


def test_startup_models_are_every_model_offered_on_zerogpu_and_the_default_pair_elsewhere(monkeypatch):
    from embedlab.presets import OFFLINE_PAIR, PRESETS

    assert zerogpu.startup_models(Settings()) == list(OFFLINE_PAIR)  # this CPU-only machine
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setattr(zerogpu, "ON_ZEROGPU", True)
    placed = zerogpu.startup_models(Settings(hosted=True, allowed_models=("org/extra",)))
    assert placed[:2] == ["mistral-7b-instruct-v0.1", "e5-mistral-7b-instruct"] and set(placed) == {*PRESETS, "org/extra"}
