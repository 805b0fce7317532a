# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Contract tests of the Qdrant stand-in (tests/standins/qdrant) driven by the REAL qdrant-client.

The stand-in replaces the Qdrant server in the qdrant role's Molecule scenario and in the tests of
Open WebUI and the memory filter, so it must answer like Qdrant v1.19 (src/actix/auth.rs,
src/actix/helpers.rs, src/actix/api/*.rs of qdrant/qdrant): the `api-key` header rules (401 plain
text without or with a wrong key, 403 in the JSON envelope for a write with the read-only key,
/, /healthz, /livez, /readyz open), the {"result", "status", "time"} envelope, search and payload
filters, and snapshots that really hold the points. The server runs as a subprocess on 127.0.0.1
with throw-away storage; the client is qdrant-client 1.20.0 (the memory filter's pin, in
requirements-test.txt), with the calls Open WebUI 0.12.4's multitenancy module makes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import contextlib
import hashlib
import http.client
import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time
import warnings

import pytest

qdrant_client = pytest.importorskip("qdrant_client")
from qdrant_client import QdrantClient, models  # noqa: E402
from qdrant_client.common import version_check  # noqa: E402
from qdrant_client.http.exceptions import UnexpectedResponse  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SERVER = os.path.join(ROOT, "tests", "standins", "qdrant", "server.py")
KEY = "rw-key-0123456789abcdef"
RO_KEY = "ro-key-0123456789abcdef"
DIM = 4


def _free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The stand-in as a subprocess, with its storage and snapshots under a temporary folder."""

    def __init__(self, base, api_key="", read_only_key=""):
        self.base = str(base)
        self.port = _free_port()
        self.snapshots = os.path.join(self.base, "snapshots")
        env = dict(os.environ)
        env.update({
            "QDRANT__SERVICE__HOST": "127.0.0.1",
            "QDRANT__SERVICE__HTTP_PORT": str(self.port),
            "QDRANT__SERVICE__API_KEY": api_key,
            "QDRANT__SERVICE__READ_ONLY_API_KEY": read_only_key,
            "QDRANT__STORAGE__STORAGE_PATH": os.path.join(self.base, "storage"),
            "QDRANT__STORAGE__SNAPSHOTS_PATH": self.snapshots,
            "QDRANT__TELEMETRY_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
        })
        self.log = open(os.path.join(self.base, "server.log"), "w+")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, SERVER], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("stand-in exited: %s" % self.read_log())
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("stand-in did not answer within 30 s: %s" % self.read_log())

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

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

    def request(self, method, path, body=None, headers=None):
        """Returns (status, content-type, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body) if body is not None else None
            hdrs = dict(headers or {})
            if payload is not None:
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read()
        finally:
            conn.close()

    def client(self, api_key=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Api key is used with an insecure connection"
            # The client's version check runs in a background thread that may outlive a short
            # test; test_version_is_compatible_with_the_client makes the same check directly.
            return QdrantClient(url=self.url, api_key=api_key, timeout=10, check_compatibility=False)


@pytest.fixture()
def server(tmp_path):
    srv = Server(tmp_path, api_key=KEY, read_only_key=RO_KEY)
    yield srv
    srv.stop()


@pytest.fixture()
def client(server):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield server.client(KEY)


def _tenant(value):
    return models.Filter(must=[models.FieldCondition(key="tenant_id", match=models.MatchValue(value=value))])


def _fill(client, name="docs"):
    """A collection like Open WebUI's multitenancy module creates it, with 6 points of 2 tenants."""
    client.create_collection(
        collection_name=name,
        vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE, on_disk=False),
        hnsw_config=models.HnswConfigDiff(payload_m=16, m=0),
    )
    client.create_payload_index(
        collection_name=name, field_name="tenant_id",
        field_schema=models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True, on_disk=False))
    client.create_payload_index(
        collection_name=name, field_name="metadata.file_id",
        field_schema=models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, on_disk=False))
    points = [
        models.PointStruct(id=i, vector=[1.0 if j == i % DIM else 0.1 for j in range(DIM)],
                           payload={"text": "chunk %d" % i, "tenant_id": "file-a" if i < 3 else "file-b",
                                    "metadata": {"file_id": "f%d" % (i % 2), "hash": "h%d" % i}})
        for i in range(6)
    ]
    client.upload_points(name, points, wait=True)
    return points


# ------------------------------------------------------------------ service endpoints, auth


def test_open_endpoints_answer_without_a_key(server):
    status, ctype, body = server.request("GET", "/")
    assert status == 200 and ctype.startswith("application/json")
    info = json.loads(body)
    assert info["title"] == "qdrant - vector search engine"
    assert info["version"].count(".") == 2
    assert server.request("GET", "/healthz")[::2] == (200, b"healthz check passed")
    assert server.request("GET", "/livez")[::2] == (200, b"healthz check passed")
    assert server.request("GET", "/readyz")[::2] == (200, b"all shards are ready")


def test_version_is_compatible_with_the_client(server):
    client_version = importlib.metadata.version("qdrant-client")
    server_version = version_check.get_server_version(server.url, {"api-key": "wrong"}, None, 10)
    assert server_version is not None
    assert version_check.is_compatible(client_version, server_version)


def test_missing_and_wrong_keys_get_401_plain_text(server):
    status, ctype, body = server.request("GET", "/collections")
    assert (status, body) == (401, b"Must provide an API key or an Authorization bearer token")
    assert ctype.startswith("text/plain")
    assert server.request("GET", "/collections", headers={"api-key": "wrong"})[::2] == (401, b"Invalid API key or JWT")
    with pytest.raises(UnexpectedResponse) as err:
        server.client("wrong").get_collections()
    assert err.value.status_code == 401


def test_key_in_header_or_bearer_gives_the_envelope(server):
    for headers in ({"api-key": KEY}, {"Authorization": "Bearer " + KEY}):
        status, ctype, body = server.request("GET", "/collections", headers=headers)
        assert status == 200 and ctype.startswith("application/json")
        doc = json.loads(body)
        assert doc["status"] == "ok"
        assert doc["result"] == {"collections": []}
        assert isinstance(doc["time"], float)


def test_read_only_key_reads_but_cannot_write(server, client):
    _fill(client)
    ro = server.client(RO_KEY)
    assert ro.count("docs").count == 6
    assert ro.collection_exists("docs")
    with pytest.raises(UnexpectedResponse) as err:
        ro.upsert("docs", [models.PointStruct(id=99, vector=[0.1] * DIM)])
    assert err.value.status_code == 403
    doc = json.loads(err.value.content)
    assert doc["status"] == {"error": "Forbidden: Global manage access is required"}
    for method, path in (("DELETE", "/collections/docs"), ("POST", "/collections/docs/snapshots")):
        assert server.request(method, path, headers={"api-key": RO_KEY})[0] == 403
    assert client.count("docs").count == 6


def test_no_key_configured_means_open_access(tmp_path):
    srv = Server(tmp_path)
    try:
        assert srv.client().get_collections().collections == []
    finally:
        srv.stop()


# ------------------------------------------------------------------ collections and points


def test_collection_lifecycle_and_errors(server, client):
    assert client.collection_exists("docs") is False
    _fill(client)
    assert client.collection_exists("docs") is True
    assert [c.name for c in client.get_collections().collections] == ["docs"]
    info = client.get_collection("docs")
    assert info.points_count == 6
    assert info.config.params.vectors.size == DIM
    assert info.payload_schema["tenant_id"].data_type == models.PayloadSchemaType.KEYWORD
    # Creating it again: 409 "already exists"; an unknown collection: 404 in the envelope.
    status, dummy, body = server.request("PUT", "/collections/docs", {"vectors": {"size": DIM, "distance": "Cosine"}},
                                         headers={"api-key": KEY})
    assert status == 409 and json.loads(body)["status"]["error"] == "Wrong input: Collection `docs` already exists!"
    status, dummy, body = server.request("GET", "/collections/nope", headers={"api-key": KEY})
    assert status == 404 and json.loads(body)["status"]["error"] == "Not found: Collection `nope` doesn't exist!"
    assert client.delete_collection("docs") is True
    assert client.delete_collection("docs") is False
    assert client.collection_exists("docs") is False


def test_upsert_then_search_query_and_filters(server, client):
    _fill(client)
    # Nearest to axis 1: point 1 (tenant file-a) overall, point 5 within tenant file-b.
    near_1 = [0.0, 1.0, 0.0, 0.0]
    hits = client.query_points("docs", query=near_1, limit=2, with_payload=True).points
    assert hits[0].id in (1, 5) and hits[0].score > hits[1].score - 1e-9
    hits = client.query_points("docs", query=near_1, query_filter=_tenant("file-b"), limit=3).points
    assert [h.id for h in hits][0] == 5
    assert {h.payload["tenant_id"] for h in hits} == {"file-b"}
    # The REST /points/search endpoint (curl, the role's verify) answers a list of scored points.
    status, dummy, body = server.request("POST", "/collections/docs/points/search",
                                         {"vector": near_1, "limit": 1, "with_payload": True,
                                          "filter": {"must": [{"key": "tenant_id", "match": {"value": "file-a"}}]}},
                                         headers={"api-key": KEY})
    assert status == 200
    result = json.loads(body)["result"]
    assert [(r["id"], r["payload"]["text"]) for r in result] == [(1, "chunk 1")]
    # count and scroll with a nested payload filter and MatchAny (Open WebUI's metadata filters).
    by_file = models.Filter(must=[models.FieldCondition(key="metadata.file_id", match=models.MatchAny(any=["f1"]))])
    assert client.count("docs", count_filter=by_file).count == 3
    page, offset = client.scroll("docs", scroll_filter=_tenant("file-a"), limit=2)
    assert [p.id for p in page] == [0, 1] and offset == 2
    page, offset = client.scroll("docs", scroll_filter=_tenant("file-a"), limit=2, offset=offset)
    assert [p.id for p in page] == [2] and offset is None
    assert [r.id for r in client.retrieve("docs", [4, 77])] == [4]
    status, dummy, body = server.request("GET", "/collections/docs/points/4", headers={"api-key": KEY})
    assert status == 200 and json.loads(body)["result"]["payload"]["text"] == "chunk 4"
    status, dummy, body = server.request("GET", "/collections/docs/points/77", headers={"api-key": KEY})
    assert status == 404 and json.loads(body)["status"]["error"] == "Not found: No point with id 77 found"


def test_delete_by_ids_within_a_tenant_and_by_filter(client):
    _fill(client)
    # Open WebUI deletes with a tenant condition plus HasId: an id of another tenant stays.
    client.delete("docs", points_selector=models.FilterSelector(filter=models.Filter(
        must=[models.FieldCondition(key="tenant_id", match=models.MatchValue(value="file-a")),
              models.HasIdCondition(has_id=[1, 4])])))
    assert sorted(p.id for p in client.scroll("docs", limit=10)[0]) == [0, 2, 3, 4, 5]
    client.delete("docs", points_selector=models.PointIdsList(points=[0]))
    client.delete("docs", points_selector=models.FilterSelector(filter=_tenant("file-b")))
    assert [p.id for p in client.scroll("docs", limit=10)[0]] == [2]


def test_bad_input_is_answered_in_the_envelope(server, client):
    _fill(client)
    status, dummy, body = server.request("PUT", "/collections/docs/points?wait=true",
                                         {"points": [{"id": 50, "vector": [1.0, 2.0]}]}, headers={"api-key": KEY})
    assert status == 400
    assert json.loads(body)["status"]["error"].startswith("Wrong input:")
    status, dummy, body = server.request("POST", "/collections/docs/points/count", {"bogus": 1}, headers={"api-key": KEY})
    assert status == 400 and "status" in json.loads(body)


# ------------------------------------------------------------------ snapshots


def test_snapshot_create_delete_collection_recover(server, client):
    points = _fill(client)
    snap = client.create_snapshot("docs")
    assert snap.name.startswith("docs-") and snap.name.endswith(".snapshot")
    path = os.path.join(server.snapshots, "docs", snap.name)
    with open(path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == snap.checksum
    assert [s.name for s in client.list_snapshots("docs")] == [snap.name]
    # Download: the same bytes (GET, read access is enough).
    status, ctype, data = server.request("GET", "/collections/docs/snapshots/" + snap.name, headers={"api-key": RO_KEY})
    assert status == 200 and ctype == "application/octet-stream"
    assert hashlib.sha256(data).hexdigest() == snap.checksum

    client.delete_collection("docs")
    assert client.collection_exists("docs") is False
    # The recover location must be inside the snapshots folder, and the checksum must match.
    status, dummy, body = server.request("PUT", "/collections/docs/snapshots/recover",
                                         {"location": "file:///etc/hostname"}, headers={"api-key": KEY})
    assert status in (400, 403)
    with pytest.raises(UnexpectedResponse):
        client.recover_snapshot("docs", location="file://" + path, checksum="0" * 64)
    assert client.recover_snapshot("docs", location="file://" + path, checksum=snap.checksum) is True

    assert client.count("docs").count == len(points)
    restored = {r.id: r for r in client.retrieve("docs", [p.id for p in points], with_vectors=True)}
    for point in points:
        assert restored[point.id].payload == point.payload
        assert restored[point.id].vector == pytest.approx(
            [v / sum(x * x for x in point.vector) ** 0.5 for v in point.vector], rel=1e-5)  # cosine stores normalised
    assert client.query_points("docs", query=[0.0, 1.0, 0.0, 0.0], query_filter=_tenant("file-b")).points[0].id == 5
    assert "tenant_id" in client.get_collection("docs").payload_schema

    assert client.delete_snapshot("docs", snap.name) is True
    assert client.list_snapshots("docs") == []
    assert not os.path.exists(path)


def test_snapshot_upload_restores_points(server, client):
    _fill(client)
    snap = client.create_snapshot("docs")
    with open(os.path.join(server.snapshots, "docs", snap.name), "rb") as handle:
        data = handle.read()
    client.delete_collection("docs")
    boundary = "owu-boundary"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"snapshot\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n" % (boundary, snap.name)).encode() + data
            + ("\r\n--%s--\r\n" % boundary).encode())
    assert _upload(server, boundary, body) == (200, True)
    assert client.count("docs").count == 6


def test_snapshot_upload_takes_the_part_bytes_as_sent(server, client):
    """Like actix-multipart (Qdrant), a Content-Transfer-Encoding header is not decoded (RFC 7578
    deprecates it): a base64 part is stored as base64 text and is no snapshot. Ansible's
    `uri` body_format form-multipart sends files base64-encoded by default."""
    _fill(client)
    snap = client.create_snapshot("docs")
    with open(os.path.join(server.snapshots, "docs", snap.name), "rb") as handle:
        data = handle.read()
    client.delete_collection("docs")
    boundary = "owu-boundary"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"snapshot\"; filename=\"b64.snapshot\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n" % boundary).encode() + base64.encodebytes(data)
            + ("\r\n--%s--\r\n" % boundary).encode())
    status, dummy = _upload(server, boundary, body)
    assert status == 500
    assert client.collection_exists("docs") is False
    with open(os.path.join(server.snapshots, "docs", "b64.snapshot"), "rb") as handle:
        assert handle.read() == base64.encodebytes(data)


def _upload(server, boundary, body):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", "/collections/docs/snapshots/upload?priority=snapshot", body=body,
                     headers={"api-key": KEY, "Content-Type": "multipart/form-data; boundary=" + boundary})
        resp = conn.getresponse()
        doc = json.loads(resp.read())
        return resp.status, doc.get("result")
    finally:
        conn.close()


def test_data_survives_a_restart(tmp_path):
    srv = Server(tmp_path, api_key=KEY)
    try:
        _fill(srv.client(KEY))
    finally:
        srv.stop()
    srv = Server(tmp_path, api_key=KEY)
    try:
        cli = srv.client(KEY)
        assert cli.count("docs", count_filter=_tenant("file-b")).count == 3
        assert "tenant_id" in cli.get_collection("docs").payload_schema
    finally:
        srv.stop()
