#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nft_table
short_description: Internal - keep one nftables table loaded from a file by a systemd unit, and read it back
version_added: 0.2.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Internal to the collection (the C(numberone.owu.firewall) role), in one round trip to the host.
  - V(state=present) - writes O(rules) to O(rules_file) (0600, its directory 0755) after C(nft -c)
    accepted them, and O(unit) to C(/etc/systemd/system/<unit_name>.service) (0644); reloads systemd
    when the unit changed; enables and starts the unit, or reloads it when it was running and the
    rules changed (its C(ExecReload) replaces the table atomically); then reads the table
    (C(nft -j list table inet <table>)) and returns its chains and rule comments.
  - V(state=absent) - stops and disables the unit (its C(ExecStop) deletes only its table), removes
    both files and reloads systemd.
  - Check mode reports what would change, with both files' diffs, and changes nothing.
options:
  state:
    description: Whether the table is loaded and kept at boot, or removed.
    type: str
    choices: [present, absent]
    default: present
  table:
    description: Name of the C(inet) table the rules define.
    type: str
    required: true
  rules_file:
    description: The rules file the unit loads.
    type: path
    required: true
  rules:
    description: Text of O(rules_file) (V(state=present)).
    type: str
  unit_name:
    description: The systemd unit's name, without C(.service).
    type: str
    required: true
  unit:
    description: Text of the unit file (V(state=present)).
    type: str
  unit_dir:
    description: Where the unit file lives.
    type: path
    default: /etc/systemd/system
"""

EXAMPLES = r"""
- name: Load the firewall table
  numberone.owu.nft_table:
    table: owu_firewall
    rules_file: /etc/numberone-owu/firewall.nft
    rules: "{{ lookup('ansible.builtin.template', 'firewall.nft.j2') }}"
    unit_name: owu-firewall
    unit: "{{ lookup('ansible.builtin.template', 'owu-firewall.service.j2') }}"
  register: firewall
"""

RETURN = r"""
rules_changed:
  description: Whether the rules file was (or would be) written or removed.
  returned: always
  type: bool
unit_changed:
  description: Whether the unit file was (or would be) written or removed.
  returned: always
  type: bool
loaded:
  description: Whether the table is loaded (read with C(nft -j list table)).
  returned: always
  type: bool
chains:
  description: Names of the loaded table's chains.
  returned: always
  type: list
  elements: str
rule_comments:
  description: Comments of the loaded table's rules, in order.
  returned: always
  type: list
  elements: str
actions:
  description: The systemctl actions taken (or that would be taken), e.g. C(daemon-reload), C(enable), C(start), C(reload).
  returned: always
  type: list
  elements: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.numberone.owu.plugins.module_utils._files import RootFiles, read_text


def parse_table(text):
    """(chains, rule comments) of ``nft -j list table`` output."""
    chains, comments = [], []
    for item in (json.loads(text) or {}).get('nftables') or []:
        if 'chain' in item:
            chains.append(item['chain'].get('name'))
        elif 'rule' in item:
            comments.append(item['rule'].get('comment') or '')
    return chains, comments


class Table(RootFiles):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.changed = False
        self.actions = []
        self.diff = []
        self.unit_path = os.path.join(self.params['unit_dir'], self.params['unit_name'] + '.service')

    def run(self, *args):
        return self.module.run_command(list(args))

    def systemctl(self, *args):
        self.actions.append(' '.join(args))
        self.changed = True
        if not self.check:
            rc, out, err = self.run(self.module.get_bin_path('systemctl', required=True), *args)
            if rc != 0:
                self.module.fail_json(msg='systemctl %s failed: %s' % (' '.join(args), (err or out).strip()),
                                      actions=self.actions)

    def _put(self, path, text, mode, validate=None):
        """Writes ``text`` (its directory 0755) when it differs, with the file's diff; returns whether it changed."""
        self._ensure_dir(os.path.dirname(path), '0755')
        changed, before = self._write(path, text, mode, validate)
        self.diff.append({'before_header': path, 'after_header': path, 'before': before or '', 'after': text})
        return changed

    def _check_rules(self, tmp):
        """``nft -c`` on the new rules (from stdin: the same text as the file ``tmp``)."""
        rc, out, err = self.module.run_command([self.nft, '-c', '-f', '-'], data=self.params['rules'], binary_data=True)
        if rc != 0:
            self.module.fail_json(msg='nft -c refuses the new rules for table inet %s: %s' % (self.params['table'], (err or out).strip()))

    def _drop(self, path):
        """Removes ``path`` with the file's diff; returns whether it existed."""
        if os.path.lexists(path):
            self.diff.append({'before_header': path, 'after_header': path, 'before': read_text(path) or '', 'after': ''})
        return self._remove(path)

    def _state(self, verb):
        rc, out, err = self.run(self.module.get_bin_path('systemctl', required=True), verb, self.params['unit_name'] + '.service')
        return out.strip()

    def read(self):
        if not self.nft:
            return False, [], []
        rc, out, err = self.run(self.nft, '-j', 'list', 'table', 'inet', self.params['table'])
        if rc != 0:
            return False, [], []
        try:
            chains, comments = parse_table(out)
        except ValueError:
            return False, [], []
        return True, chains, comments

    def present(self):
        rules_changed = self._put(self.params['rules_file'], self.params['rules'], '0600',
                                  validate=self._check_rules if self.nft else None)
        unit_changed = self._put(self.unit_path, self.params['unit'], '0644')
        if unit_changed:
            self.systemctl('daemon-reload')
        name = self.params['unit_name'] + '.service'
        if self.check and not os.path.exists(self.unit_path):
            self.actions += ['enable %s' % name, 'start %s' % name]
            return rules_changed, unit_changed
        if self._state('is-enabled') != 'enabled':
            self.systemctl('enable', name)
        if self._state('is-active') != 'active':
            self.systemctl('start', name)
        elif rules_changed or unit_changed:
            self.systemctl('reload', name)
        return rules_changed, unit_changed

    def absent(self):
        name = self.params['unit_name'] + '.service'
        unit_changed = False
        if os.path.exists(self.unit_path):
            if self._state('is-active') in ('active', 'activating', 'reloading'):
                self.systemctl('stop', name)
            if self._state('is-enabled') == 'enabled':
                self.systemctl('disable', name)
            unit_changed = self._drop(self.unit_path)
        rules_changed = self._drop(self.params['rules_file'])
        if unit_changed:
            self.systemctl('daemon-reload')
        return rules_changed, unit_changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            table=dict(type='str', required=True),
            rules_file=dict(type='path', required=True),
            rules=dict(type='str'),
            unit_name=dict(type='str', required=True),
            unit=dict(type='str'),
            unit_dir=dict(type='path', default='/etc/systemd/system'),
        ),
        required_if=[('state', 'present', ('rules', 'unit'))],
        supports_check_mode=True,
    )
    table = Table(module)
    table.nft = module.get_bin_path('nft', opt_dirs=['/usr/sbin', '/sbin'])
    if module.params['state'] == 'present':
        if not table.nft and not module.check_mode:
            module.fail_json(msg='nft is not installed (install the nftables package first)')
        rules_changed, unit_changed = table.present()
    else:
        rules_changed, unit_changed = table.absent()
    loaded, chains, comments = table.read()
    module.exit_json(changed=table.changed, rules_changed=rules_changed, unit_changed=unit_changed, loaded=loaded,
                     chains=chains, rule_comments=comments, actions=table.actions, diff=table.diff)


if __name__ == '__main__':
    main()
