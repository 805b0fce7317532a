# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the deploy_lock module on a real file system (tmp_path)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible_collections.numberone.owu.plugins.modules import deploy_lock

ALICE = {'run_id': 'run-a', 'user': 'alice', 'controller': 'laptop', 'pid': 4242, 'playbook': 'site.yml'}
BOB = {'run_id': 'run-b', 'user': 'bob', 'controller': 'desk', 'pid': 77, 'playbook': 'upgrade.yml'}


def _args(path, **kwargs):
    args = {'path': str(path)}
    args.update(kwargs)
    return args


def test_acquire_creates_the_lock_with_the_holder(run_module, tmp_path):
    path = tmp_path / 'sub' / 'deploy.lock'
    result = run_module(deploy_lock.main, _args(path, holder=ALICE))
    assert result['changed'] and result['acquired'] and not result.get('failed')
    on_disk = json.loads(path.read_text())
    assert on_disk['user'] == 'alice' and on_disk['controller'] == 'laptop' and on_disk['pid'] == 4242
    assert on_disk['playbook'] == 'site.yml' and on_disk['run_id'] == 'run-a'
    assert on_disk['since'].endswith('Z') and on_disk['id'] == result['holder']['id']


def test_same_run_takes_it_again_without_change(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    first = run_module(deploy_lock.main, _args(path, holder=ALICE))
    again = run_module(deploy_lock.main, _args(path, holder=ALICE))
    assert not again['changed'] and again['acquired']
    assert again['holder']['id'] == first['holder']['id']


def test_another_run_fails_naming_the_holder(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    run_module(deploy_lock.main, _args(path, holder=ALICE))
    result = run_module(deploy_lock.main, _args(path, holder=BOB))
    assert result['failed']
    assert 'alice@laptop' in result['msg'] and 'site.yml' in result['msg'] and 'since' in result['msg']
    assert 'owu_deploy_lock_force' in result['msg']
    assert json.loads(path.read_text())['run_id'] == 'run-a'


def test_check_mode_fails_too_and_writes_nothing(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    result = run_module(deploy_lock.main, _args(path, holder=ALICE), check_mode=True)
    assert result['changed'] and result['acquired'] and not path.exists()
    run_module(deploy_lock.main, _args(path, holder=ALICE))
    assert run_module(deploy_lock.main, _args(path, holder=BOB), check_mode=True)['failed']


def test_stale_lock_is_taken_over(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    old = deploy_lock.new_lock(ALICE, time.time() - 3600)
    path.write_text(json.dumps(old))
    result = run_module(deploy_lock.main, _args(path, holder=BOB, stale_after=600))
    assert result['acquired'] and result['broken']['id'] == old['id'] and 'stale' in result['reason']
    assert json.loads(path.read_text())['run_id'] == 'run-b'
    assert (tmp_path / ('deploy.lock.broken-' + old['id'])).exists()
    assert any('alice@laptop' in str(warning) for warning in result['warnings']), result['warnings']


def test_stale_after_zero_never_expires(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    path.write_text(json.dumps(deploy_lock.new_lock(ALICE, time.time() - 10 ** 6)))
    assert run_module(deploy_lock.main, _args(path, holder=BOB, stale_after=0))['failed']


def test_force_and_take_over(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    first = run_module(deploy_lock.main, _args(path, holder=ALICE))
    wrong = run_module(deploy_lock.main, _args(path, holder=BOB, take_over='not-the-id'))
    assert wrong['failed']
    taken = run_module(deploy_lock.main, _args(path, holder=BOB, take_over=first['holder']['id']))
    assert taken['acquired'] and 'gone' in taken['reason']
    forced = run_module(deploy_lock.main, _args(path, holder=ALICE, force=True))
    assert forced['acquired'] and forced['broken']['run_id'] == 'run-b' and 'forced' in forced['reason']


def test_unreadable_lock_blocks_until_stale(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    path.write_text('')
    assert run_module(deploy_lock.main, _args(path, holder=BOB))['failed']
    past = time.time() - 5000
    os.utime(str(path), (past, past))
    assert run_module(deploy_lock.main, _args(path, holder=BOB, stale_after=100))['acquired']


def test_release_only_own_lock(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    run_module(deploy_lock.main, _args(path, holder=ALICE))
    other = run_module(deploy_lock.main, _args(path, state='absent', holder=BOB))
    assert not other['changed'] and not other['released'] and path.exists()
    assert 'alice' in other['reason']
    check = run_module(deploy_lock.main, _args(path, state='absent', holder=ALICE), check_mode=True)
    assert check['changed'] and path.exists()
    own = run_module(deploy_lock.main, _args(path, state='absent', holder=ALICE))
    assert own['released'] and not path.exists()
    assert not run_module(deploy_lock.main, _args(path, state='absent', holder=ALICE))['changed']


def test_query(run_module, tmp_path):
    path = tmp_path / 'deploy.lock'
    assert run_module(deploy_lock.main, _args(path, state='query'))['held'] is False
    run_module(deploy_lock.main, _args(path, holder=ALICE))
    result = run_module(deploy_lock.main, _args(path, state='query'))
    assert result['held'] and result['holder']['user'] == 'alice' and result['holder']['age_seconds'] >= 0


def test_run_id_required(run_module, tmp_path):
    assert 'run_id' in run_module(deploy_lock.main, _args(tmp_path / 'l', holder={'user': 'x'}))['msg']


def test_create_exclusive_loses_to_an_existing_file(tmp_path):
    path = str(tmp_path / 'deploy.lock')
    assert deploy_lock.create_exclusive(path, {'id': 'a'})
    assert not deploy_lock.create_exclusive(path, {'id': 'b'})
    assert json.loads(open(path).read())['id'] == 'a'
    assert deploy_lock.move_aside(path, 'a') and not deploy_lock.move_aside(path, 'a')
