"""EMBEDLAB_MCP turns the app's MCP server off (0) or leaves it to whether the `mcp` package is installed;
any other value is refused in one line. The started app without MCP is in test_share_browser.py."""

import importlib.util

import pytest

from embedlab.dashboard import mcp
from embedlab.errors import EmbedLabError

INSTALLED = importlib.util.find_spec("mcp") is not None


@pytest.mark.parametrize("value, served", [("0", False), ("off", False), ("1", INSTALLED), ("", INSTALLED),
                                           (None, INSTALLED)])
def test_the_switch(monkeypatch, value, served):
    if value is None:
        monkeypatch.delenv("EMBEDLAB_MCP", raising=False)
    else:
        monkeypatch.setenv("EMBEDLAB_MCP", value)
    assert mcp.available() is served


def test_a_bad_value_is_named(monkeypatch):
    monkeypatch.setenv("EMBEDLAB_MCP", "maybe")
    with pytest.raises(EmbedLabError, match="EMBEDLAB_MCP='maybe': use 1 or 0"):
        mcp.available()
