# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection; not a public API.

"""Whether an HTTP(S) service answers as expected: the checks of numberone.owu.service_health,
shared with the service runtime's host module (numberone.owu.compose_host), which waits for
every service of a project in the same process that lists its containers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import time

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six import string_types

from ansible_collections.numberone.owu.plugins.module_utils._api import (
    ApiError,
    describe_network_error,
    get_json,
    join_url,
    origin_of,
    request,
)

_MISSING = object()
MAX_BODY_BYTES = 8 * 1024 * 1024


# ---------------------------------------------------------------- pure helpers

def lookup_field(data, path):
    """Follow a dotted path (``a.b.0.c``) into parsed JSON; returns _MISSING when absent."""
    current = data
    for part in path.split('.'):
        if isinstance(current, dict):
            if part not in current:
                return _MISSING
            current = current[part]
        elif isinstance(current, list):
            try:
                index = int(part)
            except ValueError:
                return _MISSING
            if not -len(current) <= index < len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def value_matches(actual, expected):
    """Compare a JSON value with the expected one; a string also matches a scalar with the same text."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        if isinstance(actual, bool) and isinstance(expected, bool):
            return actual == expected
        return _scalar_text(actual) == _scalar_text(expected)
    if actual == expected:
        return True
    if isinstance(expected, string_types) or isinstance(actual, string_types):
        if isinstance(actual, (dict, list)) or isinstance(expected, (dict, list)):
            return False
        return _scalar_text(actual) == _scalar_text(expected)
    return False


def _scalar_text(value):
    if isinstance(value, bool):
        return u'true' if value else u'false'
    if value is None:
        return u'null'
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = to_text(value).strip()
    return text.lower() if text.lower() in (u'true', u'false', u'null') else text


def parse_json_body(body, content_type=''):
    """The parsed body when it is JSON (by content type or by its look), else _MISSING."""
    text = to_text(body, errors='replace').strip()
    if not text:
        return _MISSING
    if 'json' not in (content_type or '').lower() and text[0] not in '{[':
        return _MISSING
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


def evaluate(status, body, content_type, expected_status, json_field=None, json_value=None,
             body_contains=None):
    """Judge one answer; returns (ok, reason, parsed JSON or _MISSING)."""
    parsed = parse_json_body(body, content_type)
    if status not in expected_status:
        return False, 'HTTP %s is not one of the expected status codes %s' % (status, list(expected_status)), parsed
    if json_field:
        if parsed is _MISSING:
            return False, 'the answer is not JSON, cannot check field %s' % json_field, parsed
        actual = lookup_field(parsed, json_field)
        if actual is _MISSING:
            return False, 'JSON field %s is missing' % json_field, parsed
        if json_value is None:
            if actual in (None, False, '', 0, [], {}):
                return False, 'JSON field %s is %s' % (json_field, json.dumps(actual)), parsed
        elif not value_matches(actual, json_value):
            return False, 'JSON field %s is %s, expected %s' % (
                json_field, json.dumps(actual), json.dumps(json_value, default=to_native)), parsed
    if body_contains and to_text(body_contains) not in to_text(body, errors='replace'):
        return False, 'the body does not contain %s' % json.dumps(to_text(body_contains)), parsed
    return True, 'OK', parsed


def summarize_ps(ps):
    """``/api/ps`` answer -> (loaded list, cpu_fallback names)."""
    loaded = []
    cpu = []
    for entry in (ps or {}).get('models') or []:
        if not isinstance(entry, dict):
            continue
        name = to_text(entry.get('name') or entry.get('model') or '')
        size = _as_int(entry.get('size'))
        size_vram = _as_int(entry.get('size_vram'))
        percent = int(round(100.0 * size_vram / size)) if size > 0 else 0
        loaded.append(dict(name=name, size=size, size_vram=size_vram, on_gpu_percent=min(percent, 100)))
        if size_vram == 0:
            cpu.append(name)
    return loaded, cpu


def _as_int(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


# ---------------------------------------------------------------- checks

def check_once(params, clock=time.monotonic):
    """One request and its judgement; returns a dict (is_available, status, latency_ms, reason, json?)."""
    start = clock()
    response, info = request(params['url'], method=params['method'], headers=params['headers'],
                             timeout=params['timeout'], validate_certs=params['validate_certs'],
                             use_proxy=params['use_proxy'],
                             follow_redirects='safe' if params.get('follow_redirects', True) else 'none')
    status = info['status']
    body = b''
    if response is not None:
        try:
            body = response.read(MAX_BODY_BYTES)
        except socket.timeout:
            return _outcome(False, status, start, clock, 'timed out reading the answer')
        except Exception as e:  # pylint: disable=broad-except
            return _outcome(False, status, start, clock, 'reading the answer failed: %s' % describe_network_error(e))
        finally:
            response.close()
    elif status == -1:
        return _outcome(False, status, start, clock, info['msg'] or 'no answer')
    else:
        body = info.get('body') or b''
    ok, reason, parsed = evaluate(status, body, info['headers'].get('content-type', ''),
                                  params['status_code'], params['json_field'], params['json_value'],
                                  params['body_contains'])
    result = _outcome(ok, status, start, clock, reason)
    if 300 <= status < 400 and info['headers'].get('location'):
        result['location'] = info['headers']['location']
    if parsed is not _MISSING:
        result['json'] = parsed
    return result


def _outcome(ok, status, start, clock, reason):
    return dict(is_available=ok, status=status, latency_ms=round((clock() - start) * 1000.0, 1), reason=reason)


def ollama_report(params):
    """Version and loaded models of the Ollama server behind ``params['url']``."""
    base = origin_of(params['url'])
    kwargs = dict(timeout=params['timeout'], validate_certs=params['validate_certs'],
                  use_proxy=params['use_proxy'], headers=params['headers'])
    report = dict(version=None, loaded=[], cpu_fallback=[])
    errors = []
    try:
        report['version'] = (get_json(join_url(base, '/api/version'), **kwargs) or {}).get('version')
    except (ApiError, AttributeError) as e:
        errors.append(to_text(getattr(e, 'msg', e)))
    try:
        report['loaded'], report['cpu_fallback'] = summarize_ps(get_json(join_url(base, '/api/ps'), **kwargs))
    except (ApiError, AttributeError) as e:
        errors.append(to_text(getattr(e, 'msg', e)))
    if errors:
        report['error'] = '; '.join(errors)
    return report


def run(params, sleep=time.sleep):
    attempts = 0
    max_attempts = 1 + (params['retries'] if params['wait'] else 0)
    while True:
        attempts += 1
        result = check_once(params)
        if result['is_available'] or attempts >= max_attempts:
            break
        sleep(params['delay'])
    result['attempts'] = attempts
    if params['ollama'] and result['is_available']:
        result['ollama'] = ollama_report(params)
    return result
