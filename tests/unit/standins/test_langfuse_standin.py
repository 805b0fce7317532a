# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-process tests of the Langfuse stack stand-ins (tests/standins/langfuse/standin.py).

The web and worker need the real PostgreSQL and Redis (tests/images/postgres, tests/images/redis),
which run only in Docker: the Molecule scenario langfuse_stack exercises them end to end. Here the
pure parts are tested: upstream's env validation, headless-init rules (with the in-memory store),
basic auth, OTLP decoding (protobuf, gzip, JSON), ingestion mapping, and the ClickHouse and MinIO
HTTP servers (they need neither Postgres nor Redis).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import importlib.util
import json
import os
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
])
def test_invalid_env_is_refused(key, value, message):
    env = dict(GOOD_ENV, **{key: value})
    errors = standin.validate_env(env, 'web')
    assert any(e.startswith(message) for e in errors), errors


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


def test_minio_buckets_objects_and_access_key(server, tmp_path):
    (tmp_path / 'langfuse').mkdir()
    url = server(standin.MinIO({'MINIO_ROOT_USER': 'minio', 'MINIO_ROOT_PASSWORD': 'minio-password'}, str(tmp_path)))
    assert call(url + '/minio/health/ready')[0] == 200
    assert call(url + '/langfuse', 'HEAD')[0] == 403  # anonymous
    bad = {'Authorization': 'AWS4-HMAC-SHA256 Credential=other/20260101/us-east-1/s3/aws4_request, Signature=x'}
    assert call(url + '/langfuse', 'HEAD', headers=bad)[0] == 403
    # The web stand-in's own SigV4 client against the MinIO stand-in.
    assert standin.s3_put(url, 'auto', 'minio', 'minio-password', 'langfuse', 'events/p1/x.json', b'{"a": 1}') == 200
    good = {'Authorization': 'AWS4-HMAC-SHA256 Credential=minio/20260101/us-east-1/s3/aws4_request, Signature=x'}
    assert call(url + '/langfuse/events/p1/x.json', headers=good) == (200, '{"a": 1}')
    status, text = call(url + '/langfuse?list-type=2&prefix=events/', headers=good)
    assert status == 200 and '<Key>events/p1/x.json</Key>' in text
    assert call(url + '/missing', 'HEAD', headers=good)[0] == 404
    assert call(url + '/newbucket', 'PUT', b'', good)[0] == 200 and (tmp_path / 'newbucket').is_dir()


def test_minio_refuses_short_credentials(capsys, tmp_path):
    assert standin.main_minio(['server', str(tmp_path)], {'MINIO_ROOT_USER': 'minio', 'MINIO_ROOT_PASSWORD': 'short'}) == 1
    assert 'Invalid credentials' in capsys.readouterr().err
