# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the owu_topology filter plugin: entry points, errors, and a real ansible run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_topology as plugin
from ansible_collections.numberone.owu.plugins.plugin_utils import _topology

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir))
GROUPS = {'owu': ['h1'], 'owu_gpu': ['h1'], 'owu_app': ['h1'], 'owu_data': ['h1'], 'all': ['h1']}


def test_filters_are_registered():
    filters = plugin.FilterModule().filters()
    assert set(filters) == {'owu_topology', 'owu_connection_urls', 'owu_ollama_wiring'}


def test_filter_matches_the_pure_function():
    hosts = {'h1': {'address': '10.0.0.1'}}
    assert plugin.owu_topology(GROUPS, hosts) == _topology.build(GROUPS, hosts)


def test_strict_raises_with_every_error():
    with pytest.raises(AnsibleFilterError, match='owu_exposure is .bogus.'):
        plugin.owu_topology(GROUPS, {'h1': {'exposure': 'bogus'}}, strict=True)


def test_bad_shape_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='owu_topology: group owu must be a list'):
        plugin.owu_topology({'owu': 'h1'}, {})


def test_connection_urls_filter():
    assert plugin.owu_connection_urls('app1', 'data1', '10.0.0.3', '6333', 3001) == {
        'qdrant': 'http://10.0.0.3:6333', 'langfuse': 'http://10.0.0.3:3001'}
    assert plugin.owu_connection_urls('app1', '', '') == {}
    with pytest.raises(AnsibleFilterError):
        plugin.owu_connection_urls('app1', 'data1', '10.0.0.3', 'x')


def test_ollama_wiring_filter():
    plan = {'instances': [{'name': 'ollama', 'port': '11434'}], 'by_purpose': {'embedding': 'nomic-embed-text:v1.5'}}
    assert plugin.owu_ollama_wiring('h1', {'h1': {'plan': plan}}) == {
        'urls': ['http://ollama:11434'], 'unreachable': [],
        'embedding': {'model': 'nomic-embed-text:v1.5', 'url': 'http://ollama:11434'}}
    with pytest.raises(AnsibleFilterError, match='dict of host name'):
        plugin.owu_ollama_wiring('h1', 'h1')
    with pytest.raises(AnsibleFilterError, match='name and a numeric port'):
        plugin.owu_ollama_wiring('h1', {'h1': {'plan': {'instances': [{'name': 'ollama', 'port': 'x'}]}}})


def test_filter_in_a_real_playbook(tmp_path):
    """The filter as Ansible loads it from the collection, on lazy/templated input."""
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n'
        '  gather_facts: false\n'
        '  vars:\n'
        '    addr: 10.0.0.9\n'
        '    inv: {owu: [a, d], owu_gpu: [a], owu_app: [a], owu_data: [d]}\n'
        '  tasks:\n'
        '    - ansible.builtin.debug:\n'
        '        msg: "{{ inv | numberone.owu.owu_topology({\'a\': {\'address\': \'10.0.0.1\'}, \'d\': {\'address\': addr}}) | to_json }}"\n',
        encoding='utf-8')
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    result = subprocess.run([ansible_playbook if os.path.exists(ansible_playbook) else 'ansible-playbook', str(playbook)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout[result.stdout.index('{'):])
    msg = report['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
    topology = json.loads(msg) if isinstance(msg, str) else msg
    assert topology['errors'] == []
    assert topology['hosts']['d']['wiring']['publish']['qdrant'] == ['10.0.0.9']
