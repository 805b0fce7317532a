# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The assert_all action (plugins/action/assert_all.py) in a real ansible-playbook run: the roles'
check entry points merge their asserts into it, so it must refuse exactly what those asserts
refused, with the same messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    port: 70000
    name: qdrant
  tasks:
    - name: Every check holds; a message is rendered only for a check that fails
      numberone.owu.assert_all:
        checks:
          - that: name | length > 0
            msg: "name must be set (got {{ name }})"
          - that: [name is string, name != 'latest']
            msg: "never rendered: {{ variable_nobody_defined }}"
        quiet: true

    - name: Two checks fail, a third cannot be evaluated after them
      numberone.owu.assert_all:
        checks:
          - that: port | int <= 65535
            msg: "port must be 1-65535 (got {{ port }})"
          - that: name == 'qdrant'
            msg: fine
          - that: [name | length > 10]
            msg: "name must be longer than 10 (got {{ name }})"
          - that: variable_nobody_defined.field == 1
            msg: not reached
      ignore_errors: true

    - name: An undefined variable before any failure is an error, as with assert
      numberone.owu.assert_all:
        checks:
          - that: variable_nobody_defined == 1
            msg: not rendered
      ignore_errors: true

    - name: A malformed check is refused
      numberone.owu.assert_all:
        checks:
          - msg: no condition
      ignore_errors: true
"""


def test_assert_all_reports_every_failed_check(tmp_path, run_playbook):
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAYBOOK)
    result, report, failed = run_playbook('-i', 'localhost,', '-c', 'local', str(playbook))
    assert result.returncode == 0, result.stdout[-3000:]
    tasks = dict((task['task']['name'], task['hosts']['localhost']) for task in report['plays'][0]['tasks'])
    passed = tasks['Every check holds; a message is rendered only for a check that fails']
    assert not passed.get('failed') and passed['msg'] == 'All assertions passed'
    two = tasks['Two checks fail, a third cannot be evaluated after them']
    assert two['failed'] and two['msg'] == '(1) port must be 1-65535 (got 70000) (2) name must be longer than 10 (got qdrant)'
    assert two['assertions'] == ['port | int <= 65535', 'name | length > 10']
    undefined = tasks['An undefined variable before any failure is an error, as with assert']
    assert undefined['failed'] and 'variable_nobody_defined' in undefined['msg']
    malformed = tasks['A malformed check is refused']
    assert malformed['failed'] and 'checks[0] must be a dict with that' in malformed['msg']
    assert len(failed) == 3
