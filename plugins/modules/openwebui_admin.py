#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: openwebui_admin
short_description: Internal - read a running Open WebUI, keep its signup setting, list the admin's models
version_added: 0.2.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Internal to the collection (the C(numberone.owu.openwebui) role's run and verify steps), in one
    round trip to the host where Open WebUI runs.
  - Reads the public configuration (C(GET /api/config)) - version, signup, whether an admin exists.
  - With O(enable_signup) set and the running server saying otherwise, the admin signs in and sets
    it through the admin API, as the admin settings page does - C(GET) then C(POST
    /api/v1/auths/admin/config) with C(ENABLE_SIGNUP) changed and unset fields left out
    (open_webui/routers/auths.py, C(update_admin_config)). Open WebUI 0.12.4 turns signup off in
    memory right after it creates the admin from C(WEBUI_ADMIN_EMAIL)/C(WEBUI_ADMIN_PASSWORD) on a
    first start (open_webui/main.py, C(lifespan)); with C(ENABLE_PERSISTENT_CONFIG=false) that
    value wins over C(ENABLE_SIGNUP) until the next restart, which reads the environment again.
    The configuration is read again afterwards.
  - With O(models), the admin signs in (once) and the module lists the models the admin sees
    (C(GET /api/models)). A sign-in the server refuses is reported (RV(signin_status)), not
    failed - the admin may have changed the password in Open WebUI - unless the signup setting
    had to be changed.
  - Check mode reads but never changes the setting, and reports whether it would.
options:
  url:
    description: Open WebUI's base URL as the host reaches it (C(http://172.18.0.5:8080)).
    type: str
    required: true
  admin_email:
    description: The admin's e-mail address.
    type: str
  admin_password:
    description: The admin's password.
    type: str
  enable_signup:
    description: Whether signup is to be on; unset leaves it as it is.
    type: bool
  models:
    description: Also sign in and list the models the admin sees.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for each answer (the model list may take longer on a first call).
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Keep signup as configured and read back what the admin sees
  numberone.owu.openwebui_admin:
    url: "{{ _openwebui_api }}"
    admin_email: admin@example.org
    admin_password: "{{ password }}"
    enable_signup: false
    models: true
  register: webui
  no_log: true
"""

RETURN = r"""
config:
  description: The public configuration (C(/api/config)), after any change.
  returned: success
  type: dict
signup_changed:
  description: Whether the signup setting was (or, in check mode, would be) changed.
  returned: success
  type: bool
signin_status:
  description: HTTP status of the admin's sign-in; 0 when none was needed.
  returned: success
  type: int
models:
  description: With O(models) and a sign-in that worked, the ids of the models the admin sees; null otherwise.
  returned: success
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.numberone.owu.plugins.module_utils._api import ApiError, get_json, join_url, read_body, request


class OpenWebUI(object):
    def __init__(self, module):
        self.module = module
        self.base = module.params['url'].rstrip('/')
        self.timeout = module.params['timeout']
        self.token = None
        self.signin_status = 0

    def get(self, path, auth=False):
        headers = {'Authorization': 'Bearer %s' % self.token} if auth else None
        try:
            return get_json(join_url(self.base, path), timeout=self.timeout, headers=headers)
        except ApiError as exc:
            status = getattr(exc, 'status', None)
            self.module.fail_json(msg='Open WebUI at %s: %s%s' % (self.base, exc, ' (HTTP %s)' % status if status and status > 0 else ''))

    def post(self, path, payload, auth=True):
        headers = {'Authorization': 'Bearer %s' % self.token} if auth else None
        response, info = request(join_url(self.base, path), method='POST', payload=payload, headers=headers,
                                 timeout=self.timeout)
        body = read_body(response) if response is not None else info.get('body') or b''
        try:
            data = json.loads(to_text(body)) if body else None
        except ValueError:
            data = None
        return info['status'], data

    def signin(self):
        if self.token is None and self.signin_status == 0:
            params = self.module.params
            status, data = self.post('/api/v1/auths/signin', {'email': params['admin_email'],
                                                              'password': params['admin_password']}, auth=False)
            self.signin_status = status
            if status == 200 and isinstance(data, dict) and data.get('token'):
                self.token = data['token']
        return self.token is not None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type='str', required=True),
            admin_email=dict(type='str'),
            admin_password=dict(type='str', no_log=True),
            enable_signup=dict(type='bool'),
            models=dict(type='bool', default=False),
            timeout=dict(type='int', default=60),
        ),
        required_if=[('models', True, ('admin_email', 'admin_password'))],
        supports_check_mode=True,
    )
    params = module.params
    webui = OpenWebUI(module)
    config = webui.get('/api/config')
    running = bool(((config or {}).get('features') or {}).get('enable_signup'))
    wanted = params['enable_signup']
    signup_changed = wanted is not None and running != wanted
    if signup_changed and not module.check_mode:
        if not (params['admin_email'] and params['admin_password']):
            module.fail_json(msg='enable_signup needs admin_email and admin_password to change the setting')
        if not webui.signin():
            module.fail_json(msg=(
                'Open WebUI reports signup %s, openwebui_enable_signup is %s, and the admin %s no longer signs in with '
                'the stored password (HTTP %s), so the role cannot change it. Restart the container (it then reads '
                'ENABLE_SIGNUP again) or set it in Admin Settings > General.'
                % ('on' if running else 'off', wanted, params['admin_email'], webui.signin_status)),
                signin_status=webui.signin_status)
        current = webui.get('/api/v1/auths/admin/config', auth=True)
        form = dict((k, v) for k, v in (current or {}).items() if v is not None)
        form['ENABLE_SIGNUP'] = wanted
        status, answer = webui.post('/api/v1/auths/admin/config', form)
        if status != 200 or not isinstance(answer, dict) or bool(answer.get('ENABLE_SIGNUP')) != wanted:
            module.fail_json(msg='Open WebUI at %s still reports ENABLE_SIGNUP %s after the admin set it to %s (HTTP %s); '
                                 'see the container log' % (webui.base, (answer or {}).get('ENABLE_SIGNUP', '?'), wanted, status))
        config = webui.get('/api/config')
    models = None
    if params['models'] and webui.signin():
        listing = webui.get('/api/models', auth=True)
        models = [str(m.get('id')) for m in (listing or {}).get('data') or [] if isinstance(m, dict)]
    module.exit_json(changed=signup_changed, config=config, signup_changed=signup_changed,
                     signin_status=webui.signin_status, models=models)


if __name__ == '__main__':
    main()
