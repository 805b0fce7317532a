# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Contract tests of the Ollama stand-in (tests/standins/ollama) against Ollama's documented API.

The stand-in replaces Ollama in the role's Molecule scenario and in Open WebUI tests, so it must
not drift from upstream (docs/api.md, server/routes.go, server/images.go, server/download.go of
ollama/ollama). The server runs as a subprocess on 127.0.0.1 with a throw-away OLLAMA_MODELS; no
Docker is needed. Tests that need the real tiny model (Gemma 3 270M through llama-cpp-python) are
skipped, with the reason, when llama_cpp or the GGUF is not available: ``build.sh --prepare``
fills ``~/.cache/numberone-owu/ollama-standin`` (OWU_CACHE_DIR) with both, and the tests use that cache.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import http.client
import importlib.util
import json
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
STANDIN_DIR = os.path.join(ROOT, "tests", "standins", "ollama")
SERVER = os.path.join(STANDIN_DIR, "server.py")
# tests/standins/ollama/build.sh --prepare fills this cache outside the clone (OWU_CACHE_DIR).
CACHE = os.environ.get("OWU_STANDIN_CACHE") or os.path.join(
    os.environ.get("OWU_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                                    "numberone-owu"), "ollama-standin")
CATALOG = os.path.join(ROOT, "roles", "ollama", "vars", "catalog.yml")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
SMALL = "nomic-embed-text"  # 274 MB: pulls in a fraction of a second


def _load_server_module():
    spec = importlib.util.spec_from_file_location("owu_ollama_standin", SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


standin = _load_server_module()


# --------------------------------------------------------------------------
# subprocess server and a tiny HTTP client (stdlib only)
# --------------------------------------------------------------------------

def _free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(models_dir, port, **extra):
    env = dict(os.environ)
    env.update({
        "OLLAMA_HOST": "127.0.0.1:%d" % port,
        "OLLAMA_MODELS": str(models_dir),
        "OWU_STANDIN_PULL_BYTES_PER_SEC": "2000000000",
        "PYTHONUNBUFFERED": "1",
    })
    site = os.path.join(CACHE, "site-packages")
    if importlib.util.find_spec("llama_cpp") is None and os.path.isdir(site):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH", "")) if p)
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Server:
    def __init__(self, models_dir, **env):
        self.port = _free_port()
        self.env = _server_env(models_dir, self.port, **env)
        self.log = open(os.path.join(str(models_dir), "..", "server-%d.log" % self.port), "w+")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, SERVER, "serve"], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("stand-in exited: %s" % self.read_log())
            try:
                if self.request("GET", "/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("stand-in did not answer within 30 s: %s" % self.read_log())

    def read_log(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()

    def connection(self, timeout=120):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, timeout=120):
        """Returns (status, headers, body bytes)."""
        conn = self.connection(timeout)
        try:
            payload = json.dumps(body) if body is not None else None
            conn.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
            resp = conn.getresponse()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, timeout=120):
        status, headers, data = self.request(method, path, body, timeout)
        return status, (json.loads(data) if data else None), headers

    def ndjson(self, path, body, timeout=120):
        """Returns (status, content-type, [objects]) for a streamed endpoint."""
        status, headers, data = self.request("POST", path, body, timeout)
        lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
        return status, headers.get("content-type", ""), lines

    def pull(self, model, **extra):
        body = dict({"model": model}, **extra)
        return self.ndjson("/api/pull", body)

    def tags(self):
        return {m["name"]: m for m in self.json("GET", "/api/tags")[1]["models"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    models = tmp_path_factory.mktemp("standin") / "models"
    models.mkdir()
    srv = Server(models)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def small(server):
    status, _ctype, lines = server.pull(SMALL)
    assert status == 200 and lines[-1] == {"status": "success"}, lines[-3:]
    return SMALL + ":latest"


def _real_model_available():
    env = _server_env("/nonexistent", 0)
    probe = subprocess.run([sys.executable, "-c", "import llama_cpp"], env=env, capture_output=True, check=False)
    gguf = os.environ.get("OWU_STANDIN_GGUF") or os.path.join(CACHE, "gemma-3-270m-q4_k_m.gguf")
    if probe.returncode != 0:
        return False, "llama_cpp not importable (pip install llama-cpp-python==0.3.36, or run tests/standins/ollama/build.sh --prepare)"
    if not os.path.isfile(gguf):
        return False, "GGUF missing at %s (run tests/standins/ollama/build.sh --prepare)" % gguf
    return True, ""


_REAL, _REAL_REASON = _real_model_available()
real_model = pytest.mark.skipif(not _REAL, reason=_REAL_REASON or "real model available")


# --------------------------------------------------------------------------
# pure functions (in-process)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("llama3.1", "llama3.1:latest"),
    ("llama3.1:8b", "llama3.1:8b"),
    ("library/llama3.1:8b", "llama3.1:8b"),
    ("registry.ollama.ai/library/phi3:mini", "phi3:mini"),
    ("someone/model:tag", "someone/model:tag"),
    ("hf.co/org/repo:Q4_K_M", "hf.co/org/repo:Q4_K_M"),
])
def test_model_name_parse(raw, expected):
    assert standin.ModelName.parse(raw).shortest() == expected


@pytest.mark.parametrize("raw", ["", "bad name", "a/b/c/d", "x:", ":tag", "-lead:x"])
def test_model_name_invalid(raw):
    assert standin.ModelName.parse(raw) is None


@pytest.mark.parametrize("value, seconds", [
    (None, 300.0), ("5m", 300.0), ("1h30m", 5400.0), ("0", 0.0), (0, 0.0), (-1, -1.0), ("-1m", -60.0), ("90", 90.0),
])
def test_keep_alive_durations(value, seconds):
    assert standin.parse_duration(value, 300.0) == seconds


def test_keep_alive_invalid():
    with pytest.raises(ValueError):
        standin.parse_duration("5 minutes", 300.0)


@pytest.mark.parametrize("value, text", [(4920753328, "4.9 GB"), (274302450, "274 MB"), (42520413916, "42 GB"), (512, "512 B")])
def test_human_bytes(value, text):
    assert standin.human_bytes(value) == text


@pytest.mark.parametrize("value, expected", [
    ("0.0.0.0:11434", ("http", "0.0.0.0", 11434)),
    ("127.0.0.1", ("http", "127.0.0.1", 11434)),
    (":9999", ("http", "127.0.0.1", 9999)),
    ("http://ollama:11434", ("http", "ollama", 11434)),
    ("", ("http", "127.0.0.1", 11434)),
])
def test_ollama_host_forms(value, expected):
    assert standin.parse_host(value) == expected


def test_registry_knows_every_catalog_tag():
    yaml = pytest.importorskip("yaml")
    if not os.path.isfile(CATALOG):
        pytest.skip("roles/ollama/vars/catalog.yml not written yet")
    with open(CATALOG, encoding="utf-8") as handle:
        catalog = yaml.safe_load(handle)["_ollama_catalog"]
    registry = standin.Registry(CATALOG)
    assert registry.catalog_count == len(catalog)
    for item in catalog:
        entry = registry.lookup(standin.ModelName.parse(item["tag"]))
        assert entry is not None, item["tag"]
        manifest, layers = standin.build_artifacts(entry)
        # the manifest's layers + config add up to the catalog's download size
        assert sum(layer["size"] for layer in layers) == int(item["download_size_bytes"]), item["tag"]
        for alias in item.get("aliases") or []:
            aliased = registry.lookup(standin.ModelName.parse(alias))
            assert aliased is not None, alias
            # an alias is the same model: same manifest, hence the same digest in /api/tags
            assert standin.build_artifacts(aliased)[0] == manifest, alias


def test_registry_digests_are_deterministic_and_distinct():
    registry = standin.Registry(None)
    first = standin.build_artifacts(registry.lookup(standin.ModelName.parse("llama3.1:8b")))
    again = standin.build_artifacts(standin.Registry(None).lookup(standin.ModelName.parse("llama3.1:8b")))
    other = standin.build_artifacts(registry.lookup(standin.ModelName.parse("phi3:mini")))
    assert first[0] == again[0]
    assert first[1][0]["digest"] != other[1][0]["digest"]
    assert all(DIGEST_RE.match(layer["digest"]) for layer in first[1])
    assert registry.lookup(standin.ModelName.parse("no-such-model:1b")) is None


def test_a_published_revision_is_a_new_digest(tmp_path):
    """A tag republished in the registry (standin-registry.json) pulls as a new manifest."""
    models = tmp_path / "ollama" / "models"
    models.mkdir(parents=True)
    app = standin.StandinApp({"OLLAMA_MODELS": str(models), "OWU_STANDIN_GGUF": str(tmp_path / "none.gguf")})
    entry = app.registry.lookup(standin.ModelName.parse("phi3:mini"))
    assert app.revision(entry) == 0
    first = standin.build_artifacts(entry, app.revision(entry))
    (tmp_path / "ollama" / "standin-registry.json").write_text('{"phi3:mini": 2}')
    assert app.revision(entry) == 2
    second = standin.build_artifacts(entry, app.revision(entry))
    assert first[0] != second[0] and first[1][0]["digest"] != second[1][0]["digest"]
    assert standin.build_artifacts(entry, 0)[0] == first[0]
    (tmp_path / "ollama" / "standin-registry.json").write_text('not json')
    assert app.revision(entry) == 0


def test_gemma_prompt_folds_system_into_user_turn():
    prompt = standin.gemma_prompt([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                                   {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}])
    assert prompt == ("<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
                      "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n")


# --------------------------------------------------------------------------
# meta endpoints
# --------------------------------------------------------------------------

def test_root_get_and_head(server):
    status, headers, body = server.request("GET", "/")
    assert (status, body) == (200, b"Ollama is running")
    assert headers["content-type"].startswith("text/plain")
    status, _headers, body = server.request("HEAD", "/")
    assert (status, body) == (200, b"")


def test_version(server):
    status, body, _h = server.json("GET", "/api/version")
    assert status == 200 and re.match(r"^\d+\.\d+\.\d+", body["version"])


def test_unknown_route_is_404(server):
    assert server.request("GET", "/api/nope")[0] == 404


# --------------------------------------------------------------------------
# pull
# --------------------------------------------------------------------------

def _check_progress_stream(lines):
    assert lines[0] == {"status": "pulling manifest"}
    assert [line["status"] for line in lines[-3:]] == ["verifying sha256 digest", "writing manifest", "success"]
    seen = {}
    for line in lines[1:-3]:
        assert set(line) <= {"status", "digest", "total", "completed"}, line
        assert DIGEST_RE.match(line["digest"]), line
        assert line["status"] == "pulling %s" % line["digest"][7:19]
        assert line["total"] > 0
        completed = line.get("completed", 0)  # omitempty, like Go's ProgressResponse
        assert 0 <= completed <= line["total"]
        assert completed >= seen.get(line["digest"], 0), "progress went backwards"
        seen[line["digest"]] = completed
    return seen


def test_pull_streams_ndjson_progress(server):
    status, ctype, lines = server.pull("llama3.2:1b")
    assert status == 200
    assert ctype.startswith("application/x-ndjson")
    seen = _check_progress_stream(lines)
    assert len(seen) >= 2, "model layer plus small layers and config"
    model_layer_lines = [line for line in lines if line.get("total", 0) > 10 ** 8]
    assert len(model_layer_lines) >= 2, "a 1.3 GB layer reports progress more than once at 2 GB/s"
    tags = server.tags()
    assert "llama3.2:1b" in tags
    # the listed size is the sum of every pulled blob
    assert tags["llama3.2:1b"]["size"] == sum(line["total"] for line in {l["digest"]: l for l in lines[1:-3]}.values())


def test_pull_stream_false_answers_one_object(server):
    status, body, headers = server.json("POST", "/api/pull", {"model": "all-minilm", "stream": False})
    assert (status, body) == (200, {"status": "success"})
    assert headers["content-type"].startswith("application/json")


def test_pull_accepts_deprecated_name_field(server):
    status, _ctype, lines = server.ndjson("/api/pull", {"name": SMALL})
    assert status == 200 and lines[-1] == {"status": "success"}


def test_pull_of_present_model_reports_every_layer_complete(server, small):
    status, _ctype, lines = server.pull(small)
    assert status == 200
    layer_lines = lines[1:-3]
    assert layer_lines and all(line["completed"] == line["total"] for line in layer_lines)


def test_pull_unknown_model_streamed_fails_after_pulling_manifest(server):
    before = server.tags()
    status, _ctype, lines = server.pull("no-such-model:7b")
    # upstream PullModel sends "pulling manifest" before it asks the registry, so the
    # stream has started (HTTP 200) when the error comes (server/images.go)
    assert status == 200
    assert lines == [{"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]
    assert server.tags() == before


def test_pull_unknown_model_not_streamed_is_http_500(server):
    status, body, _h = server.json("POST", "/api/pull", {"model": "no-such-model:7b", "stream": False})
    assert (status, body) == (500, {"error": "pull model manifest: file does not exist"})


@pytest.mark.parametrize("body, message", [
    ({"model": "bad name!"}, "invalid model name"),
    ({}, "invalid model name"),
])
def test_pull_bad_request_fails_before_output(server, body, message):
    status, data, headers = server.json("POST", "/api/pull", body)
    assert (status, data) == (400, {"error": message})
    assert headers["content-type"].startswith("application/json")


def test_pull_missing_body_is_400(server):
    status, _headers, data = server.request("POST", "/api/pull")
    assert status == 400 and json.loads(data) == {"error": "missing request body"}


def test_pull_midstream_error_is_last_line_of_a_200_stream(server):
    status, _ctype, lines = server.pull("llama3.2:1b-midstream-error")
    assert status == 200
    assert lines[0] == {"status": "pulling manifest"}
    assert any("digest" in line for line in lines), "progress before the error"
    assert "error" in lines[-1] and set(lines[-1]) == {"error"}
    assert "llama3.2:1b-midstream-error" not in server.tags()


def test_interrupted_pull_resumes_from_kept_bytes(server):
    model = "qwen2.5:7b-midstream-error-once"
    status, _ctype, first = server.pull(model)
    assert status == 200 and "error" in first[-1]
    kept = max(line.get("completed", 0) for line in first if "digest" in line)
    assert kept > 0
    status, _ctype, second = server.pull(model)
    assert status == 200 and second[-1] == {"status": "success"}
    big = [line for line in second if line.get("total", 0) > 10 ** 9]
    assert big[0].get("completed", 0) >= kept, "retry must start from the bytes already downloaded"
    assert model in server.tags()


def test_disconnected_pull_keeps_partial_download(server):
    model = "llama3.1:70b"  # 42 GB at 2 GB/s: still running when the client hangs up
    conn = server.connection()
    conn.request("POST", "/api/pull", body=json.dumps({"model": model}), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    last = 0
    deadline = time.monotonic() + 10
    while last < 2 * 10 ** 9 and time.monotonic() < deadline:
        line = json.loads(resp.readline())
        last = max(last, line.get("completed", 0))
    conn.close()
    time.sleep(0.5)
    conn = server.connection()
    conn.request("POST", "/api/pull", body=json.dumps({"model": model}), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.readline()  # pulling manifest
    first = json.loads(resp.readline())
    conn.close()
    assert first.get("completed", 0) >= last > 0


def test_concurrent_pulls_of_one_model_share_progress(server):
    model = "gemma3:12b"  # 8 GB: about 4 s at 2 GB/s
    results = {}
    first_seen = {}

    def pull(key):
        conn = server.connection()
        conn.request("POST", "/api/pull", body=json.dumps({"model": model}), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        lines = []
        for raw in resp:
            lines.append(json.loads(raw))
            if key == "a" and lines[-1].get("completed", 0) > 10 ** 9:
                first_seen.setdefault("a", lines[-1]["completed"])
        results[key] = lines
        conn.close()

    thread_a = threading.Thread(target=pull, args=("a",))
    thread_a.start()
    deadline = time.monotonic() + 20
    while "a" not in first_seen and time.monotonic() < deadline:
        time.sleep(0.02)
    thread_b = threading.Thread(target=pull, args=("b",))
    thread_b.start()
    thread_a.join(30)
    thread_b.join(30)
    assert results["a"][-1] == {"status": "success"} and results["b"][-1] == {"status": "success"}
    b_first = next(line for line in results["b"] if line.get("total", 0) > 10 ** 9)
    assert b_first.get("completed", 0) >= first_seen["a"], "the second pull joins the running download"
    assert list(server.tags()).count(model) == 1


def test_models_survive_a_restart(server, small, tmp_path):
    second = Server(server.env["OLLAMA_MODELS"])
    try:
        assert small in second.tags()
    finally:
        second.stop()


# --------------------------------------------------------------------------
# tags, show, delete, copy
# --------------------------------------------------------------------------

def test_tags_shape(server, small):
    status, body, _h = server.json("GET", "/api/tags")
    assert status == 200
    model = next(m for m in body["models"] if m["name"] == small)
    assert set(model) == {"name", "model", "modified_at", "size", "digest", "details"}
    assert model["model"] == small
    assert HEX64_RE.match(model["digest"]) and TIME_RE.match(model["modified_at"])
    assert set(model["details"]) == {"parent_model", "format", "family", "families", "parameter_size", "quantization_level"}
    assert model["details"]["format"] == "gguf"


def test_show(server, small):
    status, body, _h = server.json("POST", "/api/show", {"model": small})
    assert status == 200
    assert {"modelfile", "parameters", "template", "details", "model_info", "capabilities"} <= set(body)
    arch = body["model_info"]["general.architecture"]
    for key in ("block_count", "context_length", "embedding_length", "attention.head_count", "attention.head_count_kv"):
        assert isinstance(body["model_info"]["%s.%s" % (arch, key)], int), key
    assert body["capabilities"] == ["embedding"]
    status, body, _h = server.json("POST", "/api/show", {"model": "llama3.2:1b"})
    assert status == 200 and "completion" in body["capabilities"]


def test_show_unknown_is_404(server):
    status, body, _h = server.json("POST", "/api/show", {"model": "never-pulled:1b"})
    assert (status, body) == (404, {"error": "model 'never-pulled:1b' not found"})


def test_delete_then_404(server):
    assert server.json("POST", "/api/pull", {"model": "qwen2.5:0.5b", "stream": False})[0] == 200
    status, _headers, data = server.request("DELETE", "/api/delete", {"model": "qwen2.5:0.5b"})
    assert (status, data) == (200, b"")
    assert "qwen2.5:0.5b" not in server.tags()
    status, body, _h = server.json("DELETE", "/api/delete", {"model": "qwen2.5:0.5b"})
    assert (status, body) == (404, {"error": "model 'qwen2.5:0.5b' not found"})


def test_copy(server, small):
    status, _h, _b = server.request("POST", "/api/copy", {"source": small, "destination": "my-embedder:v1"})
    assert status == 200
    tags = server.tags()
    assert tags["my-embedder:v1"]["digest"] == tags[small]["digest"]


# --------------------------------------------------------------------------
# errors of the inference routes (no model needed)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("path, body", [
    ("/api/generate", {"model": "never-pulled:1b", "prompt": "hi"}),
    ("/api/chat", {"model": "never-pulled:1b", "messages": [{"role": "user", "content": "hi"}]}),
    ("/api/embed", {"model": "never-pulled:1b", "input": "hi"}),
])
def test_inference_on_missing_model_is_404(server, path, body):
    status, data, _h = server.json("POST", path, body)
    assert (status, data) == (404, {"error": 'model "never-pulled:1b" not found, try pulling it first'})


def test_chat_on_embedding_model_is_400(server, small):
    status, body, _h = server.json("POST", "/api/chat", {"model": SMALL, "messages": [{"role": "user", "content": "hi"}]})
    assert (status, body) == (400, {"error": '"%s" does not support chat' % SMALL})
    status, body, _h = server.json("POST", "/api/generate", {"model": SMALL, "prompt": "hi"})
    assert (status, body) == (400, {"error": '"%s" does not support generate' % SMALL})


def test_openai_errors_use_openai_shape(server):
    status, body, _h = server.json("POST", "/v1/chat/completions",
                                   {"model": "never-pulled:1b", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 404
    assert body["error"]["type"] == "not_found_error" and "never-pulled:1b" in body["error"]["message"]


def test_v1_models(server, small):
    status, body, _h = server.json("GET", "/v1/models")
    assert status == 200 and body["object"] == "list"
    entry = next(m for m in body["data"] if m["id"] == small)
    assert entry["object"] == "model" and entry["owned_by"] == "library" and isinstance(entry["created"], int)
    status, body, _h = server.json("GET", "/v1/models/" + small)
    assert status == 200 and body["id"] == small


# --------------------------------------------------------------------------
# residency: load, unload, /api/ps
# --------------------------------------------------------------------------

def test_load_ps_unload(server):
    assert server.json("POST", "/api/pull", {"model": "llama3.2:1b", "stream": False})[0] == 200
    status, body, _h = server.json("POST", "/api/generate", {"model": "llama3.2:1b"})
    assert status == 200
    assert body["done"] is True and body["response"] == "" and TIME_RE.match(body["created_at"])
    status, body, _h = server.json("GET", "/api/ps")
    assert status == 200
    entry = next(m for m in body["models"] if m["name"] == "llama3.2:1b")
    assert set(entry) == {"name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length"}
    assert entry["size"] > server.tags()["llama3.2:1b"]["size"], "weights + KV cache + graph"
    assert entry["size_vram"] == 0, "this machine has no GPU: the stand-in reports CPU"
    assert entry["context_length"] == 4096 and TIME_RE.match(entry["expires_at"])
    status, body, _h = server.json("POST", "/api/generate", {"model": "llama3.2:1b", "keep_alive": 0})
    assert (status, body["done"], body["done_reason"]) == (200, True, "unload")
    assert all(m["name"] != "llama3.2:1b" for m in server.json("GET", "/api/ps")[1]["models"])
    status, body, _h = server.json("POST", "/api/chat", {"model": "llama3.2:1b", "messages": []})
    assert (status, body["done_reason"], body["message"]) == (200, "load", {"role": "assistant", "content": ""})
    status, body, _h = server.json("POST", "/api/chat", {"model": "llama3.2:1b", "messages": [], "keep_alive": "0s"})
    assert (status, body["done_reason"]) == (200, "unload")


def test_ps_reports_gpu_when_told(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    srv = Server(models, OWU_STANDIN_SIZE_VRAM="full", OLLAMA_CONTEXT_LENGTH="8192")
    try:
        srv.json("POST", "/api/pull", {"model": SMALL, "stream": False})
        srv.json("POST", "/api/embed", {"model": SMALL, "keep_alive": -1})
        entry = srv.json("GET", "/api/ps")[1]["models"][0]
        assert entry["size_vram"] == entry["size"] > 0
        assert entry["context_length"] == 2048, "clamped to the model's context length"
        assert entry["expires_at"].startswith("2"), entry["expires_at"]
        assert int(entry["expires_at"][:4]) > 2200, "keep_alive -1 pins the model"
        assert "library=CUDA" in srv.read_log()
    finally:
        srv.stop()


# --------------------------------------------------------------------------
# the ollama CLI shim
# --------------------------------------------------------------------------

def _cli(env, *args):
    return subprocess.run([os.path.join(STANDIN_DIR, "ollama")] + list(args), env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_cli_list_and_version(server, small):
    result = _cli(server.env, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    row = next(line for line in lines if line.startswith(small + " "))
    assert server.tags()[small]["digest"][:12] in row and "MB" in row
    result = _cli(server.env, "--version")
    assert result.returncode == 0 and result.stdout.startswith("ollama version is ")


def test_cli_list_fails_when_server_is_down(server):
    env = dict(server.env, OLLAMA_HOST="127.0.0.1:%d" % _free_port())
    result = _cli(env, "list")
    assert result.returncode != 0
    assert "could not connect" in result.stderr


# --------------------------------------------------------------------------
# answers from the real tiny model
# --------------------------------------------------------------------------

FEW = {"num_predict": 6, "temperature": 0, "seed": 7}


@real_model
def test_generate_stream_and_not(server):
    server.json("POST", "/api/pull", {"model": "llama3.2:1b", "stream": False})
    status, ctype, lines = server.ndjson("/api/generate", {"model": "llama3.2:1b", "prompt": "Name a colour.", "options": FEW})
    assert status == 200 and ctype.startswith("application/x-ndjson")
    assert all(line["done"] is False and isinstance(line["response"], str) for line in lines[:-1])
    final = lines[-1]
    assert final["done"] is True and final["done_reason"] in ("stop", "length") and final["response"] == ""
    for key in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"):
        assert isinstance(final[key], int) and final[key] > 0, key
    assert final["eval_count"] <= 6 and isinstance(final["context"], list)
    status, body, _h = server.json("POST", "/api/generate", {"model": "llama3.2:1b", "prompt": "Name a colour.",
                                                             "stream": False, "options": FEW})
    assert status == 200 and body["done"] is True and body["response"].strip()
    assert body["response"] == "".join(line["response"] for line in lines), "same seed, same answer"


@real_model
def test_chat_stream_and_not(server):
    server.json("POST", "/api/pull", {"model": "llama3.2:1b", "stream": False})
    messages = [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Capital of France?"}]
    status, _ctype, lines = server.ndjson("/api/chat", {"model": "llama3.2:1b", "messages": messages, "options": FEW})
    assert status == 200
    assert all(line["message"]["role"] == "assistant" and line["done"] is False for line in lines[:-1])
    assert lines[-1]["done"] is True and lines[-1]["message"] == {"role": "assistant", "content": ""}
    assert "context" not in lines[-1]
    status, body, _h = server.json("POST", "/api/chat", {"model": "llama3.2:1b", "messages": messages, "stream": False,
                                                         "options": FEW})
    assert status == 200 and body["message"]["role"] == "assistant" and body["message"]["content"].strip()
    assert body["prompt_eval_count"] > 5 and 0 < body["eval_count"] <= 6
    assert "llama3.2:1b" in [m["name"] for m in server.json("GET", "/api/ps")[1]["models"]]


@real_model
def test_embed(server, small):
    status, body, _h = server.json("POST", "/api/embed", {"model": SMALL, "input": "The sky is blue."})
    assert status == 200 and body["model"] == SMALL
    assert len(body["embeddings"]) == 1 and len(body["embeddings"][0]) == 640
    assert math.isclose(math.sqrt(sum(v * v for v in body["embeddings"][0])), 1.0, rel_tol=1e-6)
    assert body["prompt_eval_count"] > 3 and body["total_duration"] > 0
    status, body, _h = server.json("POST", "/api/embed", {"model": SMALL, "input": ["The sky is blue.", "Grass is green.",
                                                                                    "The sky is blue."]})
    first, second, third = body["embeddings"]
    assert first == third and first != second, "deterministic, input-dependent vectors"
    status, body, _h = server.json("POST", "/api/embed", {"model": SMALL, "input": "x", "dimensions": 64})
    assert len(body["embeddings"][0]) == 64
    status, body, _h = server.json("POST", "/api/embeddings", {"model": SMALL, "prompt": "The sky is blue."})
    assert status == 200 and len(body["embedding"]) == 640


@real_model
def test_openai_chat_completions(server):
    server.json("POST", "/api/pull", {"model": "llama3.2:1b", "stream": False})
    request = {"model": "llama3.2:1b", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 6,
               "temperature": 0, "seed": 7}
    status, body, _h = server.json("POST", "/v1/chat/completions", request)
    assert status == 200 and body["object"] == "chat.completion" and body["model"] == "llama3.2:1b"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] in ("stop", "length")
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    status, headers, data = server.request("POST", "/v1/chat/completions",
                                           dict(request, stream=True, stream_options={"include_usage": True}))
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = [chunk[len("data: "):] for chunk in data.decode().split("\n\n") if chunk.strip()]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[-1]["usage"]["completion_tokens"] > 0 and chunks[-1]["choices"] == []
    assert chunks[-2]["choices"][0]["finish_reason"] in ("stop", "length")
    text = "".join(chunk["choices"][0]["delta"]["content"] for chunk in chunks[:-1])
    assert text == choice["message"]["content"]


@real_model
def test_openai_embeddings(server, small):
    status, body, _h = server.json("POST", "/v1/embeddings", {"model": SMALL, "input": ["a", "b"]})
    assert status == 200 and body["object"] == "list" and len(body["data"]) == 2
    assert body["data"][1]["index"] == 1 and len(body["data"][0]["embedding"]) == 640
    assert body["usage"]["prompt_tokens"] > 0
