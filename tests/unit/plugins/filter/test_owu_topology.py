# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the owu_topology filter plugin: entry points, errors, and a real ansible run."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_topology as plugin
from ansible_collections.numberone.owu.plugins.plugin_utils import _topology

GROUPS = {'owu': ['h1'], 'owu_gpu': ['h1'], 'owu_app': ['h1'], 'owu_data': ['h1'], 'all': ['h1']}


def test_filters_are_registered():
    filters = plugin.FilterModule().filters()
    assert set(filters) == {'owu_topology', 'owu_port_bindings', 'owu_host_ports', 'owu_connection_urls', 'owu_ollama_wiring'}


def test_filter_matches_the_pure_function():
    hosts = {'h1': {'address': '10.0.0.1'}}
    assert plugin.owu_topology(GROUPS, hosts) == _topology.build(GROUPS, hosts)


def test_strict_raises_with_every_error():
    with pytest.raises(AnsibleFilterError, match='owu_exposure is .bogus.'):
        plugin.owu_topology(GROUPS, {'h1': {'exposure': 'bogus'}}, strict=True)


def test_bad_shape_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='owu_topology: group owu must be a list'):
        plugin.owu_topology({'owu': 'h1'}, {})


def test_port_bindings_and_host_ports_filters():
    binds = plugin.owu_port_bindings([{'address': '127.0.0.1', 'published': '3001'}], 'langfuse_stack_web_port')
    assert binds == [{'variable': 'langfuse_stack_web_port', 'address': '127.0.0.1', 'port': 3001, 'protocol': 'tcp'}]
    result = plugin.owu_host_ports('h1', '10.0.0.1', {'langfuse_stack': binds,
                                                      'openwebui': plugin.owu_port_bindings([3001], 'openwebui_port', ['0.0.0.0'])})
    assert len(result['errors']) == 1 and 'both publish port 3001' in result['errors'][0]
    with pytest.raises(AnsibleFilterError, match='owu_port_bindings'):
        plugin.owu_port_bindings([3000], 'openwebui_port')
    with pytest.raises(AnsibleFilterError, match='owu_host_ports'):
        plugin.owu_host_ports('h1', '10.0.0.1', ['x'])


def test_connection_urls_filter():
    qdrant = {'container': 'qdrant', 'port': '6333', 'published_port': '6333'}
    langfuse = {'container': 'langfuse-web', 'port': 3000, 'published_port': 3001}
    assert plugin.owu_connection_urls('app1', 'data1', '10.0.0.3', qdrant, langfuse) == {
        'qdrant': 'http://10.0.0.3:6333', 'langfuse': 'http://10.0.0.3:3001'}
    assert plugin.owu_connection_urls('app1', '', '') == {}
    with pytest.raises(AnsibleFilterError, match='container, port and published_port'):
        plugin.owu_connection_urls('app1', 'data1', '10.0.0.3', {'container': 'qdrant'})


def test_ollama_wiring_filter():
    plan = {'instances': [{'name': 'ollama', 'port': '11434'}], 'by_purpose': {'embedding': 'nomic-embed-text:v1.5'}}
    assert plugin.owu_ollama_wiring('h1', {'h1': {'plan': plan}}) == {
        'urls': ['http://ollama:11434'], 'configs': [{}], 'api_configs': {}, 'unreachable': [],
        'embedding': {'model': 'nomic-embed-text:v1.5', 'url': 'http://ollama:11434'}}
    with pytest.raises(AnsibleFilterError, match='dict of host name'):
        plugin.owu_ollama_wiring('h1', 'h1')
    with pytest.raises(AnsibleFilterError, match='name and a numeric port'):
        plugin.owu_ollama_wiring('h1', {'h1': {'plan': {'instances': [{'name': 'ollama', 'port': 'x'}]}}})


def test_filter_in_a_real_playbook(debug_msg):
    """The filter as Ansible loads it from the collection, on lazy/templated input."""
    topology = debug_msg(
        ['addr: 10.0.0.9', 'inv: {owu: [a, d], owu_gpu: [a], owu_app: [a], owu_data: [d]}'],
        "{{ inv | numberone.owu.owu_topology({'a': {'address': '10.0.0.1'}, 'd': {'address': addr}}) | to_json }}")
    assert topology['errors'] == []
    assert topology['hosts']['d']['wiring']['publish']['qdrant'] == ['10.0.0.9']
