# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The numberone.owu.local_ca lookup (plugins/lookup/local_ca.py) through a real ansible run: it
resolves from the checkout, returns one dict (the files), creates the CA once and turns half a CA
into an error that says what to do. The CA itself: tests/unit/plugins/plugin_utils/test_local_ca.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
ANSIBLE = os.path.join(os.path.dirname(sys.executable), 'ansible')


def _debug(expr):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_NOCOLOR='1')
    return subprocess.run([ANSIBLE, 'localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.debug',
                           '-a', 'msg=' + expr], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.skipif(not os.path.exists(ANSIBLE), reason='ansible CLI not installed next to this Python')
def test_through_a_real_ansible_run(tmp_path):
    store = str(tmp_path / 'box')
    expr = "{{ lookup('numberone.owu.local_ca', dir='%s', common_name='numberone.owu box') | to_json }}" % store
    results = []
    for dummy in range(2):
        proc = _debug(expr)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        msg = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
        results.append(json.loads(msg) if isinstance(msg, str) else msg)
    files = {'certificate': os.path.join(store, 'lan-root-ca.crt'), 'key': os.path.join(store, 'lan-root-ca.key')}
    assert results == [dict(files, created=True), dict(files, created=False)]
    os.remove(files['key'])
    bad = _debug(expr)
    assert bad.returncode != 0
    assert 'numberone.owu.local_ca: %s exists but %s does not' % (files['certificate'], files['key']) in bad.stdout
