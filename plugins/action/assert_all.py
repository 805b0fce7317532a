# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Several assertions, each with its own message, in one task on the controller (docs:
plugins/modules/assert_all.py)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase


def _as_list(value):
    return [value] if isinstance(value, str) else list(value or [])


class ActionModule(ActionBase):
    """Evaluate every check's ``that`` (like ansible.builtin.assert) and fail with the messages of
    all the checks that do not hold."""

    _requires_connection = False
    _VALID_ARGS = frozenset(('checks', 'quiet'))

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):  # ansible-core 2.19 and later
        if name == 'checks':
            # Conditions are evaluated and messages rendered one check at a time by run(): a
            # message is only rendered for a check that failed (as assert's fail_msg would be
            # for its own task).
            return value
        return super().finalize_task_arg(name, value, templar, context)

    def _holds(self, condition, task_vars):
        if hasattr(self._templar, 'evaluate_conditional'):  # ansible-core 2.19 and later
            return bool(self._templar.evaluate_conditional(conditional=condition))
        from ansible.playbook.conditional import Conditional  # pylint: disable=import-outside-toplevel
        cond = Conditional(loader=self._loader)
        cond.when = [condition]
        return bool(cond.evaluate_conditional(templar=self._templar, all_vars=task_vars))

    def _message(self, check):
        msg = check.get('msg', 'Assertion failed')
        try:
            return to_text(self._templar.template(msg)).strip()
        except AnsibleError as exc:
            return 'Assertion failed (and its message could not be rendered: %s)' % to_text(exc)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        checks = self._task.args.get('checks')
        if not isinstance(checks, list) or not checks:
            raise AnsibleActionFail('assert_all: checks must be a non-empty list of {that, msg}')
        for pos, check in enumerate(checks):
            if not isinstance(check, dict) or not check.get('that') or set(check) - {'that', 'msg'}:
                raise AnsibleActionFail('assert_all: checks[%d] must be a dict with that (a condition or a list '
                                        'of them) and msg, and nothing else' % pos)
        failed = []
        for check in checks:
            for condition in _as_list(check['that']):
                try:
                    holds = self._holds(condition, task_vars)
                except AnsibleError:
                    # A condition that cannot be evaluated after an earlier check failed is a
                    # consequence of that failure (the separate asserts would have stopped there).
                    if failed:
                        holds = True
                    else:
                        raise
                if not holds:
                    failed.append((condition, self._message(check)))
                    break
        if not boolean(self._task.args.get('quiet', False), strict=False):
            result['_ansible_verbose_always'] = True
        if failed:
            result['failed'] = True
            result['assertions'] = [to_text(condition) for condition, _msg in failed]
            result['msg'] = failed[0][1] if len(failed) == 1 else ' '.join(
                '(%d) %s' % (number, msg) for number, (_cond, msg) in enumerate(failed, 1))
            return result
        result['changed'] = False
        result['msg'] = 'All assertions passed'
        return result
