# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters that validate a numberone.owu inventory and compute the wiring between its hosts
(docs: owu_topology.yml, owu_port_bindings.yml, owu_host_ports.yml, owu_connection_urls.yml and
owu_ollama_wiring.yml next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _topology
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def owu_topology(groups, hosts, strict=False):
    """Validate the inventory and compute each host's wiring (see owu_topology.yml)."""
    try:
        result = _topology.build(_plain(groups), _plain(hosts))
    except _topology.TopologyInputError as exc:
        raise AnsibleFilterError('owu_topology: %s' % to_native(exc))
    if strict and result['errors']:
        raise AnsibleFilterError('owu_topology: ' + '; '.join(result['errors']))
    return result


def owu_port_bindings(ports, variable, addresses=None):
    """A role's published ports as bindings, for its <role>_bindings fact (see owu_port_bindings.yml)."""
    try:
        return _topology.port_bindings(_plain(ports), _plain(variable),
                                       _plain(addresses) if addresses is not None else None)
    except _topology.TopologyInputError as exc:
        raise AnsibleFilterError('owu_port_bindings: %s' % to_native(exc))


def owu_host_ports(host, address, published):
    """One host's bindings from every role on it: conflicts and internal ports (see owu_host_ports.yml)."""
    try:
        return _topology.host_ports(to_native(host), to_native(address or ''), _plain(published))
    except _topology.TopologyInputError as exc:
        raise AnsibleFilterError('owu_host_ports: %s' % to_native(exc))


def owu_connection_urls(app_host, data_host, data_address, qdrant=None, langfuse=None):
    """URLs of the data host's Qdrant and Langfuse as seen from an app host (see owu_connection_urls.yml)."""
    try:
        return _topology.connection_urls(to_native(app_host), to_native(data_host) if data_host else None,
                                         to_native(data_address), _plain(qdrant) or None, _plain(langfuse) or None)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('owu_connection_urls: an endpoint needs container, port and published_port (%s)'
                                 % to_native(exc))


def owu_ollama_wiring(app_host, ollama_hosts, topology=None):
    """The Ollama servers and the embedding model an app host uses (see owu_ollama_wiring.yml)."""
    try:
        return _topology.ollama_wiring(to_native(app_host), _plain(ollama_hosts), _plain(topology) if topology else None)
    except _topology.TopologyInputError as exc:
        raise AnsibleFilterError('owu_ollama_wiring: %s' % to_native(exc))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('owu_ollama_wiring: an ollama_plan instance needs a name and a numeric port (%s)' % to_native(exc))


class FilterModule:
    """Site topology filters."""

    def filters(self):
        return {
            'owu_topology': owu_topology,
            'owu_port_bindings': owu_port_bindings,
            'owu_host_ports': owu_host_ports,
            'owu_connection_urls': owu_connection_urls,
            'owu_ollama_wiring': owu_ollama_wiring,
        }
