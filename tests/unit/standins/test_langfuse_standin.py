# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-process tests of the Langfuse stack stand-ins (tests/standins/langfuse/standin.py).

The web and worker need the real PostgreSQL and Redis (tests/images/postgres, tests/images/redis),
which run only in Docker: the Molecule scenario langfuse_stack exercises them end to end. Here the
pure parts are tested: upstream's env validation, headless-init rules (with the in-memory store),
basic auth, OTLP decoding (protobuf, gzip, JSON), ingestion mapping, the ClickHouse (HTTP, native
handshake, applied config) and MinIO (SigV4 checked by botocore) servers, the worker's processing of
a job and the v4 historic backfill, and the v4 web's read and write rules (the Redis queue itself
runs only in the scenario).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import importlib.util
import datetime
import json
import os
import socket
import threading
from http.server import ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, '..', '..', 'standins', 'langfuse', 'standin.py')

spec = importlib.util.spec_from_file_location('langfuse_standin', STANDIN)
standin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(standin)

GOOD_ENV = {
    'DATABASE_URL': 'postgresql://postgres:pw@langfuse-postgres:5432/postgres',
    'SALT': 'salt-value-0123456789',
    'ENCRYPTION_KEY': 'ab' * 32,
    'NEXTAUTH_SECRET': 'nextauth-secret',
    'NEXTAUTH_URL': 'http://localhost:3001',
    'CLICKHOUSE_URL': 'http://langfuse-clickhouse:8123',
    'CLICKHOUSE_USER': 'clickhouse',
    'CLICKHOUSE_PASSWORD': 'clickhouse-password',
    'CLICKHOUSE_MIGRATION_URL': 'clickhouse://langfuse-clickhouse:9000',
    'LANGFUSE_S3_EVENT_UPLOAD_BUCKET': 'langfuse',
    'REDIS_HOST': 'langfuse-redis',
}
INIT_ENV = dict(GOOD_ENV, LANGFUSE_INIT_ORG_ID='owu', LANGFUSE_INIT_ORG_NAME='Org', LANGFUSE_INIT_PROJECT_ID='p1',
                LANGFUSE_INIT_PROJECT_NAME='Project', LANGFUSE_INIT_PROJECT_PUBLIC_KEY='pk-lf-1',
                LANGFUSE_INIT_PROJECT_SECRET_KEY='sk-lf-1', LANGFUSE_INIT_USER_EMAIL='Admin@OWU.local',
                LANGFUSE_INIT_USER_PASSWORD='first-password')


def basic(pk, sk):
    return 'Basic ' + base64.b64encode(('%s:%s' % (pk, sk)).encode()).decode()


# ------------------------------------------------------------------ env validation

def test_valid_env_passes():
    assert standin.validate_env(GOOD_ENV, 'web') == []
    assert standin.validate_env(GOOD_ENV, 'worker') == []


@pytest.mark.parametrize('key, value, message', [
    ('ENCRYPTION_KEY', '0' * 63, 'ENCRYPTION_KEY'),
    ('ENCRYPTION_KEY', 'z' * 64, 'ENCRYPTION_KEY'),
    ('SALT', '', 'SALT'),
    ('NEXTAUTH_SECRET', '', 'NEXTAUTH_SECRET'),
    ('DATABASE_URL', 'not a url', 'DATABASE_URL'),
    ('CLICKHOUSE_URL', 'langfuse-clickhouse:8123', 'CLICKHOUSE_URL'),
    ('NEXTAUTH_URL', 'localhost', 'NEXTAUTH_URL'),
    ('LANGFUSE_S3_EVENT_UPLOAD_BUCKET', '', 'LANGFUSE_S3_EVENT_UPLOAD_BUCKET'),
    ('CLICKHOUSE_PASSWORD', None, 'CLICKHOUSE_PASSWORD: Required'),
    ('LANGFUSE_INIT_USER_EMAIL', 'admin', 'LANGFUSE_INIT_USER_EMAIL: Invalid email'),
    ('LANGFUSE_INIT_USER_EMAIL', 'admin@localhost', 'LANGFUSE_INIT_USER_EMAIL: Invalid email'),
    ('LANGFUSE_MIGRATION_V4_WRITE_MODE', 'Dual', 'LANGFUSE_MIGRATION_V4_WRITE_MODE: Invalid enum'),
    ('LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN', 'yes', 'LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN'),
])
def test_invalid_env_is_refused(key, value, message):
    env = dict(GOOD_ENV, **{key: value})
    if value is None:
        del env[key]
    errors = standin.validate_env(env, 'web', version='4.16.0')
    assert any(e.startswith(message) for e in errors), errors


def test_v3_ignores_the_v4_variables_and_accepts_a_valid_email():
    env = dict(GOOD_ENV, LANGFUSE_MIGRATION_V4_WRITE_MODE='whatever', LANGFUSE_INIT_USER_EMAIL='admin@owu.local')
    assert standin.validate_env(env, 'web', version='3.225.4') == []
    assert standin.write_mode(env, '3.225.4') == 'legacy'


def test_write_modes():
    assert standin.write_mode({}, '4.16.0') == 'events_only'
    assert (standin.writes_legacy({}, '4.16.0'), standin.writes_events({}, '4.16.0')) == (False, True)
    dual = {'LANGFUSE_MIGRATION_V4_WRITE_MODE': 'dual'}
    assert (standin.writes_legacy(dual, '4.16.0'), standin.writes_events(dual, '4.16.0')) == (True, True)
    legacy = {'LANGFUSE_MIGRATION_V4_WRITE_MODE': 'legacy'}
    assert (standin.writes_legacy(legacy, '4.16.0'), standin.writes_events(legacy, '4.16.0')) == (True, False)
    assert standin.preview_opt_in({}, '4.16.0') and not standin.preview_opt_in({}, '3.225.4')
    assert not standin.preview_opt_in({'LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN': 'false'}, '4.16.0')


@pytest.mark.parametrize('key, value, message', [
    ('CLICKHOUSE_MIGRATION_URL', None, 'CLICKHOUSE_MIGRATION_URL is not configured'),
    ('CLICKHOUSE_MIGRATION_URL', 'http://langfuse-clickhouse:8123', 'Could not parse CLICKHOUSE_MIGRATION_URL'),
    ('CLICKHOUSE_PASSWORD', '', 'CLICKHOUSE_PASSWORD is not set'),
])
def test_the_migration_step_refuses_what_up_sh_refuses(key, value, message, capsys):
    env = dict(GOOD_ENV, **{key: value})
    if value is None:
        del env[key]
    assert any(message in e for e in standin.migration_errors(env))
    assert standin.main_web(env) == 1
    assert message in capsys.readouterr().err


def test_web_exits_non_zero_on_invalid_env(capsys):
    assert standin.main_web(dict(GOOD_ENV, ENCRYPTION_KEY='short')) == 1
    assert 'ENCRYPTION_KEY' in capsys.readouterr().err


def test_binds_to_hostname_like_next_standalone():
    assert standin.listen_host({'HOSTNAME': '0.0.0.0'}) == '0.0.0.0'
    assert standin.listen_host({'HOSTNAME': 'c0ffee'}) == 'c0ffee'
    assert standin.listen_host({}) == '0.0.0.0'


# ------------------------------------------------------------------ headless init rules

def test_init_creates_org_project_key_and_owner():
    store = standin.MemoryStore()
    actions = standin.headless_init(store, INIT_ENV)
    assert actions == ['key created', 'user created']
    assert store.orgs['owu']['name'] == 'Org'
    assert store.projects['p1']['org_id'] == 'owu'
    assert store.keys['pk-lf-1']['project_id'] == 'p1'
    user = store.users['admin@owu.local']  # e-mail lower-cased like upstream
    assert store.members[('owu', user['id'])] == 'OWNER'
    assert standin.check_basic_auth(store, basic('pk-lf-1', 'sk-lf-1'), INIT_ENV['SALT']) == ('p1', None)


def test_init_never_rotates_keys_nor_resets_the_password():
    store = standin.MemoryStore()
    standin.headless_init(store, INIT_ENV)
    changed = dict(INIT_ENV, LANGFUSE_INIT_PROJECT_SECRET_KEY='sk-lf-2', LANGFUSE_INIT_USER_PASSWORD='second',
                   LANGFUSE_INIT_PROJECT_NAME='Renamed', LANGFUSE_INIT_ORG_NAME='Renamed')
    assert standin.headless_init(store, changed) == []
    assert standin.check_basic_auth(store, basic('pk-lf-1', 'sk-lf-1'), INIT_ENV['SALT']) == ('p1', None)
    assert standin.check_basic_auth(store, basic('pk-lf-1', 'sk-lf-2'), INIT_ENV['SALT'])[0] is None
    user = store.users['admin@owu.local']
    assert standin.check_slow_hash('first-password', user['password'])
    assert not standin.check_slow_hash('second', user['password'])
    assert store.projects['p1']['name'] == 'Project' and store.orgs['owu']['name'] == 'Org'


def test_init_moves_a_key_bound_to_another_project():
    store = standin.MemoryStore()
    standin.headless_init(store, INIT_ENV)
    moved = dict(INIT_ENV, LANGFUSE_INIT_PROJECT_ID='p2')
    assert standin.headless_init(store, moved) == ['key deleted (bound to another project)', 'key created']
    assert store.keys['pk-lf-1']['project_id'] == 'p2'


def test_init_without_org_id_does_nothing():
    store = standin.MemoryStore()
    env = dict(INIT_ENV)
    del env['LANGFUSE_INIT_ORG_ID']
    assert standin.headless_init(store, env) == []
    assert not store.orgs and not store.keys and not store.users


def test_init_needs_both_keys_and_both_user_fields():
    store = standin.MemoryStore()
    env = dict(INIT_ENV)
    del env['LANGFUSE_INIT_PROJECT_SECRET_KEY']
    del env['LANGFUSE_INIT_USER_PASSWORD']
    assert standin.headless_init(store, env) == []
    assert store.projects and not store.keys and not store.users


@pytest.mark.parametrize('header, error', [
    (None, 'No authorization header'),
    ('Bearer x', 'Invalid authorization header'),
    (basic('pk-lf-unknown', 'sk-lf-1'), 'Invalid credentials'),
    (basic('pk-lf-1', ''), 'Invalid credentials'),
])
def test_basic_auth_refusals(header, error):
    store = standin.MemoryStore()
    standin.headless_init(store, INIT_ENV)
    assert standin.check_basic_auth(store, header, INIT_ENV['SALT']) == (None, error)


# ------------------------------------------------------------------ OTLP and ingestion

def _otlp_request():
    # pylint: disable=import-outside-toplevel
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from opentelemetry.proto.common.v1 import common_pb2
    req = trace_service_pb2.ExportTraceServiceRequest()
    scope = req.resource_spans.add().scope_spans.add()
    scope.scope.name = 'langfuse-sdk'
    root = scope.spans.add(name='chat', trace_id=bytes.fromhex('11' * 16), span_id=bytes.fromhex('22' * 8),
                           start_time_unix_nano=1767225600000000000, end_time_unix_nano=1767225601000000000)
    for key, value in (('langfuse.trace.name', 'owu-chat'), ('langfuse.user.id', 'u@x.org'),
                       ('langfuse.session.id', 'chat-1'), ('langfuse.trace.input', '{"q": "hi"}')):
        root.attributes.add(key=key, value=common_pb2.AnyValue(string_value=value))
    child = scope.spans.add(name='llm_response', trace_id=bytes.fromhex('11' * 16), span_id=bytes.fromhex('33' * 8),
                            parent_span_id=bytes.fromhex('22' * 8), start_time_unix_nano=1767225600500000000)
    child.attributes.add(key='langfuse.observation.type', value=common_pb2.AnyValue(string_value='generation'))
    child.attributes.add(key='gen_ai.request.model', value=common_pb2.AnyValue(string_value='gemma3:270m'))
    return req


@pytest.mark.parametrize('compress', [False, True])
def test_otlp_protobuf_decodes_to_trace_and_observations(compress):
    body = _otlp_request().SerializeToString()
    if compress:
        body = gzip.compress(body)
    spans = standin.decode_otlp(body, 'application/x-protobuf', 'gzip' if compress else '')
    traces, observations = standin.spans_to_rows(spans, 'p1')
    assert len(traces) == 1
    trace = traces[0]
    assert (trace['id'], trace['name'], trace['user_id'], trace['session_id']) == ('11' * 16, 'owu-chat', 'u@x.org', 'chat-1')
    assert trace['input'] == {'q': 'hi'}
    assert trace['timestamp'] == '2026-01-01T00:00:00.000Z'
    types = {o['id']: (o['type'], o['parent_observation_id'], o['model']) for o in observations}
    assert types == {'22' * 8: ('SPAN', None, None), '33' * 8: ('GENERATION', '22' * 8, 'gemma3:270m')}


def test_otlp_json_with_hex_ids():
    body = json.dumps({'resourceSpans': [{'scopeSpans': [{'spans': [
        {'traceId': 'ab' * 16, 'spanId': 'cd' * 8, 'name': 'x', 'startTimeUnixNano': '1767225600000000000',
         'attributes': [{'key': 'langfuse.trace.name', 'value': {'stringValue': 'json-trace'}}]}]}]}]}).encode()
    traces, dummy = standin.spans_to_rows(standin.decode_otlp(body, 'application/json'), 'p1')
    assert traces[0]['id'] == 'ab' * 16 and traces[0]['name'] == 'json-trace'


def test_ingestion_batch_and_merge():
    batch = [
        {'id': 'e1', 'type': 'trace-create', 'timestamp': '2026-01-01T00:00:00Z', 'body': {'id': 't1', 'name': 'chat'}},
        {'id': 'e2', 'type': 'generation-create', 'body': {'id': 'g1', 'traceId': 't1', 'model': 'm'}},
        {'id': 'e3', 'type': 'bogus', 'body': {}},
    ]
    traces, observations, successes, errors = standin.ingestion_to_rows(batch, 'p1')
    assert [s['id'] for s in successes] == ['e1', 'e2']
    assert [e['id'] for e in errors] == ['e3']
    merged = standin.merge_rows(traces)
    assert list(merged) == ['t1'] and merged['t1']['name'] == 'chat'
    out = standin.trace_json(merged['t1'], observations, full=True)
    assert out['observations'][0]['type'] == 'GENERATION' and out['htmlPath'] == '/project/p1/traces/t1'


# ------------------------------------------------------------------ ClickHouse and MinIO servers

@pytest.fixture
def server():
    started = []

    def start(app):
        handler = type('H', (standin.Handler,), {'app': app})
        httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return 'http://127.0.0.1:%d' % httpd.server_address[1]

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def call(url, method='GET', data=None, headers=None):
    try:
        with urlopen(Request(url, data=data, method=method, headers=headers or {}), timeout=5) as resp:
            return resp.status, resp.read().decode()
    except HTTPError as exc:
        return exc.code, exc.read().decode()


def test_clickhouse_ping_auth_and_persistence(server, tmp_path):
    env = {'CLICKHOUSE_USER': 'clickhouse', 'CLICKHOUSE_PASSWORD': 'secret-pw'}
    url = server(standin.ClickHouse(env, str(tmp_path)))
    assert call(url + '/ping') == (200, 'Ok.\n')
    status, text = call(url + '/?query=SELECT%201', headers={'X-ClickHouse-User': 'clickhouse', 'X-ClickHouse-Key': 'x'})
    assert status == 516 and 'AUTHENTICATION_FAILED' in text
    auth = {'X-ClickHouse-User': 'clickhouse', 'X-ClickHouse-Key': 'secret-pw'}
    assert call(url + '/', 'POST', b'CREATE TABLE IF NOT EXISTS traces (id String) ENGINE = MergeTree ORDER BY id',
                auth)[0] == 200
    rows = b'{"id": "t1", "project_id": "p1"}\n{"id": "t2", "project_id": "p2"}\n'
    assert call(url + '/?query=INSERT%20INTO%20traces%20FORMAT%20JSONEachRow', 'POST', rows, auth)[0] == 200
    # A new server on the same folder (a re-created container on the same volume) sees the rows.
    url2 = server(standin.ClickHouse(env, str(tmp_path)))
    status, text = call(url2 + '/', 'POST', b"SELECT * FROM traces WHERE project_id = 'p1' FORMAT JSONEachRow", auth)
    assert status == 200 and [json.loads(line)['id'] for line in text.splitlines()] == ['t1']


def signed(url, method='GET', data=b'', secret='minio-password', access_key='minio', region='auto', when=None):
    """A request signed with SigV4 by botocore (the AWS SDK's algorithm), optionally at another time."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    aws = AWSRequest(method=method, url=url, data=data or None)
    signer = S3SigV4Auth(Credentials(access_key, secret), 's3', region)
    if when is None:
        signer.add_auth(aws)
    else:
        aws.context['timestamp'] = when.strftime('%Y%m%dT%H%M%SZ')
        aws.headers['X-Amz-Date'] = aws.context['timestamp']
        aws.headers['X-Amz-Content-SHA256'] = signer.payload(aws)
        signature = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
        signer._inject_signature_to_request(aws, signature)
    return dict(aws.headers.items())


@pytest.fixture
def minio(server, tmp_path):
    (tmp_path / 'langfuse').mkdir()
    return server(standin.MinIO({'MINIO_ROOT_USER': 'minio', 'MINIO_ROOT_PASSWORD': 'minio-password'}, str(tmp_path)))


def test_minio_buckets_and_objects_with_valid_signatures(minio, tmp_path):
    url = minio
    assert call(url + '/minio/health/ready')[0] == 200
    # The web and worker stand-ins' client (botocore's signer) against the MinIO stand-in.
    standin.s3_put(url, 'auto', 'minio', 'minio-password', 'langfuse', 'events/p1/x y.json', b'{"a": 1}')
    assert standin.s3_get(url, 'auto', 'minio', 'minio-password', 'langfuse', 'events/p1/x y.json') == b'{"a": 1}'
    listing = url + '/langfuse?list-type=2&prefix=events%2F'
    status, text = call(listing, headers=signed(listing))
    assert status == 200 and '<Key>events/p1/x y.json</Key>' in text
    assert call(url + '/missing', 'HEAD', headers=signed(url + '/missing', 'HEAD'))[0] == 404
    assert call(url + '/newbucket', 'PUT', b'', signed(url + '/newbucket', 'PUT'))[0] == 200
    assert (tmp_path / 'newbucket').is_dir()


def test_minio_refuses_what_minio_refuses(minio):
    url = minio + '/langfuse/events/p1/x.json'
    standin.s3_put(minio, 'auto', 'minio', 'minio-password', 'langfuse', 'events/p1/x.json', b'{}')
    status, text = call(url)
    assert status == 403 and '<Code>AccessDenied</Code>' in text
    status, text = call(url, headers=signed(url, access_key='other'))
    assert status == 403 and '<Code>InvalidAccessKeyId</Code>' in text
    # The right access key with a wrong secret key: only a verified signature catches it.
    status, text = call(url, headers=signed(url, secret='wrong-password'))
    assert status == 403 and '<Code>SignatureDoesNotMatch</Code>' in text
    with pytest.raises(RuntimeError, match='SignatureDoesNotMatch'):
        standin.s3_get(minio, 'auto', 'minio', 'wrong-password', 'langfuse', 'events/p1/x.json')
    # A signature made for another path or another method does not open this one.
    other = signed(minio + '/langfuse/events/p1/y.json')
    assert call(url, headers=other)[0] == 403
    # The body must be the one that was signed.
    headers = signed(url, 'PUT', b'{"signed": true}')
    status, text = call(url, 'PUT', b'{"tampered": true}', headers)
    assert status == 400 and 'XAmzContentSHA256Mismatch' in text
    # Older than 15 minutes.
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, text = call(url, headers=signed(url, when=old))
    assert status == 403 and 'RequestTimeTooSkewed' in text
    status, text = call(url, headers=signed(url, when=datetime.datetime.now(datetime.timezone.utc)))
    assert status == 200


def test_minio_refuses_short_credentials(capsys, tmp_path):
    assert standin.main_minio(['server', str(tmp_path)], {'MINIO_ROOT_USER': 'minio', 'MINIO_ROOT_PASSWORD': 'short'}) == 1
    assert 'Invalid credentials' in capsys.readouterr().err


# ------------------------------------------------------------------ ClickHouse: native handshake, config

CH_ENV = {'CLICKHOUSE_USER': 'clickhouse', 'CLICKHOUSE_PASSWORD': 'secret-pw'}


def native_server(app):
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)

    def loop():
        while True:
            try:
                conn, dummy = listener.accept()
            except OSError:
                return
            threading.Thread(target=app.native, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return listener, 'clickhouse://127.0.0.1:%d' % listener.getsockname()[1]


def test_clickhouse_native_handshake_checks_the_credentials(tmp_path):
    listener, url = native_server(standin.ClickHouse(CH_ENV, str(tmp_path)))
    try:
        assert standin.clickhouse_native_hello(url, 'clickhouse', 'secret-pw') == 'ClickHouse'
        with pytest.raises(RuntimeError, match='Code: 516'):
            standin.clickhouse_native_hello(url, 'clickhouse', 'wrong')
        with pytest.raises(RuntimeError, match='Code: 516'):
            standin.clickhouse_native_hello(url, 'default', 'secret-pw')
    finally:
        listener.close()


SMALL_HOST = """<clickhouse>
    <max_server_memory_usage_to_ram_ratio>0.25</max_server_memory_usage_to_ram_ratio>
    <query_log><ttl>event_date + INTERVAL 7 DAY DELETE</ttl></query_log>
    <text_log><ttl>event_date + INTERVAL 2 WEEK</ttl></text_log>
</clickhouse>"""
USERS = "<clickhouse><profiles><default><max_memory_usage>2147483648</max_memory_usage></default></profiles></clickhouse>"


def config_dirs(tmp_path, config=SMALL_HOST, users=USERS):
    (tmp_path / 'config.d').mkdir()
    (tmp_path / 'users.d').mkdir()
    (tmp_path / 'config.d' / 'owu.xml').write_text(config)
    (tmp_path / 'users.d' / 'owu.xml').write_text(users)
    return str(tmp_path / 'config.d'), str(tmp_path / 'users.d')


def test_clickhouse_applies_config_d_and_users_d(server, tmp_path):
    config = standin.clickhouse_config(*config_dirs(tmp_path))
    url = server(standin.ClickHouse(CH_ENV, str(tmp_path / 'data'), config=config))
    auth = {'X-ClickHouse-User': 'clickhouse', 'X-ClickHouse-Key': 'secret-pw'}

    def rows(sql):
        status, text = call(url + '/', 'POST', sql.encode(), auth)
        assert status == 200, text
        return [json.loads(line) for line in text.splitlines()]

    assert rows("SELECT name, value, changed FROM system.server_settings "
                "WHERE name = 'max_server_memory_usage_to_ram_ratio' FORMAT JSONEachRow") == [
        {'name': 'max_server_memory_usage_to_ram_ratio', 'value': '0.25', 'changed': 1}]
    assert rows("SELECT value FROM system.settings WHERE name = 'max_memory_usage' FORMAT JSONEachRow") == [
        {'value': '2147483648'}]
    tables = {r['name']: r['engine_full'] for r in rows(
        "SELECT name, engine_full FROM system.tables WHERE database = 'system' FORMAT JSONEachRow")}
    assert 'TTL event_date + toIntervalDay(7) ' in tables['query_log']
    assert 'TTL event_date + toIntervalWeek(2) ' in tables['text_log']
    # Without the files the defaults show.
    plain = server(standin.ClickHouse(CH_ENV, str(tmp_path / 'data')))
    status, text = call(plain + '/', 'POST', b"SELECT value FROM system.server_settings WHERE "
                        b"name = 'max_server_memory_usage_to_ram_ratio' FORMAT JSONEachRow", auth)
    assert json.loads(text) == {'value': '0.9'}


@pytest.mark.parametrize('config, users, message', [
    ('<clickhouse><max_server_memory_usage_to_ram_ratio>0.25</clickhouse>', USERS, 'Cannot parse'),
    ('<config/>', USERS, 'root element'),
    ('<clickhouse><query_log><ttl>event_date + 7</ttl></query_log></clickhouse>', USERS, 'TTL of query_log'),
    (SMALL_HOST, '<clickhouse><profiles>', 'Cannot parse'),
])
def test_clickhouse_does_not_start_with_a_broken_config(tmp_path, monkeypatch, capsys, config, users, message):
    with pytest.raises(standin.ConfigError, match=message):
        standin.clickhouse_config(*config_dirs(tmp_path, config, users))


# ------------------------------------------------------------------ worker: queue jobs, backfill

WORKER_ENV = dict(GOOD_ENV, CLICKHOUSE_PASSWORD='secret-pw', LANGFUSE_S3_EVENT_UPLOAD_REGION='auto',
                  LANGFUSE_S3_EVENT_UPLOAD_ACCESS_KEY_ID='minio',
                  LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY='minio-password')


@pytest.fixture
def backends(server, minio, tmp_path):
    clickhouse = server(standin.ClickHouse(CH_ENV, str(tmp_path / 'ch')))
    env = dict(WORKER_ENV, CLICKHOUSE_URL=clickhouse, LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT=minio)
    standin.clickhouse_schema(env, '4.16.0')
    return env


def otel_job(env, spans_request):
    spans = standin.decode_otlp(spans_request.SerializeToString())
    standin.s3_put(env['LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT'], 'auto', 'minio', 'minio-password', 'langfuse',
                   'otel/p1/job.json', json.dumps({'spans': spans}).encode())
    return {'kind': 'otel', 'projectId': 'p1', 'keys': ['otel/p1/job.json']}


def table(env, name):
    return standin.clickhouse_rows(env, 'SELECT * FROM %s' % name)


def test_worker_v3_writes_the_legacy_tables(backends):
    worker = standin.Worker(backends, standin.MemoryStore(), version='3.225.4')
    assert worker.process(otel_job(backends, _otlp_request())) == (1, 2)
    assert [t['name'] for t in table(backends, 'traces')] == ['owu-chat']
    assert table(backends, 'events_full') == []


def test_worker_v4_events_only_writes_the_events_table(backends):
    worker = standin.Worker(backends, standin.MemoryStore(), version='4.16.0')
    worker.process(otel_job(backends, _otlp_request()))
    assert table(backends, 'traces') == []
    events = table(backends, 'events_full')
    assert sorted(e['parent_observation_id'] == '' for e in events) == [False, True]
    assert {e['user_id'] for e in events} == {'u@x.org'}


def test_worker_with_a_wrong_s3_or_clickhouse_setting_fails_the_job(backends):
    job = otel_job(backends, _otlp_request())
    wrong_s3 = standin.Worker(dict(backends, LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY='nope'),
                              standin.MemoryStore(), version='4.16.0')
    with pytest.raises(RuntimeError, match='SignatureDoesNotMatch'):
        wrong_s3.process(job)
    wrong_ch = standin.Worker(dict(backends, CLICKHOUSE_PASSWORD='nope'), standin.MemoryStore(), version='4.16.0')
    with pytest.raises(RuntimeError, match='516'):
        wrong_ch.process(job)
    assert table(backends, 'events_full') == []


def test_v4_backfill_turns_v3_traces_into_events_once(backends):
    store = standin.MemoryStore()
    standin.Worker(backends, store, version='3.225.4').process(otel_job(backends, _otlp_request()))
    legacy = standin.Worker(dict(backends, LANGFUSE_MIGRATION_V4_WRITE_MODE='legacy'), store, version='4.16.0')
    assert legacy.backfill() == 0
    off = standin.Worker(dict(backends, LANGFUSE_MIGRATION_V4_WRITE_MODE='dual',
                              LANGFUSE_BACKGROUND_MIGRATION_V4_ENABLE_HISTORIC_BACKFILL='false'), store, version='4.16.0')
    assert off.backfill() == 0
    dual = standin.Worker(dict(backends, LANGFUSE_MIGRATION_V4_WRITE_MODE='dual'), store, version='4.16.0')
    assert dual.backfill() == 3  # the virtual root t-<trace id> and the two spans
    trace_id = table(backends, 'traces')[0]['id']
    events = {e['id']: e for e in table(backends, 'events_full')}
    assert events['t-' + trace_id]['parent_observation_id'] == '' and events['t-' + trace_id]['type'] == 'SPAN'
    assert dual.backfill() == 0  # a background migration runs once


# ------------------------------------------------------------------ web v4: read and write rules

@pytest.fixture
def web(server, backends):
    def start(version, **extra):
        env = dict(backends, **extra)
        store = standin.MemoryStore()
        standin.headless_init(store, dict(INIT_ENV, **{k: v for k, v in env.items() if k == 'SALT'}))
        return server(standin.Web(env, store, version=version)), env
    return start


AUTH = {'Authorization': basic('pk-lf-1', 'sk-lf-1')}


def test_v4_events_only_refuses_legacy_ingestion_and_reads(web):
    url, env = web('4.16.0')
    batch = {'batch': [{'id': 'e1', 'type': 'trace-create', 'body': {'id': 't1'}}]}
    status, text = call(url + '/api/public/ingestion', 'POST', json.dumps(batch).encode(),
                        dict(AUTH, **{'Content-Type': 'application/json'}))
    body = json.loads(text)
    assert status == 207 and body['successes'] == []
    assert 'is not accepted by /api/public/ingestion when LANGFUSE_MIGRATION_V4_WRITE_MODE is events_only' \
        in body['errors'][0]['error']
    assert call(url + '/api/public/traces', headers=AUTH)[0] == 404
    assert call(url + '/api/public/v2/observations', headers=AUTH)[0] == 200
    assert json.loads(call(url + '/api/public/health')[1])['version'] == '4.16.0'


def test_v4_observations_api_reads_the_events_table(web):
    url, env = web('4.16.0', LANGFUSE_MIGRATION_V4_WRITE_MODE='dual')
    standin.Worker(env, standin.MemoryStore(), version='4.16.0').process(otel_job(env, _otlp_request()))
    status, text = call(url + '/api/public/v2/observations?isRootObservation=true', headers=AUTH)
    data = json.loads(text)['data']
    assert status == 200 and len(data) == 1 and data[0]['userId'] == 'u@x.org' and data[0]['parentObservationId'] is None
    trace_id = data[0]['traceId']
    status, text = call(url + '/api/public/v2/observations?limit=1&traceId=' + trace_id, headers=AUTH)
    page = json.loads(text)
    assert len(page['data']) == 1 and page['meta']['cursor']
    status, text = call(url + '/api/public/v2/observations?limit=1&traceId=%s&cursor=%s'
                        % (trace_id, page['meta']['cursor']), headers=AUTH)
    rest = json.loads(text)
    assert len(rest['data']) == 1 and rest['data'][0]['id'] != page['data'][0]['id'] and rest['meta'] == {}
    # dual mode still serves the legacy reads.
    assert json.loads(call(url + '/api/public/traces', headers=AUTH)[1])['data'][0]['id'] == trace_id
    assert call(url + '/api/public/v2/observations?parseIoAsJson=true', headers=AUTH)[0] == 400


def test_v3_has_no_observations_v2_and_preview_off_hides_it(web):
    url, dummy = web('3.225.4')
    assert call(url + '/api/public/v2/observations', headers=AUTH)[0] == 404
    url, dummy = web('4.16.0', LANGFUSE_MIGRATION_V4_WRITE_MODE='legacy',
                     LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN='false')
    status, text = call(url + '/api/public/v2/observations', headers=AUTH)
    assert status == 404 and 'only available in a Langfuse v4 write mode' in text


def test_v4_counts_the_sdks_app_root_as_a_root_observation(web):
    """The Langfuse SDK gives a span started with trace_context={'trace_id': ...} a random parent
    that is never exported and marks it langfuse.internal.is_app_root (our Pipelines filter's case)."""
    from opentelemetry.proto.common.v1 import common_pb2
    url, env = web('4.16.0')
    request = _otlp_request()
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[0].parent_span_id = bytes.fromhex('99' * 8)
    job = otel_job(env, request)
    standin.Worker(env, standin.MemoryStore(), version='4.16.0').process(job)
    status, text = call(url + '/api/public/v2/observations?isRootObservation=true', headers=AUTH)
    assert json.loads(text)['data'] == []
    spans[0].attributes.add(key='langfuse.internal.is_app_root', value=common_pb2.AnyValue(bool_value=True))
    standin.Worker(env, standin.MemoryStore(), version='4.16.0').process(otel_job(env, request))
    status, text = call(url + '/api/public/v2/observations?isRootObservation=true', headers=AUTH)
    data = json.loads(text)['data']
    assert [(d['id'], d['parentObservationId'], d['isRootObservation']) for d in data] == [('22' * 8, '99' * 8, True)]
