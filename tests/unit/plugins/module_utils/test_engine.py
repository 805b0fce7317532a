# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the day-2 smoke check counts as a container that does not serve."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.numberone.owu.plugins.module_utils import _engine


def _c(status, running=True, restarting=False, health=None, image='img:1'):
    state = {'Status': status, 'Running': running, 'Restarting': restarting}
    if health is not None:
        state['Health'] = {'Status': health}
    return {'State': state, 'Config': {'Image': image}}


def test_containers_down_names_each_one_that_does_not_serve():
    containers = {
        'qdrant': _c('running', health='healthy'),
        'searxng': _c('running'),
        'openwebui': _c('running', health='starting', image='ghcr.io/open-webui/open-webui:v0.12.4'),
        'langfuse-web': _c('restarting', restarting=True),
        'pipelines': _c('exited', running=False, health='unhealthy'),
    }
    assert _engine.containers_down(containers) == [
        'langfuse-web is restarting, image img:1',
        'openwebui is running (starting), image ghcr.io/open-webui/open-webui:v0.12.4',
        'pipelines is exited (unhealthy), image img:1',
    ]


def test_no_containers_none_down():
    assert _engine.containers_down({}) == []
    assert _engine.containers_down({'a': _c('running', health='healthy')}) == []


def _in(project, c, role='r'):
    c['Config']['Labels'] = {'com.docker.compose.project': project, 'com.numberone.owu.role': role} if project else {}
    return c


def test_compose_projects_counts_each_projects_containers_and_health():
    containers = {
        'langfuse-web': _in('owu-langfuse', _c('running', health='starting'), 'langfuse_stack'),
        'langfuse-postgres': _in('owu-langfuse', _c('running', health='healthy'), 'langfuse_stack'),
        'qdrant': _in('owu-qdrant', _c('running', health='healthy'), 'qdrant'),
        'stray': _in(None, _c('exited', running=False)),
    }
    assert _engine.compose_projects(containers, {'qdrant': 'qdrant'}) == [
        {'project': '-', 'role': '', 'containers': 1, 'running': 0, 'healthy': 0, 'down': ['stray is exited, image img:1']},
        {'project': 'owu-langfuse', 'role': 'langfuse_stack', 'containers': 2, 'running': 2, 'healthy': 1,
         'down': ['langfuse-web is running (starting), image img:1']},
        {'project': 'owu-qdrant', 'role': 'qdrant', 'containers': 1, 'running': 1, 'healthy': 1, 'down': []},
    ]
    assert _engine.compose_projects({}) == []
