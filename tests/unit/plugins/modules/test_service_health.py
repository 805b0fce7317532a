# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the service_health module against a real HTTP server on 127.0.0.1 (nothing mocked)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

import pytest

from scripted_http import Reply, closed_port_url  # tests/unit is on sys.path (conftest.py)


from ansible_collections.numberone.owu.plugins.module_utils import _health
from ansible_collections.numberone.owu.plugins.modules import service_health


# ---------------------------------------------------------------- a scripted HTTP server
# (the same small server is in tests/unit/plugins/module_utils/test_api.py and
# test_ollama_model.py; each test file stays self-contained)

MISSING = _health._MISSING


# ---------------------------------------------------------------- pure functions

@pytest.mark.parametrize('data, path, expected', [
    ({'status': True}, 'status', True),
    ({'a': {'b': [{'c': 1}, {'c': 2}]}}, 'a.b.1.c', 2),
    ({'a': {'b': [{'c': 1}]}}, 'a.b.-1.c', 1),
    ({'a': {'b': [{'c': 1}]}}, 'a.b.5.c', MISSING),
    ({'a': {'b': [1]}}, 'a.b.x', MISSING),
    ({'a': None}, 'a', None),
    ({'a': None}, 'a.b', MISSING),
    ([{'name': 'x'}], '0.name', 'x'),
    ({}, 'status', MISSING),
])
def test_lookup_field(data, path, expected):
    assert _health.lookup_field(data, path) is expected or _health.lookup_field(data, path) == expected


@pytest.mark.parametrize('actual, expected, match', [
    (True, True, True),
    (True, 'true', True),
    (True, 'True', True),
    (False, True, False),
    (1, True, False),
    (True, 1, False),
    (1, '1', True),
    (1.0, '1', True),
    ('0.32.15', '0.32.15', True),
    ('ok', 'OK', False),
    (None, 'null', True),
    ({'a': 1}, {'a': 1}, True),
    ({'a': 1}, "{'a': 1}", False),
    ([1], [1], True),
    (2, 3, False),
])
def test_value_matches(actual, expected, match):
    assert _health.value_matches(actual, expected) is match


@pytest.mark.parametrize('body, content_type, expected', [
    (b'{"status": true}', 'application/json', {'status': True}),
    (b'[1]', 'text/plain', [1]),
    (b'Ollama is running', 'text/plain; charset=utf-8', MISSING),
    (b'{broken', 'application/json', MISSING),
    (b'', 'application/json', MISSING),
])
def test_parse_json_body(body, content_type, expected):
    parsed = _health.parse_json_body(body, content_type)
    assert parsed is expected or parsed == expected


@pytest.mark.parametrize('kwargs, ok, reason', [
    (dict(status=200), True, 'OK'),
    (dict(status=503), False, 'HTTP 503 is not one of the expected status codes [200]'),
    (dict(status=302, expected_status=[200, 302]), True, 'OK'),
    (dict(json_field='status'), True, 'OK'),
    (dict(json_field='status', json_value=True), True, 'OK'),
    (dict(json_field='status', json_value='true'), True, 'OK'),
    (dict(json_field='status', json_value=False), False, 'JSON field status is true, expected false'),
    (dict(json_field='missing'), False, 'JSON field missing is missing'),
    (dict(json_field='empty'), False, 'JSON field empty is ""'),
    (dict(json_field='count', json_value=0), True, 'OK'),
    (dict(body=b'Ollama is running', content_type='text/plain', json_field='status'), False,
     'the answer is not JSON, cannot check field status'),
    (dict(body=b'Ollama is running', content_type='text/plain', body_contains='running'), True, 'OK'),
    (dict(body_contains='nope'), False, 'the body does not contain "nope"'),
])
def test_evaluate(kwargs, ok, reason):
    call = dict(status=200, body=b'{"status": true, "empty": "", "count": 0}', content_type='application/json',
                expected_status=[200])
    call.update(kwargs)
    result_ok, result_reason, dummy = _health.evaluate(**call)
    assert (result_ok, result_reason) == (ok, reason)


def test_summarize_ps():
    ps = {'models': [
        {'name': 'llama3.1:8b', 'size': 6654289920, 'size_vram': 6654289920},
        {'name': 'qwen2.5:32b', 'size': 200, 'size_vram': 50},
        {'model': 'phi3:mini', 'size': 100, 'size_vram': 0},
        {'name': 'odd', 'size': None},
        'junk',
    ]}
    loaded, cpu = _health.summarize_ps(ps)
    assert loaded == [
        {'name': 'llama3.1:8b', 'size': 6654289920, 'size_vram': 6654289920, 'on_gpu_percent': 100},
        {'name': 'qwen2.5:32b', 'size': 200, 'size_vram': 50, 'on_gpu_percent': 25},
        {'name': 'phi3:mini', 'size': 100, 'size_vram': 0, 'on_gpu_percent': 0},
        {'name': 'odd', 'size': 0, 'size_vram': 0, 'on_gpu_percent': 0},
    ]
    assert cpu == ['phi3:mini', 'odd']
    assert _health.summarize_ps({}) == ([], [])


# ---------------------------------------------------------------- whole module

def test_healthy_json_service(run_module, server):
    server.routes[('GET', '/health')] = [Reply(200, {'status': True})]
    result = run_module(service_health.main, dict(url=server.url + '/health', json_field='status', json_value=True))
    assert result['changed'] is False and result.get('failed') is not True
    assert result['is_available'] is True and result['status'] == 200 and result['reason'] == 'OK'
    assert result['attempts'] == 1 and result['json'] == {'status': True}
    assert isinstance(result['latency_ms'], float) and 0 <= result['latency_ms'] < 5000
    assert 'ollama' not in result


def test_check_mode_runs_the_check(run_module, server):
    server.routes[('GET', '/health')] = [Reply(503, {'status': False})]
    result = run_module(service_health.main, dict(url=server.url + '/health'), check_mode=True)
    assert result['changed'] is False and result['is_available'] is False and result['status'] == 503
    assert len(server.requests) == 1


def test_wrong_status_is_reported_not_failed(run_module, server):
    server.routes[('GET', '/ready')] = [Reply(503, b'starting', headers={'Content-Type': 'text/plain'})]
    result = run_module(service_health.main, dict(url=server.url + '/ready'))
    assert result.get('failed') is not True and result['is_available'] is False
    assert result['status'] == 503
    assert result['reason'] == 'HTTP 503 is not one of the expected status codes [200]'
    assert 'json' not in result


def test_expected_error_status(run_module, server):
    server.routes[('GET', '/api/delete')] = [Reply(405, {'error': 'method not allowed'})]
    result = run_module(service_health.main, dict(url=server.url + '/api/delete', status_code=[405],
                                                  json_field='error'))
    assert result['is_available'] is True and result['json'] == {'error': 'method not allowed'}


def test_connection_refused(run_module):
    url = closed_port_url() + '/'
    result = run_module(service_health.main, dict(url=url))
    assert result.get('failed') is not True
    assert result['is_available'] is False and result['status'] == -1
    assert result['reason'] == 'connection refused'


def test_timeout(run_module, server):
    server.routes[('GET', '/slow')] = [Reply(200, {'status': True}, delay=1.5)]
    started = time.monotonic()
    result = run_module(service_health.main, dict(url=server.url + '/slow', timeout=0.3))
    assert result['is_available'] is False and result['status'] == -1 and result['reason'] == 'timed out'
    assert time.monotonic() - started < 1.2


def test_json_value_mismatch(run_module, server):
    server.routes[('GET', '/api/version')] = [Reply(200, {'version': '0.32.15'})]
    result = run_module(service_health.main, dict(url=server.url + '/api/version', json_field='version',
                                                  json_value='0.1.0'))
    assert result['is_available'] is False
    assert result['reason'] == 'JSON field version is "0.32.15", expected "0.1.0"'


def test_json_value_needs_json_field(run_module, server):
    result = run_module(service_health.main, dict(url=server.url + '/', json_value=1))
    assert result['failed'] is True and 'json_value' in result['msg'] and 'json_field' in result['msg']
    assert server.requests == []


def test_body_contains_and_head(run_module, server):
    server.routes[('GET', '/')] = [Reply(200, b'Ollama is running', headers={'Content-Type': 'text/plain'})]
    server.routes[('HEAD', '/')] = [Reply(200, b'Ollama is running', headers={'Content-Type': 'text/plain'})]
    result = run_module(service_health.main, dict(url=server.url + '/', body_contains='Ollama is running'))
    assert result['is_available'] is True
    result = run_module(service_health.main, dict(url=server.url + '/', method='HEAD'))
    assert result['is_available'] is True and server.requests[-1]['method'] == 'HEAD'


def test_headers_are_sent_and_not_logged(run_module, server):
    server.routes[('GET', '/api/public/health')] = lambda req: Reply(
        200 if req['headers'].get('Authorization') == 'Bearer s3cret' else 401, {'status': 'OK'})
    result = run_module(service_health.main, dict(url=server.url + '/api/public/health',
                                                  headers={'Authorization': 'Bearer s3cret'}))
    assert result['is_available'] is True
    assert 's3cret' not in json.dumps(result)


def test_wait_until_available(run_module, server):
    server.routes[('GET', '/health')] = [Reply(503, {'status': False}), Reply(503, {'status': False}),
                                         Reply(200, {'status': True})]
    result = run_module(service_health.main, dict(url=server.url + '/health', wait=True, retries=5, delay=0.05))
    assert result['is_available'] is True and result['attempts'] == 3 and len(server.requests) == 3


def test_wait_gives_up_after_retries(run_module, server):
    server.routes[('GET', '/health')] = [Reply(503, {'status': False})]
    result = run_module(service_health.main, dict(url=server.url + '/health', wait=True, retries=2, delay=0))
    assert result['is_available'] is False and result['attempts'] == 3 and result.get('failed') is not True


def test_no_wait_means_one_attempt(run_module, server):
    server.routes[('GET', '/health')] = [Reply(503, {'status': False}), Reply(200, {'status': True})]
    result = run_module(service_health.main, dict(url=server.url + '/health', retries=5, delay=0))
    assert result['is_available'] is False and result['attempts'] == 1


def test_ollama_report_shows_cpu_fallback(run_module, server):
    server.routes[('GET', '/api/version')] = [Reply(200, {'version': '0.32.15'})]
    server.routes[('GET', '/api/ps')] = [Reply(200, {'models': [
        {'name': 'llama3.1:8b', 'model': 'llama3.1:8b', 'size': 6000, 'size_vram': 6000, 'digest': 'x',
         'expires_at': '2025-01-01T00:05:00Z', 'context_length': 4096},
        {'name': 'deepseek-r1:32b', 'model': 'deepseek-r1:32b', 'size': 22000, 'size_vram': 0, 'digest': 'y',
         'expires_at': '2025-01-01T00:05:00Z', 'context_length': 4096},
    ]})]
    result = run_module(service_health.main, dict(url=server.url + '/api/version', json_field='version', ollama=True))
    assert result['is_available'] is True
    assert result['ollama'] == {
        'version': '0.32.15',
        'loaded': [{'name': 'llama3.1:8b', 'size': 6000, 'size_vram': 6000, 'on_gpu_percent': 100},
                   {'name': 'deepseek-r1:32b', 'size': 22000, 'size_vram': 0, 'on_gpu_percent': 0}],
        'cpu_fallback': ['deepseek-r1:32b'],
    }
    assert result['changed'] is False


def test_ollama_report_with_broken_ps(run_module, server):
    server.routes[('GET', '/')] = [Reply(200, b'Ollama is running', headers={'Content-Type': 'text/plain'})]
    server.routes[('GET', '/api/version')] = [Reply(200, {'version': '0.32.15'})]
    server.routes[('GET', '/api/ps')] = [Reply(500, {'error': 'boom'})]
    result = run_module(service_health.main, dict(url=server.url + '/', ollama=True))
    assert result['is_available'] is True
    assert result['ollama']['version'] == '0.32.15' and result['ollama']['loaded'] == []
    assert result['ollama']['error'] == 'GET %s/api/ps failed: boom' % server.url


def test_ollama_not_reported_when_down(run_module):
    result = run_module(service_health.main, dict(url=closed_port_url() + '/', ollama=True))
    assert result['is_available'] is False and 'ollama' not in result


@pytest.mark.parametrize('params, message', [
    (dict(url='ftp://example.invalid/'), 'url must start with http:// or https://, got ftp://example.invalid/'),
    (dict(url='http://127.0.0.1:1/', timeout=0), 'timeout must be more than 0, got 0.0'),
    (dict(url='http://127.0.0.1:1/', retries=-1), 'retries and delay must be 0 or more'),
])
def test_invalid_options(run_module, params, message):
    result = run_module(service_health.main, params)
    assert result['failed'] is True and result['msg'] == message


def test_redirect_is_followed(run_module, server):
    server.routes[('GET', '/')] = [Reply(302, b'', headers={'Location': '/health'})]
    server.routes[('GET', '/health')] = [Reply(200, {'status': True})]
    result = run_module(service_health.main, dict(url=server.url + '/', json_field='status'))
    assert result['is_available'] is True and result['status'] == 200
    assert [r['path'] for r in server.requests] == ['/', '/health']


def test_also_checks_run_in_the_same_call_in_order(run_module, server):
    # Qdrant's verify: 200 with the key, 401 without one, 200 with the read-only key.
    def collections(req):
        key = {k.lower(): v for k, v in req['headers'].items()}.get('api-key')
        return Reply(200, {'status': 'ok'}) if key in ('full-key-0123456789', 'ro-key-0123456789') else Reply(401, b'Must provide an API key')
    server.routes[('GET', '/collections')] = collections
    result = run_module(service_health.main, dict(
        url=server.url + '/collections', headers={'api-key': 'full-key-0123456789'}, json_field='status', json_value='ok',
        also=[{'url': server.url + '/collections', 'status_code': [401]},
              {'url': server.url + '/collections', 'headers': {'api-key': 'ro-key-0123456789'}, 'json_field': 'status', 'json_value': 'ok'},
              {'url': server.url + '/collections', 'json_field': 'status'}]))
    assert result['is_available'] is True
    assert [(a['is_available'], a['status']) for a in result['also']] == [(True, 401), (True, 200), (False, 401)]
    assert result['also'][2]['reason'].startswith('HTTP 401')
    sent = [{k.lower(): v for k, v in r['headers'].items()}.get('api-key') for r in server.requests]
    assert sent == ['full-key-0123456789', None, 'ro-key-0123456789', None]
    dumped = json.dumps(result)
    assert 'full-key-0123456789' not in dumped and 'ro-key-0123456789' not in dumped


def test_also_runs_after_a_wait_whatever_its_result(run_module, server):
    server.routes[('GET', '/health')] = [Reply(503, {'status': False})]
    server.routes[('GET', '/projects')] = [Reply(200, {'data': [{'id': 'owu'}]})]
    result = run_module(service_health.main, dict(url=server.url + '/health', wait=True, retries=1, delay=0,
                                                  also=[{'url': server.url + '/projects', 'json_field': 'data.0.id',
                                                         'json_value': 'owu'}]))
    assert result['is_available'] is False and result['attempts'] == 2
    assert result['also'][0]['is_available'] is True and result['also'][0]['url'] == server.url + '/projects'
    assert [r['path'] for r in server.requests] == ['/health', '/health', '/projects']


@pytest.mark.parametrize('item, needle', [({'status_code': [200]}, "url ''"), ({'url': 'ftp://x/'}, "url 'ftp://x/'"),
                                          ({'url': 'http://x/', 'wait': True}, 'wait')])
def test_also_items_are_checked(run_module, item, needle):
    result = run_module(service_health.main, dict(url='http://127.0.0.1:1/', also=[item]))
    assert result['failed'] is True and result['msg'].startswith('also[0] needs an http(s) url') and needle in result['msg']
