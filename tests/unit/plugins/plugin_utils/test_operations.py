# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which roles a backup or restore asks on a host, in which order; the status tables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.numberone.owu.plugins.plugin_utils import _operations as ops

ROLES = {'openwebui': 'openwebui', 'qdrant': 'qdrant', 'langfuse': 'langfuse_stack', 'pipelines': 'pipelines',
         'ollama': 'ollama'}


def test_backup_plan_keeps_the_order_asked_and_only_what_runs_here():
    plan = ops.backup_plan(['pipelines', 'openwebui', 'langfuse', 'qdrant'], ROLES, ['openwebui', 'pipelines', 'ollama'])
    assert plan == [{'component': 'pipelines', 'role': 'pipelines'}, {'component': 'openwebui', 'role': 'openwebui'}]


def test_backup_plan_adds_the_models_last_when_asked_and_ollama_runs():
    asked = ['openwebui', 'langfuse']
    assert ops.backup_plan(asked, ROLES, ['langfuse_stack', 'ollama'], models=True) == [
        {'component': 'langfuse', 'role': 'langfuse_stack'}, {'component': 'ollama', 'role': 'ollama'}]
    assert ops.backup_plan(asked, ROLES, ['langfuse_stack'], models=True) == [{'component': 'langfuse', 'role': 'langfuse_stack'}]
    assert ops.backup_plan(asked, ROLES, ['ollama'], models=False) == []


@pytest.mark.parametrize('asked', [['openwebui', 'chroma'], ['ollama']])
def test_backup_plan_refuses_unknown_components(asked):
    with pytest.raises(ops.OperationsPlanError, match='unknown components'):
        ops.backup_plan(asked, ROLES, ['openwebui'])


def test_restore_plan_follows_the_backup_and_never_restores_models():
    in_backup = ['openwebui', 'qdrant', 'langfuse', 'pipelines', 'ollama']
    assert ops.restore_plan(in_backup, ['pipelines', 'openwebui', 'ollama'], ROLES) == [
        {'component': 'openwebui', 'role': 'openwebui'}, {'component': 'pipelines', 'role': 'pipelines'}]


def test_restore_plan_refuses_a_component_it_does_not_know():
    with pytest.raises(ops.OperationsPlanError, match='does not know: searxng'):
        ops.restore_plan(['openwebui', 'searxng'], ['openwebui'], ROLES)


def test_plans_refuse_what_is_not_a_list_of_names():
    with pytest.raises(ops.OperationsPlanError, match='list of names'):
        ops.backup_plan('openwebui', ROLES, [])


# ---------------------------------------------------------------------------------- status

def _inspect(image, status='running', health=None, ports=None):
    info = {'Config': {'Image': image}, 'State': {'Status': status, 'StartedAt': '2026-12-07T10:00:00.123456789Z'},
            'NetworkSettings': {'Ports': ports or {}}}
    if health:
        info['State']['Health'] = {'Status': health}
    return info


def test_status_containers_rows():
    containers = {
        'qdrant': _inspect('docker.io/qdrant/qdrant:v1.19.0', health='healthy',
                           ports={'6333/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '6333'}], '6334/tcp': None}),
        'caddy': _inspect('localhost:5000/caddy', status='exited'),
        'web': _inspect('docker.io/langfuse/langfuse@sha256:' + 'ab' * 32),
    }
    rows = ops.status_containers(containers, {'qdrant': 'qdrant', 'web': 'langfuse_stack'})
    assert [r['name'] for r in rows] == ['caddy', 'qdrant', 'web']
    caddy, qdrant, web = rows
    assert (caddy['version'], caddy['role'], caddy['state'], caddy['health']) == ('latest', '-', 'exited', '-')
    assert (qdrant['version'], qdrant['health'], qdrant['ports']) == ('v1.19.0', 'healthy', ['127.0.0.1:6333->6333/tcp'])
    assert qdrant['since'] == '2026-12-07T10:00:00'
    assert web['version'] == 'sha256:' + 'ab' * 6


def test_status_models_rows_skip_instances_that_did_not_answer():
    loaded = {'name': 'qwen3:8b', 'size': 6000, 'size_vram': 4500, 'expires_at': '2026-12-07T11:00:00Z'}
    results = [
        {'item': 'ollama', 'json': {'models': [loaded]}},
        {'item': 'ollama-gpu1', 'failed': True, 'msg': 'Connection refused'},
        {'item': 'ollama-gpu2', 'json': {'models': []}},
    ]
    assert ops.status_models(results) == [
        {'instance': 'ollama', 'name': 'qwen3:8b', 'size': 6000, 'size_vram': 4500, 'on_gpu': 75,
         'expires_at': '2026-12-07T11:00:00Z'}]
    assert ops.status_models([{'item': 'x', 'json': {'models': [{'name': 'm'}]}}])[0]['on_gpu'] == 0


def test_status_volumes_rows_sorted_with_unmeasured_size():
    usage = {'Volumes': [{'Name': 'qdrant_storage', 'UsageData': {'Size': 2048, 'RefCount': 1}},
                         {'Name': 'openwebui', 'UsageData': {'Size': -1, 'RefCount': 0}},
                         {'Name': 'langfuse_minio'}]}
    assert ops.status_volumes(usage) == [
        {'name': 'langfuse_minio', 'size': -1, 'links': 0},
        {'name': 'openwebui', 'size': -1, 'links': 0},
        {'name': 'qdrant_storage', 'size': 2048, 'links': 1}]
    assert ops.status_tables({}, {}, None, None) == {'containers': [], 'models': [], 'volumes': []}


# ---------------------------------------------------------------------------------- upgrades

def test_unnamed_pin_changes_lists_what_the_upgrade_would_change_unasked():
    deployed = {'langfuse_stack_version': '4.16.0', 'langfuse_stack_v4_write_mode': 'dual',
                'langfuse_stack_v4_historic_backfill': 'True', 'openwebui_version': '0.12.4', 'qdrant_digest': ''}
    inventory = {'langfuse_stack_version': '3.225.4', 'langfuse_stack_v4_write_mode': ops.UNSET,
                 'langfuse_stack_v4_historic_backfill': True, 'openwebui_version': '0.12.4', 'qdrant_digest': None}
    assert ops.unnamed_pin_changes(deployed, {'langfuse_stack_v4_write_mode': 'events_only'}, inventory) == [
        {'name': 'langfuse_stack_version', 'running': '4.16.0', 'inventory': '3.225.4'}]
    # Naming it (the migration's steps do) leaves nothing.
    named = {'langfuse_stack_version': '4.16.0', 'langfuse_stack_v4_write_mode': 'events_only'}
    assert ops.unnamed_pin_changes(deployed, named, inventory) == []
    with pytest.raises(ops.OperationsPlanError):
        ops.unnamed_pin_changes(deployed, [], inventory)
