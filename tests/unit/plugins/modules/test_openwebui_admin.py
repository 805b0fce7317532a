# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the openwebui_admin module against a scripted HTTP server that answers as Open WebUI
0.12.4's routes do (open_webui/main.py /api/config and /api/models, open_webui/routers/auths.py
signin and admin/config). The openwebui and stack scenarios run it against the real Open WebUI."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from scripted_http import Reply

from ansible_collections.numberone.owu.plugins.modules import openwebui_admin

TOKEN = 'eyJ.token.sig'


def _config(signup):
    return {'status': True, 'name': 'Open WebUI', 'version': '0.12.4', 'features': {'enable_signup': signup}}


def _args(server, **kwargs):
    args = {'url': server.url, 'admin_email': 'admin@example.org', 'admin_password': 'pw-0123456789abcdef', 'models': True}
    args.update(kwargs)
    return args


def _signin(server, status=200):
    server.routes[('POST', '/api/v1/auths/signin')] = [
        Reply(status, {'token': TOKEN, 'role': 'admin'} if status == 200 else {'detail': 'The email or password provided is incorrect.'})]


def _models(server, ids=('llama3.1:8b',)):
    server.routes[('GET', '/api/models')] = [Reply(200, {'data': [{'id': i, 'name': i} for i in ids]})]


def test_reads_the_configuration_and_the_models_and_changes_nothing(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(False))]
    _signin(server)
    _models(server, ('llama3.1:8b', 'nomic-embed-text:v1.5'))
    result = run_module(openwebui_admin.main, _args(server, enable_signup=False))
    assert not result['changed'] and not result['signup_changed']
    assert result['config'] == _config(False) and result['signin_status'] == 200
    assert result['models'] == ['llama3.1:8b', 'nomic-embed-text:v1.5']
    models = [r for r in server.requests if r['path'] == '/api/models']
    assert models[0]['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert [r['path'] for r in server.requests].count('/api/v1/auths/signin') == 1
    assert 'pw-0123456789abcdef' not in repr(result)


def test_sets_signup_through_the_admin_form_and_reads_it_back(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(False)), Reply(200, _config(True))]
    _signin(server)
    form = {'SHOW_ADMIN_DETAILS': True, 'ENABLE_SIGNUP': False, 'DEFAULT_USER_ROLE': 'pending', 'WEBUI_URL': None}
    server.routes[('GET', '/api/v1/auths/admin/config')] = [Reply(200, form)]
    server.routes[('POST', '/api/v1/auths/admin/config')] = lambda request: Reply(200, request['body'])
    _models(server)
    result = run_module(openwebui_admin.main, _args(server, enable_signup=True))
    assert result['changed'] and result['signup_changed'] and result['config']['features']['enable_signup']
    sent = [r for r in server.requests if r['method'] == 'POST' and r['path'] == '/api/v1/auths/admin/config'][0]
    # Unset fields are left out (the form treats a missing field as unchanged); the rest goes back.
    assert sent['body'] == {'SHOW_ADMIN_DETAILS': True, 'ENABLE_SIGNUP': True, 'DEFAULT_USER_ROLE': 'pending'}
    assert sent['headers']['Authorization'] == 'Bearer ' + TOKEN


def test_check_mode_says_it_would_change_and_posts_nothing(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(False))]
    result = run_module(openwebui_admin.main, _args(server, enable_signup=True, models=False), check_mode=True)
    assert result['changed'] and result['signup_changed'] and result['models'] is None
    assert [r['method'] for r in server.requests] == ['GET']


def test_a_changed_admin_password_is_reported_not_failed(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(False))]
    _signin(server, 400)
    result = run_module(openwebui_admin.main, _args(server, enable_signup=False))
    assert not result.get('failed') and result['signin_status'] == 400 and result['models'] is None


def test_a_changed_admin_password_fails_when_signup_must_change(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(True))]
    _signin(server, 400)
    result = run_module(openwebui_admin.main, _args(server, enable_signup=False))
    assert result['failed'] and 'no longer signs in with the stored password (HTTP 400)' in result['msg']
    assert 'Admin Settings > General' in result['msg']


def test_a_server_that_keeps_the_old_value_fails(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(True))]
    _signin(server)
    server.routes[('GET', '/api/v1/auths/admin/config')] = [Reply(200, {'ENABLE_SIGNUP': True})]
    server.routes[('POST', '/api/v1/auths/admin/config')] = [Reply(200, {'ENABLE_SIGNUP': True})]
    result = run_module(openwebui_admin.main, _args(server, enable_signup=False))
    assert result['failed'] and 'still reports ENABLE_SIGNUP True' in result['msg']


def test_leaves_signup_alone_when_not_asked(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(200, _config(True))]
    result = run_module(openwebui_admin.main, {'url': server.url})
    assert not result['changed'] and result['signin_status'] == 0 and result['models'] is None


def test_a_server_that_does_not_answer_fails_with_its_address(run_module, server):
    server.routes[('GET', '/api/config')] = [Reply(503, b'starting')]
    result = run_module(openwebui_admin.main, {'url': server.url})
    assert result['failed'] and server.url in result['msg'] and '503' in result['msg']
