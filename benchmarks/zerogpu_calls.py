"""The dashboard's GPU calls through the real ZeroGPU decorator, on a GPU: seconds per call, the GPU time
each call asks for, and the GPU memory in use against ZeroGPU's 48 GB `large` size.

    python -m benchmarks.zerogpu_calls              # on a CUDA machine (H100/H200), no internet needed
    python -m benchmarks.zerogpu_calls --dry-run    # tiny models on this CPU: stops at the worker's CUDA start

Run it with a Python that has requirements.txt and a CUDA build of torch (`scripts/setup-zerogpu.sh`
builds one; the `spaces` package refuses a CPU-only torch). Both Mistral presets are stood in for by
random models of Mistral-7B's shape (`benchmarks.gpu.MISTRAL_7B`, bf16) carrying the real v0.1
tokenizer, put in a Hub cache as `preload_from_hub` leaves them (`tests.support.hubcache`). `python app.py`
then starts as on a ZeroGPU Space (`SPACES_ZERO_GPU=true`, the stand-in device API of
`tests.support.zerogpu_api`), placing every offered model on `cuda` under the package's emulation, and is
driven with gradio_client: the default Compare (the original experiment's 2 pairs on the Mistral pair),
a Compare of `--pairs` pairs, a method sweep of the base model, and a fine-tune of `--tune-seconds`. The
stand-in hands the same GPU back idle, so the first call starts the worker (moving the placed weights to
the GPU) and the others reuse it, as ZeroGPU does when it gives a Space the GPU it just released. Each
call's wall time is set beside the duration it asked /schedule for (gpu_time.py's estimates: put the
measured figures there), and `nvidia-smi`'s memory in use, sampled through the call, beside 48 GB.
With --dry-run on a CPU every call is expected to stop at the worker's CUDA start, and is reported so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LARGE_GB = 48  # ZeroGPU's default `large` size: half an RTX Pro 6000 Blackwell
RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
NO_GPU = "could not start: ZeroGPU's GPU worker failed"  # gpu_errors.py's words for a worker without CUDA


def stand_ins(folder: Path, device: str, dtype, shape: dict) -> dict[str, Path]:
    """Random models of `shape` with the real Mistral v0.1 tokenizer, one per Mistral preset: the base GPT
    (MistralForCausalLM) and, for e5, its body alone (MistralModel); {hub id: folder}."""
    import torch

    from embedlab.loading import save_tokenizer
    from embedlab.presets import GPU_PAIR, PRESETS

    from .gpu import build
    from tests.support.mistral_tokenizer import VOCAB, load_tokenizer

    tokenizer = load_tokenizer()
    torch.manual_seed(0)
    model = build(dict(shape, vocab_size=VOCAB, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id), device, dtype)
    paths = {PRESETS[GPU_PAIR[0]].hub_id: folder / "instruct", PRESETS[GPU_PAIR[1]].hub_id: folder / "e5"}
    for weights, path in zip((model, model.model), paths.values()):
        weights.save_pretrained(path)
        save_tokenizer(tokenizer, path)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return paths


def gpu_uuid() -> str:
    """The first GPU's UUID (nvidia-smi), which the worker is handed as ZeroGPU hands it one; a stand-in
    name where there is no GPU."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=uuid", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    return out[0] if out else "GPU-standin"


class MemoryWatch:
    """The most GPU memory in use (GiB, all processes, nvidia-smi) since the last `reset`; None without a GPU."""

    def __init__(self):
        self.peak: float | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.wait(0.2):
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout
                used = float(out.split()[0]) / 1024
            except (OSError, ValueError, IndexError, subprocess.SubprocessError):
                return
            self.peak = used if self.peak is None else max(self.peak, used)

    def reset(self) -> float | None:
        peak, self.peak = self.peak, None
        return None if peak is None else round(peak, 1)


def timed_call(client, api, watch, label: str, *args, api_name: str) -> dict:
    """One GPU call: its wall seconds, the duration it asked for, the memory peak, and how it ended."""
    before = len(api.calls)
    watch.reset()
    began = time.perf_counter()
    try:
        client.predict(*args, api_name=api_name)
        outcome = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, as the visitor would see it
        outcome = " ".join(str(exc).split())
    asked = [int(q["durationSeconds"]) for path, q in api.calls[before:] if path == "/schedule"]
    return {"call": label, "seconds": round(time.perf_counter() - began, 1), "asked_s": asked[0] if asked else None,
            "peak_gpu_gib": watch.reset(), "outcome": outcome}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.zerogpu_calls", description=__doc__.split("\n")[0])
    p.add_argument("--dry-run", action="store_true", help="tiny models on the CPU: checks the path up to the worker")
    p.add_argument("--pairs", type=int, default=64, help="pairs of the larger Compare and the sweep (default 64)")
    p.add_argument("--tune-seconds", type=float, default=60, help="the fine-tune's time budget (default 60)")
    p.add_argument("--start-timeout", type=float, default=1800, help="seconds for the app to serve its page")
    p.add_argument("--offload-dir", type=Path, help="where `spaces` packs the placed tensors (default under a scratch "
                   "HOME; about 30 GB beside the 30 GB of models until it prunes them: /dev/shm where disk is short)")
    p.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/zerogpu-calls-<time>.json)")
    args = p.parse_args(argv)

    from gradio_client import Client

    from embedlab.pairs import read_pairs
    from embedlab.presets import GPU_PAIR
    from embedlab.settings import Settings
    from embedlab.sides import sweep

    from .corpus import pairs
    from .gpu import where
    from tests.support.hubcache import preload
    from tests.support.processes import answers, free_port, stop
    from tests.support.zerogpu_api import DeviceAPI, space_env

    target = where(args.dry_run, "benchmarks.zerogpu_calls")
    if target is None:
        return 2
    device, dtype, shape, card = target
    work = Path(tempfile.mkdtemp(prefix="embedlab-zerogpu-"))
    report: dict = {"device": card, "python": sys.version.split()[0], "shape": shape, "large_gb": LARGE_GB}
    try:
        home = work / "home"
        began = time.perf_counter()
        models = stand_ins(work / "models", device, dtype, shape)
        methods = Settings().inspect(str(models[next(iter(models))])).methods
        for hub_id, folder in models.items():
            preload(home / ".cache" / "huggingface" / "hub", hub_id, folder, move=True)
        report["models_written_s"] = round(time.perf_counter() - began, 1)
        watch = MemoryWatch()
        watch.thread.start()
        with DeviceAPI(gpu_uuid(), idle=True) as api, open(work / "app.log", "wb") as log:
            port = free_port()
            env = {**os.environ, **space_env(api.url, home), "GRADIO_SERVER_NAME": "127.0.0.1",
                   "GRADIO_SERVER_PORT": str(port), "EMBEDLAB_CACHE_DIR": str(work / "cache"),
                   **({"ZEROGPU_OFFLOAD_DIR": str(args.offload_dir)} if args.offload_dir else {})}
            began = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}/"
                while not answers(url + "config"):
                    if proc.poll() is not None or time.perf_counter() - began > args.start_timeout:
                        tail = (work / "app.log").read_text(errors="replace")[-3000:]
                        raise SystemExit(f"app.py did not serve its page:\n{tail}")
                    time.sleep(0.5)
                report["startup_s"] = round(time.perf_counter() - began, 1)
                report["startup_peak_gpu_gib"] = watch.reset()
                client = Client(url, verbose=False)
                original = [p.as_dict() for p in read_pairs(ROOT / "assets" / "original-experiment.csv")]
                many = [p.as_dict() for p in pairs(args.pairs)]
                sides = [{"name": s.name, "model": GPU_PAIR[0], "method": s.method,  # as the page's Sweep sets them
                          **({} if s.options.chat_template is None else {"chat_template": str(s.options.chat_template)})}
                         for s in sweep(GPU_PAIR[0], methods)][:8]  # the page's most
                report["calls"] = [
                    timed_call(client, api, watch, f"default compare ({len(original)} pairs, Mistral pair)", original, "", "", "", "",
                               api_name="/compare_json"),
                    timed_call(client, api, watch, f"compare ({args.pairs} pairs, Mistral pair)", many, "", "", "", "",
                               api_name="/compare_json"),
                    timed_call(client, api, watch, f"sweep ({args.pairs} pairs, {len(sides)} methods of the base)", many,
                               sides, api_name="/compare_many_json"),
                    timed_call(client, api, watch, f"fine-tune ({args.tune_seconds:g} s budget, 40 pairs)",
                               [p.as_dict() for p in pairs(40)], GPU_PAIR[0], args.tune_seconds, "e5", 0.2,
                               api_name="/tune_json"),
                ]
            finally:
                stop(proc, 30)
        watch.stop.set()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = args.out or RESULTS / f"zerogpu-calls-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"{card}: page served {report['startup_s']} s after `python app.py` (models written in "
          f"{report['models_written_s']} s); GPU memory at start-up {report['startup_peak_gpu_gib']} GiB")
    for call in report["calls"]:
        print(f"  {call['call']}: {call['seconds']} s (asked {call['asked_s']} s), peak GPU memory "
              f"{call['peak_gpu_gib']} GiB of {LARGE_GB}; {call['outcome']}")
    print(f"JSON: {out}")
    expected = (lambda c: NO_GPU in c["outcome"]) if args.dry_run else (lambda c: c["outcome"] == "ok")
    return 0 if all(expected(c) for c in report["calls"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
