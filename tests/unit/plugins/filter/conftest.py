# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixture for the filter tests: a filter as Ansible loads it from the collection, in a real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir))


@pytest.fixture
def debug_msg(tmp_path):
    """``debug_msg(vars_lines, msg)``: runs a one-task playbook on localhost (the repository's
    ansible.cfg, JSON callback) whose ``vars:`` are ``vars_lines`` (YAML lines, indented by the
    fixture) and whose ``debug`` prints ``msg`` (a Jinja expression that ends in ``to_json``);
    returns the printed value, parsed."""
    def run(vars_lines, msg):
        playbook = tmp_path / 'play.yml'
        playbook.write_text(
            '- hosts: localhost\n  gather_facts: false\n  vars:\n'
            + ''.join('    %s\n' % line for line in vars_lines)
            + '  tasks:\n    - ansible.builtin.debug:\n        msg: "%s"\n' % msg,
            encoding='utf-8')
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
        ansible_playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        result = subprocess.run([ansible_playbook if os.path.exists(ansible_playbook) else 'ansible-playbook', str(playbook)],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        report = json.loads(result.stdout[result.stdout.index('{'):])
        value = report['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
        return json.loads(value) if isinstance(value, str) else value
    return run
