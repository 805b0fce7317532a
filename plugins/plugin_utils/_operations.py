# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which roles a day-2 backup or restore asks on a host, in which order (roles/operations).

A backup is made of components (a folder each: openwebui, qdrant, langfuse, pipelines, and the
models under ollama); each belongs to one role, whose ``backup`` and ``restore`` entry points
copy and load it. The operations role only orders them.
"""

from __future__ import annotations

MODELS = 'ollama'


class OperationsPlanError(Exception):
    """An input the plan cannot use; the message names it."""


def _names(value, what):
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise OperationsPlanError('%s must be a list of names, got %r' % (what, value))
    return list(value)


def backup_plan(asked, component_roles, roles_here, models=False):
    """``[{'component', 'role'}]``: the components in ``asked`` (in that order) whose role runs on
    the host (``roles_here``: the role labels of its containers), then the models when ``models``
    and Ollama runs there. An unknown component is refused."""
    asked = _names(asked, 'the components')
    unknown = [name for name in asked if name not in component_roles or name == MODELS]
    if unknown:
        raise OperationsPlanError('unknown components %s (known: %s)' % (
            ', '.join(unknown), ', '.join(sorted(name for name in component_roles if name != MODELS))))
    here = set(_names(list(roles_here), 'the roles on the host'))
    plan = [{'component': name, 'role': component_roles[name]} for name in asked if component_roles[name] in here]
    if models and MODELS in component_roles and component_roles[MODELS] in here:
        plan.append({'component': MODELS, 'role': component_roles[MODELS]})
    return plan


def restore_plan(in_backup, asked, component_roles):
    """``[{'component', 'role'}]``: the components of the backup (its manifest's ``components``, in
    that order) that ``asked`` names; the models are never restored (they are re-downloaded). A
    component of the backup that this collection does not know is refused (a newer backup)."""
    in_backup = _names(in_backup, "the backup's components")
    asked = set(_names(asked, 'the components to restore'))
    unknown = [name for name in in_backup if name not in component_roles]
    if unknown:
        raise OperationsPlanError('the backup holds components this collection does not know: %s' % ', '.join(unknown))
    return [{'component': name, 'role': component_roles[name]}
            for name in in_backup if name in asked and name != MODELS]


# ---------------------------------------------------------------------------------- status

def _image_version(ref):
    """The tag of an image reference (the first 19 characters of a digest; ``latest`` without one)."""
    if '@' in ref:
        return ref.split('@', 1)[1][:19]
    last = ref.rsplit('/', 1)[-1]
    return last.rsplit(':', 1)[1] if ':' in last else 'latest'


def status_containers(containers, roles):
    """One row per container (``containers``: name -> docker inspect; ``roles``: name -> role
    label), by name: name, role, image, version, state, health, since, ports (``ip:port->port``)."""
    rows = []
    for name in sorted(containers):
        info = containers[name] or {}
        state = info.get('State') or {}
        ports = []
        for port, binds in sorted(((info.get('NetworkSettings') or {}).get('Ports') or {}).items()):
            for bind in binds or []:
                ports.append('%s:%s->%s' % (bind.get('HostIp', ''), bind.get('HostPort', ''), port))
        ref = (info.get('Config') or {}).get('Image') or ''
        rows.append({'name': name, 'role': roles.get(name, '-'), 'image': ref, 'version': _image_version(ref),
                     'state': state.get('Status', '-'), 'health': (state.get('Health') or {}).get('Status') or '-',
                     'since': (state.get('StartedAt') or '')[:19], 'ports': ports})
    return rows


def status_models(ps_results):
    """One row per loaded model of each Ollama instance (``ps_results``: the results of a loop of
    ``uri`` calls to each instance's ``/api/ps``, ``item`` = the instance): instance, name, size,
    size_vram, on_gpu (percent of the model in VRAM), expires_at. Instances that did not answer
    are left out."""
    rows = []
    for result in ps_results or []:
        body = result.get('json') if isinstance(result, dict) else None
        if not isinstance(body, dict):
            continue
        for model in body.get('models') or []:
            size, vram = int(model.get('size') or 0), int(model.get('size_vram') or 0)
            rows.append({'instance': result.get('item'), 'name': model.get('name'), 'size': size, 'size_vram': vram,
                         'on_gpu': int(round(100.0 * vram / (size or 1))), 'expires_at': model.get('expires_at') or ''})
    return rows


def status_volumes(disk_usage):
    """One row per Docker volume (``disk_usage``: ``docker system df -v``'s data), by name: name,
    size (bytes, -1 when Docker did not measure it), links (containers using it)."""
    rows = []
    for volume in (disk_usage or {}).get('Volumes') or []:
        usage = volume.get('UsageData') or {}
        size = usage.get('Size')
        rows.append({'name': volume.get('Name'), 'size': -1 if size is None else size,
                     'links': usage.get('RefCount') or 0})
    return sorted(rows, key=lambda row: row['name'] or '')


def status_tables(containers, roles, ps_results, disk_usage):
    """The status page's three tables: ``{containers, models, volumes}``."""
    return {'containers': status_containers(containers or {}, roles or {}), 'models': status_models(ps_results),
            'volumes': status_volumes(disk_usage)}


# ---------------------------------------------------------------------------------- upgrades

UNSET = '__owu_unset__'


def _pin_text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    text = str(value).strip()
    return text.lower() if text.lower() in ('true', 'false') else text


def unnamed_pin_changes(deployed, requested, inventory):
    """``[{name, running, inventory}]``: the pins (``deployed``: variable -> value from the containers'
    labels) that the upgrade does not name (``requested``) and whose value in the inventory
    (``inventory``: variable -> value, ``UNSET`` or None when the inventory does not set it) differs
    from what runs. The upgrade's deploy step would change those too, unasked."""
    if not isinstance(deployed, dict) or not isinstance(requested, dict) or not isinstance(inventory, dict):
        raise OperationsPlanError('deployed, requested and inventory must be mappings')
    changes = []
    for name in sorted(deployed):
        if name in requested:
            continue
        want = inventory.get(name, UNSET)
        if want is None or want == UNSET:
            continue
        if _pin_text(want) != _pin_text(deployed[name]):
            changes.append({'name': name, 'running': deployed[name], 'inventory': want})
    return changes
