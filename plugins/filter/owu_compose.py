# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the collection's service runtime (roles/compose): a role's services as data to a
Compose project, and back from the running containers (docs: the .yml files next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.module_utils import _engine
from ansible_collections.numberone.owu.plugins.plugin_utils import _compose
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def owu_compose_project(services, project, role, network, engine_version=''):
    """compose.yaml, compose.override.yaml, volumes and container names (see owu_compose_project.yml)."""
    try:
        return _compose.build(to_native(project), to_native(role), _plain(services), to_native(network),
                              to_native(engine_version or ''))
    except _compose.ComposeInputError as exc:
        raise AnsibleFilterError('owu_compose_project: project %s: %s' % (to_native(project), to_native(exc)))


def owu_compose_addresses(services, containers, network):
    """Each service's container, state, address and URL (see owu_compose_addresses.yml)."""
    return _engine.addresses(_plain(services), _plain(containers), to_native(network))


def owu_compose_down(containers):
    """The containers that do not run or are not healthy (see owu_compose_down.yml)."""
    containers = _plain(containers)
    if not isinstance(containers, dict):
        raise AnsibleFilterError('owu_compose_down: the input must be container name -> docker inspect')
    return _engine.containers_down(containers)


def owu_compose_projects(containers, roles=None):
    """The Compose projects of containers and their health (see owu_compose_projects.yml)."""
    containers = _plain(containers)
    if not isinstance(containers, dict):
        raise AnsibleFilterError('owu_compose_projects: the input must be container name -> docker inspect')
    return _engine.compose_projects(containers, _plain(roles) or {})


class FilterModule:
    """Service runtime filters."""

    def filters(self):
        return {
            'owu_compose_project': owu_compose_project,
            'owu_compose_addresses': owu_compose_addresses,
            'owu_compose_down': owu_compose_down,
            'owu_compose_projects': owu_compose_projects,
        }
