"""EmbedLab as an MCP server: which of the app's API endpoints are MCP tools, and turning it on.

Gradio serves every public API endpoint as an MCP tool (streamable HTTP at `/gradio_api/mcp/`) when it
launches with `mcp_server=True` and the `mcp` package is installed; the page's own events (load a
file, add a row, the page's Compare) would be tools too. `keep_tools` leaves only the endpoints made
for callers, TOOLS, which run the same handlers as the page, so the deployment's limits and allowed
models apply to an agent exactly as to a visitor. The tool descriptions are those endpoints' docstrings;
a tool's result is its endpoint's value as JSON text (Gradio would print a dict as a Python literal).
EMBEDLAB_MCP=0 turns the MCP server off (a deployment that wants the page and its API only).
"""

from __future__ import annotations

import importlib.util
import json

from .. import env

TOOLS = ("compare_json", "compare_many_json", "layers_json", "tune_json", "ask_json", "models", "status")


def available() -> bool:
    """Whether to serve MCP: not where EMBEDLAB_MCP=0, else where the `mcp` package is installed (without it
    the app serves no MCP tools, and says why in its log)."""
    return env.flag("EMBEDLAB_MCP") is not False and importlib.util.find_spec("mcp") is not None


def keep_tools(demo) -> list[str]:
    """Hide every MCP tool of the launched `demo` but TOOLS (Gradio lists one per public endpoint) and
    make their results JSON text; the tool names kept. Call it after `launch` and before serving."""
    server = getattr(demo, "mcp_server_obj", None)
    if server is None:
        return []
    server.tool_to_endpoint = {tool: endpoint for tool, endpoint in server.tool_to_endpoint.items()
                               if endpoint.lstrip("/") in TOOLS}
    as_text = server.postprocess_output_data
    server.postprocess_output_data = lambda data, root_url: as_text(
        [json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value for value in data], root_url)
    return list(server.tool_to_endpoint)
