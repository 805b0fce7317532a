# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Seal a host's controller-side secret store into a backup, and bring it back (docs:
plugins/modules/secret_store.py; the logic: plugins/plugin_utils/_secret_store.py)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.numberone.owu.plugins.modules.secret_store import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.numberone.owu.plugins.plugin_utils import _secret_store


def run_store(params, check_mode, loader=None):
    """The action's result for validated ``params``; raises SecretStoreError naming the fix."""
    key_name = params['key_name']
    try:
        key = _secret_store.load_key(params['key_file'], what=key_name, loader=loader)
    except _secret_store.SecretStoreError as exc:
        raise _secret_store.SecretStoreError(
            '%s: set %s to the absolute path of the file that holds the backup key (an Ansible Vault '
            'password file, or an executable that prints the key)' % (exc, key_name))
    state = params['state']
    if state == 'checked':
        return {'changed': False, 'names': []}
    store = os.path.expanduser(params['dir'])
    if state == 'sealed':
        secrets = _secret_store.read_store(store)
        return {'changed': False, 'names': sorted(secrets),
                'content': _secret_store.seal(secrets, params['host'], key)}
    try:
        bundle = _secret_store.unseal(params['content'], key)
    except _secret_store.SecretStoreError as exc:
        raise _secret_store.SecretStoreError(
            '%s: set %s to the key file the backup was made with (%s %s)'
            % (exc, key_name, key_name, params['key_file']))
    secrets = bundle['secrets']
    result = {'changed': False, 'names': sorted(secrets), 'host': bundle['host'],
              'differ': _secret_store.differing(_secret_store.read_store(store), secrets)}
    if state == 'restored':
        written = _secret_store.write_store(store, secrets, check_mode=check_mode)
        result['changed'] = bool(written)
    return result


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        validation = ArgumentSpecValidator(ARGUMENT_SPEC, required_if=REQUIRED_IF).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail('secret_store: %s' % '; '.join(validation.error_messages))
        try:
            result.update(run_store(validation.validated_parameters, self._task.check_mode, loader=self._loader))
        except _secret_store.SecretStoreError as exc:
            # A failed result, not an exception: a no_log task can still show the message (it
            # names the fix and holds no secret) through failed_when and the registered result.
            result.update(failed=True, changed=False, msg=str(exc))
        return result
