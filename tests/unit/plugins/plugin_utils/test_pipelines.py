# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the pipelines role's valve logic (plugins/plugin_utils/_pipelines.py)."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_pipelines
from ansible_collections.numberone.owu.plugins.plugin_utils import _pipelines as pl

VARS = {'owu_memory': 'pipelines_memory_valves', 'owu_langfuse': 'pipelines_langfuse_valves'}
URL_RE = r'^https?://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^\s]*)?$'


def test_auto_valves_embed_with_the_server_that_has_the_model():
    wiring = {'urls': ['http://ollama:11434', 'http://10.0.0.5:11434'],
              'embedding': {'model': 'nomic-embed-text', 'url': 'http://10.0.0.5:11434'}}
    got = pl.auto_valves(wiring, {'url': 'http://qdrant:6333', 'api_key': 'qk'},
                         {'url': 'http://langfuse-web:3000', 'public_key': 'pk-lf-1', 'secret_key': 'sk-lf-1'})
    assert got == {
        'owu_memory': {'ollama_url': 'http://10.0.0.5:11434', 'embedding_model': 'nomic-embed-text',
                       'qdrant_url': 'http://qdrant:6333', 'qdrant_api_key': 'qk'},
        'owu_langfuse': {'host': 'http://langfuse-web:3000', 'public_key': 'pk-lf-1', 'secret_key': 'sk-lf-1'}}


def test_auto_valves_without_an_embedding_model_or_connections():
    assert pl.auto_valves({'urls': ['http://ollama:11434'], 'embedding': {}}, {}, {}) == {
        'owu_memory': {'ollama_url': 'http://ollama:11434'}, 'owu_langfuse': {}}
    assert pl.auto_valves({}, {'url': ''}, {'url': ''}) == {'owu_memory': {}, 'owu_langfuse': {}}
    assert pl.auto_valves(None, {'url': 'http://q:6333'}, None)['owu_memory'] == {'qdrant_url': 'http://q:6333',
                                                                                  'qdrant_api_key': ''}


def test_bad_url_valves_names_the_variable_and_keeps_the_value():
    valves = {'owu_memory': {'ollama_url': 'http://ollama:11434', 'qdrant_url': 'qdrant:6333', 'url': '',
                             'top_k': 'not a url key', 'embedding_url': 5},
              'owu_langfuse': {'host': 'ftp://x', 'public_key': 'pk-lf-1', 'url': 'http://[::1]:3000/x'}}
    assert pl.bad_url_valves(valves, VARS, URL_RE) == {
        'pipelines_memory_valves.qdrant_url': 'qdrant:6333', 'pipelines_memory_valves.embedding_url': 5,
        'pipelines_langfuse_valves.host': 'ftp://x'}
    assert pl.bad_url_valves({}, VARS, URL_RE) == {}


def test_unknown_valves():
    results = [{'item': 'owu_memory', 'json': {'pipelines': ['*'], 'top_k': 3}},
               {'item': 'owu_langfuse', 'json': {'host': ''}}]
    valves = {'owu_memory': {'top_k': 5, 'topk': 5}, 'owu_langfuse': {'host': 'http://l:3000'}}
    assert pl.unknown_valves(results, valves, VARS) == ['pipelines_memory_valves.topk']


def test_refused_updates_name_the_filter_status_and_detail():
    results = [{'item': {'item': 'owu_memory'}, 'status': 200, 'json': {}},
               {'item': {'item': 'owu_langfuse'}, 'status': 422, 'json': {'detail': 'bad host'}},
               {'item': {'item': 'owu_x'}, 'status': -1, 'msg': 'connection refused'},
               {'item': {'item': 'owu_skipped'}, 'skipped': True}]
    assert pl.refused(results) == ['owu_langfuse (HTTP 422: bad host)', 'owu_x (HTTP -1: connection refused)']


def test_not_kept_values_came_back_converted():
    results = [{'item': {'item': 'owu_memory'}, 'json': {'top_k': 5, 'min_score': 0.5}},
               {'item': {'item': 'owu_langfuse'}, 'skipped': True}]
    valves = {'owu_memory': {'top_k': '5', 'min_score': 0.5}, 'owu_langfuse': {'host': 'x'}}
    assert pl.not_kept(results, valves, VARS) == ['pipelines_memory_valves.top_k']


@pytest.mark.parametrize('kind', ['unknown', 'refused', 'not_kept'])
def test_the_filter_dispatches_each_kind(kind):
    assert owu_pipelines.owu_pipelines_valve_problems([], kind, {}, VARS) == []


def test_the_filter_refuses_an_unknown_kind():
    with pytest.raises(AnsibleFilterError):
        owu_pipelines.owu_pipelines_valve_problems([], 'other')


def test_the_role_url_regex_is_the_tested_one():
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'pipelines', 'vars', 'main.yml')
    with open(path, encoding='utf-8') as handle:
        assert yaml.safe_load(handle)['_pipelines_url_regex'] == URL_RE


def test_folder_files_in_the_volume_and_in_a_host_directory():
    extra = [{'dest': 'notes/a.txt', 'content': 'a'}, {'dest': 'b.py', 'src': '/ctl/b.py', 'mode': '0600'}]
    got = pl.folder_files(['owu_memory'], ['# memory'], ['owu_memory', 'owu_langfuse'], extra, '', 'pipelines_data')
    assert got == [
        {'volume': 'pipelines_data', 'path': 'owu_memory.py', 'content': '# memory', 'mode': '0644'},
        {'volume': 'pipelines_data', 'path': 'owu_langfuse.py', 'state': 'absent'},
        {'volume': 'pipelines_data', 'path': 'notes/a.txt', 'mode': '0644', 'content': 'a'},
        {'volume': 'pipelines_data', 'path': 'b.py', 'mode': '0600', 'src': '/ctl/b.py'}]
    on_host = pl.folder_files(['owu_langfuse'], ['# lf'], ['owu_memory', 'owu_langfuse'], [], '/srv/pipelines/')
    assert on_host == [{'path': '/srv/pipelines/owu_langfuse.py', 'content': '# lf', 'mode': '0644'},
                       {'path': '/srv/pipelines/owu_memory.py', 'state': 'absent'}]
    with pytest.raises(ValueError, match='2 filters but 1 sources'):
        pl.folder_files(['a', 'b'], ['x'], [], [])


def test_valve_answers_one_per_filter_from_one_read():
    read = {'is_available': True, 'status': 200, 'reason': 'OK', 'json': {'pipelines': ['*'], 'top_k': 3},
            'also': [{'is_available': False, 'status': 404, 'reason': 'HTTP 404', 'url': 'http://p/owu_langfuse/valves'}]}
    answers = pl.valve_answers(read, ['owu_memory', 'owu_langfuse'])
    assert answers == [
        {'item': 'owu_memory', 'is_available': True, 'status': 200, 'reason': 'OK', 'json': {'pipelines': ['*'], 'top_k': 3}},
        {'item': 'owu_langfuse', 'is_available': False, 'status': 404, 'reason': 'HTTP 404'}]
    # The answers feed the problem filters as the loop's results did.
    assert pl.unknown_valves(answers, {'owu_memory': {'top_k': 5, 'nope': 1}}, {'owu_memory': 'pipelines_memory_valves'}) \
        == ['pipelines_memory_valves.nope']
    assert pl.valve_answers({'skipped': True}, ['owu_memory']) == [] and pl.valve_answers(read, []) == []
    with pytest.raises(ValueError, match='2 valve answers for 1 filters'):
        pl.valve_answers(read, ['owu_memory'])
    with pytest.raises(AnsibleFilterError, match='owu_pipelines_valve_answers'):
        owu_pipelines.owu_pipelines_valve_answers(read, ['owu_memory'])
