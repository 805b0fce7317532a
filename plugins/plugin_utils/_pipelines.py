# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the owu_pipelines
# filters and the pipelines role); not a public API.

"""The pipelines role's valve logic: the valves filled in from other roles' results, the URL valves
checked in the first play, and what the Pipelines API said about the valves.

Pure data in, data out, so unit tests call it directly. ``valves`` is always ``{filter id:
{valve: value}}`` (``owu_memory``, ``owu_langfuse``) and ``valve_vars`` ``{filter id: the variable
that sets its valves}`` (the role's ``_pipelines_valve_vars``)."""

from __future__ import annotations

import re

MEMORY, LANGFUSE = 'owu_memory', 'owu_langfuse'
# Valves of the memory filter whose value is a URL: url, ollama_url, qdrant_url, ...
_URL_KEY_RE = re.compile(r'^(.*_)?url$')
_LANGFUSE_URL_KEYS = ('host', 'url')


def auto_valves(wiring, qdrant, langfuse):
    """The valves filled in from what other roles computed; the user's variables win over them.

    ``wiring`` is the Ollama wiring (``urls``, ``embedding`` {model, url}): the memory filter
    embeds with the server that has the embedding model, else the first server. ``qdrant`` and
    ``langfuse`` are the qdrant_connection and langfuse_connection facts (empty: none)."""
    memory, tracing = {}, {}
    wiring = wiring or {}
    embedding = wiring.get('embedding') or {}
    if embedding.get('url'):
        memory.update(ollama_url=embedding['url'], embedding_model=embedding.get('model'))
    elif wiring.get('urls'):
        memory['ollama_url'] = wiring['urls'][0]
    if (qdrant or {}).get('url'):
        memory.update(qdrant_url=qdrant['url'], qdrant_api_key=qdrant.get('api_key') or '')
    if (langfuse or {}).get('url'):
        tracing.update(host=langfuse['url'], public_key=langfuse.get('public_key') or '',
                       secret_key=langfuse.get('secret_key') or '')
    return {MEMORY: memory, LANGFUSE: tracing}


def url_valves(valves, valve_vars):
    """``{'<variable>.<valve>': value}`` of every URL-valued valve."""
    out = {}
    for key, value in (valves.get(MEMORY) or {}).items():
        if _URL_KEY_RE.match(key):
            out['%s.%s' % (valve_vars[MEMORY], key)] = value
    for key, value in (valves.get(LANGFUSE) or {}).items():
        if key in _LANGFUSE_URL_KEYS:
            out['%s.%s' % (valve_vars[LANGFUSE], key)] = value
    return out


def bad_url_valves(valves, valve_vars, url_regex):
    """``{'<variable>.<valve>': value}`` of the URL valves that are not a string, or neither empty
    nor a URL matching ``url_regex``."""
    pattern = re.compile(url_regex)
    return dict((name, value) for name, value in url_valves(valves, valve_vars).items()
                if not isinstance(value, str) or (value and not pattern.match(value)))


def _valve_names(valve_vars, filter_id, keys):
    return ['%s.%s' % (valve_vars.get(filter_id, filter_id), key) for key in keys]


def valve_answers(read, filters):
    """One answer per filter (``item`` the filter id, ``is_available``, ``status``, ``reason``, ``json``)
    from one service_health result that asked GET /<id>/valves of the first filter as its main check
    and of the others in ``also``, in the order of ``filters``. A skipped read gives no answers."""
    if not read or read.get('skipped') or not filters:
        return []
    answers = [read] + list(read.get('also') or [])
    if len(answers) != len(filters):
        raise ValueError('%d valve answers for %d filters' % (len(answers), len(filters)))
    out = []
    for filter_id, answer in zip(filters, answers):
        item = {'item': filter_id, 'is_available': bool(answer.get('is_available')), 'status': answer.get('status'),
                'reason': answer.get('reason', '')}
        if 'json' in answer:
            item['json'] = answer['json']
        out.append(item)
    return out


def unknown_valves(results, valves, valve_vars):
    """Valve variables that name no valve of their filter. ``results``: one answer per filter of
    GET /<id>/valves (``item`` the filter id, ``json`` its valves)."""
    out = []
    for result in results:
        current = result.get('json') or {}
        wanted = valves.get(result['item']) or {}
        out += _valve_names(valve_vars, result['item'], [key for key in wanted if key not in current])
    return out


def refused(results):
    """``['<filter> (HTTP <status>: <detail>)']`` of the POST /<id>/valves/update answers that were
    not 200 (``item.item`` the filter id; a skipped update has no status)."""
    out = []
    for result in results:
        if 'status' not in result or result['status'] == 200:
            continue
        detail = (result.get('json') or {}).get('detail', result.get('msg', ''))
        out.append('%s (HTTP %s: %s)' % (result['item']['item'], result['status'], detail))
    return out


def not_kept(results, valves, valve_vars):
    """Valve variables whose value came back different from the update (the filter converted it to
    its valve's type: "5" for an integer would be sent again on every run)."""
    out = []
    for result in results:
        if 'json' not in result:
            continue
        filter_id = result['item']['item']
        answer = result['json'] or {}
        out += _valve_names(valve_vars, filter_id,
                            [key for key, value in (valves.get(filter_id) or {}).items() if answer.get(key) != value])
    return out


def folder_files(selected, texts, known, extra, data_path='', volume=''):
    """What the service runtime writes into the pipelines folder (its ``files`` entries).

    ``selected`` are the chosen filters and ``texts`` their sources (same order); a ``known`` filter
    that is not selected is removed; ``extra`` is pipelines_extra_files ([{dest, src | content,
    mode}], ``src`` a file on the controller). The folder is ``data_path`` on the host when set,
    else the named volume ``volume``."""
    selected, texts = list(selected or []), list(texts or [])
    if len(selected) != len(texts):
        raise ValueError('%d filters but %d sources' % (len(selected), len(texts)))

    def place(relative):
        if data_path:
            return {'path': '%s/%s' % (data_path.rstrip('/'), relative)}
        return {'volume': volume, 'path': relative}

    out = [dict(place(name + '.py'), content=text, mode='0644') for name, text in zip(selected, texts)]
    out.extend(dict(place(name + '.py'), state='absent') for name in known or [] if name not in selected)
    for entry in extra or []:
        item = dict(place(entry['dest']), mode=str(entry.get('mode') or '0644'))
        if entry.get('src') is not None:
            item['src'] = entry['src']
        else:
            item['content'] = entry.get('content')
        out.append(item)
    return out
