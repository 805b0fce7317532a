# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared fixture for the integration tests that run the real ``ansible-playbook``.

``run_playbook(*argv)`` runs ``ansible-playbook <argv>`` from the repository root with the
repository's ansible.cfg and the ``ansible.posix.json`` callback, HOME and Ansible's temporary
directories inside the test's ``tmp_path``, and returns ``(completed_process, report, failed)``:
``report`` is the parsed JSON report, ``failed`` a list of ``(task name, msg)`` for every host
result that failed (ignored ones included). A run without a JSON report fails the test.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))


def _tool(name):
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.access(candidate, os.X_OK) else name


@pytest.fixture
def run_playbook(tmp_path):
    def run(*argv):
        home = tmp_path / 'home'
        home.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update({
            'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'),
            'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.json',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'),
            'ANSIBLE_REMOTE_TEMP': str(tmp_path / 'ansible-remote-tmp'),
            'HOME': str(home),
        })
        result = subprocess.run(
            [_tool('ansible-playbook')] + [str(arg) for arg in argv],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        try:
            report = json.loads(result.stdout[result.stdout.index('{'):])
        except ValueError:
            pytest.fail('no JSON report (rc %d)\nstdout:\n%s\nstderr:\n%s' % (
                result.returncode, result.stdout[-3000:], result.stderr[-3000:]))
        failed = [(task['task']['name'], str(res.get('msg', '')))
                  for play in report['plays'] for task in play['tasks']
                  for res in task['hosts'].values() if res.get('failed')]
        return result, report, failed
    return run
