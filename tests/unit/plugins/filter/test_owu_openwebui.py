# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the owu_openwebui filter plugin: entry points, errors, and a real ansible run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_openwebui as plugin

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir))


def test_filters_are_registered():
    assert set(plugin.FilterModule().filters()) == {'owu_openwebui_connection_problems', 'owu_openwebui_connections',
                                                    'owu_openwebui_optional_env'}


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


def test_filters_in_a_real_playbook(tmp_path):
    """The filters as Ansible loads them from the collection, on templated input."""
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n'
        '  gather_facts: false\n'
        '  vars:\n'
        '    key: sk-1\n'
        '    conns: [{name: a, base_url: "https://a.example/v1", api_key: "{{ key }}", enabled: "yes"}, {name: a, base_url: x}]\n'
        '  tasks:\n'
        '    - ansible.builtin.debug:\n'
        '        msg: "{{ {\'problems\': conns | numberone.owu.owu_openwebui_connection_problems,'
        ' \'urls\': conns[:1] | numberone.owu.owu_openwebui_connections({\'url\': \'http://p:9099\'}) | map(attribute=\'url\') | list} | to_json }}"\n',
        encoding='utf-8')
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    result = subprocess.run([ansible_playbook if os.path.exists(ansible_playbook) else 'ansible-playbook', str(playbook)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout[result.stdout.index('{'):])
    msg = report['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
    out = json.loads(msg) if isinstance(msg, str) else msg
    assert out['urls'] == ['https://a.example/v1', 'http://p:9099']
    assert out['problems'] == ['a: name used twice', 'a: base_url "x" is not an http(s) URL',
                               'a: api_key is missing (the connection is enabled)']
