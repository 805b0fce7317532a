# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every conditional in the task files is a string (or a boolean).

ansible-core refuses any other conditional at run time ("Conditional expressions must be
strings"), and only when the task runs: a condition with an unquoted ``: `` in it, such as
``- out is search('host +: ok=')``, is read by YAML as a mapping and passes ansible-lint. This
reads every play, task and handler file of roles/, playbooks/ and molecule/ and checks the
``when``, ``changed_when``, ``failed_when``, ``until`` and ``assert``'s ``that`` of every task,
in blocks too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

import pytest

from ansible_yaml import load, load_file  # tests/unit is on sys.path (conftest.py)

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))
CONDITION_KEYS = ('when', 'changed_when', 'failed_when', 'until')
ASSERTS = ('ansible.builtin.assert', 'assert')
PATTERNS = ('roles/*/tasks/*.yml', 'roles/*/handlers/*.yml', 'playbooks/*.yml', 'site.yml',
            'molecule/*/*.yml', 'molecule/*/tasks/*.yml', 'molecule/*/operations/*.yml', 'molecule/shared/*.yml')


def _files():
    found = set()
    for pattern in PATTERNS:
        found.update(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, pattern)))
    return sorted(p for p in found if not p.endswith('molecule.yml'))


def _tasks(items):
    """Every task dict in a list of plays / tasks, blocks and plays' task lists included."""
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        yield item
        for key in ('tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always'):
            yield from _tasks(item.get(key))


def _bad(task):
    """(key, value) of each conditional of ``task`` that is neither a string nor a boolean."""
    checks = [(key, task[key]) for key in CONDITION_KEYS if key in task]
    for action in ASSERTS:
        if isinstance(task.get(action), dict) and 'that' in task[action]:
            checks.append(('that', task[action]['that']))
    for key, value in checks:
        for condition in value if isinstance(value, list) else [value]:
            if not isinstance(condition, (str, bool)):
                yield key, condition


def test_the_walk_finds_task_files():
    files = _files()
    assert 'playbooks/site.yml' in files and 'molecule/stack/side_effect.yml' in files, files


def test_a_mapping_condition_is_caught():
    play = load("- hosts: all\n  tasks:\n    - block:\n        - ansible.builtin.assert:\n"
                "            that:\n              - out is search('h +: ok=')\n")
    assert [key for key, _value in _bad(list(_tasks(play))[-1])] == ['that']


@pytest.mark.parametrize('path', _files())
def test_conditionals_are_strings(path):
    data = load_file(os.path.join(REPO, path))
    bad = ['%s (%s): %s: %r' % (task.get('name', '?'), path, key, value)
           for task in _tasks(data) for key, value in _bad(task)]
    assert not bad, 'conditionals that are not strings (quote the condition):\n' + '\n'.join(bad)
