# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters that describe a host's Ollama containers for the service runtime (docs:
ollama_env_mismatches.yml, ollama_instances.yml, ollama_publish_addresses.yml, ollama_services.yml, ollama_tuning_overrides.yml
next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _ollama_services
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def ollama_instances(gpus, mode, name, port):
    """The Ollama containers of a host (see ollama_instances.yml)."""
    try:
        return _ollama_services.instances(_plain(gpus), to_native(mode), to_native(name), _plain(port))
    except _ollama_services.OllamaServicesError as exc:
        raise AnsibleFilterError('ollama_instances: %s' % to_native(exc))


def ollama_publish_addresses(publish, address, extra):
    """Host addresses the Ollama API is published on (see ollama_publish_addresses.yml)."""
    return _ollama_services.publish_addresses(to_native(publish), to_native(address), _plain(extra))


def ollama_model_volumes(containers, model_dir=_ollama_services.MODEL_DIR):
    """The model volumes of a host's Ollama containers (see ollama_model_volumes.yml)."""
    containers = _plain(containers)
    if not isinstance(containers, dict):
        raise AnsibleFilterError('ollama_model_volumes: the input must be container name -> docker inspect')
    return _ollama_services.model_volumes(containers, to_native(model_dir))


def ollama_models_unreferenced(server_models, referenced):
    """The server's models that nothing references (see ollama_models_unreferenced.yml)."""
    server_models, referenced = _plain(server_models), _plain(referenced)
    if not isinstance(server_models, list) or not isinstance(referenced, list):
        raise AnsibleFilterError('ollama_models_unreferenced: both the server models and the referenced ones must be lists')
    return _ollama_services.unreferenced_models(server_models, referenced)


def ollama_tuning_overrides(settings):
    """The OLLAMA_* variables set explicitly (see ollama_tuning_overrides.yml)."""
    settings = _plain(settings)
    if not isinstance(settings, dict):
        raise AnsibleFilterError('ollama_tuning_overrides: the settings must be a dict')
    return _ollama_services.tuning_overrides(settings)


def ollama_env_mismatches(running, planned):
    """Where a container's OLLAMA_* / LLAMA_ARG_* settings differ from the plan (see ollama_env_mismatches.yml)."""
    running, planned = _plain(running), _plain(planned)
    if not isinstance(running, list) or not isinstance(planned, dict):
        raise AnsibleFilterError('ollama_env_mismatches: expects the Config.Env list and the planned environment dict')
    return _ollama_services.env_mismatches(running, planned)


def ollama_services(instances, image, environment, addresses, data_path, data_volume, restart, healthcheck):
    """Service descriptions of the Ollama containers (see ollama_services.yml)."""
    try:
        return _ollama_services.services(
            _plain(instances), to_native(image), _plain(environment), _plain(addresses), to_native(data_path),
            to_native(data_volume), to_native(restart), _plain(healthcheck))
    except (_ollama_services.OllamaServicesError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('ollama_services: %s' % to_native(exc))


class FilterModule:
    """Ollama container filters."""

    def filters(self):
        return {
            'ollama_env_mismatches': ollama_env_mismatches,
            'ollama_instances': ollama_instances,
            'ollama_model_volumes': ollama_model_volumes,
            'ollama_models_unreferenced': ollama_models_unreferenced,
            'ollama_publish_addresses': ollama_publish_addresses,
            'ollama_services': ollama_services,
            'ollama_tuning_overrides': ollama_tuning_overrides,
        }
