#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: secret_store
short_description: Seal a host's controller-side secret store into a backup and bring it back
version_added: 0.1.0
author:
  - numberone.owu contributors (@numberone)
description:
  - An action plugin, it runs on the controller only, where the secret store of each host is kept
    (the files C(<owu_secrets_dir>/<host>/<name>) that the C(numberone.owu.secret) lookup writes).
  - V(sealed) reads the store O(dir) and returns it as Ansible Vault text encrypted with the key
    in O(key_file); the day-2 backup writes it into the backup as C(secrets/secrets.vault).
  - V(opened) checks that O(key_file) opens O(content) and says which secrets of it the store
    lacks or holds with another value; nothing is written (a restore's check, before any change).
  - V(restored) writes the secrets of O(content) into O(dir) (files 0600, directory 0700);
    secrets of the store that the bundle does not hold stay. Changed when a file was written.
  - V(checked) only checks that O(key_file) can be read.
  - The key file is a vault password file as C(ansible-playbook --vault-password-file) takes it,
    a plain file (its first line is the key) or an executable that prints the key.
    C(ansible-vault view --vault-password-file KEY secrets.vault) opens a sealed store by hand.
  - Every failure names the input to fix (O(key_name) names the key file's variable).
options:
  state:
    description: What to do (see above).
    type: str
    required: true
    choices: [sealed, opened, restored, checked]
  dir:
    description: The host's secret store on the controller. Required for V(sealed), V(opened), V(restored).
    type: path
  key_file:
    description: Absolute path, on the controller, of the key (a vault password file).
    type: str
    required: true
  key_name:
    description: The variable that sets O(key_file), for the messages.
    type: str
    default: key_file
  content:
    description: The sealed store (Ansible Vault text). Required for V(opened) and V(restored).
    type: str
  host:
    description: The host whose store is sealed (kept inside the bundle, reported when opened).
    type: str
    default: ''
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - numberone.owu._attributes
attributes:
  check_mode:
    support: full
    details:
      - V(restored) reports what it would write and writes nothing.
  diff_mode:
    support: none
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: full
    details:
      - V(restored) writes only the secrets the store lacks or holds with another value.
notes:
  - Mark every task that uses it C(no_log); the values never appear in a result, but O(content)
    is the encrypted store.
"""

EXAMPLES = r"""
- name: Seal the host's secrets for its backup
  numberone.owu.secret_store:
    state: sealed
    dir: "{{ owu_secrets_dir }}/{{ inventory_hostname }}"
    key_file: /home/me/.owu-backup.key
    host: "{{ inventory_hostname }}"
  delegate_to: localhost
  become: false
  register: sealed
  no_log: true

- name: Bring them back on a new controller
  numberone.owu.secret_store:
    state: restored
    dir: "{{ owu_secrets_dir }}/{{ inventory_hostname }}"
    key_file: /home/me/.owu-backup.key
    content: "{{ sealed.content }}"
  delegate_to: localhost
  become: false
  no_log: true
"""

RETURN = r"""
content:
  description: The sealed store (V(sealed) only).
  returned: when state is sealed
  type: str
names:
  description: The names of the secrets sealed, or held by the bundle (V(opened), V(restored)).
  returned: success
  type: list
  elements: str
differ:
  description: Names the store lacks or holds with another value than the bundle (V(opened), V(restored)).
  returned: when state is opened or restored
  type: list
  elements: str
host:
  description: The host the bundle was sealed for (V(opened), V(restored)).
  returned: when state is opened or restored
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = dict(
    state=dict(type='str', required=True, choices=['sealed', 'opened', 'restored', 'checked']),
    dir=dict(type='path'),
    key_file=dict(type='str', required=True, no_log=False),
    key_name=dict(type='str', default='key_file'),
    content=dict(type='str', no_log=True),
    host=dict(type='str', default=''),
)
REQUIRED_IF = [
    ('state', 'sealed', ['dir']),
    ('state', 'opened', ['dir', 'content']),
    ('state', 'restored', ['dir', 'content']),
]


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    module.fail_json(msg='numberone.owu.secret_store runs as an action plugin on the controller; '
                         'this module file only documents it.')


if __name__ == '__main__':
    main()
