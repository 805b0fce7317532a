# Copyright: (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Qdrant stand-in for the numberone.owu tests. NOT Qdrant.

The Qdrant server cannot run on the test machines (no image, no binary in a reachable registry),
so this small HTTP server answers the part of Qdrant's REST API (v1.19, src/actix/api/*.rs) that
Open WebUI 0.12.4, the collection's memory filter (qdrant-client 1.20.0) and the roles call, with
the same paths, status codes, JSON envelope ({"result", "status", "time"}), error bodies and
API-key rules. The data semantics (vector search, payload filters, scroll, count) come from
qdrant-client's local mode (QdrantClient(path=...)): it stores the collections under
<storage>/standin and searches them exactly (brute force). Snapshots are this stand-in's own
format (a tar with the collection's config and every point), not Qdrant's segment format; they
round-trip through the same endpoints (create, list, download, delete, recover, upload).

Environment (as the official image reads it): QDRANT__SERVICE__API_KEY,
QDRANT__SERVICE__READ_ONLY_API_KEY, QDRANT__SERVICE__HTTP_PORT (6333), QDRANT__SERVICE__HOST
(0.0.0.0), QDRANT__STORAGE__STORAGE_PATH (./storage), QDRANT__STORAGE__SNAPSHOTS_PATH
(./snapshots), QDRANT__TELEMETRY_DISABLED (the stand-in never sends telemetry anyway),
QDRANT__LOG_LEVEL (INFO). QDRANT_STANDIN_VERSION: the version `GET /` reports.
"""

from __future__ import annotations

import datetime
import email
import email.message
import hashlib
import hmac
import io
import json
import logging
import os
import re
import shutil
import signal
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import TypeAdapter, ValidationError
from qdrant_client import QdrantClient, models

VERSION = os.environ.get("QDRANT_STANDIN_VERSION", "1.19.0")
TITLE = "qdrant - vector search engine"
SNAPSHOT_FORMAT = "numberone-owu-qdrant-standin/1"
SNAPSHOT_MEMBER = "standin-collection.json"

LOG = logging.getLogger("qdrant-standin")

# Local mode warns that payload indexes do not speed it up (it searches exhaustively): expected here.
warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")

_POINT_INSERT = TypeAdapter(models.PointInsertOperations)
_POINTS_SELECTOR = TypeAdapter(models.PointsSelector)
_VECTORS_CONFIG = TypeAdapter(models.VectorParams | dict[str, models.VectorParams])


class ApiError(Exception):
    """An error answered in Qdrant's envelope: {"status": {"error": message}, "time": ...}."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(description: str) -> ApiError:
    return ApiError(404, f"Not found: {description}")


def bad_input(description: str) -> ApiError:
    return ApiError(400, f"Wrong input: {description}")


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad request: {description}")


def forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


def to_json(value: Any) -> Any:
    """Pydantic models (and lists/tuples/dicts of them) as JSON-compatible data, nulls left out."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def parse(model: Any, data: Any) -> Any:
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        return model.model_validate(data)
    except ValidationError as err:
        raise ApiError(400, f"Json deserialize error: {err.errors(include_url=False)}") from err


class Store:
    """The data: qdrant-client local mode plus the payload-index schema and the snapshots folder."""

    def __init__(self, storage: str, snapshots: str):
        self.storage = os.path.abspath(storage)
        self.snapshots = os.path.abspath(snapshots)
        os.makedirs(self.storage, exist_ok=True)
        os.makedirs(self.snapshots, exist_ok=True)
        self.lock = threading.RLock()
        self.client = QdrantClient(path=os.path.join(self.storage, "standin"), force_disable_check_same_thread=True)
        self._indexes_file = os.path.join(self.storage, "standin-payload-indexes.json")
        try:
            with open(self._indexes_file, encoding="utf-8") as handle:
                self.indexes: dict[str, dict[str, Any]] = json.load(handle)
        except (OSError, ValueError):
            self.indexes = {}

    def close(self) -> None:
        with self.lock:
            self.client.close()

    def save_indexes(self) -> None:
        tmp = self._indexes_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(self.indexes, handle)
        os.replace(tmp, self._indexes_file)

    def require(self, name: str) -> None:
        if not self.client.collection_exists(name):
            raise not_found(f"Collection `{name}` doesn't exist!")

    def collection_info(self, name: str) -> dict[str, Any]:
        self.require(name)
        info = to_json(self.client.get_collection(name))
        count = self.client.count(name, exact=True).count
        info["points_count"] = count
        info["indexed_vectors_count"] = info.get("indexed_vectors_count", 0) or 0
        info["payload_schema"] = {
            field: {**schema, "points": count} for field, schema in self.indexes.get(name, {}).items()
        }
        return info

    def all_points(self, name: str) -> list[dict[str, Any]]:
        points, offset = [], None
        while True:
            page, offset = self.client.scroll(name, limit=256, offset=offset, with_payload=True, with_vectors=True)
            points.extend({"id": p.id, "vector": to_json(p.vector), "payload": p.payload or {}} for p in page)
            if offset is None:
                return points

    # ------------------------------------------------------------------ snapshots
    def snapshot_dir(self, name: str) -> str:
        return os.path.join(self.snapshots, name)

    def snapshot_path(self, collection: str, snapshot: str) -> str:
        if "/" in snapshot or snapshot in ("", ".", "..") or "/" in collection:
            raise bad_request(f"Invalid snapshot name {snapshot!r}")
        return os.path.join(self.snapshot_dir(collection), snapshot)

    @staticmethod
    def describe(path: str) -> dict[str, Any]:
        stat = os.stat(path)
        created = datetime.datetime.fromtimestamp(int(stat.st_mtime), tz=datetime.timezone.utc)
        out: dict[str, Any] = {
            "name": os.path.basename(path),
            "creation_time": created.strftime("%Y-%m-%dT%H:%M:%S"),
            "size": stat.st_size,
        }
        try:
            with open(path + ".checksum", encoding="ascii") as handle:
                out["checksum"] = handle.read().strip()
        except OSError:
            pass
        return out

    def list_snapshots(self, name: str) -> list[dict[str, Any]]:
        self.require(name)
        folder = self.snapshot_dir(name)
        if not os.path.isdir(folder):
            return []
        return [self.describe(os.path.join(folder, f)) for f in sorted(os.listdir(folder)) if f.endswith(".snapshot")]

    def create_snapshot(self, name: str) -> dict[str, Any]:
        self.require(name)
        info = self.client.get_collection(name)
        document = {
            "format": SNAPSHOT_FORMAT,
            "collection": name,
            "qdrant_version": VERSION,
            "vectors": to_json(info.config.params.vectors),
            "sparse_vectors": to_json(info.config.params.sparse_vectors),
            "payload_indexes": self.indexes.get(name, {}),
            "points": self.all_points(name),
        }
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d-%H-%M-%S")
        folder = self.snapshot_dir(name)
        os.makedirs(folder, exist_ok=True)
        snapshot = f"{name}-0-{stamp}.snapshot"
        serial = 1
        while os.path.exists(os.path.join(folder, snapshot)):
            serial += 1
            snapshot = f"{name}-0-{stamp}-{serial}.snapshot"
        path = os.path.join(folder, snapshot)
        payload = json.dumps(document).encode("utf-8")
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as tmp:
            with tarfile.open(fileobj=tmp, mode="w") as tar:
                member = tarfile.TarInfo(SNAPSHOT_MEMBER)
                member.size = len(payload)
                member.mtime = int(time.time())
                tar.addfile(member, io.BytesIO(payload))
        os.replace(tmp.name, path)
        with open(path + ".checksum", "w", encoding="ascii") as handle:
            handle.write(sha256_file(path))
        return self.describe(path)

    def delete_snapshot(self, name: str, snapshot: str) -> bool:
        self.require(name)
        path = self.snapshot_path(name, snapshot)
        if not os.path.isfile(path):
            raise not_found(f"Snapshot {snapshot} not found")
        os.remove(path)
        if os.path.exists(path + ".checksum"):
            os.remove(path + ".checksum")
        return True

    def recover(self, name: str, location: str, checksum: str | None) -> bool:
        url = urllib.parse.urlparse(location)
        if url.scheme in ("http", "https"):
            raise forbidden("Snapshot recovery from remote URLs is not supported by the Qdrant stand-in")
        if url.scheme != "file":
            raise bad_request(f"URL {location} with scheme {url.scheme} is not supported")
        if url.netloc not in ("", "localhost"):
            raise bad_request("Invalid snapshot URI, file path must be absolute or on localhost")
        path = urllib.parse.unquote(url.path)
        if not os.path.exists(path):
            raise bad_request(f'Snapshot file "{path}" does not exist')
        real = os.path.realpath(path)
        allowed = os.path.realpath(self.snapshots)
        if not real.startswith(allowed + os.sep):
            raise forbidden(f'Snapshot file path must be inside the snapshots directory "{allowed}"')
        if checksum:
            actual = sha256_file(real)
            if not hmac.compare_digest(actual, checksum.lower()):
                raise bad_input(f"Snapshot checksum mismatch: expected {checksum}, got {actual}")
        self.restore(name, read_snapshot(real))
        return True

    def restore(self, name: str, document: dict[str, Any]) -> None:
        vectors = _VECTORS_CONFIG.validate_python(document["vectors"]) if document.get("vectors") else None
        sparse = document.get("sparse_vectors") or None
        if sparse:
            sparse = {k: models.SparseVectorParams.model_validate(v) for k, v in sparse.items()}
        if self.client.collection_exists(name):
            self.client.delete_collection(name)
        self.client.create_collection(name, vectors_config=vectors, sparse_vectors_config=sparse)
        points = [models.PointStruct(**p) for p in document.get("points", [])]
        for start in range(0, len(points), 256):
            self.client.upsert(name, points=points[start:start + 256])
        self.indexes[name] = dict(document.get("payload_indexes") or {})
        self.save_indexes()


def parse_form_data(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """multipart/form-data fields as {name: (filename, raw bytes)}.

    Like actix-multipart (which Qdrant uses), the part's bytes are taken as sent: a
    Content-Transfer-Encoding header (deprecated for form-data by RFC 7578) is NOT decoded.
    """
    header = email.message.Message()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if not boundary:
        raise ApiError(400, "Multipart form error: no boundary in Content-Type")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(b"--" + str(boundary).encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        part = email.message_from_bytes(head.lstrip(b"\r\n") + b"\r\n\r\n")
        name = part.get_param("name", header="content-disposition")
        if name:
            content = content[:-2] if content.endswith(b"\r\n") else content
            fields[str(name)] = (part.get_param("filename", header="content-disposition"), content)
    return fields


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_snapshot(path: str) -> dict[str, Any]:
    try:
        with tarfile.open(path, mode="r") as tar:
            handle = tar.extractfile(SNAPSHOT_MEMBER)
            if handle is None:
                raise KeyError(SNAPSHOT_MEMBER)
            document = json.load(handle)
    except (tarfile.TarError, KeyError, ValueError) as err:
        raise ApiError(
            500, f"Service internal error: {os.path.basename(path)} is not a snapshot of the Qdrant stand-in ({err})"
        ) from err
    if document.get("format") != SNAPSHOT_FORMAT:
        raise ApiError(500, f"Service internal error: unknown snapshot format {document.get('format')!r}")
    return document


# ---------------------------------------------------------------------------------------- routing
# (method, path regex, handler name, access): access is "open" (no key needed), "read" (either
# key) or "manage" (the read-write key). Same whitelist as src/actix/mod.rs: "/", "/healthz",
# "/readyz*", "/livez*".
_C = r"(?P<c>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    (m, re.compile(p + r"\Z"), h, a)
    for m, p, h, a in [
        ("GET", r"/", "root", "open"),
        ("GET", r"/healthz", "healthz", "open"),
        ("GET", r"/livez", "healthz", "open"),
        ("GET", r"/readyz", "readyz", "open"),
        ("GET", r"/collections", "list_collections", "read"),
        ("GET", rf"/collections/{_C}", "get_collection", "read"),
        ("GET", rf"/collections/{_C}/exists", "collection_exists", "read"),
        ("PUT", rf"/collections/{_C}", "create_collection", "manage"),
        ("PATCH", rf"/collections/{_C}", "update_collection", "manage"),
        ("DELETE", rf"/collections/{_C}", "delete_collection", "manage"),
        ("PUT", rf"/collections/{_C}/index", "create_index", "manage"),
        ("DELETE", rf"/collections/{_C}/index/(?P<field>[^/]+)", "delete_index", "manage"),
        ("PUT", rf"/collections/{_C}/points", "upsert", "manage"),
        ("POST", rf"/collections/{_C}/points/delete", "delete_points", "manage"),
        ("POST", rf"/collections/{_C}/points", "retrieve", "read"),
        ("GET", rf"/collections/{_C}/points/(?P<point>[^/]+)", "get_point", "read"),
        ("POST", rf"/collections/{_C}/points/scroll", "scroll", "read"),
        ("POST", rf"/collections/{_C}/points/search", "search", "read"),
        ("POST", rf"/collections/{_C}/points/query", "query", "read"),
        ("POST", rf"/collections/{_C}/points/count", "count", "read"),
        ("GET", rf"/collections/{_C}/snapshots", "list_snapshots", "read"),
        ("POST", rf"/collections/{_C}/snapshots", "create_snapshot", "manage"),
        ("POST", rf"/collections/{_C}/snapshots/upload", "upload_snapshot", "manage"),
        ("PUT", rf"/collections/{_C}/snapshots/recover", "recover_snapshot", "manage"),
        ("GET", rf"/collections/{_C}/snapshots/(?P<s>[^/]+)", "download_snapshot", "read"),
        ("DELETE", rf"/collections/{_C}/snapshots/(?P<s>[^/]+)", "delete_snapshot", "manage"),
    ]
]


def _query_bool(query: dict[str, list[str]], name: str, default: bool) -> bool:
    value = query.get(name, [None])[0]
    return default if value is None else value.lower() in ("true", "1", "yes")


def _point_id(raw: str) -> int | str:
    return int(raw) if raw.isdigit() else raw


class Handler(BaseHTTPRequestHandler):
    server_version = "qdrant-standin"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    store: Store
    api_key: str = ""
    read_only_key: str = ""

    # ------------------------------------------------------------------ plumbing
    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # pylint: disable=redefined-builtin
        LOG.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, separators=(",", ":")).encode("utf-8"), "application/json")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self) -> Any:
        raw = self._body()
        if not raw:
            raise ApiError(400, "Json deserialize error: EOF while parsing a value at line 1 column 0")
        try:
            return json.loads(raw)
        except ValueError as err:
            raise ApiError(400, f"Json deserialize error: {err}") from err

    def _access(self, needed: str) -> str | None:
        """None when allowed, else the reason; raises for 401 (plain text, like the middleware)."""
        if needed == "open" or not (self.api_key or self.read_only_key):
            return None
        key = self.headers.get("api-key")
        if key is None:
            auth = self.headers.get("Authorization", "")
            key = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        if key is None:
            return "401:Must provide an API key or an Authorization bearer token"
        if self.api_key and hmac.compare_digest(key, self.api_key):
            return None
        if self.read_only_key and hmac.compare_digest(key, self.read_only_key):
            return None if needed == "read" else "403:Global manage access is required"
        return "401:Invalid API key or JWT"

    def _dispatch(self) -> None:
        started = time.monotonic()
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = urllib.parse.parse_qs(url.query)
        allowed_methods = set()
        for method, pattern, handler, access in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            allowed_methods.add(method)
            if method != self.command:
                continue
            denied = self._access(access)
            if denied is not None:
                code, message = denied.split(":", 1)
                if code == "401":
                    self._text(401, message)
                else:
                    self._json(403, {"status": {"error": f"Forbidden: {message}"}, "time": time.monotonic() - started})
                return
            params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            try:
                with self.store.lock:
                    outcome = getattr(self, "h_" + handler)(query=query, **params)
            except ApiError as err:
                self._json(err.status, {"status": {"error": err.message}, "time": time.monotonic() - started})
                return
            except ValueError as err:  # qdrant-client local mode reports bad input as ValueError
                self._json(400, {"status": {"error": f"Wrong input: {err}"}, "time": time.monotonic() - started})
                return
            except Exception as err:  # pylint: disable=broad-except  # answered as Qdrant does: 500 + message
                LOG.exception("internal error")
                self._json(500, {"status": {"error": f"Service internal error: {err}"}, "time": time.monotonic() - started})
                return
            if outcome is None:
                return  # the handler answered itself (plain text, files)
            status, result = outcome
            if status == 202:
                self._json(202, {"status": "accepted", "time": time.monotonic() - started})
            else:
                self._json(status, {"result": result, "status": "ok", "time": time.monotonic() - started})
            return
        if allowed_methods:
            self._text(405, "")
        else:
            self._text(404, "")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815 - http.server's naming

    # ------------------------------------------------------------------ service
    def h_root(self, query: dict) -> tuple[int, Any] | None:
        self._json(200, {"title": TITLE, "version": VERSION})
        return None

    def h_healthz(self, query: dict) -> None:
        self._text(200, "healthz check passed")

    def h_readyz(self, query: dict) -> None:
        self._text(200, "all shards are ready")

    # ------------------------------------------------------------------ collections
    def h_list_collections(self, query: dict) -> tuple[int, Any]:
        names = [c.name for c in self.store.client.get_collections().collections]
        return 200, {"collections": [{"name": n} for n in sorted(names)]}

    def h_get_collection(self, query: dict, c: str) -> tuple[int, Any]:
        return 200, self.store.collection_info(c)

    def h_collection_exists(self, query: dict, c: str) -> tuple[int, Any]:
        return 200, {"exists": self.store.client.collection_exists(c)}

    def h_create_collection(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(models.CreateCollection, self._json_body())
        if self.store.client.collection_exists(c):
            raise ApiError(409, f"Wrong input: Collection `{c}` already exists!")
        self.store.client.create_collection(
            c, vectors_config=body.vectors, sparse_vectors_config=body.sparse_vectors, metadata=body.metadata
        )
        self.store.indexes.pop(c, None)
        self.store.save_indexes()
        return 200, True

    def h_update_collection(self, query: dict, c: str) -> tuple[int, Any]:
        parse(models.UpdateCollection, self._json_body())
        self.store.require(c)
        return 200, True  # accepted: exact search has no tunables

    def h_delete_collection(self, query: dict, c: str) -> tuple[int, Any]:
        existed = self.store.client.delete_collection(c)
        if self.store.indexes.pop(c, None) is not None:
            self.store.save_indexes()
        return 200, bool(existed)

    # ------------------------------------------------------------------ payload indexes
    def h_create_index(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(models.CreateFieldIndex, self._json_body())
        self.store.require(c)
        schema = body.field_schema
        if schema is None:
            raise bad_input("Can't auto-detect field type, please specify `field_schema` in the request")
        self.store.client.create_payload_index(c, body.field_name, field_schema=schema)
        data_type = schema.value if hasattr(schema, "value") else getattr(schema, "type", schema)
        entry: dict[str, Any] = {"data_type": getattr(data_type, "value", data_type)}
        if hasattr(schema, "model_dump"):
            entry["params"] = to_json(schema)
        self.store.indexes.setdefault(c, {})[body.field_name] = entry
        self.store.save_indexes()
        return self._update_result(query)

    def h_delete_index(self, query: dict, c: str, field: str) -> tuple[int, Any]:
        self.store.require(c)
        self.store.client.delete_payload_index(c, field)
        self.store.indexes.get(c, {}).pop(field, None)
        self.store.save_indexes()
        return self._update_result(query)

    # ------------------------------------------------------------------ points
    @staticmethod
    def _update_result(query: dict) -> tuple[int, Any]:
        wait = _query_bool(query, "wait", False)
        return 200, {"operation_id": 0, "status": "completed" if wait else "acknowledged"}

    def h_upsert(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(_POINT_INSERT, self._json_body())
        self.store.require(c)
        if isinstance(body, models.PointsList):
            self.store.client.upsert(c, points=body.points, update_filter=body.update_filter)
        else:
            self.store.client.upsert(c, points=body.batch, update_filter=body.update_filter)
        return self._update_result(query)

    def h_delete_points(self, query: dict, c: str) -> tuple[int, Any]:
        selector = parse(_POINTS_SELECTOR, self._json_body())
        self.store.require(c)
        self.store.client.delete(c, points_selector=selector)
        return self._update_result(query)

    def h_retrieve(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(models.PointRequest, self._json_body())
        self.store.require(c)
        records = self.store.client.retrieve(
            c,
            ids=body.ids,
            with_payload=True if body.with_payload is None else body.with_payload,
            with_vectors=False if body.with_vector is None else body.with_vector,
        )
        return 200, to_json(records)

    def h_get_point(self, query: dict, c: str, point: str) -> tuple[int, Any]:
        self.store.require(c)
        records = self.store.client.retrieve(c, ids=[_point_id(point)], with_payload=True, with_vectors=True)
        if not records:
            raise not_found(f"No point with id {point} found")
        return 200, to_json(records[0])

    def h_scroll(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(models.ScrollRequest, self._json_body() if self.headers.get("Content-Length") not in (None, "0") else {})
        self.store.require(c)
        points, offset = self.store.client.scroll(
            c,
            scroll_filter=body.filter,
            limit=body.limit or 10,
            offset=body.offset,
            order_by=body.order_by,
            with_payload=True if body.with_payload is None else body.with_payload,
            with_vectors=False if body.with_vector is None else body.with_vector,
        )
        return 200, {"points": to_json(points), "next_page_offset": offset}

    def h_search(self, query: dict, c: str) -> tuple[int, Any]:
        raw = self._json_body()
        if not isinstance(raw, dict) or "vector" not in raw:
            raise ApiError(400, "Json deserialize error: missing field `vector`")
        vector, using = raw["vector"], None
        if isinstance(vector, dict):
            using, vector = vector.get("name"), vector.get("vector")
        if not isinstance(vector, list) or not vector:
            raise ApiError(400, "Json deserialize error: `vector` must be a list of numbers or {name, vector}")
        self.store.require(c)
        response = self.store.client.query_points(
            c,
            query=vector,
            using=using,
            query_filter=parse(models.Filter, raw["filter"]) if raw.get("filter") else None,
            limit=raw.get("limit") or 10,
            offset=raw.get("offset"),
            score_threshold=raw.get("score_threshold"),
            with_payload=raw.get("with_payload", False),
            with_vectors=raw.get("with_vector", False),
        )
        return 200, to_json(response.points)

    def h_query(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(models.QueryRequest, self._json_body())
        self.store.require(c)
        response = self.store.client.query_points(
            c,
            query=body.query,
            using=body.using,
            prefetch=body.prefetch,
            query_filter=body.filter,
            search_params=body.params,
            limit=body.limit or 10,
            offset=body.offset,
            score_threshold=body.score_threshold,
            with_payload=False if body.with_payload is None else body.with_payload,
            with_vectors=False if body.with_vector is None else body.with_vector,
            lookup_from=body.lookup_from,
        )
        return 200, to_json(response)

    def h_count(self, query: dict, c: str) -> tuple[int, Any]:
        length = self.headers.get("Content-Length")
        body = parse(models.CountRequest, self._json_body() if length not in (None, "0") else {})
        self.store.require(c)
        return 200, {"count": self.store.client.count(c, count_filter=body.filter, exact=True).count}

    # ------------------------------------------------------------------ snapshots
    def h_list_snapshots(self, query: dict, c: str) -> tuple[int, Any]:
        return 200, self.store.list_snapshots(c)

    def h_create_snapshot(self, query: dict, c: str) -> tuple[int, Any]:
        description = self.store.create_snapshot(c)
        return (200, description) if _query_bool(query, "wait", True) else (202, None)

    def h_delete_snapshot(self, query: dict, c: str, s: str) -> tuple[int, Any]:
        self.store.delete_snapshot(c, s)
        return (200, True) if _query_bool(query, "wait", True) else (202, None)

    def h_download_snapshot(self, query: dict, c: str, s: str) -> None:
        self.store.require(c)
        path = self.store.snapshot_path(c, s)
        if not os.path.isfile(path):
            raise not_found(f"Snapshot {s} not found")
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", f'attachment; filename="{s}"')
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, self.wfile)

    def h_recover_snapshot(self, query: dict, c: str) -> tuple[int, Any]:
        body = parse(models.SnapshotRecover, self._json_body())
        self.store.recover(c, body.location, body.checksum)
        return (200, True) if _query_bool(query, "wait", True) else (202, None)

    def h_upload_snapshot(self, query: dict, c: str) -> tuple[int, Any]:
        """multipart/form-data with the file in the `snapshot` field; saved, then recovered."""
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            raise ApiError(400, "Multipart form error: Content-Type is not multipart/form-data")
        fields = parse_form_data(content_type, self._body())
        if "snapshot" not in fields:
            raise ApiError(400, "Multipart form error: field `snapshot` is missing")
        filename, data = fields["snapshot"]
        checksum = query.get("checksum", [None])[0]
        if checksum and not hmac.compare_digest(hashlib.sha256(data).hexdigest(), checksum.lower()):
            raise bad_input(f"Checksum mismatch: expected {hashlib.sha256(data).hexdigest()}, actual {checksum}")
        filename = os.path.basename(filename or "") or f"upload-{int(time.time())}.snapshot"
        folder = self.store.snapshot_dir(c)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, filename)
        with open(path, "wb") as handle:
            handle.write(data)
        self.store.recover(c, "file://" + urllib.parse.quote(path), None)
        return (200, True) if _query_bool(query, "wait", True) else (202, None)


def make_server(host: str, port: int, storage: str, snapshots: str, api_key: str = "", read_only_key: str = "") -> ThreadingHTTPServer:
    store = Store(storage, snapshots)
    handler = type("BoundHandler", (Handler,), {"store": store, "api_key": api_key, "read_only_key": read_only_key})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.store = store  # type: ignore[attr-defined]
    return server


def main() -> int:
    env = os.environ
    level = env.get("QDRANT__LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = env.get("QDRANT__SERVICE__HOST", "0.0.0.0")
    port = int(env.get("QDRANT__SERVICE__HTTP_PORT", "6333"))
    storage = env.get("QDRANT__STORAGE__STORAGE_PATH", "./storage")
    snapshots = env.get("QDRANT__STORAGE__SNAPSHOTS_PATH", "./snapshots")
    api_key = env.get("QDRANT__SERVICE__API_KEY", "")
    read_only_key = env.get("QDRANT__SERVICE__READ_ONLY_API_KEY", "")
    server = make_server(host, port, storage, snapshots, api_key, read_only_key)
    LOG.info(
        "Qdrant STAND-IN %s (tests only) on %s:%s, storage %s, snapshots %s, api key %s, read-only key %s, telemetry %s",
        VERSION, host, port, storage, snapshots, "set" if api_key else "none", "set" if read_only_key else "none",
        "disabled" if env.get("QDRANT__TELEMETRY_DISABLED", "").lower() == "true" else "never sent (stand-in)",
    )

    def stop(signum: int, _frame: Any) -> None:
        LOG.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.store.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
