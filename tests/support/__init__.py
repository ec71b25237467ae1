"""Helpers the tests and the benchmarks share: tiny models of real shapes, the real Mistral tokenizer, the app and
servers started as processes, the ZeroGPU device API stand-in, the catalogue of bad requests. Both import them from
here (`tests.support.X`); nothing here imports `benchmarks`."""
