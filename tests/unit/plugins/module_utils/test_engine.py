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
