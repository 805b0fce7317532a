# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which roles a backup or restore asks on a host, in which order."""

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
