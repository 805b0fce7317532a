# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Servers and loaders for the Pipelines filter tests (roles/pipelines/files/filters).

The filters are plain files that the Pipelines server imports by path, so the tests load them the
same way (``importlib`` from the file), each test with a fresh module object.

Servers, all real HTTP on 127.0.0.1 (nothing in the filters' network path is mocked):

``EmbedServer`` (fixture ``embedder``)
    An Ollama ``POST /api/embed`` that answers deterministic bag-of-words vectors: each word
    (lower-cased, letters and digits) adds +/-1 to one of ``dimensions`` buckets chosen by a hash,
    the vector is L2-normalised. Texts sharing words get a high cosine, unrelated texts about 0,
    so retrieval and dedupe behave like with a real embedding model, only predictably. The
    ``search_query: ``/``search_document: `` task prefixes that nomic-embed-text expects are
    stripped first (the real model is trained to read them). ``fail_with`` makes it answer an
    HTTP error; ``requests`` records every body.

``LangfuseServer`` (fixture ``langfuse_server``)
    A Langfuse stand-in for the two endpoints the SDK uses: ``POST /api/public/otel/v1/traces``
    (OTLP/HTTP protobuf, gzip or plain, decoded with opentelemetry-proto into ``spans``: name,
    trace id, attributes as Python values) and ``GET /api/public/projects`` (auth check).
    ``headers`` records the request headers of every export.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import gzip
import hashlib
import importlib.util
import json
import math
import os
import re
import socket
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))
FILTERS_DIR = os.path.join(ROOT, "roles", "pipelines", "files", "filters")


def load_filter(name):
    """Import roles/pipelines/files/filters/<name>.py as a fresh module, like Pipelines does."""
    path = os.path.join(FILTERS_DIR, name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port():
    """A loopback port nothing listens on (for "server down" tests)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1:0 whose handler calls ``self.handle(handler)``."""

    def __init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.handle(self)

            def do_POST(self):
                server.handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    @staticmethod
    def read_body(handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if handler.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return raw

    @staticmethod
    def reply(handler, status, body, content_type="application/json"):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler):
        raise NotImplementedError


_PREFIX = re.compile(r"^(?:search_query|search_document|classification|clustering):\s*")


def bag_of_words(text, dimensions):
    """The fake embedder's vector for ``text`` (see the module docstring)."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9\u00e0-\u00ff]+", _PREFIX.sub("", text).lower()):
        digest = hashlib.sha256(word.encode("utf-8")).digest()
        bucket = int.from_bytes(digest[:4], "big") % dimensions
        vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0], norm = 1.0, 1.0
    return [v / norm for v in vector]


class EmbedServer(_Server):
    """Ollama's /api/embed, deterministic (bag of words)."""

    def __init__(self, dimensions=256):
        self.dimensions = dimensions
        self.requests = []
        self.fail_with = None
        super(EmbedServer, self).__init__()

    def handle(self, handler):
        if handler.command != "POST" or handler.path != "/api/embed":
            self.reply(handler, 404, {"error": "not found"})
            return
        body = json.loads(self.read_body(handler) or b"{}")
        self.requests.append(body)
        if self.fail_with:
            self.reply(handler, self.fail_with, {"error": "model runner has unexpectedly stopped"})
            return
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        self.reply(handler, 200, {"model": body.get("model"),
                                  "embeddings": [bag_of_words(t, self.dimensions) for t in texts],
                                  "total_duration": 1000, "load_duration": 10, "prompt_eval_count": len(texts)})


def _any_value(value):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


class LangfuseServer(_Server):
    """The OTLP and projects endpoints of a Langfuse server, recording every span."""

    def __init__(self):
        self.spans = []
        self.headers = []
        self.requests = []  # (method, path) of every request
        self.lock = threading.Lock()
        super(LangfuseServer, self).__init__()

    def handle(self, handler):
        # pylint: disable-next=import-outside-toplevel
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        with self.lock:
            self.requests.append((handler.command, handler.path))
        if handler.command == "GET" and handler.path.startswith("/api/public/projects"):
            self.reply(handler, 200, {"data": [{"id": "project-1", "name": "owu", "metadata": {}}]})
            return
        if handler.command != "POST" or handler.path != "/api/public/otel/v1/traces":
            self.reply(handler, 404, {"message": "not found"})
            return
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(self.read_body(handler))
        spans = []
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append({
                        "name": span.name,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "scope": scope_spans.scope.name,
                        "attributes": {a.key: _any_value(a.value) for a in span.attributes},
                    })
        with self.lock:
            self.headers.append({k.lower(): v for k, v in handler.headers.items()})
            self.spans.extend(spans)
        self.reply(handler, 200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString(),
                   content_type="application/x-protobuf")

    def generations(self):
        return [s for s in self.spans if s["attributes"].get("langfuse.observation.type") == "generation"]
