"""EmbedLab as an MCP server and the `ask_json` endpoint, against the real app (`python app.py`): the
`mcp` SDK's own client over streamable HTTP lists exactly the caller tools, with descriptions and typed
parameters; its compare equals `compare_json`'s numbers; a bad call is a tool error in the engine's
words; `ask_json`'s cosines equal the question and each answer embedded alone (NumPy cosines)."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from gradio_client import Client

from embedlab.embedding import embed
from embedlab.methods import Role

pytestmark = pytest.mark.slow

OFFLINE = ("smollm2-135m-instruct", "all-minilm-l6-v2")
PAIRS = [{"question": "Where is the headquarter of OpenAI?", "answer": "OpenAI is based at San Francisco."},
         {"question": "What is GPU?", "answer": "A graphics processing unit (GPU) is an electronic circuit that can "
                                                "perform mathematical calculations quickly"},
         {"question": "What does a python eat?", "answer": "Pythons eat mammals and birds, such as rodents."}]
TOOLS = {"compare_json", "compare_many_json", "layers_json", "tune_json", "ask_json", "models", "status"}


def mcp_call(url: str, calls: list[tuple[str, dict]]) -> tuple[list, list]:
    """The server's tools and the results of `calls` (tool name, arguments), through the MCP SDK's client."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def run():
        async with streamablehttp_client(url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                return tools, [await session.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(run())


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False, download_files=False)


def test_mcp_lists_the_caller_tools_and_compare_equals_compare_json(app_server, client):
    arguments = {"pairs": PAIRS, "base": OFFLINE[0], "base_method": "", "embed": OFFLINE[1], "embed_method": ""}
    tools, (result, bad, models) = mcp_call(app_server, [
        ("compare_json", arguments), ("compare_json", {**arguments, "embed_method": "logits"}), ("models", {})])
    assert {tool.name for tool in tools} == TOOLS  # the page's own events are no tools
    compare_tool = next(tool for tool in tools if tool.name == "compare_json")
    assert set(compare_tool.inputSchema["properties"]) == {"pairs", "base", "base_method", "embed", "embed_method"}
    assert "cosine" in compare_tool.description and compare_tool.inputSchema["properties"]["pairs"].get("description")
    assert not result.isError
    answer = json.loads(result.content[0].text)
    expected = client.predict(**arguments, api_name="/compare_json")
    for side in ("base", "embed"):
        np.testing.assert_allclose(answer["results"][side]["similarity"], expected["results"][side]["similarity"],
                                   atol=1e-6)
        assert answer["results"][side]["metrics"] == expected["results"][side]["metrics"]
    assert bad.isError and "logits" in bad.content[0].text and OFFLINE[1] in bad.content[0].text
    limits = json.loads(models.content[0].text)["limits"]
    assert limits["max_sides"] == 8 and limits["top_answers"] == 5


def test_ask_json_equals_the_question_and_answers_embedded_alone(client, minilm):
    question = "Which animal eats rodents?"
    sides = [{"name": "minilm", "model": OFFLINE[1]}]
    asked = client.predict(pairs=PAIRS, question=question, sides=sides, api_name="/ask_json")
    assert asked["question"] == question and asked["intended"] is None

    def alone(text, role):
        return embed(minilm, [text], [role]).vectors[0].astype(np.float64)

    q = alone(question, Role.QUERY)
    scores = [float(q @ a / np.linalg.norm(q) / np.linalg.norm(a)) for a in (alone(p["answer"], Role.PASSAGE) for p in PAIRS)]
    got = asked["sides"]["minilm"]["answers"]
    assert [a["pair"] for a in got] == list(np.argsort(scores)[::-1])
    np.testing.assert_allclose([a["cosine"] for a in got], sorted(scores, reverse=True), atol=1e-5)

    again = client.predict(pairs=PAIRS, question=PAIRS[2]["question"], sides=sides, api_name="/ask_json")
    assert again["intended"] == 2 and again["sides"]["minilm"]["cached"] is True
    assert again["sides"]["minilm"]["intended_rank"] == 1


@pytest.fixture(scope="module")
def hosted_app(session_cache_dir, tmp_path_factory):
    from tests.support.apphelpers import running_app

    with running_app(session_cache_dir, tmp_path_factory.mktemp("hosted-mcp"),
                     extra_env={"EMBEDLAB_HOSTED": "1", "EMBEDLAB_MAX_TEXT_CHARS": "60"}) as url:
        yield url


def test_hosted_limits_and_allowed_models_apply_to_mcp_calls(hosted_app, tmp_path):
    folder = str(tmp_path)  # a folder on the server: a model a visitor may not name in hosted mode
    short = PAIRS[:1]  # within the 60 characters
    _, (path, sides, long, long_pair, models) = mcp_call(hosted_app, [
        ("compare_json", {"pairs": short, "base": folder, "base_method": "", "embed": "", "embed_method": ""}),
        ("compare_many_json", {"pairs": short, "sides": [{"name": "mine", "model": folder}]}),
        ("ask_json", {"pairs": short, "question": "x" * 61, "sides": ""}),
        ("compare_json", {"pairs": PAIRS, "base": "", "base_method": "", "embed": "", "embed_method": ""}),
        ("models", {})])
    for refused in (path, sides):
        assert refused.isError and "this deployment only offers these models" in refused.content[0].text
        assert folder in refused.content[0].text
    assert long.isError and "the question is 61 characters, over the limit of 60" in long.content[0].text
    assert long_pair.isError and "pair 2: the answer is 108 characters, over the limit of 60" in long_pair.content[0].text
    offered = json.loads(models.content[0].text)
    assert offered["hosted"] is True and offered["limits"]["max_text_chars"] == 60
