# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the owu_openwebui filter plugin: entry points, errors, and a real ansible run."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_openwebui as plugin


def test_filters_are_registered():
    assert set(plugin.FilterModule().filters()) == {'owu_openwebui_connection_problems', 'owu_openwebui_connections',
                                                    'owu_openwebui_health_model', 'owu_openwebui_optional_env'}


def test_health_model_filter_refuses_what_is_not_a_model_list():
    with pytest.raises(AnsibleFilterError, match='data list of GET /api/models'):
        plugin.owu_openwebui_health_model({'data': []})
    assert plugin.owu_openwebui_health_model([{'id': 'llama3.2:3b'}], None, None) == 'llama3.2:3b'


def test_filters():
    conns = [{'name': 'a', 'base_url': 'https://a.example/v1/', 'api_key': 'k'}]
    assert plugin.owu_openwebui_connection_problems(conns) == []
    assert plugin.owu_openwebui_connections(conns, {'url': 'http://pipelines:9099', 'api_key': 'p'})[0]['url'] == 'https://a.example/v1'
    assert plugin.owu_openwebui_connections(conns)[-1]['name'] == 'a'
    with pytest.raises(AnsibleFilterError, match='must be a list'):
        plugin.owu_openwebui_connections({'name': 'a'})
    assert plugin.owu_openwebui_optional_env({'url': 'https://chat.example'}) == {'WEBUI_URL': 'https://chat.example'}
    with pytest.raises(AnsibleFilterError, match='must be a dict'):
        plugin.owu_openwebui_optional_env(['url'])


def test_filters_in_a_real_playbook(debug_msg):
    """The filters as Ansible loads them from the collection, on templated input."""
    out = debug_msg(
        ['key: sk-1', 'conns: [{name: a, base_url: "https://a.example/v1", api_key: "{{ key }}", enabled: "yes"}, {name: a, base_url: x}]'],
        "{{ {'problems': conns | numberone.owu.owu_openwebui_connection_problems,"
        " 'urls': conns[:1] | numberone.owu.owu_openwebui_connections({'url': 'http://p:9099'}) | map(attribute='url') | list} | to_json }}")
    assert out['urls'] == ['https://a.example/v1', 'http://p:9099']
    assert out['problems'] == ['a: name used twice', 'a: base_url "x" is not an http(s) URL',
                               'a: api_key is missing (the connection is enabled)']
