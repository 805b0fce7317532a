# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The memory filter against the Ollama stand-in (tests/standins/ollama) with its real model.

The stand-in runs as a subprocess on 127.0.0.1 (no Docker) and answers /api/embed with real
vectors from Gemma 3 270M (mean-pooled, 640 dimensions): this proves the filter's request and
response handling against the same server Open WebUI talks to in the Molecule scenario, and the
dimension detection with a real model. Skipped, with the reason, where llama_cpp or the GGUF is
missing (``tests/standins/ollama/build.sh --prepare`` fills ``~/.cache/numberone-owu/ollama-standin`` (OWU_CACHE_DIR)).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import contextlib
import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))
SERVER = os.path.join(ROOT, "tests", "standins", "ollama", "server.py")
# tests/standins/ollama/build.sh --prepare fills this cache outside the clone (OWU_CACHE_DIR).
CACHE = os.environ.get("OWU_STANDIN_CACHE") or os.path.join(
    os.environ.get("OWU_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                                    "numberone-owu"), "ollama-standin")
GGUF = os.environ.get("OWU_STANDIN_GGUF") or os.path.join(CACHE, "gemma-3-270m-q4_k_m.gguf")
MODEL = "nomic-embed-text:v1.5"


def _env(port, models_dir):
    env = dict(os.environ, OLLAMA_HOST="127.0.0.1:%d" % port, OLLAMA_MODELS=str(models_dir),
               OWU_STANDIN_PULL_BYTES_PER_SEC="2000000000", PYTHONUNBUFFERED="1")
    site = os.path.join(CACHE, "site-packages")
    if importlib.util.find_spec("llama_cpp") is None and os.path.isdir(site):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH", "")) if p)
    return env


def _why_not():
    probe = subprocess.run([sys.executable, "-c", "import llama_cpp"], env=_env(0, "/nonexistent"),
                           capture_output=True, check=False)
    if probe.returncode != 0:
        return "llama_cpp not importable (run tests/standins/ollama/build.sh --prepare)"
    if not os.path.isfile(GGUF):
        return "GGUF missing at %s (run tests/standins/ollama/build.sh --prepare)" % GGUF
    return ""


_REASON = _why_not()
pytestmark = pytest.mark.skipif(bool(_REASON), reason=_REASON or "stand-in available")


def _request(port, method, path, body=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    models = tmp_path_factory.mktemp("ollama-standin") / "models"
    models.mkdir()
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(str(models.parent / "server.log"), "w+")  # noqa: SIM115 pylint: disable=consider-using-with
    proc = subprocess.Popen([sys.executable, SERVER, "serve"], env=_env(port, models),  # pylint: disable=consider-using-with
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _request(port, "GET", "/", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("the Ollama stand-in did not start: %s" % log.read()[-2000:])
            time.sleep(0.1)
        status, data = _request(port, "POST", "/api/pull", {"model": MODEL, "stream": False})
        assert status == 200, data
        yield "http://127.0.0.1:%d" % port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_real_standin_store_and_recall(memory_module, standin, tmp_path):
    pipeline = memory_module.Pipeline()
    # min_score -1: the tiny generative model's pooled vectors are not tuned for retrieval, so
    # relevance is not what is tested here; the user filter and the wiring are.
    pipeline.valves = pipeline.Valves(ollama_url=standin, qdrant_path=str(tmp_path / "q"), min_score=-1.0,
                                      top_k=5, timeout_s=120)
    asyncio.run(pipeline.on_startup())
    try:
        alice = {"id": "alice", "email": "alice@example.org"}
        bob = {"id": "bob", "email": "bob@example.org"}
        turn = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "I live in Hamburg with my two cats."},
                                                     {"role": "assistant", "content": "Lovely."}]}
        asyncio.run(pipeline.outlet(turn, alice))
        client = pipeline._client  # pylint: disable=protected-access
        assert client.get_collection("owu_memories").config.params.vectors.size == 640  # detected, not configured

        question = {"model": "phi4:14b", "messages": [{"role": "user", "content": "Where do I live?"}],
                    "metadata": {"chat_id": "c"}}
        messages = asyncio.run(pipeline.inlet(json.loads(json.dumps(question)), alice))["messages"]
        assert messages[0]["role"] == "system"
        assert "- I live in Hamburg with my two cats." in messages[0]["content"]
        assert asyncio.run(pipeline.inlet(json.loads(json.dumps(question)), bob)) == question
    finally:
        asyncio.run(pipeline.on_shutdown())
