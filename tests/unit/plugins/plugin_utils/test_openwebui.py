# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of Open WebUI's OpenAI-compatible connections (plugins/plugin_utils/_openwebui.py)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.numberone.owu.plugins.plugin_utils import _openwebui as owui

SECRET = 'sk-do-not-print-me'


def _conn(**extra):
    conn = {'name': 'openai', 'base_url': 'https://api.openai.com/v1', 'api_key': SECRET}
    conn.update(extra)
    return conn


def test_valid_connections_have_no_problems():
    assert owui.connection_problems([]) == []
    assert owui.connection_problems([_conn(), _conn(name='anthropic', base_url='https://api.anthropic.com/v1/',
                                                    enabled=False, api_key='')]) == []


@pytest.mark.parametrize('conn, problem', [
    ('not a dict', 'item 1 is not a dict'),
    (_conn(name=''), 'item 1: name is missing'),
    ({'base_url': 'https://x.example/v1', 'api_key': 'k'}, 'item 1: name is missing'),
    (_conn(base_url='ftp://x.example'), 'openai: base_url "ftp://x.example" is not an http(s) URL'),
    (_conn(base_url='https://a.example/v1;https://b.example'), 'is not an http(s) URL'),
    (_conn(base_url='https://user@a.example/v1'), 'is not an http(s) URL'),
    (_conn(api_key=''), 'openai: api_key is missing (the connection is enabled)'),
    (_conn(api_key=None, enabled='yes'), 'openai: api_key is missing'),
    (_conn(api_key='a;b'), 'openai: api_key contains ";"'),
    (_conn(model_ids='gpt-4o'), 'openai: model_ids must be a list'),
])
def test_each_problem_is_named(conn, problem):
    problems = owui.connection_problems([conn])
    assert any(problem in p for p in problems), problems
    assert not any(SECRET in p for p in problems)


def test_a_name_used_twice():
    assert owui.connection_problems([_conn(), _conn()]) == ['openai: name used twice']


def test_a_disabled_connection_needs_no_key():
    for enabled in (False, 'false', 'no', 0, None):
        assert owui.connection_problems([_conn(api_key='', enabled=enabled)]) == [], enabled


def test_not_a_list():
    assert owui.connection_problems({'name': 'x'}) == ['must be a list of connections (got dict)']


def test_connections_in_index_order_then_pipelines():
    connections = [_conn(prefix_id='oa', model_ids=['gpt-4o', 5]),
                   _conn(name='anthropic', base_url='https://api.anthropic.com/v1/', enabled=False, api_key='')]
    out = owui.openai_connections(connections, {'url': 'http://pipelines:9099', 'api_key': 'pk'})
    assert [c['name'] for c in out] == ['openai', 'anthropic', 'pipelines']
    assert [c['url'] for c in out] == ['https://api.openai.com/v1', 'https://api.anthropic.com/v1', 'http://pipelines:9099']
    assert [c['key'] for c in out] == [SECRET, '', 'pk']
    assert out[0]['config'] == {'enable': True, 'tags': [{'name': 'openai'}], 'prefix_id': 'oa', 'model_ids': ['gpt-4o', '5']}
    assert out[1]['config'] == {'enable': False, 'tags': [{'name': 'anthropic'}]}
    assert out[2]['config'] == {'enable': True}
    # OPENAI_API_CONFIGS as the role renders it: the keys in this order.
    assert json.dumps(out[0]['config']) == ('{"enable": true, "tags": [{"name": "openai"}], "prefix_id": "oa", '
                                            '"model_ids": ["gpt-4o", "5"]}')


def test_no_pipelines_and_no_connections():
    assert owui.openai_connections([], {}) == []
    assert owui.openai_connections([], None) == []
    assert owui.openai_connections([_conn()], {'url': ''})[-1]['name'] == 'openai'
