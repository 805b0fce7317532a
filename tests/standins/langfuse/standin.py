# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""STAND-IN servers for the Langfuse v3/v4 stack (tests only, never production).

One file, four components (first argument): ``web`` (langfuse/langfuse), ``worker``
(langfuse/langfuse-worker), ``clickhouse`` (clickhouse/clickhouse-server), ``minio`` (minio server)
and the ``mc`` client subset (``mc ready <alias>``). Each follows the upstream contract where the
collection and the Langfuse SDK touch it; README.md lists what is implemented and what is not.
The web and worker images carry the Langfuse version they stand in for (LANGFUSE_STANDIN_VERSION,
set at build time): 3.x behaves like Langfuse v3, 4.x like v4 with its migration write modes.

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
import struct
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET  # nosec - parses the role's own config files
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse
from urllib.request import Request, urlopen
from urllib.error import HTTPError, URLError

VERSION = os.environ.get("LANGFUSE_STANDIN_VERSION", "4.16.0")
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
# zod's z.email() pattern (upstream web/src/env.mjs validates LANGFUSE_INIT_USER_EMAIL with it).
EMAIL = re.compile(r"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$")
# LANGFUSE_MIGRATION_V4_WRITE_MODE (packages/shared/src/env.ts, v4): events_only by default.
WRITE_MODES = ("legacy", "dual", "events_only")
# The ingestion queue between web and worker (upstream: BullMQ queues in Redis; here one list).
QUEUE = "standin:ingestion-queue"
FAILED_QUEUE = "standin:ingestion-failed"


def major(version=None):
    try:
        return int((version or VERSION).split(".")[0])
    except ValueError:
        return 4


def write_mode(env, version=None):
    """Which tables ingestion writes: v3 only knows the legacy tables; v4 reads its write mode."""
    if major(version) < 4:
        return "legacy"
    return env.get("LANGFUSE_MIGRATION_V4_WRITE_MODE") or "events_only"


def writes_legacy(env, version=None):
    return write_mode(env, version) != "events_only"


def writes_events(env, version=None):
    return write_mode(env, version) != "legacy"


def preview_opt_in(env, version=None):
    """LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN gates the v2 read APIs (v4 default true)."""
    return major(version) >= 4 and (env.get("LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN") or "true") == "true"


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


def validate_env(env, component="web", version=None):
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
    if "CLICKHOUSE_PASSWORD" not in env:
        errors.append("CLICKHOUSE_PASSWORD: Required")
    if not env.get("LANGFUSE_S3_EVENT_UPLOAD_BUCKET"):
        errors.append("LANGFUSE_S3_EVENT_UPLOAD_BUCKET: Required")
    if not env.get("REDIS_CONNECTION_STRING") and not env.get("REDIS_HOST"):
        errors.append("REDIS_HOST or REDIS_CONNECTION_STRING: Required")
    if major(version) >= 4:
        if env.get("LANGFUSE_MIGRATION_V4_WRITE_MODE", "events_only") not in WRITE_MODES:
            errors.append("LANGFUSE_MIGRATION_V4_WRITE_MODE: Invalid enum value. Expected 'legacy' | 'dual' | "
                          "'events_only', received '%s'" % env["LANGFUSE_MIGRATION_V4_WRITE_MODE"])
        for name in ("LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN",
                     "LANGFUSE_BACKGROUND_MIGRATION_V4_ENABLE_HISTORIC_BACKFILL"):
            if env.get(name, "true") not in ("true", "false"):
                errors.append("%s: Invalid enum value. Expected 'true' | 'false', received '%s'" % (name, env[name]))
    if component == "web":
        if not _is_url(env.get("NEXTAUTH_URL", "")):
            errors.append("NEXTAUTH_URL: Invalid url")
        if not env.get("NEXTAUTH_SECRET"):
            errors.append("NEXTAUTH_SECRET: Required")
        for name in ("LANGFUSE_INIT_PROJECT_RETENTION",):
            if env.get(name) and (not env[name].isdigit() or int(env[name]) < 3):
                errors.append("%s: Number must be greater than or equal to 3" % name)
        if env.get("LANGFUSE_INIT_USER_EMAIL") and not EMAIL.match(env["LANGFUSE_INIT_USER_EMAIL"]):
            errors.append("LANGFUSE_INIT_USER_EMAIL: Invalid email address")
    return errors


def migration_errors(env):
    """The web's entrypoint (packages/shared/clickhouse/scripts/up.sh) before any migration runs."""
    errors = []
    if not env.get("CLICKHOUSE_MIGRATION_URL"):
        errors.append("Error: CLICKHOUSE_MIGRATION_URL is not configured.")
    elif not re.match(r"^clickhouse://[^:/]+(:\d+)?$", env["CLICKHOUSE_MIGRATION_URL"]):
        errors.append("Error: Could not parse CLICKHOUSE_MIGRATION_URL: %s" % env["CLICKHOUSE_MIGRATION_URL"])
    if not env.get("CLICKHOUSE_PASSWORD"):
        errors.append("Error: CLICKHOUSE_PASSWORD is not set.")
    return errors


def listen_host(env):
    """Next.js standalone / the worker bind to $HOSTNAME (Docker sets it to the container id)."""
    return env.get("HOSTNAME") or "0.0.0.0"


# ================================================================== clients: Redis, Postgres, ClickHouse, S3

class RedisClient(object):
    """A RESP2 client with AUTH (REDIS_AUTH or REDIS_CONNECTION_STRING), like ioredis upstream."""

    def __init__(self, env, timeout=5):
        conn = env.get("REDIS_CONNECTION_STRING")
        if conn:
            parsed = urlparse(conn)
            host, port, password = parsed.hostname, parsed.port or 6379, unquote(parsed.password or "")
        else:
            host, port, password = env.get("REDIS_HOST"), int(env.get("REDIS_PORT") or 6379), env.get("REDIS_AUTH", "")
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        if password:
            reply = self.call("AUTH", password)
            if reply != "OK":
                raise RuntimeError("Redis AUTH: %s" % reply)

    def close(self):
        self.sock.close()

    def call(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode("utf-8") for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        return self._read()

    def _read(self):
        line = self.file.readline()
        if not line:
            raise RuntimeError("Redis closed the connection")
        kind, rest = line[:1], line[1:].rstrip(b"\r\n").decode("utf-8", "replace")
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError("Redis: %s" % rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.file.read(size + 2)[:size]
            return data.decode("utf-8")
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._read() for dummy in range(size)]
        raise RuntimeError("Redis: unexpected reply %r" % line[:80])


def redis_check(env, timeout=3):
    """AUTH (REDIS_AUTH) + PING against the real Redis; raises RuntimeError with Redis' reply."""
    client = RedisClient(env, timeout=timeout)
    try:
        reply = client.call("PING")
        if reply != "PONG":
            raise RuntimeError("Redis PING: %s" % reply)
    finally:
        client.close()


def enqueue(env, job):
    """The web hands an ingestion job to the worker through Redis (upstream: BullMQ)."""
    client = RedisClient(env)
    try:
        client.call("LPUSH", QUEUE, json.dumps(job, sort_keys=True))
    finally:
        client.close()


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


def clickhouse_rows(env, sql):
    text = clickhouse_query(env, sql + " FORMAT JSONEachRow")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---- ClickHouse native protocol: the handshake only (Hello with the credentials, Ping/Pong) ----

def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(read):
    shift = result = 0
    while True:
        byte = read(1)
        if not byte:
            raise EOFError("connection closed")
        result |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return result
        shift += 7


def _string(value):
    data = value.encode("utf-8")
    return _varint(len(data)) + data


def _read_string(read):
    size = _read_varint(read)
    data = b""
    while len(data) < size:
        chunk = read(size - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data.decode("utf-8", "replace")


NATIVE_REVISION = 54401  # server Hello fields: timezone (>= 54058), display name (>= 54372), patch (>= 54401)


def clickhouse_native_hello(url, user, password, database="default", timeout=5):
    """Connect to CLICKHOUSE_MIGRATION_URL (clickhouse://host:port) and authenticate like a client does
    before a migration; returns the server name or raises RuntimeError with ClickHouse's exception."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port or 9000), timeout=timeout) as sock:
        handle = sock.makefile("rb")
        sock.sendall(_varint(0) + _string("langfuse-standin migrate") + _varint(25) + _varint(12)
                     + _varint(NATIVE_REVISION) + _string(database) + _string(user) + _string(password))
        packet = _read_varint(handle.read)
        if packet == 2:
            code = struct.unpack("<i", handle.read(4))[0]
            name, message = _read_string(handle.read), _read_string(handle.read)
            raise RuntimeError("ClickHouse native: Code: %d. %s: %s" % (code, name, message))
        if packet != 0:
            raise RuntimeError("ClickHouse native: unexpected packet %d" % packet)
        server = _read_string(handle.read)
        _read_varint(handle.read)  # version major
        _read_varint(handle.read)  # version minor
        revision = _read_varint(handle.read)
        if revision >= 54058:
            _read_string(handle.read)  # time zone
        if revision >= 54372:
            _read_string(handle.read)  # display name
        if revision >= 54401:
            _read_varint(handle.read)  # version patch
        sock.sendall(_varint(4))  # Ping
        if _read_varint(handle.read) != 4:  # Pong
            raise RuntimeError("ClickHouse native: no Pong")
        return server


# ---- S3: AWS Signature V4 by botocore, on both sides ----

def s3_call(method, endpoint, region, access_key, secret_key, bucket, key, body=b"",
            content_type="application/json"):
    """A path-style S3 request signed with AWS SigV4 by botocore (upstream signs with the AWS SDK)."""
    # pylint: disable=import-outside-toplevel
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = endpoint.rstrip("/") + "/%s/%s" % (bucket, quote(key, safe="/-_.~"))
    headers = {"Content-Type": content_type} if method == "PUT" else {}
    aws = AWSRequest(method=method, url=url, data=body or None, headers=headers)
    S3SigV4Auth(Credentials(access_key, secret_key), "s3", region or "us-east-1").add_auth(aws)
    req = Request(url, data=body if method == "PUT" else None, method=method, headers=dict(aws.headers.items()))
    try:
        with urlopen(req, timeout=10) as resp:
            return resp.read()
    except HTTPError as exc:
        raise RuntimeError("S3 %s %s: HTTP %s %s" % (method, key, exc.code,
                                                     exc.read().decode("utf-8", "replace")[:300]))


def s3_put(endpoint, region, access_key, secret_key, bucket, key, body, content_type="application/json"):
    s3_call("PUT", endpoint, region, access_key, secret_key, bucket, key, body, content_type)


def s3_get(endpoint, region, access_key, secret_key, bucket, key):
    return s3_call("GET", endpoint, region, access_key, secret_key, bucket, key)


def s3_settings(env, kind="EVENT"):
    return [env.get("LANGFUSE_S3_%s_UPLOAD_%s" % (kind, name), "")
            for name in ("ENDPOINT", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "BUCKET")]


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
    """CREATE TABLE IF NOT EXISTS background_migrations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
         state JSONB NOT NULL DEFAULT '{}', finished_at TIMESTAMP, failed_at TIMESTAMP, failed_reason TEXT)""",
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
        self.migrations = {}

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

    def migration_finished(self, name):
        return bool(self.migrations.get(name))

    def migration_done(self, name):
        self.migrations[name] = now_iso()

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

    def migration_finished(self, name):
        return bool(self.run("SELECT 1 FROM background_migrations WHERE name = :n AND finished_at IS NOT NULL",
                             n=name))

    def migration_done(self, name):
        self.run("INSERT INTO background_migrations (id, name, finished_at) VALUES (:i, :n, now()) "
                 "ON CONFLICT (name) DO UPDATE SET finished_at = now()", i=uuid.uuid4().hex, n=name)

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
            "level": attrs.get("langfuse.observation.level") or "DEFAULT",
            # The SDK marks the top span it exports (its parent was not exported, e.g. a remote parent
            # from trace_context) as the application root; v4 counts it as a root observation.
            "is_app_root": str(attrs.get("langfuse.internal.is_app_root")).lower() == "true"})
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


def event_rows(traces, observations, virtual_roots=False):
    """Langfuse v4's events_full: one row per observation with its trace's attributes on the row
    (``traces``: trace id -> merged trace row, as ``merge_rows`` returns them).
    virtual_roots: a trace becomes a root span ``t-<trace id>`` (type SPAN, no parent) and its
    top-level observations hang below it - how upstream represents traces that were not ingested
    as OpenTelemetry spans (the historic backfill, the dual write of legacy events)."""
    rows, stamp = [], time.time()
    for trace in traces.values():
        if virtual_roots:
            rows.append({"id": "t-" + trace["id"], "trace_id": trace["id"], "project_id": trace["project_id"],
                         "parent_observation_id": "", "type": "SPAN", "name": trace.get("name"),
                         "start_time": trace.get("timestamp"), "end_time": None, "input": trace.get("input"),
                         "output": trace.get("output"), "metadata": trace.get("metadata") or {},
                         "model": None, "usage_details": {}, "level": "DEFAULT"})
    for obs in observations:
        parent = obs.get("parent_observation_id") or ""
        if virtual_roots and not parent:
            parent = "t-" + obs["trace_id"]
        # upstream's backfill reads the observations table, which has no is_app_root column.
        rows.append(dict(obs, parent_observation_id=parent, **({"is_app_root": False} if virtual_roots else {})))
    out = []
    for row in rows:
        trace = traces.get(row["trace_id"]) or {}
        out.append(dict(row, event_ts=stamp, user_id=trace.get("user_id"), session_id=trace.get("session_id"),
                        tags=trace.get("tags") or [], release=trace.get("release"), version=trace.get("version"),
                        environment=trace.get("environment") or "default", trace_name=trace.get("name")))
    return out


def _raw_io(value):
    """v2 returns input/output as the raw strings they were stored as (parseIoAsJson is retired)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def is_root_observation(row):
    """v4's rule (packages/shared/src/eventsTable.ts): parent_span_id = '' OR is_app_root = true."""
    return not row.get("parent_observation_id") or bool(row.get("is_app_root"))


def observation_v2_json(row):
    return {"id": row["id"], "traceId": row.get("trace_id"), "startTime": row.get("start_time"),
            "endTime": row.get("end_time"), "projectId": row["project_id"],
            "parentObservationId": row.get("parent_observation_id") or None, "type": row.get("type") or "SPAN",
            "isRootObservation": is_root_observation(row), "name": row.get("name"),
            "level": row.get("level") or "DEFAULT", "statusMessage": None, "version": row.get("version"),
            "environment": row.get("environment") or "default", "bookmarked": False, "public": False,
            "userId": row.get("user_id"), "sessionId": row.get("session_id"), "completionStartTime": None,
            "createdAt": row.get("start_time"), "updatedAt": row.get("start_time"),
            "input": _raw_io(row.get("input")), "output": _raw_io(row.get("output")),
            "metadata": row.get("metadata") or {}, "providedModelName": row.get("model"), "internalModelId": None,
            "modelParameters": {}, "usageDetails": row.get("usage_details") or {}, "costDetails": {},
            "totalCost": 0, "latency": None, "timeToFirstToken": None, "modelId": None, "inputPrice": None,
            "outputPrice": None, "totalPrice": None, "traceName": row.get("trace_name"),
            "tags": row.get("tags") or [], "release": row.get("release")}


# ================================================================== HTTP plumbing

class Handler(BaseHTTPRequestHandler):
    server_version = "langfuse-standin"
    protocol_version = "HTTP/1.1"
    app = None

    def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
        if os.environ.get("STANDIN_ACCESS_LOG"):
            log(self.app.name, fmt % args)

    def body(self):
        if not hasattr(self, "_body"):
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""  # pylint: disable=attribute-defined-outside-init
        return self._body

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

    def __init__(self, env, store, version=None):
        self.env, self.store, self.version = env, store, version or VERSION
        self.salt = env.get("SALT", "")

    def auth(self, req):
        project_id, error = check_basic_auth(self.store, req.headers.get("Authorization"), self.salt)
        if error:
            req.send(401, {"message": error})
        return project_id

    def upload(self, key, payload):
        endpoint, region, access_key, secret_key, bucket = s3_settings(self.env)
        prefix = self.env.get("LANGFUSE_S3_EVENT_UPLOAD_PREFIX", "")
        s3_put(endpoint, region, access_key, secret_key, bucket, prefix + key,
               json.dumps(payload, sort_keys=True).encode("utf-8"))
        return prefix + key

    def load(self, table, project_id):
        return clickhouse_rows(self.env, "SELECT * FROM %s WHERE project_id = '%s'"
                               % (table, project_id.replace("'", "")))

    def handle(self, req):
        url = urlparse(req.path)
        path, query = url.path.rstrip("/") or "/", parse_qs(url.query)
        if path == "/api/public/health" and req.command == "GET":
            if query.get("failIfDatabaseUnavailable") == ["true"]:
                try:
                    self.store.run("SELECT 1")
                except Exception:  # pylint: disable=broad-except
                    return req.send(503, {"status": "Database not available", "version": self.version})
            return req.send(200, {"status": "OK", "version": self.version})
        if path == "/api/public/ready" and req.command == "GET":
            return req.send(200, {"status": "OK", "version": self.version})
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
            return self.otel(req, project_id)
        if path == "/api/public/ingestion" and req.command == "POST":
            return self.ingestion(req, project_id)
        match = re.match(r"^/api/public/traces(?:/([^/]+))?$", path)
        if match and req.command == "GET":
            if not writes_legacy(self.env, self.version):
                # v4 with the default write mode: the legacy read endpoints are gone.
                return req.send(404, {"message": "This endpoint is not available with "
                                                 "LANGFUSE_MIGRATION_V4_WRITE_MODE=events_only; use the "
                                                 "observations API v2 (GET /api/public/v2/observations)"})
            return self.traces(req, project_id, match.group(1), query)
        if path == "/api/public/v2/observations" and req.command == "GET" and major(self.version) >= 4:
            if not preview_opt_in(self.env, self.version):
                return req.send(404, {"message": "The observations v2 API is only available in a Langfuse v4 "
                                                 "write mode. Learn more at: https://langfuse.com/docs/v4"})
            return self.observations_v2(req, project_id, query)
        return req.send(404, {"message": "Not found (not implemented by the stand-in)"})

    def otel(self, req, project_id):
        ctype = req.headers.get("Content-Type", "application/x-protobuf")
        try:
            spans = decode_otlp(req.body(), ctype, req.headers.get("Content-Encoding", ""))
        except Exception as exc:  # pylint: disable=broad-except
            return req.send(400, {"message": "Invalid OTLP request: %s" % exc})
        if spans:
            # Like upstream: the request goes to the event bucket, the worker gets a job naming it.
            key = self.upload("otel/%s/%s.json" % (project_id, uuid.uuid4().hex), {"spans": spans})
            enqueue(self.env, {"kind": "otel", "projectId": project_id, "keys": [key]})
        if "json" in ctype:
            return req.send(200, {})
        return req.send(200, b"", "application/x-protobuf")

    def ingestion(self, req, project_id):
        try:
            payload = json.loads(req.body() or b"{}")
        except ValueError:
            return req.send(400, {"message": "Invalid request data", "error": "body is not JSON"})
        batch = [e for e in payload.get("batch") or [] if isinstance(e, dict)]
        dummy, dummy2, successes, errors = ingestion_to_rows(batch, project_id)
        if not writes_legacy(self.env, self.version):
            # v4 events_only: 207 as before, but 400 for every event but score-create and sdk-log.
            types = {e.get("id"): e.get("type") for e in batch}
            refused = {s["id"] for s in successes if types.get(s["id"]) not in ("score-create", "sdk-log")}
            errors += [{"id": event_id, "status": 400, "message": "Invalid request data",
                        "error": 'Event type "%s" is not accepted by /api/public/ingestion when '
                                 'LANGFUSE_MIGRATION_V4_WRITE_MODE is events_only' % types.get(event_id)}
                       for event_id in sorted(refused)]
            successes = [s for s in successes if s["id"] not in refused]
        accepted = {s["id"] for s in successes}
        keys = [self.upload("%s/%s/%s.json" % (project_id, event.get("type", "event"), event["id"]), event)
                for event in batch if event.get("id") in accepted]
        if keys:
            enqueue(self.env, {"kind": "ingestion", "projectId": project_id, "keys": keys})
        return req.send(207, {"successes": successes, "errors": errors})

    def traces(self, req, project_id, trace_id, query):
        traces = merge_rows(self.load("traces", project_id))
        observations = list(merge_rows(self.load("observations", project_id)).values())
        if trace_id:
            trace = traces.get(unquote(trace_id))
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

    def observations_v2(self, req, project_id, query):
        """GET /api/public/v2/observations (web/src/pages/api/public/v2/observations): reads events_full,
        newest first, cursor pagination; filters traceId, userId, sessionId, name, type, isRootObservation."""
        first = {k: v[0] for k, v in query.items()}
        if first.get("parseIoAsJson") == "true":
            return req.send(400, {"message": "parseIoAsJson=true is no longer supported on the v2 observations "
                                             "endpoint."})
        try:
            limit = int(first.get("limit", "50"))
            cursor = json.loads(base64.b64decode(first["cursor"]).decode("utf-8")) if first.get("cursor") else None
        except (ValueError, TypeError):
            return req.send(400, {"message": "Invalid request data"})
        if not 0 <= limit <= 1000:
            return req.send(400, {"message": "limit must be between 0 and 1000"})
        rows = [observation_v2_json(r) for r in merge_rows(self.load("events_full", project_id)).values()]
        for field in ("traceId", "userId", "sessionId", "name", "type", "level", "environment"):
            if first.get(field):
                rows = [r for r in rows if r.get(field) == first[field]]
        if first.get("isRootObservation") in ("true", "false"):
            rows = [r for r in rows if r["isRootObservation"] == (first["isRootObservation"] == "true")]
        rows.sort(key=lambda r: (r["startTime"] or "", r["traceId"] or "", r["id"]), reverse=True)
        if cursor:
            mark = (cursor.get("lastStartTimeTo") or "", cursor.get("lastTraceId") or "", cursor.get("lastId") or "")
            rows = [r for r in rows if (r["startTime"] or "", r["traceId"] or "", r["id"]) < mark]
        page, meta = rows[:limit], {}
        if len(rows) > limit and page:
            last = page[-1]
            meta["cursor"] = base64.b64encode(json.dumps({"lastStartTimeTo": last["startTime"],
                                                          "lastTraceId": last["traceId"] or "",
                                                          "lastId": last["id"]}).encode("utf-8")).decode()
        return req.send(200, {"data": page, "meta": meta})


LEGACY_TABLES = ("traces", "observations")
EVENTS_TABLES = ("events_full",)


def clickhouse_schema(env, version=None):
    """The web's ClickHouse migrations: v3's tables, plus v4's events table (v4 keeps the old ones)."""
    for table in LEGACY_TABLES + (EVENTS_TABLES if major(version) >= 4 else ()):
        clickhouse_query(env, "CREATE TABLE IF NOT EXISTS %s (id String, project_id String) "
                              "ENGINE = ReplacingMergeTree ORDER BY (project_id, id)" % table, data=b"")


def main_web(env):
    errors = validate_env(env, "web")
    if errors:
        sys.stderr.write("\u274c Invalid environment variables:\n%s\n" % "\n".join("  " + e for e in errors))
        return 1
    errors = migration_errors(env)
    if errors:
        sys.stderr.write("\n".join(errors) + "\n")
        return 1
    store = PgStore(env["DATABASE_URL"])
    wait_for("langfuse-web", "Postgres (prisma migrate deploy)", store.migrate)
    server = wait_for("langfuse-web", "ClickHouse native port (CLICKHOUSE_MIGRATION_URL)",
                      lambda: clickhouse_native_hello(env["CLICKHOUSE_MIGRATION_URL"], env["CLICKHOUSE_USER"],
                                                      env["CLICKHOUSE_PASSWORD"], env.get("CLICKHOUSE_DB") or "default"))
    log("langfuse-web", "ClickHouse migrations: authenticated on %s (%s)" % (env["CLICKHOUSE_MIGRATION_URL"], server))
    wait_for("langfuse-web", "ClickHouse (migrations)", lambda: clickhouse_schema(env))
    wait_for("langfuse-web", "Redis", lambda: redis_check(env))
    for action in headless_init(store, env):
        log("langfuse-web", "[Langfuse Init] " + action)
    log("langfuse-web", "Langfuse %s, write mode %s" % (VERSION, write_mode(env)))
    serve(Web(env, store), listen_host(env), int(env.get("PORT") or 3000))
    return 0


# ================================================================== worker

BACKFILL = "v4_historic_backfill"


class Worker(object):
    name = "langfuse-worker"

    def __init__(self, env, store, version=None):
        self.env, self.store, self.version = env, store, version or VERSION

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

    def insert(self, table, rows):
        if rows:
            data = "\n".join(json.dumps(r, sort_keys=True) for r in rows).encode("utf-8")
            clickhouse_query(self.env, "INSERT INTO %s FORMAT JSONEachRow" % table, data=data)

    def process(self, job):
        """One ingestion job: read its events from the bucket with the worker's own S3 settings, write
        the tables of the write mode with the worker's own ClickHouse settings."""
        endpoint, region, access_key, secret_key, bucket = s3_settings(self.env)
        bodies = [json.loads(s3_get(endpoint, region, access_key, secret_key, bucket, key)) for key in job["keys"]]
        project_id = job["projectId"]
        if job["kind"] == "otel":
            traces, observations = spans_to_rows([s for b in bodies for s in b["spans"]], project_id)
            virtual = False
        else:
            traces, observations, dummy, dummy2 = ingestion_to_rows(bodies, project_id)
            virtual = True
        if writes_legacy(self.env, self.version):
            self.insert("traces", traces)
            self.insert("observations", observations)
        if writes_events(self.env, self.version):
            self.insert("events_full", event_rows(merge_rows(traces), observations, virtual_roots=virtual))
        return len(traces), len(observations)

    def consume(self):
        """The queue consumer: BRPOP jobs, retry a failing one 5 times, then park it (upstream: BullMQ)."""
        client = None
        while True:
            try:
                if client is None:
                    client = RedisClient(self.env, timeout=30)
                item = client.call("BRPOP", QUEUE, 5)
                if not item:
                    continue
                job = json.loads(item[1])
                try:
                    self.process(job)
                except Exception as exc:  # pylint: disable=broad-except
                    job["attempts"] = job.get("attempts", 0) + 1
                    log(self.name, "ingestion job failed (attempt %d): %s" % (job["attempts"], exc))
                    time.sleep(1)
                    client.call("LPUSH", QUEUE if job["attempts"] < 5 else FAILED_QUEUE,
                                json.dumps(dict(job, error=str(exc)), sort_keys=True))
            except Exception as exc:  # pylint: disable=broad-except
                log(self.name, "queue: %s" % exc)
                client = None
                time.sleep(2)

    def backfill(self):
        """v4's historic backfill (a background migration, once): v3's traces and observations become
        events rows (traces as virtual root spans). Off in legacy mode and when
        LANGFUSE_BACKGROUND_MIGRATION_V4_ENABLE_HISTORIC_BACKFILL=false."""
        if (not writes_events(self.env, self.version)
                or self.env.get("LANGFUSE_BACKGROUND_MIGRATION_V4_ENABLE_HISTORIC_BACKFILL", "true") != "true"):
            return 0
        if self.store.migration_finished(BACKFILL):
            return 0
        existing = {r["id"] for r in clickhouse_rows(self.env, "SELECT * FROM events_full")}
        traces = merge_rows(clickhouse_rows(self.env, "SELECT * FROM traces"))
        observations = list(merge_rows(clickhouse_rows(self.env, "SELECT * FROM observations")).values())
        rows = [r for r in event_rows(traces, observations, virtual_roots=True) if r["id"] not in existing]
        self.insert("events_full", rows)
        self.store.migration_done(BACKFILL)
        log(self.name, "background migration %s: %d rows written" % (BACKFILL, len(rows)))
        return len(rows)


def main_worker(env):
    errors = validate_env(env, "worker")
    if errors:
        sys.stderr.write("\u274c Invalid environment variables:\n%s\n" % "\n".join("  " + e for e in errors))
        return 1
    store = PgStore(env["DATABASE_URL"])
    wait_for("langfuse-worker", "Postgres", lambda: store.run("SELECT 1"))
    wait_for("langfuse-worker", "Redis", lambda: redis_check(env))
    wait_for("langfuse-worker", "ClickHouse", lambda: clickhouse_query(env, "SELECT 1"))
    worker = Worker(env, store)
    threading.Thread(target=worker.consume, daemon=True).start()
    # The web creates the tables (its migrations): the backfill waits for them.
    threading.Thread(target=lambda: wait_for("langfuse-worker", "background migrations", worker.backfill, 600),
                     daemon=True).start()
    serve(worker, listen_host(env), int(env.get("PORT") or 3030))
    return 0


# ================================================================== clickhouse

SQL_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+([\w.]+)(?:\s*\([^)]*\))?\s+FORMAT\s+JSONEachRow\s*(.*)$", re.I | re.S)
SQL_SELECT = re.compile(r"^\s*SELECT\s+(\*|count\(\)|\w+(?:\s*,\s*\w+)*)\s+FROM\s+([\w.]+)(?:\s+WHERE\s+(.+?))?"
                        r"(?:\s+LIMIT\s+(\d+))?(?:\s+FORMAT\s+(\w+))?\s*;?\s*$", re.I | re.S)
SQL_COND = re.compile(r"^\s*(\w+)\s*=\s*'([^']*)'\s*$")
TTL = re.compile(r"^\s*event_date\s*\+\s*INTERVAL\s+(\d+)\s+(DAY|WEEK|MONTH)(?:\s+DELETE)?\s*$", re.I)
# Defaults of the server settings and query settings the role changes (ClickHouse 25.12).
SERVER_DEFAULTS = {"max_server_memory_usage_to_ram_ratio": "0.9", "max_server_memory_usage": "0"}
SETTINGS_DEFAULTS = {"max_memory_usage": "0"}


class ConfigError(Exception):
    pass


def clickhouse_config(config_dir="/etc/clickhouse-server/config.d", users_dir="/etc/clickhouse-server/users.d"):
    """Apply config.d and users.d like the server does at start: every file must parse (otherwise the
    server does not start); top-level scalar elements are server settings, <profiles><default> holds
    the query settings, <table><ttl> of a system log table its TTL. Returns (server, settings, ttls)."""
    server, settings, ttls = dict(SERVER_DEFAULTS), dict(SETTINGS_DEFAULTS), {}
    changed = set()
    for folder, kind in ((config_dir, "config"), (users_dir, "users")):
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if not name.endswith(".xml"):
                continue
            path = os.path.join(folder, name)
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError as exc:
                raise ConfigError("Code: 1000. DB::Exception: Cannot parse %s: %s" % (path, exc))
            if root.tag not in ("clickhouse", "yandex"):
                raise ConfigError("Code: 36. DB::Exception: %s: root element must be <clickhouse>" % path)
            for child in root:
                if kind == "users" and child.tag == "profiles":
                    for setting in child.findall("default/*"):
                        settings[setting.tag] = (setting.text or "").strip()
                        changed.add(("settings", setting.tag))
                elif kind == "config" and child.find("ttl") is not None:
                    ttl = child.find("ttl").text or ""
                    match = TTL.match(ttl)
                    if not match:
                        raise ConfigError("Code: 62. DB::Exception: Syntax error in the TTL of %s: %s"
                                          % (child.tag, ttl))
                    ttls[child.tag] = "event_date + toInterval%s(%s)" % (match.group(2).capitalize(), match.group(1))
                elif kind == "config" and len(child) == 0:
                    server[child.tag] = (child.text or "").strip()
                    changed.add(("server", child.tag))
    return {"server": server, "settings": settings, "ttls": ttls, "changed": changed}


def _native_exception(code, name, message):
    return _varint(2) + struct.pack("<i", code) + _string(name) + _string(message) + _string("") + b"\x00"


class ClickHouse(object):
    name = "clickhouse"

    def __init__(self, env, root="/var/lib/clickhouse", config=None):
        self.user = env.get("CLICKHOUSE_USER") or "default"
        self.password = env.get("CLICKHOUSE_PASSWORD", "")
        self.database = env.get("CLICKHOUSE_DB") or "default"
        self.root = os.path.join(root, "standin")
        self.lock = threading.Lock()
        self.config = config or clickhouse_config(config_dir="/nonexistent", users_dir="/nonexistent")

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

    def authenticated(self, user, password):
        return user == self.user and hmac.compare_digest(password, self.password)

    def system_rows(self, table):
        """The system tables that show the applied configuration (None: not one the stand-in has)."""
        cfg = self.config
        if table == "server_settings":
            return [{"name": k, "value": v, "changed": int(("server", k) in cfg["changed"])}
                    for k, v in sorted(cfg["server"].items())]
        if table == "settings":
            return [{"name": k, "value": v, "changed": int(("settings", k) in cfg["changed"])}
                    for k, v in sorted(cfg["settings"].items())]
        if table == "tables":
            return [{"database": "system", "name": t, "engine": "MergeTree",
                     "engine_full": "MergeTree PARTITION BY toYYYYMM(event_date) ORDER BY (event_date, event_time) "
                                    "TTL %s SETTINGS index_granularity = 8192" % ttl}
                    for t, ttl in sorted(cfg["ttls"].items())]
        return None

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
            return self.select(*match.groups(), database=database)
        return 400, "Code: 62. DB::Exception: Syntax error (not supported by the stand-in): %s\n" % text[:200]

    def select(self, what, table, where, limit, fmt, database):
        conditions = []
        for part in re.split(r"\s+AND\s+", where or "", flags=re.I) if where else []:
            cond = SQL_COND.match(part)
            if not cond:
                return 400, "Code: 62. DB::Exception: the stand-in only supports col = 'value' [AND ...]\n"
            conditions.append(cond.groups())
        rows = self.system_rows(table[len("system."):]) if table.lower().startswith("system.") else None
        if rows is None:
            path = self.table_path(table, database)
            if not os.path.exists(path):
                return 404, "Code: 60. DB::Exception: Table %s does not exist. (UNKNOWN_TABLE)\n" % table
            with self.lock, open(path) as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
        rows = [r for r in rows if all(str(r.get(c)) == v for c, v in conditions)]
        if limit:
            rows = rows[:int(limit)]
        if what.lower() == "count()":
            return 200, ("{\"count()\":%d}\n" % len(rows)) if fmt else "%d\n" % len(rows)
        if what != "*":
            columns = [c.strip() for c in what.split(",")]
            missing = [c for c in columns if rows and c not in rows[0]]
            if missing:
                return 400, "Code: 47. DB::Exception: Unknown expression identifier `%s`. (UNKNOWN_IDENTIFIER)\n" \
                    % missing[0]
            rows = [{c: r.get(c) for c in columns} for r in rows]
        if fmt and fmt.lower() != "jsoneachrow":
            return 400, "Code: 73. DB::Exception: the stand-in only supports FORMAT JSONEachRow\n"
        return 200, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)

    def handle(self, req):
        url = urlparse(req.path)
        query = parse_qs(url.query)
        if url.path in ("/ping", "/") and req.command in ("GET", "HEAD") and "query" not in query:
            return req.send(200, "Ok.\n", "text/plain; charset=UTF-8")
        user, password = self.credentials(req, query)
        if not self.authenticated(user, password):
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

    def native(self, conn):
        """The native protocol (port 9000), handshake only: the client's Hello carries the user and
        password (checked like on HTTP), then Ping/Pong; any query gets NOT_IMPLEMENTED."""
        with conn:
            read = conn.makefile("rb").read
            try:
                if _read_varint(read) != 0:
                    conn.sendall(_native_exception(101, "DB::Exception", "Unexpected packet from client"))
                    return
                _read_string(read)
                _read_varint(read)
                _read_varint(read)
                revision = _read_varint(read)
                _read_string(read)
                user, password = _read_string(read) or "default", _read_string(read)
                if not self.authenticated(user, password):
                    conn.sendall(_native_exception(516, "DB::Exception", "%s: Authentication failed: password is "
                                                   "incorrect, or there is no user with such name." % user))
                    return
                conn.sendall(_varint(0) + _string("ClickHouse") + _varint(25) + _varint(12)
                             + _varint(min(revision, NATIVE_REVISION)) + _string("UTC") + _string("langfuse-clickhouse")
                             + _varint(8))
                while True:
                    packet = _read_varint(read)
                    if packet != 4:
                        conn.sendall(_native_exception(48, "DB::Exception", "the stand-in answers only Hello and "
                                                       "Ping on the native port (NOT_IMPLEMENTED)"))
                        return
                    conn.sendall(_varint(4))
            except (EOFError, OSError):
                return


def serve_native(app, port=9000, host="0.0.0.0"):  # nosec - a test container's port
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(16)
    log(app.name, "native protocol (handshake only) on %s:%s" % (host, port))
    while True:
        conn, dummy = listener.accept()
        threading.Thread(target=app.native, args=(conn,), daemon=True).start()


def main_clickhouse(env):
    try:
        config = clickhouse_config()
    except ConfigError as exc:
        sys.stderr.write("%s\n" % exc)
        return 1
    app = ClickHouse(env, config=config)
    os.makedirs(os.path.join(app.root, app.database), exist_ok=True)
    log("clickhouse", "applied: server %s, default profile %s, log TTLs %s"
        % (config["server"], config["settings"], config["ttls"]))
    threading.Thread(target=serve_native, args=(app,), daemon=True).start()
    serve(app, "0.0.0.0", 8123)
    return 0


# ================================================================== minio (S3 subset)

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def s3_error(code, message, resource=""):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "<Resource>%s</Resource><RequestId>standin</RequestId></Error>" % (code, message, resource))


AUTH_HEADER = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/s3/aws4_request,\s*"
                         r"SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")
MAX_SKEW = datetime.timedelta(minutes=15)


def verify_sigv4(method, raw_path, headers, body, secrets, now=None):
    """MinIO's check of a header-signed request (AWS Signature V4), the signature recomputed by
    botocore: None when it holds, else (status, S3 error code, message)."""
    # pylint: disable=import-outside-toplevel
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    header = headers.get("Authorization")
    if not header:
        return 403, "AccessDenied", "Access Denied."
    match = AUTH_HEADER.match(header.strip())
    if not match:
        return 400, "AuthorizationHeaderMalformed", "The authorization header is malformed."
    access_key, day, region, signed, signature = match.groups()
    if access_key not in secrets:
        return 403, "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."
    amz_date = headers.get("X-Amz-Date") or ""
    try:
        stamp = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return 403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
    if amz_date[:8] != day:
        return 403, "SignatureDoesNotMatch", "The credential scope date does not match x-amz-date."
    if abs((now or datetime.datetime.now(datetime.timezone.utc)) - stamp) > MAX_SKEW:
        return 403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large."
    content_sha = headers.get("X-Amz-Content-SHA256")
    if not content_sha:
        return 400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
    if content_sha != "UNSIGNED-PAYLOAD" and content_sha != hashlib.sha256(body).hexdigest():
        return 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."
    names = signed.split(";")
    if "host" not in names:
        return 403, "SignatureDoesNotMatch", "host must be a signed header"
    aws = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host", ""), raw_path), data=body,
                     headers={n: headers.get(n, "") for n in names if n != "host"})
    aws.context["timestamp"] = amz_date
    signer = S3SigV4Auth(Credentials(access_key, secrets[access_key]), "s3", region)
    expected = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
    if not hmac.compare_digest(expected, signature):
        return 403, "SignatureDoesNotMatch", ("The request signature we calculated does not match the signature "
                                              "you provided. Check your key and signing method.")
    return None


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
        xml = "application/xml"
        if "X-Amz-Signature" in query:
            return req.send(501, s3_error("NotImplemented", "The stand-in verifies header signatures only "
                                          "(no presigned URLs).", url.path), xml)
        problem = verify_sigv4(req.command, req.path, req.headers, req.body(), {self.user: self.password})
        if problem:
            return req.send(problem[0], s3_error(problem[1], problem[2], url.path), xml)
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
