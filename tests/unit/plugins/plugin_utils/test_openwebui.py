# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of Open WebUI's OpenAI-compatible connections (plugins/plugin_utils/_openwebui.py)."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible_collections.numberone.owu.plugins.plugin_utils import _openwebui as owui

SECRET = 'sk-do-not-print-me'
ROLE_VARS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir,
                         'roles', 'openwebui', 'vars', 'main.yml')


def test_url_pattern_is_the_roles():
    """The role checks its other URLs with _openwebui_url_re: both must accept the same URLs."""
    with open(ROLE_VARS, encoding='utf-8') as handle:
        assert yaml.safe_load(handle)['_openwebui_url_re'] == owui.URL_RE.pattern


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


# ------------------------------------------------------------------ optional environment

def test_optional_env_for_nothing_optional():
    assert owui.optional_env({}) == {}
    assert owui.optional_env({'vector_db': 'chroma', 'rag_engine': 'builtin', 'tts_engine': 'off', 'web_search_engine': ''}) == {}


def test_optional_env_qdrant_ollama_rag_and_openai_tts():
    env = owui.optional_env({
        'url': 'https://chat.example', 'vector_db': 'qdrant', 'qdrant_url': 'http://qdrant:6333', 'qdrant_api_key': 'qk',
        'rag_engine': 'ollama', 'rag_model': 'nomic-embed-text:v1.5', 'rag_ollama_url': 'http://10.0.0.11:11434',
        'tts_engine': 'openai', 'tts_base_url': 'https://api.openai.com/v1//', 'tts_api_key': 'tk',
        'tts_model': 'tts-1', 'tts_voice': 'alloy'})
    assert env == {
        'WEBUI_URL': 'https://chat.example', 'QDRANT_URI': 'http://qdrant:6333', 'QDRANT_API_KEY': 'qk',
        'RAG_EMBEDDING_MODEL': 'nomic-embed-text:v1.5', 'RAG_OLLAMA_BASE_URL': 'http://10.0.0.11:11434',
        'AUDIO_TTS_OPENAI_API_BASE_URL': 'https://api.openai.com/v1', 'AUDIO_TTS_OPENAI_API_KEY': 'tk',
        'AUDIO_TTS_MODEL': 'tts-1', 'AUDIO_TTS_VOICE': 'alloy'}


def test_optional_env_qdrant_without_key_and_builtin_model():
    env = owui.optional_env({'vector_db': 'qdrant', 'qdrant_url': 'http://10.0.0.3:6333', 'qdrant_api_key': '',
                             'rag_engine': 'builtin', 'rag_model': 'sentence-transformers/all-MiniLM-L6-v2',
                             'rag_ollama_url': 'http://ollama:11434'})
    # No key variable without a key; no Ollama URL for the built-in engine.
    assert env == {'QDRANT_URI': 'http://10.0.0.3:6333', 'RAG_EMBEDDING_MODEL': 'sentence-transformers/all-MiniLM-L6-v2'}


@pytest.mark.parametrize('engine, key_var, expected', [
    ('searxng', '', {'SEARXNG_QUERY_URL': 'http://searxng:8080/search?q=<query>'}),
    ('brave', 'BRAVE_SEARCH_API_KEY', {'BRAVE_SEARCH_API_KEY': 'bk'}),
    ('duckduckgo', '', {}),
])
def test_optional_env_web_search(engine, key_var, expected):
    env = owui.optional_env({'web_search_engine': engine, 'web_search_result_count': 3, 'web_search_key_var': key_var,
                             'web_search_api_key': 'bk', 'searxng_query_url': 'http://searxng:8080/search?q=<query>'})
    assert env == dict({'WEB_SEARCH_ENGINE': engine, 'WEB_SEARCH_RESULT_COUNT': '3'}, **expected)


def test_health_chat_model_prefers_the_default_models_it_lists():
    from ansible_collections.numberone.owu.plugins.plugin_utils import _openwebui as owui
    models = [{'id': 'nomic-embed-text:latest', 'owned_by': 'ollama'}, {'id': 'qwen3:8b', 'owned_by': 'ollama'},
              {'id': 'llama3.2:3b', 'owned_by': 'ollama'}]
    assert owui.health_chat_model(models, ['missing:1b', 'llama3.2:3b']) == 'llama3.2:3b'
    assert owui.health_chat_model(models, []) == 'qwen3:8b'


def test_health_chat_model_skips_what_cannot_chat():
    from ansible_collections.numberone.owu.plugins.plugin_utils import _openwebui as owui
    models = [{'id': 'memory_filter', 'pipeline': {'type': 'filter'}}, {'id': 'arena-model', 'owned_by': 'arena'},
              {'id': 'bge-m3:567m', 'owned_by': 'ollama'}, {'id': 'mxbai-embed-large', 'owned_by': 'ollama'},
              {'id': 'gemma3:4b', 'owned_by': 'ollama'}]
    assert owui.health_chat_model(models, [], 'bge-m3') == 'gemma3:4b'
    assert owui.health_chat_model(models[:4], [], 'bge-m3:567m') == ''
    assert owui.health_chat_model([], ['x']) == ''
