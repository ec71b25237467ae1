"""Errors shown to users: one base class, a subclass for each kind a person can act on differently."""


class EmbedLabError(Exception):
    """An error whose message is meant for the person using EmbedLab."""


class UnknownModelError(EmbedLabError):
    """The model name is neither a preset, a Hub id, a model folder nor a .gguf file."""


class ModelUnavailableError(EmbedLabError):
    """The model exists in principle but cannot be loaded here (offline, missing package, not allowed)."""


class MethodError(EmbedLabError):
    """The embedding method is unknown or does not apply to this model."""


class PairsError(EmbedLabError):
    """The question/answer pairs are missing, malformed or over a limit."""


class DeviceError(EmbedLabError):
    """The requested device does not exist on this machine."""


class SideError(EmbedLabError):
    """The sides of a comparison are malformed: unnamed, named twice, too many."""


class RemoteError(EmbedLabError):
    """An embeddings server failed, or answered something EmbedLab cannot use."""


class VectorsError(EmbedLabError):
    """A file of precomputed vectors is malformed: wrong keys, shapes, counts or values."""


class PostError(EmbedLabError):
    """A post-processing option that cannot apply: an unknown kind, or a number of directions out of range."""


class ShareError(EmbedLabError):
    """A share link that is unknown, expired, malformed, over a limit, or names what this deployment refuses."""
