"""Every case of the bad-input catalogue through the command line, the Python API and the running app.

An error must be one clear message (exit status 2 and no traceback on the command line, an
EmbedLabError in Python, a Gradio error from the app) and the app must answer the next request.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.support.catalogue import CASES, GOOD, Case
from embedlab import cli
from embedlab.cache import EmbeddingCache
from embedlab.dashboard.sides_form import EXTRA_ROWS, ROW_FIELDS
from embedlab.sides import SideSpec
from embedlab.errors import EmbedLabError
from embedlab.pairs import read_pairs
from embedlab.session import Session
from embedlab.settings import Settings

pytestmark = pytest.mark.slow
IDS = [case.id for case in CASES]


def write(case: Case, folder: Path) -> Path:
    name, content = case.file_or_json()
    path = folder / name
    path.write_bytes(content)
    return path


# command line ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_command_line(case, tmp_path, capsys, monkeypatch, offline_registry):
    monkeypatch.setenv("EMBEDLAB_HOSTED", "1" if case.hosted else "0")
    monkeypatch.setattr("embedlab.session.shared_registry", lambda **_: offline_registry)  # load models once
    out = tmp_path / "out.json"
    args = ["compare", str(write(case, tmp_path)), "--base", case.base, "--embed", case.embed, "--json", str(out)]
    args += ["--base-method", case.base_method] if case.base_method else []
    args += ["--embed-method", case.embed_method] if case.embed_method else []
    args += ["--device", case.device] if case.device else []
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse refuses an unknown --base-method itself
        code = exc.code
    err = capsys.readouterr().err
    if case.error:
        assert code == 2, err
        assert "Traceback" not in err
        words = "invalid choice: 'magic'" if case.id == "unknown-method" else case.error
        assert words in err
    else:
        assert code == 0, err
        case.check(json.loads(out.read_text()))


# Python API ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_python_api(case, tmp_path, offline_registry):
    session = Session(cache=EmbeddingCache(tmp_path / "cache"), registry=offline_registry, device=case.device,
                      settings=Settings(hosted=case.hosted))
    specs = SideSpec(case.base, case.base_method or None), SideSpec(case.embed, case.embed_method or None)
    try:
        pairs = read_pairs(write(case, tmp_path)) if case.file else case.pairs
        result = session.compare(pairs, *specs)
    except EmbedLabError as exc:
        assert case.error, f"unexpected error: {exc}"
        assert case.error in str(exc)
        return
    except Exception:  # noqa: BLE001 - anything else is a bug that a person would see as a crash
        pytest.fail(f"not an EmbedLabError:\n{traceback.format_exc()}")
    assert not case.error, f"expected an error with {case.error!r}"
    case.check(result.to_json())


# the running app -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hosted_app(session_cache_dir, tmp_path_factory):
    from tests.support.apphelpers import running_app

    with running_app(session_cache_dir, tmp_path_factory.mktemp("hosted"), extra_env={"EMBEDLAB_HOSTED": "1"}) as url:
        yield url


@pytest.fixture(scope="module")
def clients(app_server, hosted_app):
    return {False: Client(app_server, verbose=False), True: Client(hosted_app, verbose=False)}


def through_app(client: Client, case: Case, tmp_path: Path):
    if case.file:  # the dashboard's upload button, then the table's rows compared
        rows = client.predict(handle_file(str(write(case, tmp_path))), api_name="/load_file")
        rows = rows["data"] if isinstance(rows, dict) else rows  # a Dataframe comes back as headers + data
        pairs = [{"question": q, "answer": a} for q, a in rows]
        return client.predict(pairs=pairs, base=case.base, base_method=case.base_method, embed=case.embed,
                              embed_method=case.embed_method, api_name="/compare_json")
    if case.device:  # only the dashboard's Compare takes a device
        rows = {"headers": ["question", "answer"], "data": [[p["question"], p["answer"]] for p in case.pairs]}
        empty_row = {"name": "", "model": None, "method": None, "chat_template": "default", "layer": None, "post": "none"}
        no_extra_sides = [empty_row[field] for field in ROW_FIELDS] * EXTRA_ROWS  # every row's fields (the count of rows
        # shown is a State, which the API does not take: it was sent here once, shifting every field after it by one)
        return client.predict(rows, case.base, case.base_method or None, case.embed, case.embed_method or None,
                              "", "default", 0, case.device, *no_extra_sides, api_name="/compare")
    return client.predict(pairs=case.pairs, base=case.base, base_method=case.base_method, embed=case.embed,
                          embed_method=case.embed_method, api_name="/compare_json")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_running_app(case, clients, tmp_path):
    client = clients[case.hosted]
    if case.error:
        with pytest.raises((AppError, ValueError)) as err:
            through_app(client, case, tmp_path)
        message = str(err.value)
        if case.id == "file-over-size-limit":  # refused before it is sent: the app's max_file_size
            assert "exceeds the maximum file size of 5242880 bytes" in message
        else:
            assert err.type is AppError and case.error in message
    else:
        case.check(through_app(client, case, tmp_path))
    # and the app stays usable for the next request
    after = client.predict(pairs=GOOD, base="", base_method="", embed="", embed_method="", api_name="/compare_json")
    assert len(after["results"]["embed"]["similarity"]) == 2


def test_the_server_itself_refuses_an_oversized_upload(hosted_app):
    """The client checks max_file_size before sending; a raw HTTP upload must be refused by the server too
    (a hosted one's 5 MB: outside hosted mode the limit fits a 30,000-pair vectors file)."""
    import httpx

    files = {"files": ("big.csv", b"question,answer\n" + b"q,a\n" * 1_400_000, "text/csv")}
    response = httpx.post(hosted_app + "gradio_api/upload", files=files, timeout=60)
    assert response.status_code == 413, response.text[:300]
