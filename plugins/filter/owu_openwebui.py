# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the openwebui role: its OpenAI-compatible connections, checked and as Open WebUI
reads them, and the environment variables only some settings need (docs: the
owu_openwebui_*.yml files next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _openwebui
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def owu_openwebui_connection_problems(connections):
    """Problems of openwebui_openai_connections (see owu_openwebui_connection_problems.yml)."""
    return _openwebui.connection_problems(_plain(connections))


def owu_openwebui_connections(connections, pipelines=None):
    """The connections in Open WebUI's index order (see owu_openwebui_connections.yml)."""
    connections = _plain(connections)
    if not isinstance(connections, list):
        raise AnsibleFilterError('owu_openwebui_connections: openwebui_openai_connections must be a list')
    return _openwebui.openai_connections(connections, _plain(pipelines) if pipelines else None)


def owu_openwebui_optional_env(settings):
    """The environment variables that only exist for some settings (see owu_openwebui_optional_env.yml)."""
    settings = _plain(settings)
    if not isinstance(settings, dict):
        raise AnsibleFilterError('owu_openwebui_optional_env: the settings must be a dict')
    return _openwebui.optional_env(settings)


def owu_openwebui_health_model(models, preferred=None, embedding_model=''):
    """The model the health check chats with (see owu_openwebui_health_model.yml)."""
    models = _plain(models)
    if not isinstance(models, list):
        raise AnsibleFilterError('owu_openwebui_health_model: the input must be the data list of GET /api/models')
    return _openwebui.health_chat_model(models, _plain(preferred) or [], to_native(embedding_model or ''))


class FilterModule:
    """Open WebUI filters."""

    def filters(self):
        return {
            'owu_openwebui_connection_problems': owu_openwebui_connection_problems,
            'owu_openwebui_connections': owu_openwebui_connections,
            'owu_openwebui_health_model': owu_openwebui_health_model,
            'owu_openwebui_optional_env': owu_openwebui_optional_env,
        }
