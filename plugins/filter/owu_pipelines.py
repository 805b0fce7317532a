# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the pipelines role: the valves filled in from other roles' results, the URL valves
that are not URLs, what the Pipelines API refused, and the files of the pipelines folder (docs: the owu_pipelines_*.yml files next to
this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _pipelines
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain

_KINDS = {
    'unknown': _pipelines.unknown_valves,
    'refused': lambda results, valves, valve_vars: _pipelines.refused(results),
    'not_kept': _pipelines.not_kept,
}


def owu_pipelines_auto_valves(wiring, qdrant_connection=None, langfuse_connection=None):
    """Valves filled in from the Ollama wiring and the connections (see owu_pipelines_auto_valves.yml)."""
    return _pipelines.auto_valves(_plain(wiring) or {}, _plain(qdrant_connection) or {}, _plain(langfuse_connection) or {})


def owu_pipelines_bad_url_valves(valves, valve_vars, url_regex):
    """URL valves that are not URLs (see owu_pipelines_bad_url_valves.yml)."""
    return _pipelines.bad_url_valves(_plain(valves), _plain(valve_vars), to_native(url_regex))


def owu_pipelines_valve_answers(read, filters):
    """One answer per filter from the one call that read every filter's valves (see owu_pipelines_valve_answers.yml)."""
    try:
        return _pipelines.valve_answers(_plain(read) or {}, _plain(filters) or [])
    except ValueError as exc:
        raise AnsibleFilterError('owu_pipelines_valve_answers: %s' % to_native(exc))


def owu_pipelines_valve_problems(results, kind, valves=None, valve_vars=None):
    """What the Pipelines API answers say is wrong (see owu_pipelines_valve_problems.yml)."""
    if kind not in _KINDS:
        raise AnsibleFilterError('owu_pipelines_valve_problems: kind must be one of %s (got %r)' % (', '.join(_KINDS), kind))
    return _KINDS[kind](_plain(results) or [], _plain(valves) or {}, _plain(valve_vars) or {})


def owu_pipelines_folder_files(selected, texts, known, extra=None, data_path='', volume=''):
    """The runtime's files of the pipelines folder (see owu_pipelines_folder_files.yml)."""
    try:
        return _pipelines.folder_files(_plain(selected), _plain(texts), _plain(known), _plain(extra) or [],
                                       to_native(data_path or ''), to_native(volume or ''))
    except ValueError as exc:
        raise AnsibleFilterError('owu_pipelines_folder_files: %s' % to_native(exc))


class FilterModule:
    """Pipelines filters."""

    def filters(self):
        return {
            'owu_pipelines_auto_valves': owu_pipelines_auto_valves,
            'owu_pipelines_bad_url_valves': owu_pipelines_bad_url_valves,
            'owu_pipelines_valve_answers': owu_pipelines_valve_answers,
            'owu_pipelines_valve_problems': owu_pipelines_valve_problems,
            'owu_pipelines_folder_files': owu_pipelines_folder_files,
        }
