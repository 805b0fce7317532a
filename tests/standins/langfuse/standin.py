# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""STAND-IN servers for the Langfuse v3 stack (tests only, never production).

One file, four components (first argument): ``web`` (langfuse/langfuse), ``worker``
(langfuse/langfuse-worker), ``clickhouse`` (clickhouse/clickhouse-server), ``minio`` (minio server)
and the ``mc`` client subset (``mc ready <alias>``). Each follows the upstream HTTP contract where
the collection and the Langfuse SDK touch it; README.md lists what is implemented and what is not.

PostgreSQL and Redis are the REAL servers (tests/images/postgres, tests/images/redis): web and
worker connect to them with DATABASE_URL and REDIS_AUTH exactly like upstream.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import gzip
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse
from urllib.request import Request, urlopen
from urllib.error import HTTPError, URLError

VERSION = os.environ.get("LANGFUSE_STANDIN_VERSION", "3.225.4")
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def log(component, message):
    sys.stderr.write("[%s-standin] %s\n" % (component, message))
    sys.stderr.flush()


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ================================================================== environment (upstream env.mjs)

def _is_url(value):
    try:
        parsed = urlparse(value or "")
    except ValueError:
        return False
    return bool(parsed.scheme) and bool(parsed.netloc)


def validate_env(env, component="web"):
    """Upstream's zod rules for the variables the collection sets; a list of error strings."""
    errors = []
    if not env.get("DATABASE_URL") or not _is_url(env["DATABASE_URL"]):
        errors.append("DATABASE_URL: Invalid url")
    if not env.get("SALT"):
        errors.append("SALT: Required")
    key = env.get("ENCRYPTION_KEY", "")
    if len(key) != 64:
        errors.append("ENCRYPTION_KEY: must be 256 bits, 64 string characters in hex format, "
                      "generate via: openssl rand -hex 32")
    elif not HEX64.match(key):
        errors.append("ENCRYPTION_KEY: must be hex (openssl rand -hex 32)")
    if not _is_url(env.get("CLICKHOUSE_URL", "")):
        errors.append("CLICKHOUSE_URL: Invalid url")
    if not env.get("CLICKHOUSE_USER"):
        errors.append("CLICKHOUSE_USER: Required")
    if not env.get("LANGFUSE_S3_EVENT_UPLOAD_BUCKET"):
        errors.append("LANGFUSE_S3_EVENT_UPLOAD_BUCKET: Required")
    if not env.get("REDIS_CONNECTION_STRING") and not env.get("REDIS_HOST"):
        errors.append("REDIS_HOST or REDIS_CONNECTION_STRING: Required")
    if component == "web":
        if not _is_url(env.get("NEXTAUTH_URL", "")):
            errors.append("NEXTAUTH_URL: Invalid url")
        if not env.get("NEXTAUTH_SECRET"):
            errors.append("NEXTAUTH_SECRET: Required")
        for name in ("LANGFUSE_INIT_PROJECT_RETENTION",):
            if env.get(name) and (not env[name].isdigit() or int(env[name]) < 3):
                errors.append("%s: Number must be greater than or equal to 3" % name)
    return errors


def listen_host(env):
    """Next.js standalone / the worker bind to $HOSTNAME (Docker sets it to the container id)."""
    return env.get("HOSTNAME") or "0.0.0.0"


# ================================================================== clients: Redis, Postgres, ClickHouse, S3

def _resp_read(sock_file):
    line = sock_file.readline().decode("utf-8", "replace").rstrip("\r\n")
    return line


def redis_check(env, timeout=3):
    """AUTH (REDIS_AUTH) + PING against the real Redis; raises RuntimeError with Redis' reply."""
    conn = env.get("REDIS_CONNECTION_STRING")
    if conn:
        parsed = urlparse(conn)
        host, port, password = parsed.hostname, parsed.port or 6379, unquote(parsed.password or "")
    else:
        host, port, password = env.get("REDIS_HOST"), int(env.get("REDIS_PORT") or 6379), env.get("REDIS_AUTH", "")
    with socket.create_connection((host, port), timeout=timeout) as sock:
        handle = sock.makefile("rb")
        if password:
            pw = password.encode()
            sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(pw), pw))
            reply = _resp_read(handle)
            if reply != "+OK":
                raise RuntimeError("Redis AUTH: %s" % reply)
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        reply = _resp_read(handle)
        if reply != "+PONG":
            raise RuntimeError("Redis PING: %s" % reply)


def pg_connect(url):
    import pg8000.native  # pylint: disable=import-outside-toplevel
    parsed = urlparse(url)
    return pg8000.native.Connection(
        unquote(parsed.username or "postgres"), password=unquote(parsed.password or ""),
        host=parsed.hostname, port=parsed.port or 5432, database=(parsed.path or "/postgres")[1:] or "postgres",
        timeout=10)


def clickhouse_query(env, sql, data=None, timeout=10):
    url = env["CLICKHOUSE_URL"].rstrip("/") + "/?" + "query=" + quote(sql)
    req = Request(url, data=data, method="POST" if data is not None else "GET", headers={
        "X-ClickHouse-User": env.get("CLICKHOUSE_USER", "default"),
        "X-ClickHouse-Key": env.get("CLICKHOUSE_PASSWORD", ""),
        "X-ClickHouse-Database": env.get("CLICKHOUSE_DB", "default")})
    try:
        with urlopen(req, timeout=timeout) as resp:
            return resp.read().decode("utf-8")
    except HTTPError as exc:
        raise RuntimeError("ClickHouse HTTP %s: %s" % (exc.code, exc.read().decode("utf-8", "replace").strip()))


def _sign(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def s3_put(endpoint, region, access_key, secret_key, bucket, key, body, content_type="application/json"):
    """PUT an object with AWS Signature V4 (path style), like the AWS SDK upstream uses."""
    parsed = urlparse(endpoint)
    path = "/%s/%s" % (bucket, quote(key, safe="/-_.~"))
    stamp = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = stamp.strftime("%Y%m%dT%H%M%SZ"), stamp.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(body).hexdigest()
    region = region if region and region != "auto" else "us-east-1"
    headers = {"host": parsed.netloc, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["PUT", path, "", "".join("%s:%s\n" % (h, headers[h]) for h in sorted(headers)),
                           signed, payload_hash])
    scope = "%s/%s/s3/aws4_request" % (day, region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _sign(_sign(_sign(_sign(("AWS4" + secret_key).encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    req = Request(endpoint.rstrip("/") + path, data=body, method="PUT", headers={
        "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date, "Content-Type": content_type,
        "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                         % (access_key, scope, signed, signature)})
    try:
        with urlopen(req, timeout=10) as resp:
            return resp.status
    except HTTPError as exc:
        raise RuntimeError("S3 PUT %s: HTTP %s %s" % (path, exc.code, exc.read().decode("utf-8", "replace")[:300]))


def wait_for(component, what, func, seconds=90):
    deadline = time.time() + seconds
    while True:
        try:
            return func()
        except Exception as exc:  # pylint: disable=broad-except
            if time.time() > deadline:
                log(component, "giving up on %s: %s" % (what, exc))
                sys.exit(1)
            log(component, "waiting for %s: %s" % (what, exc))
            time.sleep(2)


# ================================================================== Postgres schema + headless init

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL,
         created_at TIMESTAMP NOT NULL DEFAULT now(), updated_at TIMESTAMP NOT NULL DEFAULT now(),
         cloud_config JSONB, metadata JSONB)""",
    """CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id)
         ON DELETE CASCADE, name TEXT NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT now(),
         updated_at TIMESTAMP NOT NULL DEFAULT now(), deleted_at TIMESTAMP, retention_days INTEGER, metadata JSONB)""",
    """CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT, email TEXT UNIQUE, password TEXT,
         admin BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP NOT NULL DEFAULT now(),
         updated_at TIMESTAMP NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS organization_memberships (id TEXT PRIMARY KEY, org_id TEXT NOT NULL
         REFERENCES organizations(id) ON DELETE CASCADE, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
         role TEXT NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT now(), updated_at TIMESTAMP NOT NULL DEFAULT now(),
         UNIQUE (org_id, user_id))""",
    """CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, created_at TIMESTAMP NOT NULL DEFAULT now(),
         note TEXT, public_key TEXT NOT NULL UNIQUE, hashed_secret_key TEXT NOT NULL UNIQUE,
         fast_hashed_secret_key TEXT UNIQUE, display_secret_key TEXT NOT NULL, last_used_at TIMESTAMP,
         expires_at TIMESTAMP, project_id TEXT REFERENCES projects(id) ON DELETE CASCADE, scope TEXT NOT NULL
         DEFAULT 'PROJECT')""",
]


def fast_hash(secret_key, salt):
    return hashlib.sha256((secret_key + salt).encode("utf-8")).hexdigest()


def slow_hash(secret, salt=None):
    salt = salt or uuid.uuid4().hex
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt.encode("utf-8"), 100000).hex()
    return "pbkdf2_sha256$100000$%s$%s" % (salt, digest)


def check_slow_hash(secret, stored):
    try:
        dummy, dummy2, salt, dummy3 = stored.split("$")
    except (AttributeError, ValueError):
        return False
    return hmac.compare_digest(slow_hash(secret, salt), stored)


def display_key(secret_key):
    return secret_key[:6] + "..." + secret_key[-4:]


class MemoryStore(object):
    """The init/auth data in memory (unit tests); same methods as PgStore."""

    def __init__(self):
        self.orgs, self.projects, self.users, self.members, self.keys = {}, {}, {}, {}, {}

    def upsert_org(self, org_id, name):
        self.orgs.setdefault(org_id, {"id": org_id, "name": name})

    def upsert_project(self, project_id, name, org_id, retention):
        self.projects.setdefault(project_id, {"id": project_id, "name": name, "org_id": org_id,
                                              "retention_days": retention})

    def find_key(self, public_key):
        return self.keys.get(public_key)

    def delete_key(self, public_key):
        self.keys.pop(public_key, None)

    def create_key(self, row):
        self.keys[row["public_key"]] = row

    def find_user(self, email):
        return self.users.get(email)

    def create_user(self, row):
        self.users[row["email"]] = row

    def upsert_owner(self, org_id, user_id):
        self.members[(org_id, user_id)] = "OWNER"

    def projects_of(self, project_id):
        project = self.projects.get(project_id)
        if not project:
            return []
        return [dict(project, org_name=self.orgs[project["org_id"]]["name"])]


class PgStore(object):
    """The same tables upstream's Prisma schema maps (a subset of their columns), in the real Postgres."""

    def __init__(self, url):
        self.url = url
        self.lock = threading.Lock()
        self.con = None

    def run(self, sql, **params):
        with self.lock:
            for attempt in (1, 2):
                try:
                    if self.con is None:
                        self.con = pg_connect(self.url)
                    rows = self.con.run(sql, **params)
                    cols = [c["name"] for c in (self.con.columns or [])]
                    return [dict(zip(cols, r)) for r in rows or []]
                except Exception:  # pylint: disable=broad-except
                    self.con = None
                    if attempt == 2:
                        raise
        return []

    def migrate(self):
        for statement in SCHEMA:
            self.run(statement)

    def upsert_org(self, org_id, name):
        self.run("INSERT INTO organizations (id, name) VALUES (:i, :n) ON CONFLICT (id) DO NOTHING", i=org_id, n=name)

    def upsert_project(self, project_id, name, org_id, retention):
        self.run("INSERT INTO projects (id, name, org_id, retention_days) VALUES (:i, :n, :o, :r) "
                 "ON CONFLICT (id) DO NOTHING", i=project_id, n=name, o=org_id, r=retention)

    def find_key(self, public_key):
        rows = self.run("SELECT * FROM api_keys WHERE public_key = :p", p=public_key)
        return rows[0] if rows else None

    def delete_key(self, public_key):
        self.run("DELETE FROM api_keys WHERE public_key = :p", p=public_key)

    def create_key(self, row):
        self.run("INSERT INTO api_keys (id, note, public_key, hashed_secret_key, fast_hashed_secret_key, "
                 "display_secret_key, project_id, scope) VALUES (:id, :note, :public_key, :hashed_secret_key, "
                 ":fast_hashed_secret_key, :display_secret_key, :project_id, 'PROJECT')", **row)

    def find_user(self, email):
        rows = self.run("SELECT * FROM users WHERE email = :e", e=email)
        return rows[0] if rows else None

    def create_user(self, row):
        self.run("INSERT INTO users (id, name, email, password) VALUES (:id, :name, :email, :password)", **row)

    def upsert_owner(self, org_id, user_id):
        self.run("INSERT INTO organization_memberships (id, org_id, user_id, role) VALUES (:i, :o, :u, 'OWNER') "
                 "ON CONFLICT (org_id, user_id) DO UPDATE SET role = 'OWNER', updated_at = now()",
                 i=uuid.uuid4().hex, o=org_id, u=user_id)

    def projects_of(self, project_id):
        return self.run("SELECT p.id, p.name, p.org_id, p.retention_days, p.metadata, o.name AS org_name "
                        "FROM projects p JOIN organizations o ON o.id = p.org_id "
                        "WHERE p.id = :i AND p.deleted_at IS NULL", i=project_id)


def headless_init(store, env, component="web"):
    """web/src/initialize.ts: upserts, keys created if absent (never rotated), user created if absent."""
    actions = []
    org_id = env.get("LANGFUSE_INIT_ORG_ID")
    if not org_id:
        if any(k.startswith("LANGFUSE_INIT_") and env.get(k) for k in env):
            log(component, "[Langfuse Init] LANGFUSE_INIT_ORG_ID is not set: other LANGFUSE_INIT_* ignored")
        return actions
    store.upsert_org(org_id, env.get("LANGFUSE_INIT_ORG_NAME") or "Provisioned Org")
    project_id = env.get("LANGFUSE_INIT_PROJECT_ID")
    public_key, secret_key = env.get("LANGFUSE_INIT_PROJECT_PUBLIC_KEY"), env.get("LANGFUSE_INIT_PROJECT_SECRET_KEY")
    if project_id:
        retention = env.get("LANGFUSE_INIT_PROJECT_RETENTION")
        store.upsert_project(project_id, env.get("LANGFUSE_INIT_PROJECT_NAME") or "Provisioned Project", org_id,
                             None)  # retention needs an EE entitlement upstream: never applied on OSS
        del retention
        if public_key and secret_key:
            existing = store.find_key(public_key)
            if existing and existing["project_id"] != project_id:
                store.delete_key(public_key)
                actions.append("key deleted (bound to another project)")
            if not existing or existing["project_id"] != project_id:
                store.create_key({"id": uuid.uuid4().hex, "note": "Provisioned API Key", "public_key": public_key,
                                  "hashed_secret_key": slow_hash(secret_key),
                                  "fast_hashed_secret_key": fast_hash(secret_key, env.get("SALT", "")),
                                  "display_secret_key": display_key(secret_key), "project_id": project_id})
                actions.append("key created")
    email, password = env.get("LANGFUSE_INIT_USER_EMAIL"), env.get("LANGFUSE_INIT_USER_PASSWORD")
    if email and password:
        email = email.lower()
        user = store.find_user(email)
        if not user:
            user = {"id": uuid.uuid4().hex, "name": env.get("LANGFUSE_INIT_USER_NAME") or "Provisioned User",
                    "email": email, "password": slow_hash(password)}
            store.create_user(user)
            actions.append("user created")
        store.upsert_owner(org_id, user["id"])
    return actions


def check_basic_auth(store, header, salt):
    """(project_id, None) or (None, error message) for an ``Authorization: Basic pk:sk`` header."""
    if not header:
        return None, "No authorization header"
    scheme, dummy, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None, "Invalid authorization header"
    try:
        public_key, dummy, secret_key = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, "Invalid authorization header"
    row = store.find_key(public_key) if public_key else None
    if not row or not secret_key:
        return None, "Invalid credentials"
    if row.get("fast_hashed_secret_key"):
        ok = hmac.compare_digest(row["fast_hashed_secret_key"], fast_hash(secret_key, salt))
    else:
        ok = check_slow_hash(secret_key, row["hashed_secret_key"])
    if not ok:
        return None, "Invalid credentials"
    return row["project_id"], None


# ================================================================== traces: OTLP + legacy ingestion -> rows

def _any_value(value):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind) if kind else None


def _otlp_json_ids(node):
    """OTLP/JSON carries trace and span ids as hex (not protobuf JSON's base64): convert them."""
    if isinstance(node, list):
        return [_otlp_json_ids(item) for item in node]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str) and re.match(
                    r"^([0-9a-fA-F]{2})*$", value):
                value = base64.b64encode(bytes.fromhex(value)).decode()
            out[key] = _otlp_json_ids(value)
        return out
    return node


def decode_otlp(body, content_type="application/x-protobuf", content_encoding=""):
    """OTLP/HTTP ExportTraceServiceRequest (protobuf or JSON, gzip or not) -> list of span dicts."""
    # pylint: disable=import-outside-toplevel
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    if (content_encoding or "").lower() == "gzip" or body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    request = trace_service_pb2.ExportTraceServiceRequest()
    if "json" in (content_type or ""):
        from google.protobuf import json_format
        json_format.ParseDict(_otlp_json_ids(json.loads(body.decode("utf-8"))), request)
    else:
        request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _any_value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({
                    "name": span.name, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex() or None, "scope": scope_spans.scope.name,
                    "start_ns": span.start_time_unix_nano, "end_ns": span.end_time_unix_nano,
                    "attributes": {a.key: _any_value(a.value) for a in span.attributes}, "resource": resource})
    return spans


def _ns_iso(ns):
    if not ns:
        return None
    stamp = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _maybe_json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def spans_to_rows(spans, project_id):
    """Langfuse's OTel mapping (langfuse.* attributes, gen_ai fallbacks) -> (trace rows, observation rows)."""
    traces, observations = {}, []
    stamp = time.time()
    for span in spans:
        attrs = span["attributes"]
        trace = traces.setdefault(span["trace_id"], {"id": span["trace_id"], "project_id": project_id,
                                                     "event_ts": stamp, "tags": [], "metadata": {}})
        is_root = not span["parent_span_id"]
        meta = {k[len("langfuse.trace.metadata."):]: v for k, v in attrs.items()
                if k.startswith("langfuse.trace.metadata.")}
        trace["metadata"].update(meta)
        for field, keys in (("name", ["langfuse.trace.name"]), ("user_id", ["langfuse.user.id", "user.id"]),
                            ("session_id", ["langfuse.session.id", "session.id"]),
                            ("release", ["langfuse.release"]), ("version", ["langfuse.version"]),
                            ("environment", ["langfuse.environment", "deployment.environment"]),
                            ("input", ["langfuse.trace.input"]), ("output", ["langfuse.trace.output"])):
            for key in keys:
                if attrs.get(key) not in (None, ""):
                    trace[field] = _maybe_json(attrs[key])
                    break
        if attrs.get("langfuse.trace.tags"):
            tags = _maybe_json(attrs["langfuse.trace.tags"])
            trace["tags"] = sorted(set(trace["tags"]) | set(tags if isinstance(tags, list) else [tags]))
        if is_root:
            trace.setdefault("name", span["name"])
            trace.setdefault("input", _maybe_json(attrs.get("langfuse.observation.input")))
            trace.setdefault("output", _maybe_json(attrs.get("langfuse.observation.output")))
            trace["timestamp"] = _ns_iso(span["start_ns"])
        trace.setdefault("timestamp", _ns_iso(span["start_ns"]))
        trace.setdefault("environment", span["resource"].get("deployment.environment") or "default")
        observations.append({
            "id": span["span_id"], "trace_id": span["trace_id"], "project_id": project_id, "event_ts": stamp,
            "parent_observation_id": span["parent_span_id"], "name": span["name"],
            "type": str(attrs.get("langfuse.observation.type") or "span").upper(),
            "start_time": _ns_iso(span["start_ns"]), "end_time": _ns_iso(span["end_ns"]),
            "model": attrs.get("langfuse.observation.model.name") or attrs.get("gen_ai.request.model"),
            "input": _maybe_json(attrs.get("langfuse.observation.input")),
            "output": _maybe_json(attrs.get("langfuse.observation.output")),
            "usage_details": _maybe_json(attrs.get("langfuse.observation.usage_details")) or {},
            "level": attrs.get("langfuse.observation.level") or "DEFAULT"})
    return list(traces.values()), observations


INGESTION_TYPES = {"trace-create", "span-create", "span-update", "generation-create", "generation-update",
                   "event-create", "score-create", "sdk-log", "observation-create", "observation-update"}


def ingestion_to_rows(batch, project_id):
    """POST /api/public/ingestion events -> (trace rows, observation rows, successes, errors)."""
    traces, observations, successes, errors = [], [], [], []
    stamp = time.time()
    for event in batch if isinstance(batch, list) else []:
        event_id, kind, body = event.get("id"), event.get("type"), event.get("body") or {}
        if not event_id or kind not in INGESTION_TYPES or not isinstance(body, dict):
            errors.append({"id": event_id, "status": 400, "message": "Invalid request data",
                           "error": "unknown event type %r" % kind})
            continue
        if kind == "trace-create":
            traces.append({"id": body.get("id") or event_id, "project_id": project_id, "event_ts": stamp,
                           "name": body.get("name"), "user_id": body.get("userId"), "session_id": body.get("sessionId"),
                           "input": body.get("input"), "output": body.get("output"),
                           "metadata": body.get("metadata") or {}, "tags": body.get("tags") or [],
                           "release": body.get("release"), "version": body.get("version"),
                           "environment": body.get("environment") or "default",
                           "timestamp": body.get("timestamp") or event.get("timestamp") or now_iso()})
        elif kind not in ("score-create", "sdk-log"):
            trace_id = body.get("traceId")
            if not trace_id:
                trace_id = body.get("id") or event_id
            traces.append({"id": trace_id, "project_id": project_id, "event_ts": stamp, "tags": [], "metadata": {},
                           "timestamp": body.get("startTime") or event.get("timestamp") or now_iso()})
            observations.append({
                "id": body.get("id") or event_id, "trace_id": trace_id, "project_id": project_id, "event_ts": stamp,
                "parent_observation_id": body.get("parentObservationId"), "name": body.get("name"),
                "type": kind.split("-")[0].upper() if kind.split("-")[0] != "observation" else body.get("type", "SPAN"),
                "start_time": body.get("startTime"), "end_time": body.get("endTime"), "model": body.get("model"),
                "input": body.get("input"), "output": body.get("output"),
                "usage_details": body.get("usageDetails") or body.get("usage") or {}, "level": body.get("level")})
        successes.append({"id": event_id, "status": 201})
    return traces, observations, successes, errors


def merge_rows(rows):
    """ReplacingMergeTree-like: one row per id, later event_ts wins for every non-empty field."""
    merged = {}
    for row in sorted(rows, key=lambda r: r.get("event_ts") or 0):
        current = merged.setdefault(row["id"], {})
        for key, value in row.items():
            if value not in (None, "", [], {}) or key not in current:
                if key in ("tags",) and current.get("tags"):
                    value = sorted(set(current["tags"]) | set(value or []))
                if key == "metadata" and current.get("metadata"):
                    value = dict(current["metadata"], **(value or {}))
                current[key] = value
        # the first (earliest) timestamp of a trace is its timestamp
    return merged


def trace_json(trace, observations, full=False):
    obs = sorted(observations, key=lambda o: o.get("start_time") or "")
    out = {"id": trace["id"], "projectId": trace["project_id"], "name": trace.get("name"),
           "timestamp": trace.get("timestamp"), "environment": trace.get("environment") or "default",
           "tags": trace.get("tags") or [], "bookmarked": False, "release": trace.get("release"),
           "version": trace.get("version"), "userId": trace.get("user_id"), "sessionId": trace.get("session_id"),
           "public": False, "input": trace.get("input"), "output": trace.get("output"),
           "metadata": trace.get("metadata") or {}, "createdAt": trace.get("timestamp"),
           "updatedAt": trace.get("timestamp"), "scores": [], "totalCost": 0, "latency": 0,
           "htmlPath": "/project/%s/traces/%s" % (trace["project_id"], trace["id"])}
    if full:
        out["observations"] = [{"id": o["id"], "traceId": o["trace_id"], "projectId": o["project_id"],
                                "type": o.get("type"), "name": o.get("name"), "startTime": o.get("start_time"),
                                "endTime": o.get("end_time"), "parentObservationId": o.get("parent_observation_id"),
                                "model": o.get("model"), "input": o.get("input"), "output": o.get("output"),
                                "usageDetails": o.get("usage_details") or {}, "level": o.get("level") or "DEFAULT"}
                               for o in obs]
    else:
        out["observations"] = [o["id"] for o in obs]
    return out


# ================================================================== HTTP plumbing

class Handler(BaseHTTPRequestHandler):
    server_version = "langfuse-standin"
    protocol_version = "HTTP/1.1"
    app = None

    def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
        if os.environ.get("STANDIN_ACCESS_LOG"):
            log(self.app.name, fmt % args)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body=b"", content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def dispatch(self):
        try:
            self.app.handle(self)
        except Exception as exc:  # pylint: disable=broad-except
            log(self.app.name, "error: %r" % exc)
            self.send(500, {"message": "Internal Server Error", "error": str(exc)})

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = dispatch


def serve(app, host, port):
    handler = type("BoundHandler", (Handler,), {"app": app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    log(app.name, "listening on %s:%s" % (host, port))
    server.serve_forever()


# ================================================================== web

class Web(object):
    name = "langfuse-web"

    def __init__(self, env, store):
        self.env, self.store = env, store
        self.salt = env.get("SALT", "")

    def auth(self, req):
        project_id, error = check_basic_auth(self.store, req.headers.get("Authorization"), self.salt)
        if error:
            req.send(401, {"message": error})
        return project_id

    def store_rows(self, traces, observations):
        for table, rows in (("traces", traces), ("observations", observations)):
            if rows:
                data = "\n".join(json.dumps(r, sort_keys=True) for r in rows).encode("utf-8")
                clickhouse_query(self.env, "INSERT INTO %s FORMAT JSONEachRow" % table, data=data)

    def upload_event(self, project_id, kind, event_id, payload):
        env = self.env
        key = "%s%s/%s/%s.json" % (env.get("LANGFUSE_S3_EVENT_UPLOAD_PREFIX", ""), project_id, kind, event_id)
        s3_put(env.get("LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT", ""), env.get("LANGFUSE_S3_EVENT_UPLOAD_REGION", ""),
               env.get("LANGFUSE_S3_EVENT_UPLOAD_ACCESS_KEY_ID", ""),
               env.get("LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY", ""),
               env["LANGFUSE_S3_EVENT_UPLOAD_BUCKET"], key, json.dumps(payload).encode("utf-8"))

    def load(self, table, project_id):
        text = clickhouse_query(self.env, "SELECT * FROM %s WHERE project_id = '%s' FORMAT JSONEachRow"
                                % (table, project_id.replace("'", "")))
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def handle(self, req):
        url = urlparse(req.path)
        path, query = url.path.rstrip("/") or "/", parse_qs(url.query)
        if path == "/api/public/health" and req.command == "GET":
            if query.get("failIfDatabaseUnavailable") == ["true"]:
                try:
                    self.store.run("SELECT 1")
                except Exception:  # pylint: disable=broad-except
                    return req.send(503, {"status": "Database not available", "version": VERSION})
            return req.send(200, {"status": "OK", "version": VERSION})
        if path == "/api/public/ready" and req.command == "GET":
            return req.send(200, {"status": "OK", "version": VERSION})
        if not path.startswith("/api/public/"):
            return req.send(404, "<!DOCTYPE html><title>Langfuse (stand-in)</title>", "text/html")
        project_id = self.auth(req)
        if project_id is None:
            return None
        if path == "/api/public/projects" and req.command == "GET":
            return req.send(200, {"data": [
                dict({"id": p["id"], "name": p["name"], "organization": {"id": p["org_id"], "name": p["org_name"]},
                      "metadata": p.get("metadata") or {}},
                     **({"retentionDays": p["retention_days"]} if p.get("retention_days") else {}))
                for p in self.store.projects_of(project_id)]})
        if path == "/api/public/otel/v1/traces" and req.command == "POST":
            ctype = req.headers.get("Content-Type", "application/x-protobuf")
            try:
                spans = decode_otlp(req.body(), ctype, req.headers.get("Content-Encoding", ""))
            except Exception as exc:  # pylint: disable=broad-except
                return req.send(400, {"message": "Invalid OTLP request: %s" % exc})
            traces, observations = spans_to_rows(spans, project_id)
            for span in spans:
                self.upload_event(project_id, "otel", span["trace_id"] + "-" + span["span_id"], span)
            self.store_rows(traces, observations)
            if "json" in ctype:
                return req.send(200, {})
            return req.send(200, b"", "application/x-protobuf")
        if path == "/api/public/ingestion" and req.command == "POST":
            try:
                payload = json.loads(req.body() or b"{}")
            except ValueError:
                return req.send(400, {"message": "Invalid request data", "error": "body is not JSON"})
            traces, observations, successes, errors = ingestion_to_rows(payload.get("batch"), project_id)
            for event in payload.get("batch") or []:
                if isinstance(event, dict) and event.get("id") in {s["id"] for s in successes}:
                    self.upload_event(project_id, event.get("type", "event"), event["id"], event)
            self.store_rows(traces, observations)
            return req.send(207, {"successes": successes, "errors": errors})
        match = re.match(r"^/api/public/traces(?:/([^/]+))?$", path)
        if match and req.command == "GET":
            traces = merge_rows(self.load("traces", project_id))
            observations = list(merge_rows(self.load("observations", project_id)).values())
            if match.group(1):
                trace = traces.get(unquote(match.group(1)))
                if not trace:
                    return req.send(404, {"message": "Trace not found within authorized project"})
                return req.send(200, trace_json(trace, [o for o in observations if o["trace_id"] == trace["id"]],
                                                full=True))
            rows = sorted(traces.values(), key=lambda t: t.get("timestamp") or "", reverse=True)
            for field, key in (("userId", "user_id"), ("name", "name"), ("sessionId", "session_id")):
                if query.get(field):
                    rows = [t for t in rows if t.get(key) == query[field][0]]
            page, limit = int((query.get("page") or ["1"])[0]), int((query.get("limit") or ["50"])[0])
            chunk = rows[(page - 1) * limit:page * limit]
            return req.send(200, {
                "data": [trace_json(t, [o for o in observations if o["trace_id"] == t["id"]]) for t in chunk],
                "meta": {"page": page, "limit": limit, "totalItems": len(rows),
                         "totalPages": (len(rows) + limit - 1) // limit}})
        return req.send(404, {"message": "Not found (not implemented by the stand-in)"})


def clickhouse_schema(env):
    for table in ("traces", "observations"):
        clickhouse_query(env, "CREATE TABLE IF NOT EXISTS %s (id String, project_id String) "
                              "ENGINE = ReplacingMergeTree ORDER BY (project_id, id)" % table, data=b"")


def main_web(env):
    errors = validate_env(env, "web")
    if errors:
        sys.stderr.write("\u274c Invalid environment variables:\n%s\n" % "\n".join("  " + e for e in errors))
        return 1
    store = PgStore(env["DATABASE_URL"])
    wait_for("langfuse-web", "Postgres (prisma migrate deploy)", store.migrate)
    wait_for("langfuse-web", "ClickHouse (migrations)", lambda: clickhouse_schema(env))
    wait_for("langfuse-web", "Redis", lambda: redis_check(env))
    for action in headless_init(store, env):
        log("langfuse-web", "[Langfuse Init] " + action)
    serve(Web(env, store), listen_host(env), int(env.get("PORT") or 3000))
    return 0


# ================================================================== worker

class Worker(object):
    name = "langfuse-worker"

    def __init__(self, env, store):
        self.env, self.store = env, store

    def handle(self, req):
        path = urlparse(req.path).path.rstrip("/")
        if path in ("/api/health", "/api/ready") and req.command == "GET":
            try:
                self.store.run("SELECT 1")
                redis_check(self.env, timeout=2)
            except Exception as exc:  # pylint: disable=broad-except
                log(self.name, "health check failed: %s" % exc)
                return req.send(500, {"status": "error"})
            return req.send(200, {"status": "ok"})
        return req.send(404, {"message": "Not found"})


def main_worker(env):
    errors = validate_env(env, "worker")
    if errors:
        sys.stderr.write("\u274c Invalid environment variables:\n%s\n" % "\n".join("  " + e for e in errors))
        return 1
    store = PgStore(env["DATABASE_URL"])
    wait_for("langfuse-worker", "Postgres", lambda: store.run("SELECT 1"))
    wait_for("langfuse-worker", "Redis", lambda: redis_check(env))
    wait_for("langfuse-worker", "ClickHouse", lambda: clickhouse_query(env, "SELECT 1"))
    serve(Worker(env, store), listen_host(env), int(env.get("PORT") or 3030))
    return 0


# ================================================================== clickhouse

SQL_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+([\w.]+)(?:\s*\([^)]*\))?\s+FORMAT\s+JSONEachRow\s*(.*)$", re.I | re.S)
SQL_SELECT = re.compile(r"^\s*SELECT\s+(\*|count\(\))\s+FROM\s+([\w.]+)(?:\s+WHERE\s+(.+?))?"
                        r"(?:\s+LIMIT\s+(\d+))?(?:\s+FORMAT\s+(\w+))?\s*;?\s*$", re.I | re.S)
SQL_COND = re.compile(r"^\s*(\w+)\s*=\s*'([^']*)'\s*$")


class ClickHouse(object):
    name = "clickhouse"

    def __init__(self, env, root="/var/lib/clickhouse"):
        self.user = env.get("CLICKHOUSE_USER") or "default"
        self.password = env.get("CLICKHOUSE_PASSWORD", "")
        self.database = env.get("CLICKHOUSE_DB") or "default"
        self.root = os.path.join(root, "standin")
        self.lock = threading.Lock()

    def table_path(self, name, database):
        prefix, dummy, table = name.rpartition(".")
        return os.path.join(self.root, prefix or database or self.database, table + ".jsonl")

    def credentials(self, req, query):
        user = req.headers.get("X-ClickHouse-User") or (query.get("user") or [None])[0]
        password = req.headers.get("X-ClickHouse-Key") or (query.get("password") or [None])[0]
        auth = req.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            user, dummy, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
        return user or "default", password or ""

    def execute(self, sql, data, database):
        text = sql if not data else sql + " " + data
        if re.match(r"^\s*SELECT\s+1\s*(FORMAT\s+\w+)?\s*;?\s*$", text, re.I):
            return 200, "1\n"
        if re.match(r"^\s*(CREATE|DROP|OPTIMIZE|ALTER|SYSTEM)\b", text, re.I):
            match = re.match(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.]+)", text, re.I)
            if match:
                path = self.table_path(match.group(1), database)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with self.lock:
                    if not os.path.exists(path):
                        open(path, "a").close()
            return 200, ""
        match = SQL_INSERT.match(text)
        if match:
            path = self.table_path(match.group(1), database)
            if not os.path.exists(path):
                return 404, "Code: 60. DB::Exception: Table %s does not exist. (UNKNOWN_TABLE)\n" % match.group(1)
            rows = [json.loads(line) for line in match.group(2).splitlines() if line.strip()]
            with self.lock, open(path, "a") as handle:
                for row in rows:
                    handle.write(json.dumps(row, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            return 200, ""
        match = SQL_SELECT.match(text)
        if match:
            what, table, where, limit, fmt = match.groups()
            path = self.table_path(table, database)
            if not os.path.exists(path):
                return 404, "Code: 60. DB::Exception: Table %s does not exist. (UNKNOWN_TABLE)\n" % table
            conditions = []
            for part in re.split(r"\s+AND\s+", where or "", flags=re.I) if where else []:
                cond = SQL_COND.match(part)
                if not cond:
                    return 400, "Code: 62. DB::Exception: the stand-in only supports col = 'value' [AND ...]\n"
                conditions.append(cond.groups())
            with self.lock, open(path) as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
            rows = [r for r in rows if all(str(r.get(c)) == v for c, v in conditions)]
            if limit:
                rows = rows[:int(limit)]
            if what.lower() == "count()":
                return 200, ("{\"count()\":%d}\n" % len(rows)) if fmt else "%d\n" % len(rows)
            if fmt and fmt.lower() != "jsoneachrow":
                return 400, "Code: 73. DB::Exception: the stand-in only supports FORMAT JSONEachRow\n"
            return 200, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
        return 400, "Code: 62. DB::Exception: Syntax error (not supported by the stand-in): %s\n" % text[:200]

    def handle(self, req):
        url = urlparse(req.path)
        query = parse_qs(url.query)
        if url.path in ("/ping", "/") and req.command in ("GET", "HEAD") and "query" not in query:
            return req.send(200, "Ok.\n", "text/plain; charset=UTF-8")
        user, password = self.credentials(req, query)
        if user != self.user or not hmac.compare_digest(password, self.password):
            return req.send(516, "Code: 516. DB::Exception: %s: Authentication failed: password is incorrect, or "
                                 "there is no user with such name. (AUTHENTICATION_FAILED)\n" % user,
                            "text/plain; charset=UTF-8", {"X-ClickHouse-Exception-Code": "516"})
        body = req.body().decode("utf-8") if req.command == "POST" else ""
        sql = (query.get("query") or [""])[0]
        if not sql:
            sql, body = body, ""
        database = req.headers.get("X-ClickHouse-Database") or (query.get("database") or [self.database])[0]
        status, text = self.execute(sql, body, database)
        return req.send(status, text, "text/plain; charset=UTF-8")


def main_clickhouse(env):
    app = ClickHouse(env)
    os.makedirs(os.path.join(app.root, app.database), exist_ok=True)
    for folder in ("/etc/clickhouse-server/config.d", "/etc/clickhouse-server/users.d"):
        files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        log("clickhouse", "%s: %s (read, not applied by the stand-in)" % (folder, ", ".join(files) or "empty"))
    serve(app, "0.0.0.0", 8123)
    return 0


# ================================================================== minio (S3 subset)

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def s3_error(code, message, resource=""):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "<Resource>%s</Resource><RequestId>standin</RequestId></Error>" % (code, message, resource))


def access_key_of(header, query):
    match = re.search(r"Credential=([^/,\s]+)/", header or "")
    if match:
        return match.group(1)
    cred = (query.get("X-Amz-Credential") or [""])[0]
    return cred.split("/")[0] if cred else None


class MinIO(object):
    name = "minio"

    def __init__(self, env, root):
        self.user, self.password, self.root = env.get("MINIO_ROOT_USER", "minioadmin"), \
            env.get("MINIO_ROOT_PASSWORD", "minioadmin"), root

    def handle(self, req):
        url = urlparse(req.path)
        query = parse_qs(url.query, keep_blank_values=True)
        if url.path in ("/minio/health/live", "/minio/health/ready", "/minio/health/cluster"):
            return req.send(200, b"", "text/plain")
        access_key = access_key_of(req.headers.get("Authorization"), query)
        xml = "application/xml"
        if access_key is None:
            return req.send(403, s3_error("AccessDenied", "Access Denied.", url.path), xml)
        if access_key != self.user:
            return req.send(403, s3_error("InvalidAccessKeyId", "The Access Key Id you provided does not exist "
                                          "in our records.", url.path), xml)
        parts = unquote(url.path).lstrip("/").split("/", 1)
        bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
        if ".." in bucket or any(p in ("..", ".") for p in key.split("/")):
            return req.send(400, s3_error("InvalidArgument", "bad path", url.path), xml)
        if not bucket:
            names = sorted(d for d in os.listdir(self.root) if os.path.isdir(os.path.join(self.root, d))
                           and not d.startswith("."))
            return req.send(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"%s\">"
                                 "<Owner><ID>standin</ID></Owner><Buckets>%s</Buckets></ListAllMyBucketsResult>"
                            % (S3_NS, "".join("<Bucket><Name>%s</Name></Bucket>" % n for n in names)), xml)
        bucket_dir = os.path.join(self.root, bucket)
        if not key:
            return self.bucket(req, bucket, bucket_dir, query)
        if not os.path.isdir(bucket_dir):
            return req.send(404, s3_error("NoSuchBucket", "The specified bucket does not exist", bucket), xml)
        path = os.path.join(bucket_dir, key)
        if req.command == "PUT":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = req.body()
            with open(path + ".standin-tmp", "wb") as handle:
                handle.write(data)
            os.replace(path + ".standin-tmp", path)
            return req.send(200, b"", "text/plain", {"ETag": '"%s"' % hashlib.md5(data).hexdigest()})  # nosec
        if not os.path.isfile(path):
            return req.send(404, s3_error("NoSuchKey", "The specified key does not exist.", key), xml)
        if req.command == "DELETE":
            os.remove(path)
            return req.send(204)
        with open(path, "rb") as handle:
            data = handle.read()
        headers = {"ETag": '"%s"' % hashlib.md5(data).hexdigest(),  # nosec - S3's ETag is an MD5
                   "Last-Modified": formatdate(os.path.getmtime(path), usegmt=True)}
        if req.command == "HEAD":
            req.send_response(200)
            req.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                req.send_header(name, value)
            req.end_headers()
            return None
        return req.send(200, data, "application/octet-stream", headers)

    def bucket(self, req, bucket, bucket_dir, query):
        xml = "application/xml"
        if req.command == "PUT":
            if os.path.isdir(bucket_dir):
                return req.send(409, s3_error("BucketAlreadyOwnedByYou", "Your previous request to create the "
                                              "named bucket succeeded and you already own it.", bucket), xml)
            os.makedirs(bucket_dir)
            return req.send(200, b"", "text/plain", {"Location": "/" + bucket})
        if not os.path.isdir(bucket_dir):
            return req.send(404, s3_error("NoSuchBucket", "The specified bucket does not exist", bucket), xml)
        if req.command == "HEAD":
            return req.send(200, b"", "text/plain")
        if req.command == "DELETE":
            if os.listdir(bucket_dir):
                return req.send(409, s3_error("BucketNotEmpty", "The bucket you tried to delete is not empty",
                                              bucket), xml)
            os.rmdir(bucket_dir)
            return req.send(204)
        prefix = (query.get("prefix") or [""])[0]
        keys = []
        for dirpath, dummy, files in os.walk(bucket_dir):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), bucket_dir)
                if rel.startswith(prefix) and not rel.endswith(".standin-tmp"):
                    keys.append(rel)
        keys.sort()
        items = "".join("<Contents><Key>%s</Key><Size>%d</Size></Contents>"
                        % (k, os.path.getsize(os.path.join(bucket_dir, k))) for k in keys)
        return req.send(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"%s\"><Name>%s"
                             "</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><IsTruncated>false</IsTruncated>%s"
                             "</ListBucketResult>" % (S3_NS, bucket, prefix, len(keys), items), xml)


def main_minio(argv, env):
    if not argv or argv[0] != "server":
        sys.stderr.write("minio (stand-in): only `minio server [--address :9000] [--console-address :9001] DIR`\n")
        return 2
    address, directory, args = ":9000", None, argv[1:]
    while args:
        arg = args.pop(0)
        if arg == "--address":
            address = args.pop(0)
        elif arg == "--console-address":
            args.pop(0)
        elif not arg.startswith("-"):
            directory = arg
    user, password = env.get("MINIO_ROOT_USER", "minioadmin"), env.get("MINIO_ROOT_PASSWORD", "minioadmin")
    if len(user) < 3 or len(password) < 8:
        sys.stderr.write("FATAL Unable to validate credentials inherited from the shell environment: Invalid "
                         "credentials (MINIO_ROOT_USER >= 3, MINIO_ROOT_PASSWORD >= 8 characters)\n")
        return 1
    if not directory:
        sys.stderr.write("minio (stand-in): a data directory is required\n")
        return 2
    os.makedirs(directory, exist_ok=True)
    host, dummy, port = address.rpartition(":")
    serve(MinIO(env, directory), host or "0.0.0.0", int(port))
    return 0


def main_mc(argv):
    if len(argv) >= 2 and argv[0] == "ready":
        try:
            with urlopen("http://127.0.0.1:9000/minio/health/ready", timeout=5) as resp:
                ok = resp.status == 200
        except (URLError, OSError):
            ok = False
        print("The cluster is ready" if ok else "The cluster is unreachable")
        return 0 if ok else 1
    sys.stderr.write("mc (stand-in): only `mc ready <alias>` is implemented\n")
    return 2


def main(argv):
    env = dict(os.environ)
    component = argv[0] if argv else ""

    # PID 1 in its container: without a handler SIGTERM is ignored and `docker stop` waits its
    # 10 s for the SIGKILL. The real servers (Node.js, ClickHouse, MinIO) stop on SIGTERM.
    def stop(signum, _frame):
        log(component or "standin", "signal %d: shutting down" % signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    if component == "web":
        return main_web(env)
    if component == "worker":
        return main_worker(env)
    if component == "clickhouse":
        return main_clickhouse(env)
    if component == "minio":
        return main_minio(argv[1:], env)
    if component == "mc":
        return main_mc(argv[1:])
    sys.stderr.write("usage: standin.py web|worker|clickhouse|minio server ...|mc ready <alias>\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
