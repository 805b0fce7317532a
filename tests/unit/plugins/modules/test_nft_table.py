# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the nft_table module (the firewall role's one round trip) on a real file system, with
``nft`` and ``systemctl`` scripted (fake_commands). The stack scenario runs it on real systemd
hosts with a real nftables: it loads the table, then removes it when the profile changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

from ansible_collections.numberone.owu.plugins.modules import nft_table

NFT = '/usr/sbin/nft'
SYSTEMCTL = '/usr/bin/systemctl'
RULES = 'table inet owu_firewall\ndelete table inet owu_firewall\ntable inet owu_firewall { chain input { } }\n'
UNIT = '[Service]\nExecStart=/usr/sbin/nft -f /etc/numberone-owu/firewall.nft\n'
LISTING = json.dumps({'nftables': [
    {'metainfo': {'json_schema_version': 1}}, {'table': {'family': 'inet', 'name': 'owu_firewall'}},
    {'chain': {'name': 'input'}}, {'chain': {'name': 'forward'}}, {'chain': {'name': 'published'}},
    {'rule': {'chain': 'input', 'comment': 'SSH, first'}}, {'rule': {'chain': 'input'}}]})


def _args(tmp_path, **kwargs):
    args = {'table': 'owu_firewall', 'rules_file': str(tmp_path / 'etc' / 'numberone-owu' / 'firewall.nft'), 'rules': RULES,
            'unit_name': 'owu-firewall', 'unit': UNIT, 'unit_dir': str(tmp_path / 'units')}
    args.update(kwargs)
    return args


def _script(fake, *steps):
    """Script the commands in order: ('check', rc), ('daemon-reload',), (verb, rc, stdout), ('list', rc)."""
    fake.bin_paths.update({'nft': NFT, 'systemctl': SYSTEMCTL})
    for step in steps:
        if step[0] == 'check':
            fake.add([NFT, '-c', '-f', '-'], rc=step[1], stderr='' if step[1] == 0 else 'Error: syntax error, unexpected }\n')
        elif step[0] == 'daemon-reload':
            fake.add([SYSTEMCTL, 'daemon-reload'])
        elif step[0] == 'list':
            fake.add(['-j', 'list', 'table', 'inet', 'owu_firewall'], rc=step[1], stdout=LISTING if step[1] == 0 else '')
        else:
            fake.add([step[0], 'owu-firewall.service'], rc=step[1], stdout=step[2])


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_parse_table():
    assert nft_table.parse_table(LISTING) == (['input', 'forward', 'published'], ['SSH, first', ''])


def test_first_run_checks_writes_enables_starts_and_reads_back(run_module, fake_commands, tmp_path):
    _script(fake_commands, ('check', 0), ('daemon-reload',), ('is-enabled', 1, 'disabled\n'), ('enable', 0, ''),
            ('is-active', 3, 'inactive\n'), ('start', 0, ''), ('list', 0))
    result = run_module(nft_table.main, _args(tmp_path))
    assert result['changed'] and result['rules_changed'] and result['unit_changed'], result
    assert result['actions'] == ['daemon-reload', 'enable owu-firewall.service', 'start owu-firewall.service']
    assert result['loaded'] and result['chains'] == ['input', 'forward', 'published'] and 'SSH, first' in result['rule_comments']
    rules = tmp_path / 'etc' / 'numberone-owu' / 'firewall.nft'
    unit = tmp_path / 'units' / 'owu-firewall.service'
    assert rules.read_text() == RULES and _mode(rules) == 0o600
    assert unit.read_text() == UNIT and _mode(unit) == 0o644
    checked = [c for c in fake_commands.calls if c['args'][:2] == [NFT, '-c']]
    assert checked[0]['kwargs']['data'] == RULES
    assert fake_commands.pending == []


def test_a_second_run_changes_nothing_and_only_reads(run_module, fake_commands, tmp_path):
    _script(fake_commands, ('check', 0), ('daemon-reload',), ('is-enabled', 1, 'disabled\n'), ('enable', 0, ''),
            ('is-active', 3, 'inactive\n'), ('start', 0, ''), ('list', 0))
    run_module(nft_table.main, _args(tmp_path))
    _script(fake_commands, ('is-enabled', 0, 'enabled\n'), ('is-active', 0, 'active\n'), ('list', 0))
    again = run_module(nft_table.main, _args(tmp_path))
    assert not again['changed'] and again['actions'] == [] and again['loaded'], again
    assert fake_commands.pending == []


def test_changed_rules_are_reloaded_into_the_running_unit(run_module, fake_commands, tmp_path):
    (tmp_path / 'units').mkdir()
    (tmp_path / 'units' / 'owu-firewall.service').write_text(UNIT)
    os.chmod(str(tmp_path / 'units' / 'owu-firewall.service'), 0o644)
    _script(fake_commands, ('check', 0), ('is-enabled', 0, 'enabled\n'), ('is-active', 0, 'active\n'), ('reload', 0, ''), ('list', 0))
    result = run_module(nft_table.main, _args(tmp_path))
    assert result['changed'] and result['rules_changed'] and not result['unit_changed']
    assert result['actions'] == ['reload owu-firewall.service'] and fake_commands.pending == []


def test_rules_nft_refuses_are_never_written(run_module, fake_commands, tmp_path):
    _script(fake_commands, ('check', 1))
    result = run_module(nft_table.main, _args(tmp_path, rules='table inet owu_firewall { chain input { } \n'))
    assert result['failed'] and 'nft -c refuses the new rules for table inet owu_firewall' in result['msg']
    assert 'syntax error' in result['msg']
    assert not (tmp_path / 'etc' / 'numberone-owu' / 'firewall.nft').exists()
    assert [n for n in os.listdir(str(tmp_path / 'etc' / 'numberone-owu')) if n.startswith('.owu-')] == []


def test_check_mode_on_a_fresh_host_shows_both_files_and_runs_nothing(run_module, fake_commands, tmp_path):
    result = run_module(nft_table.main, _args(tmp_path), check_mode=True)
    assert result['changed'] and result['rules_changed'] and result['unit_changed'] and not result['loaded']
    assert result['actions'] == ['daemon-reload', 'enable owu-firewall.service', 'start owu-firewall.service']
    assert [d['after'] for d in result['diff']] == [RULES, UNIT]
    assert not (tmp_path / 'etc').exists() and not (tmp_path / 'units').exists()
    assert fake_commands.calls == []  # no nft installed yet: nothing was run


def test_absent_stops_disables_and_removes(run_module, fake_commands, tmp_path):
    _script(fake_commands, ('check', 0), ('daemon-reload',), ('is-enabled', 1, 'disabled\n'), ('enable', 0, ''),
            ('is-active', 3, 'inactive\n'), ('start', 0, ''), ('list', 0))
    run_module(nft_table.main, _args(tmp_path))
    _script(fake_commands, ('is-active', 0, 'active\n'), ('stop', 0, ''), ('is-enabled', 0, 'enabled\n'), ('disable', 0, ''),
            ('daemon-reload',), ('list', 1))
    gone = run_module(nft_table.main, _args(tmp_path, state='absent', rules=None, unit=None))
    assert gone['changed'] and gone['rules_changed'] and gone['unit_changed'] and not gone['loaded']
    assert gone['actions'] == ['stop owu-firewall.service', 'disable owu-firewall.service', 'daemon-reload']
    assert not (tmp_path / 'units' / 'owu-firewall.service').exists()
    assert not (tmp_path / 'etc' / 'numberone-owu' / 'firewall.nft').exists()
    _script(fake_commands, ('list', 1))
    again = run_module(nft_table.main, _args(tmp_path, state='absent'))
    assert not again['changed'] and again['actions'] == [] and fake_commands.pending == []


def test_a_failing_systemctl_is_reported(run_module, fake_commands, tmp_path):
    _script(fake_commands, ('check', 0), ('daemon-reload',), ('is-enabled', 1, 'disabled\n'), ('enable', 0, ''),
            ('is-active', 3, 'inactive\n'))
    fake_commands.add(['start', 'owu-firewall.service'], rc=1, stderr='Job for owu-firewall.service failed.\n')
    result = run_module(nft_table.main, _args(tmp_path))
    assert result['failed'] and 'systemctl start owu-firewall.service failed: Job for owu-firewall.service failed.' in result['msg']


def test_present_needs_nft_outside_check_mode(run_module, fake_commands, tmp_path):
    result = run_module(nft_table.main, _args(tmp_path))
    assert result['failed'] and 'nft is not installed' in result['msg']
