# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the owu_openwebui
# filters); not a public API.

"""Open WebUI's OpenAI-compatible connections: check them, and turn them into the lists Open WebUI
reads (OPENAI_API_BASE_URLS, OPENAI_API_KEYS and OPENAI_API_CONFIGS, all in one index order); and
the environment variables Open WebUI gets only for some settings (``optional_env``).

Pure data in, data out (no Ansible imports): roles/openwebui feeds ``openwebui_openai_connections``
and the Pipelines connection through the filters in ``plugins/filter/owu_openwebui.py``.

Open WebUI 0.12.4 splits OPENAI_API_BASE_URLS and OPENAI_API_KEYS on ``;`` and pairs them by
index (``backend/open_webui/config.py``), and OPENAI_API_CONFIGS is a JSON object keyed by that
index (``enable``, ``tags``, ``prefix_id``, ``model_ids``; ``routers/openai.py``): a ``;`` in a URL
or a key would shift every later connection, so both are refused.
"""

from __future__ import annotations

import re

# An http(s) URL: scheme, host[:port] without user info, optional path; no whitespace and no `;`.
URL_RE = re.compile(r'^https?://[^/\s;?#@]+(/[^\s;]*)?$')
_TRUE = ('yes', 'on', '1', 'true')


def _enabled(value):
    """Ansible's ``bool`` filter: true for True, 1 and the strings yes/on/1/true (any case)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in _TRUE


def _text(value):
    return '' if value is None else str(value)


def connection_problems(connections):
    """One message per problem of ``openwebui_openai_connections`` (empty = valid); each names the
    connection (or its position) and never prints a key."""
    if not isinstance(connections, list):
        return ['must be a list of connections (got %s)' % type(connections).__name__]
    problems, seen = [], set()
    for index, conn in enumerate(connections, start=1):
        if not isinstance(conn, dict):
            problems.append('item %d is not a dict' % index)
            continue
        name = _text(conn.get('name'))
        label = name or 'item %d' % index
        if not name:
            problems.append('%s: name is missing' % label)
        elif name in seen:
            problems.append('%s: name used twice' % label)
        seen.add(name)
        url = _text(conn.get('base_url'))
        if not URL_RE.match(url):
            problems.append('%s: base_url "%s" is not an http(s) URL' % (label, url))
        key = _text(conn.get('api_key'))
        if _enabled(conn.get('enabled', True)) and not key:
            problems.append('%s: api_key is missing (the connection is enabled)' % label)
        if ';' in key:
            problems.append('%s: api_key contains ";"' % label)
        model_ids = conn.get('model_ids')
        if model_ids is not None and not isinstance(model_ids, list):
            problems.append('%s: model_ids must be a list' % label)
    return problems


def openai_connections(connections, pipelines=None):
    """Open WebUI's OpenAI-compatible connections in its index order: the connections of
    ``openwebui_openai_connections`` (checked by ``connection_problems``), then the Pipelines
    server when ``pipelines`` has a ``url``. Each: ``name``, ``url`` (no trailing ``/``), ``key``
    and ``config`` (the entry of OPENAI_API_CONFIGS)."""
    out = []
    for conn in connections or []:
        if not isinstance(conn, dict):
            continue
        name = _text(conn.get('name'))
        config = {'enable': _enabled(conn.get('enabled', True)), 'tags': [{'name': name}]}
        if _text(conn.get('prefix_id')):
            config['prefix_id'] = _text(conn.get('prefix_id'))
        if conn.get('model_ids'):
            config['model_ids'] = [_text(model) for model in conn['model_ids']]
        out.append({'name': name, 'url': _text(conn.get('base_url')).rstrip('/'),
                    'key': _text(conn.get('api_key')), 'config': config})
    pipelines = pipelines or {}
    if _text(pipelines.get('url')):
        out.append({'name': 'pipelines', 'url': _text(pipelines['url']).rstrip('/'),
                    'key': _text(pipelines.get('api_key')), 'config': {'enable': True}})
    return out


def optional_env(settings):
    """The environment variables Open WebUI gets only for some settings (besides the ones it always
    gets). ``settings`` (every key optional): ``url`` (WEBUI_URL), ``vector_db``, ``qdrant_url``,
    ``qdrant_api_key``, ``rag_engine`` (ollama/builtin), ``rag_model``, ``rag_ollama_url``,
    ``tts_engine`` (openai/browser/off), ``tts_base_url``, ``tts_api_key``, ``tts_model``,
    ``tts_voice``, ``web_search_engine`` ("" = off), ``web_search_result_count``,
    ``searxng_query_url`` (searxng), ``web_search_key_var`` (the variable that carries the
    engine's API key, "" = none) and ``web_search_api_key``. Values are returned as given; the role
    turns every value into a string."""
    s = settings or {}
    env = {}
    if _text(s.get('url')):
        env['WEBUI_URL'] = s['url']
    if s.get('vector_db') == 'qdrant':
        env['QDRANT_URI'] = _text(s.get('qdrant_url'))
        if _text(s.get('qdrant_api_key')):
            env['QDRANT_API_KEY'] = s['qdrant_api_key']
    if _text(s.get('rag_model')):
        env['RAG_EMBEDDING_MODEL'] = s['rag_model']
    if s.get('rag_engine') == 'ollama' and _text(s.get('rag_ollama_url')):
        env['RAG_OLLAMA_BASE_URL'] = s['rag_ollama_url']
    if s.get('tts_engine') == 'openai':
        env.update({'AUDIO_TTS_OPENAI_API_BASE_URL': _text(s.get('tts_base_url')).rstrip('/'),
                    'AUDIO_TTS_OPENAI_API_KEY': s.get('tts_api_key'),
                    'AUDIO_TTS_MODEL': s.get('tts_model'), 'AUDIO_TTS_VOICE': s.get('tts_voice')})
    engine = _text(s.get('web_search_engine'))
    if engine:
        env.update({'WEB_SEARCH_ENGINE': engine, 'WEB_SEARCH_RESULT_COUNT': _text(s.get('web_search_result_count'))})
        if engine == 'searxng':
            env['SEARXNG_QUERY_URL'] = _text(s.get('searxng_query_url'))
        elif _text(s.get('web_search_key_var')):
            env[_text(s['web_search_key_var'])] = s.get('web_search_api_key')
    return env


def health_chat_model(models, preferred=None, embedding_model=''):
    """The model a health check chats with, from Open WebUI's ``GET /api/models`` ``data`` list:
    the first of ``preferred`` (``openwebui_default_models``) that it lists, else the first model
    it lists that can chat - not a Pipelines filter, not an arena model, not ``embedding_model``
    and not named like an embedding model. ``''`` when there is none."""
    listed = [m for m in (models or []) if isinstance(m, dict) and m.get('id')]
    ids = [str(m['id']) for m in listed]
    for name in preferred or []:
        if str(name) in ids:
            return str(name)
    embedding = str(embedding_model or '')
    for model in listed:
        model_id = str(model['id'])
        pipeline = model.get('pipeline') if isinstance(model.get('pipeline'), dict) else {}
        if pipeline.get('type') == 'filter' or model.get('owned_by') == 'arena':
            continue
        if embedding and (model_id == embedding or model_id.split(':', maxsplit=1)[0] == embedding.split(':', maxsplit=1)[0]):
            continue
        if 'embed' in model_id.lower():
            continue
        return model_id
    return ''
