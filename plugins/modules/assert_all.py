#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: assert_all
short_description: Several assertions, each with its own message, in one task
version_added: 0.3.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Runs on the controller (an action plugin; this file only documents it). Each item of O(checks)
    is what one M(ansible.builtin.assert) task would be - conditions in C(that), the message in
    C(msg) - and every item is evaluated, so one task reports every input mistake of a role at
    once instead of the first one per task run.
  - A failing check's message is rendered only when the check fails (with ansible-core 2.19; with
    2.18 every message is rendered up front, as M(ansible.builtin.assert) renders its C(fail_msg)).
  - The roles' C(check) entry points use it in the first play of C(site.yml), where every task
    costs its run time once per host; see C(benchmarks/README.md).
options:
  checks:
    description: The checks, evaluated in order.
    type: list
    elements: dict
    required: true
    suboptions:
      that:
        description: A condition or a list of conditions, as M(ansible.builtin.assert) takes them; all must hold.
        type: list
        elements: str
        required: true
      msg:
        description: The message when a condition does not hold; it names the variable, the value and the fix.
        type: str
        default: Assertion failed
  quiet:
    description: Do not print the result when every check holds.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - Only reads variables.
  diff_mode:
    support: none
  platform:
    platforms: all
seealso:
  - module: ansible.builtin.assert
notes:
  - When several checks fail, the message lists them all, numbered. A condition that cannot be
    evaluated after an earlier check failed is left out; one that cannot be evaluated before any
    failure fails the task with the error.
"""

EXAMPLES = r"""
- name: Check the image and the port
  numberone.owu.assert_all:
    checks:
      - that: qdrant_image | length > 0
        msg: qdrant_image must be set (got "{{ qdrant_image }}").
      - that:
          - qdrant_http_port | int >= 1
          - qdrant_http_port | int <= 65535
        msg: qdrant_http_port must be 1-65535 (got {{ qdrant_http_port }}).
    quiet: true
"""

RETURN = r"""
msg:
  description: The failed checks' messages (numbered when there are several), or C(All assertions passed).
  returned: always
  type: str
assertions:
  description: The first condition that did not hold, for each failed check.
  returned: failed
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type='list', elements='dict', required=True),
            quiet=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    module.fail_json(msg='numberone.owu.assert_all runs as an action plugin on the controller; '
                         'this module file only documents it.')


if __name__ == '__main__':
    main()
