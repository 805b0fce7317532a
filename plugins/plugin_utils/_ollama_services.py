# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the
# ollama_instances, ollama_services and ollama_tuning_overrides filters); not a public API.

"""Ollama's containers as data: which instances a host runs (one for all its GPUs, one per GPU,
or one for chosen GPUs), the OLLAMA_* settings the user set explicitly, and their service
descriptions for the service runtime (``plugins/plugin_utils/_compose.py``).

Pure data in, data out (only Ansible's boolean parsing, for the same true/false words as the
``bool`` filter), so unit tests call it directly.
"""

from __future__ import annotations

import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.numberone.owu.plugins.plugin_utils import _vram_plan

# Ollama keeps its models (and its key pair) here inside the container.
MODEL_DIR = '/root/.ollama'
# GPU capabilities of an NVIDIA device request (Docker Engine API DeviceRequest).
_CAPABILITIES = [['gpu']]
_SERVICE_RE = re.compile(r'[^a-z0-9_-]+')


class OllamaServicesError(ValueError):
    """Input the instance or service builder refuses."""


def tuning_overrides(settings):
    """The OLLAMA_* variables the user set explicitly, as strings: ``settings`` maps each variable
    to its role variable's value; ``auto`` leaves it to the plan.
    OLLAMA_FLASH_ATTENTION takes a boolean and becomes ``1`` or ``0``."""
    out = {}
    for name, value in settings.items():
        if str(value) == 'auto':
            continue
        if name == 'OLLAMA_FLASH_ATTENTION':
            out[name] = '1' if boolean(value, strict=False) else '0'
        else:
            out[name] = str(value)
    return out


def _index(gpu):
    try:
        return int(gpu['index'])
    except (KeyError, TypeError, ValueError):
        raise OllamaServicesError('every GPU needs a numeric index (got %r)' % (gpu,))


def instances(gpus, mode, name, port):
    """One entry per Ollama container: ``{name, port, gpu_indices, device_requests}``.

    ``gpus`` are the GPUs the containers get (already narrowed by ollama_gpu_mode / indices),
    ``mode`` is ollama_gpu_mode (``all``, ``per_gpu``, ``indices`` or ``none``), ``name`` the
    container name and ``port`` the API port. Without GPUs: one CPU container. ``per_gpu``: one
    container per GPU, named ``<name>-<index>``, on ports ``port``, ``port + 1``, ... in index
    order; a GPU in MIG mode gives one container per MIG device instead (``<name>-<gpu>-<mig>``,
    device id the MIG device's UUID), since a process can use only one MIG device.
    ``indices``: one container with those device ids. ``all``: one with every GPU
    (``count: -1``, as ``--gpus all``).
    """
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise OllamaServicesError('the port must be a number (got %r)' % (port,))
    indices = sorted(_index(g) for g in (gpus or []))
    if not indices or mode == 'none':
        return [{'name': name, 'port': port, 'gpu_indices': [], 'device_requests': []}]
    if mode == 'per_gpu':
        ordered = sorted(gpus, key=_index)
        devices = _vram_plan.plan_devices([dict(g, index=_index(g)) for g in ordered])
        return [{'name': '%s-%s' % (name, str(device['index']).replace(':', '-')), 'port': port + offset,
                 'gpu_indices': [device['index']],
                 'device_requests': [{'driver': 'nvidia', 'device_ids': [device['device_id']],
                                      'capabilities': _CAPABILITIES}]}
                for offset, device in enumerate(devices)]
    if mode == 'indices':
        request = {'driver': 'nvidia', 'device_ids': [str(i) for i in indices], 'capabilities': _CAPABILITIES}
    else:
        request = {'driver': 'nvidia', 'count': -1, 'capabilities': _CAPABILITIES}
    return [{'name': name, 'port': port, 'gpu_indices': indices, 'device_requests': [request]}]


def publish_addresses(publish, address, extra):
    """Host addresses every instance is published on (no brackets around IPv6 addresses).

    ``publish`` is ollama_publish (``none``, ``loopback`` or ``lan``), ``address`` the address
    ``lan`` binds, ``extra`` ollama_publish_addresses (the topology's addresses for app hosts
    elsewhere). When ``lan`` binds every address, the extra ones would only collide with it.
    """
    out = []
    if publish == 'loopback':
        out.append('127.0.0.1')
    elif publish == 'lan':
        out.append(str(address))
    if not any(a in ('0.0.0.0', '::', '') for a in out):
        for item in extra or []:
            item = str(item)
            if item not in out:
                out.append(item)
    return [a[1:-1] if a.startswith('[') and a.endswith(']') else a for a in out]


def _service_name(container):
    """A Compose service name for a container name (lower case; . and other characters as -)."""
    return _SERVICE_RE.sub('-', container.lower()).strip('-_') or 'ollama'


def _gpus(requests):
    if not requests:
        return None
    request = requests[0]
    if request.get('device_ids'):
        return {'device_ids': [str(i) for i in request['device_ids']]}
    return {'count': 'all' if int(request.get('count', -1)) < 0 else int(request['count'])}


def services(instances_, image, environment, addresses, data_path, data_volume, restart, healthcheck):
    """The service descriptions of the instances (fields of ``_compose.py``).

    Every instance mounts the same model store (``data_path`` when set, else the named volume
    ``data_volume``) at ``/root/.ollama``, gets ``environment`` plus its own ``OLLAMA_HOST``, is
    published on each of ``addresses`` at its port, and answers ``/api/version`` with a version.
    """
    if not instances_:
        raise OllamaServicesError('there must be at least one instance')
    # OLLAMA_HOST is each instance's own (its port); a value in ``environment`` is replaced.
    env = {str(k): str(v) for k, v in (environment or {}).items()}
    out = []
    for inst in instances_:
        port = int(inst['port'])
        desc = {
            'name': _service_name(inst['name']),
            'container_name': inst['name'],
            'image': image,
            'restart': restart,
            'port': port,
            'environment': dict(env, OLLAMA_HOST='0.0.0.0:%d' % port),
            'ports': [{'address': a, 'published': port, 'target': port} for a in addresses or []],
            'healthcheck': healthcheck,
            'http_health': {'path': '/api/version', 'json_field': 'version'},
        }
        if data_path:
            desc['binds'] = [{'source': data_path, 'target': MODEL_DIR}]
        else:
            desc['volumes'] = [{'source': data_volume, 'target': MODEL_DIR}]
        gpus = _gpus(inst.get('device_requests'))
        if gpus:
            desc['gpus'] = gpus
        out.append(desc)
    names = [d['name'] for d in out]
    if len(set(names)) != len(names):
        raise OllamaServicesError('instances map to the same service name: %s' % ', '.join(names))
    return out


def model_volumes(containers, model_dir=MODEL_DIR):
    """The named volumes that containers (name -> ``docker inspect``) mount at ``model_dir``, each
    once, with the Compose project and service of the first container (by name) that mounts it:
    ``[{'volume', 'project', 'service'}]`` sorted by volume. Bind mounts (a host directory) and
    containers that Compose does not own are left out."""
    found = {}
    for name in sorted(containers or {}):
        info = containers[name] or {}
        labels = (info.get('Config') or {}).get('Labels') or {}
        project = labels.get('com.docker.compose.project')
        service = labels.get('com.docker.compose.service')
        if not project or not service:
            continue
        for mount in info.get('Mounts') or []:
            if mount.get('Type') == 'volume' and mount.get('Destination') == model_dir and mount.get('Name'):
                found.setdefault(mount['Name'], {'volume': mount['Name'], 'project': project, 'service': service})
    return [found[volume] for volume in sorted(found)]


def model_name(name):
    """A model name as Ollama's ``/api/tags`` ``model`` field shows it: ``name:tag`` (``latest``
    when no tag is given), without the default registry and namespace
    (``registry.ollama.ai/library/llama3.1`` -> ``llama3.1:latest``); the case is kept."""
    name = str(name or '').strip()
    for prefix in ('registry.ollama.ai/', 'library/'):
        if name.startswith(prefix):
            name = name[len(prefix):]
    repo, sep, tag = name.rpartition(':')
    if not sep or '/' in tag:
        repo, tag = name, 'latest'
    return '%s:%s' % (repo, tag or 'latest')


def _model_key(name):
    """``llama3.1``, ``Llama3.1:LATEST`` and ``registry.ollama.ai/library/llama3.1:latest`` -> ``llama3.1:latest``."""
    return model_name(str(name or '').lower())


def unreferenced_models(server_models, referenced):
    """The names in ``server_models`` (what ``/api/tags`` lists) that no name in ``referenced``
    (the planned tags, ollama_models_keep) means, compared as Ollama compares names (no tag =
    ``latest``, the default registry and namespace left out); in the server's order."""
    wanted = set(_model_key(name) for name in referenced or [])
    return [str(name) for name in server_models or [] if _model_key(name) not in wanted]


# The variables Ollama and its llama-server runners read that the plan and the inventory set.
_TUNING_PREFIXES = ('OLLAMA_', 'LLAMA_ARG_')


def env_mismatches(running, planned):
    """Where a container's Ollama settings differ from the plan: ``running`` is the container's
    ``Config.Env`` (``NAME=value`` strings), ``planned`` the role's environment (name -> value).
    Every OLLAMA_* / LLAMA_ARG_* variable but OLLAMA_HOST (per instance) is compared, both ways.
    Returns ``NAME: running <value>, planned <value>`` strings (``unset`` for a missing one)."""
    def tuning(pairs):
        return dict((str(k), str(v)) for k, v in pairs
                    if str(k).startswith(_TUNING_PREFIXES) and str(k) != 'OLLAMA_HOST')
    have = tuning(item.split('=', 1) for item in (running or []) if '=' in str(item))
    want = tuning((planned or {}).items())
    out = []
    for name in sorted(set(have) | set(want)):
        if have.get(name) != want.get(name):
            out.append('%s: running %s, planned %s' % (name, have.get(name, 'unset'), want.get(name, 'unset')))
    return out
