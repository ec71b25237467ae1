"""Pooling functions: right for left and right padding, and they never touch their inputs."""

import pytest
import torch

from embedlab.pooling import POOLING


def _padded(hidden, lengths, left):
    batch, width, dim = len(lengths), max(lengths), hidden.shape[-1]
    out = torch.zeros(batch, width, dim)
    mask = torch.zeros(batch, width, dtype=torch.long)
    for row, n in enumerate(lengths):
        span = slice(width - n, width) if left else slice(0, n)
        out[row, span] = hidden[row, :n]
        mask[row, span] = 1
    return out, mask


@pytest.mark.parametrize("name", list(POOLING))
def test_padding_side_does_not_matter(name):
    torch.manual_seed(0)
    hidden = torch.randn(3, 5, 4)
    lengths = [5, 2, 3]
    right = POOLING[name](*_padded(hidden, lengths, left=False))
    left = POOLING[name](*_padded(hidden, lengths, left=True))
    torch.testing.assert_close(left, right)


def test_values_by_hand():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert POOLING["last"](hidden, mask).tolist() == [[3.0, 4.0]]
    assert POOLING["mean"](hidden, mask).tolist() == [[2.0, 3.0]]
    assert POOLING["cls"](hidden, mask).tolist() == [[1.0, 2.0]]
    assert POOLING["max"](hidden, mask).tolist() == [[3.0, 4.0]]


@pytest.mark.parametrize("name", list(POOLING))
def test_inputs_untouched_and_empty_mask_safe(name):
    hidden, mask = torch.randn(2, 3, 4), torch.tensor([[1, 1, 1], [0, 0, 0]])
    before = hidden.clone(), mask.clone()
    out = POOLING[name](hidden, mask)
    assert torch.equal(hidden, before[0]) and torch.equal(mask, before[1])
    assert out.shape == (2, 4)
    if name == "mean":
        assert torch.isfinite(out).all()
