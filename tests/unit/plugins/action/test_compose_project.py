# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller side of the service runtime: what the compose_project action renders. The whole
action (host module, docker_compose_v2, health) runs in every Molecule scenario."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.numberone.owu.plugins.action import compose_project
from ansible_collections.numberone.owu.plugins.plugin_utils._compose import ComposeInputError

QDRANT = {'name': 'qdrant', 'image': 'qdrant/qdrant:v1.19.0', 'port': 6333,
          'environment': {'QDRANT__LOG_LEVEL': 'INFO'},
          'secret_environment': {'QDRANT__SERVICE__API_KEY': 'k$ey'},
          'volumes': [{'source': 'qdrant_storage', 'target': '/qdrant/storage'}],
          'healthcheck': {'test': ['CMD', 'true'], 'start_period': '30s'},
          'http_health': {'path': '/readyz'}}


def test_compose_file_starts_with_ansible_managed_and_keeps_secrets_apart():
    files = compose_project.render('owu-qdrant', 'qdrant', [QDRANT], 'owu', '/opt/c/owu-qdrant')
    assert files['compose'].startswith('#\n# Ansible managed\n#\n#\n# Compose project owu-qdrant (numberone.owu.qdrant)')
    assert 'cd /opt/c/owu-qdrant && docker compose ps' in files['compose']
    assert 'k$ey' not in files['compose'] and 'k$$ey' not in files['compose']
    override = yaml.safe_load(files['override'])
    assert override['services']['qdrant']['environment'] == {'QDRANT__SERVICE__API_KEY': 'k$$ey'}
    compose = yaml.safe_load(files['compose'])
    assert compose['name'] == 'owu-qdrant' and compose['volumes']['qdrant_storage']['external'] is True
    assert files['volumes'] == ['qdrant_storage'] and files['containers'] == {'qdrant': 'qdrant'}


def test_an_older_engine_gets_its_own_text_only_when_it_differs():
    files = compose_project.render('owu-qdrant', 'qdrant', [QDRANT], 'owu', '/d')
    new = yaml.safe_load(files['compose'])['services']['qdrant']['healthcheck']
    old = yaml.safe_load(files['compose_before_engine_25'])['services']['qdrant']['healthcheck']
    assert new['start_interval'] == '1s' and 'start_interval' not in old
    plain = dict(QDRANT, healthcheck=None, secret_environment=None)
    files = compose_project.render('owu-qdrant', 'qdrant', [plain], 'owu', '/d')
    assert files['compose_before_engine_25'] is None and files['override'] is None


def test_a_refused_description_raises():
    with pytest.raises(ComposeInputError):
        compose_project.render('owu-qdrant', 'qdrant', [dict(QDRANT, ports=[{'target': 'x'}])], 'owu', '/d')


def test_http_checks_in_service_order():
    other = {'name': 'side', 'image': 'x:1'}
    assert compose_project.http_checks([other, QDRANT]) == [('qdrant', {'path': '/readyz'})]
