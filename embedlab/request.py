"""One Compare as typed data, checked once: `CompareRequest`, and the builders that make it at each edge.

A request holds the pairs (`Pair`s), the sides (`SideSpec`s, named, each model allowed here and its
method resolved: the model's default named where none was given), the files of given vectors read and
checked against the pairs (`side_sources.GivenVectors`), the device chosen once (None where no local
model runs) and the `Access` that allowed the models. It is frozen and pickles (ZeroGPU sends it to a
forked worker). `Session.run` and everything under it trust it: nothing below counts pairs, checks a
method name or chooses a device again.

`build` is the one check (the deployment's pair count and text lengths, each side's model, method and
post-processing); the edges turn what they were given into its arguments: `from_python` for the Python
API (`Session.compare`, `compare_pairs`) and the dashboard's JSON API, the command line and the page
their own (`cli.run_compare`, `dashboard.handlers`). Errors name the side they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from .access import Access
from .analysis.post import whiten_dims
from .backends.vectors import METHOD as VECTORS_METHOD, is_vectors
from .devices import choose_device
from .errors import EmbedLabError, MethodError
from .pairs import Pair, pairs_from_value
from .request_bounds import capped
from .settings import Settings
from .side_sources import GivenVectors
from .sides import SideSpec, default_specs, named_specs
from .sources import split_remote


@dataclass(frozen=True)
class CompareRequest:
    pairs: tuple[Pair, ...]
    sides: tuple[SideSpec, ...]  # in order, named; methods resolved; texts capped to the deployment's tokens
    given: tuple[GivenVectors, ...]  # the sides (by `GivenVectors.side`) whose vectors a file gave
    device: str | None  # chosen once; None where every side is a server's or a file's
    access: Access

    @property
    def specs(self) -> dict[str, SideSpec]:
        return {spec.name: spec for spec in self.sides}

    def model_sides(self) -> list[SideSpec]:
        """The sides a model computes (a local one or a server), in order: those no file gave."""
        given = {g.side for g in self.given}
        return [spec for spec in self.sides if spec.name not in given]


def _side_error(name: str, exc: EmbedLabError) -> EmbedLabError:
    return type(exc)(f"side {name!r}: {exc}")


def _resolved(spec: SideSpec, settings: Settings, n: int) -> tuple[SideSpec, GivenVectors | None]:
    """`spec` with its method resolved (from the model's configuration, no weights), or the file it names
    read and checked against `n` pairs."""
    if is_vectors(spec.model):
        if spec.method and spec.method != VECTORS_METHOD:
            raise MethodError(f"precomputed vectors take no method (got {spec.method!r})")
        given = GivenVectors.read(spec.name, settings.check_vectors(spec.model), n)
        return replace(spec, method=VECTORS_METHOD), given
    return replace(spec, method=settings.inspect(spec.model).method(spec.method).name.value), None


def build(settings: Settings, pairs: Sequence[Pair], sides: Sequence[SideSpec] | None = None,
          base: SideSpec | str | None = None, embed: SideSpec | str | None = None,
          device: str | None = None) -> CompareRequest:
    """The request for `sides` (named SideSpecs, up to MAX_SIDES), else the two classic sides `base` and
    `embed`, on `pairs`, checked against `settings` in this order: the pair count and text lengths, the
    sides' names, every side's model and method, every side's post-processing; all before any model is
    loaded. `device` (None: "auto") is chosen here, where a local model needs one."""
    settings.check_pairs(list(pairs))
    specs = named_specs(sides) if sides else default_specs(base, embed)
    resolved, given = [], []
    for name, spec in specs.items():
        try:
            spec, vectors = _resolved(capped(spec, settings.max_text_tokens), settings, len(pairs))
        except EmbedLabError as exc:
            raise _side_error(name, exc) from None
        resolved.append(spec)
        given += [vectors] if vectors else []
    for spec in resolved:
        try:
            whiten_dims(spec.options.post, spec.options.whiten_dims, 2 * len(pairs))
        except EmbedLabError as exc:
            raise _side_error(spec.name, exc) from None
    files = {g.side for g in given}
    local = any(not split_remote(s.model) for s in resolved if s.name not in files)
    return CompareRequest(tuple(pairs), tuple(resolved), tuple(given), choose_device(device) if local else None,
                          settings.access)


def from_python(settings: Settings, pairs: Any, base: SideSpec | str | None = None,
                embed: SideSpec | str | None = None, sides: Sequence[SideSpec] | None = None,
                device: str | None = None) -> CompareRequest:
    """The Python API's (and the JSON API's) compare: `pairs` as `pairs.pairs_from_value` reads them (Pair
    objects, {"question", "answer"} objects, that list as JSON text, an EmbedLab result), then `build`."""
    return build(settings, pairs_from_value(pairs), sides, base, embed, device)
