# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/_api.py against a real HTTP server on 127.0.0.1 (no mocked urllib)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import time

import pytest

from scripted_http import Reply, closed_port_url  # tests/unit is on sys.path (conftest.py)


from ansible_collections.numberone.owu.plugins.module_utils import _api


# ---------------------------------------------------------------- a scripted HTTP server
# (the same small server is in tests/unit/plugins/modules/test_ollama_model.py and
# test_service_health.py; each test file stays self-contained)

# ---------------------------------------------------------------- pure functions

@pytest.mark.parametrize('value, expected', [
    ('127.0.0.1:11434', 'http://127.0.0.1:11434'),
    ('0.0.0.0:11434', 'http://127.0.0.1:11434'),
    ('0.0.0.0', 'http://127.0.0.1:11434'),
    (':11434', 'http://127.0.0.1:11434'),
    ('ollama', 'http://ollama:11434'),
    ('ollama:8080', 'http://ollama:8080'),
    ('[::]:11434', 'http://[::1]:11434'),
    ('[fd00::5]:11434', 'http://[fd00::5]:11434'),
    ('http://ollama:11434/', 'http://ollama:11434'),
    ('HTTPS://ollama.example.internal', 'https://ollama.example.internal'),
    ('http://0.0.0.0:11434', 'http://127.0.0.1:11434'),
    ('http://proxy.internal/ollama/', 'http://proxy.internal/ollama'),
    ('  ', None),
    (None, None),
])
def test_normalize_base_url(value, expected):
    assert _api.normalize_base_url(value) == expected


def test_join_url_and_origin():
    assert _api.join_url('http://h:1/', '/api/tags') == 'http://h:1/api/tags'
    assert _api.join_url('http://h:1/prefix', 'api/tags') == 'http://h:1/prefix/api/tags'
    assert _api.origin_of('https://h:8443/health?x=1') == 'https://h:8443'


@pytest.mark.parametrize('line, expected', [
    (b'{"status":"pulling manifest"}\n', {'status': 'pulling manifest'}),
    (b'  {"status":"success"}\r\n', {'status': 'success'}),
    (b'\n', None),
    (b'', None),
    (u'{"error":"\u00e9"}'.encode('utf-8'), {'error': u'\u00e9'}),
])
def test_parse_ndjson_line(line, expected):
    assert _api.parse_ndjson_line(line) == expected


@pytest.mark.parametrize('line', [b'{"status":', b'[1, 2]', b'"text"', b'not json'])
def test_parse_ndjson_line_rejects(line):
    with pytest.raises(ValueError):
        _api.parse_ndjson_line(line)


@pytest.mark.parametrize('body, expected', [
    (b'{"error":"pull model manifest: file does not exist"}', 'pull model manifest: file does not exist'),
    (b'plain text', 'plain text'),
    (b'', 'fallback'),
    (None, 'fallback'),
    (b'{"detail":"x"}', '{"detail":"x"}'),
    (b'x' * 400, 'x' * 300 + '...'),
])
def test_error_message(body, expected):
    assert _api.error_message(body, 'fallback') == expected


def test_argument_spec_env_fallback(monkeypatch):
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.testing import patch_module_args

    spec = _api.api_argument_spec(url_default='http://default:1', url_env='OLLAMA_HOST', timeout_default=600)
    monkeypatch.delenv('OLLAMA_HOST', raising=False)
    with patch_module_args({}):
        assert AnsibleModule(spec).params['url'] == 'http://default:1'
    monkeypatch.setenv('OLLAMA_HOST', '0.0.0.0:11434')
    with patch_module_args({}):
        params = AnsibleModule(spec).params
    assert params['url'] == '0.0.0.0:11434'
    assert params['timeout'] == 600 and params['validate_certs'] is True and params['use_proxy'] is True


# ---------------------------------------------------------------- against the server

def test_request_json_payload_and_answer(server):
    server.routes[('POST', '/echo')] = lambda req: Reply(200, {'got': req['body']})
    response, info = _api.request(server.url + '/echo', method='POST', payload={'model': 'x'}, timeout=5)
    assert info['status'] == 200 and info['headers']['content-type'].startswith('application/json')
    assert json.loads(_api.read_body(response)) == {'got': {'model': 'x'}}
    assert server.requests[0]['headers']['Content-Type'] == 'application/json'


def test_request_http_error_keeps_body(server):
    server.routes[('POST', '/api/pull')] = [Reply(500, {'error': 'boom'})]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=5)
    assert response is None
    assert info['status'] == 500
    assert _api.error_message(info['body']) == 'boom'


def test_request_connection_refused():
    response, info = _api.request(closed_port_url() + '/api/tags', timeout=2)
    assert response is None and info['status'] == -1
    assert info['msg'] == 'connection refused'


def test_request_timeout(server):
    server.routes[('GET', '/slow')] = [Reply(200, {'ok': True}, delay=1.5)]
    started = time.monotonic()
    response, info = _api.request(server.url + '/slow', timeout=0.3)
    assert response is None and info['status'] == -1 and info['msg'] == 'timed out'
    assert time.monotonic() - started < 1.2


def test_iter_ndjson_streams_line_by_line(server):
    """The first object must come out while the server still holds the rest of the body back."""
    release = threading.Event()
    server.routes[('POST', '/api/pull')] = [Reply(chunks=[
        {'status': 'pulling manifest'}, ('wait', release), {'status': 'success'}])]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=3)
    stream = _api.iter_ndjson(response)
    started = time.monotonic()
    assert next(stream) == {'status': 'pulling manifest'}
    assert time.monotonic() - started < 1, 'the first line only came with the whole body'
    release.set()
    assert list(stream) == [{'status': 'success'}]


def test_iter_ndjson_skips_blank_lines_and_split_chunks(server):
    # One JSON line split over two chunks, and a blank line: the reader must join and skip them.
    server.routes[('POST', '/api/pull')] = [Reply(chunks=[b'{"status":"pull', b'ing manifest"}\n\n', {'status': 'success'}])]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=3)
    assert list(_api.iter_ndjson(response)) == [{'status': 'pulling manifest'}, {'status': 'success'}]


def test_iter_ndjson_no_progress_timeout(server):
    server.routes[('POST', '/api/pull')] = [Reply(chunks=[{'status': 'pulling manifest'}, ('sleep', 2), {'status': 'success'}])]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=0.3)
    stream = _api.iter_ndjson(response)
    assert next(stream) == {'status': 'pulling manifest'}
    with pytest.raises(_api.ApiError) as err:
        next(stream)
    assert err.value.transient and 'timed out' in err.value.msg


def test_iter_ndjson_dropped_connection(server):
    server.routes[('POST', '/api/pull')] = [Reply(chunks=[{'status': 'pulling manifest'}], drop=True)]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=3)
    with pytest.raises(_api.ApiError) as err:
        list(_api.iter_ndjson(response))
    assert err.value.transient and 'interrupted' in err.value.msg


def test_iter_ndjson_invalid_line_is_permanent(server):
    server.routes[('POST', '/api/pull')] = [Reply(chunks=[b'<html>oops</html>\n'])]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=3)
    with pytest.raises(_api.ApiError) as err:
        list(_api.iter_ndjson(response))
    assert not err.value.transient and 'invalid JSON' in err.value.msg


def test_iter_ndjson_line_limit(server):
    server.routes[('POST', '/api/pull')] = [Reply(chunks=[b'{"status":"' + b'a' * 100 + b'"}\n'])]
    response, info = _api.request(server.url + '/api/pull', method='POST', payload={}, timeout=3)
    with pytest.raises(_api.ApiError) as err:
        list(_api.iter_ndjson(response, max_line=50))
    assert 'longer than 50 bytes' in err.value.msg


def test_get_json(server):
    server.routes[('GET', '/api/tags')] = [Reply(200, {'models': []})]
    server.routes[('GET', '/bad')] = [Reply(200, b'<html>', headers={'Content-Type': 'text/html'})]
    server.routes[('GET', '/gone')] = [Reply(404, {'error': 'nope'})]
    server.routes[('GET', '/busy')] = [Reply(503, b'try later')]
    assert _api.get_json(server.url + '/api/tags', timeout=3) == {'models': []}
    with pytest.raises(_api.ApiError) as err:
        _api.get_json(server.url + '/bad', timeout=3)
    assert not err.value.transient and 'invalid JSON' in err.value.msg
    with pytest.raises(_api.ApiError) as err:
        _api.get_json(server.url + '/gone', timeout=3)
    assert err.value.status == 404 and not err.value.transient and 'nope' in err.value.msg
    with pytest.raises(_api.ApiError) as err:
        _api.get_json(server.url + '/busy', timeout=3)
    assert err.value.status == 503 and err.value.transient and 'try later' in err.value.msg


def test_request_answers_a_redirect_as_it_is_when_asked(server):
    server.routes[('GET', '/')] = [Reply(308, b'', headers={'Location': server.url + '/moved'})]
    server.routes[('GET', '/moved')] = [Reply(200, {'here': True})]
    response, info = _api.request(server.url + '/', follow_redirects='none')
    assert response is None and info['status'] == 308 and info['headers']['location'] == server.url + '/moved'
    response, info = _api.request(server.url + '/')
    try:
        assert info['status'] == 200 and json.loads(response.read()) == {'here': True}
    finally:
        response.close()
