# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller side of the service runtime: what the compose_project action renders. The whole
action (host module, docker_compose_v2, health) runs in every Molecule scenario."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest
import yaml

from ansible.errors import AnsibleActionFail

from ansible_collections.numberone.owu.plugins.action import compose_project
from ansible_collections.numberone.owu.plugins.plugin_utils._compose import ComposeInputError

QDRANT = {'name': 'qdrant', 'image': 'qdrant/qdrant:v1.19.0', 'port': 6333,
          'environment': {'QDRANT__LOG_LEVEL': 'INFO'},
          'secret_environment': {'QDRANT__SERVICE__API_KEY': 'k$ey'},
          'volumes': [{'source': 'qdrant_storage', 'target': '/qdrant/storage'}],
          'healthcheck': {'test': ['CMD', 'true'], 'start_period': '30s'},
          'http_health': {'path': '/readyz'}}


def test_compose_file_starts_with_ansible_managed_and_keeps_secrets_apart():
    files = compose_project.render('owu-qdrant', 'qdrant', [QDRANT], 'owu', '/opt/c/owu-qdrant')
    assert files['compose'].startswith('#\n# Ansible managed\n#\n#\n# Compose project owu-qdrant (numberone.owu.qdrant)')
    assert 'cd /opt/c/owu-qdrant && docker compose ps' in files['compose']
    assert 'k$ey' not in files['compose'] and 'k$$ey' not in files['compose']
    override = yaml.safe_load(files['override'])
    assert override['services']['qdrant']['environment'] == {'QDRANT__SERVICE__API_KEY': 'k$$ey'}
    compose = yaml.safe_load(files['compose'])
    assert compose['name'] == 'owu-qdrant' and compose['volumes']['qdrant_storage']['external'] is True
    assert files['volumes'] == ['qdrant_storage'] and files['containers'] == {'qdrant': 'qdrant'}


def test_an_older_engine_gets_its_own_text_only_when_it_differs():
    files = compose_project.render('owu-qdrant', 'qdrant', [QDRANT], 'owu', '/d')
    new = yaml.safe_load(files['compose'])['services']['qdrant']['healthcheck']
    old = yaml.safe_load(files['compose_before_engine_25'])['services']['qdrant']['healthcheck']
    assert new['start_interval'] == '1s' and 'start_interval' not in old
    plain = dict(QDRANT, healthcheck=None, secret_environment=None)
    files = compose_project.render('owu-qdrant', 'qdrant', [plain], 'owu', '/d')
    assert files['compose_before_engine_25'] is None and files['override'] is None


def test_a_refused_description_raises():
    with pytest.raises(ComposeInputError):
        compose_project.render('owu-qdrant', 'qdrant', [dict(QDRANT, ports=[{'target': 'x'}])], 'owu', '/d')


def test_http_checks_in_service_order():
    other = {'name': 'side', 'image': 'x:1'}
    assert compose_project.http_checks([other, QDRANT]) == [('qdrant', {'path': '/readyz'})]


# ----------------------------------------------------------------- the action's steps, round trip by round trip
# The modules it runs on the host are scripted here; every Molecule scenario runs them for real.

class _Task(object):
    def __init__(self, args, check_mode=False, diff=False):
        self.args = args
        self.check_mode = check_mode
        self.diff = diff
        self.async_val = 0
        self.action = 'numberone.owu.compose_project'


def _action(args, answers, check_mode=False, diff=False):
    """The action with its host modules scripted: ``answers`` maps a module name to a list of
    results used in turn; ``calls`` records (module, args)."""
    connection = mock.MagicMock()
    connection._shell.tmpdir = None
    action = compose_project.ActionModule(_Task(args, check_mode, diff), connection, mock.MagicMock(),
                                          mock.MagicMock(), mock.MagicMock())
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append((module_name, module_args))
        return answers[module_name].pop(0)

    action._execute_module = execute
    action._remove_tmp_path = lambda path: None
    return action, calls


ARGS = {'project': 'owu-qdrant', 'role': 'qdrant', 'services': [QDRANT], 'network': 'owu',
        'project_dir': '/opt/c/owu-qdrant'}
TASK_VARS = {'ansible_parent_role_names': ['numberone.owu.qdrant']}
HOST = 'numberone.owu.compose_host'
UP = 'community.docker.docker_compose_v2'
RUNNING = {'qdrant': {'container': 'qdrant', 'running': True, 'ip': '172.18.0.2', 'url': 'http://172.18.0.2:6333'}}


def _prepared(**extra):
    out = {'changed': False, 'docker_ready': True, 'files_changed': False, 'volumes': {'qdrant_storage': '/v'},
           'removed': [], 'diff': {'before': 'a', 'after': 'a'}, 'engine_version': '26.1.5'}
    out.update(extra)
    return out


def test_a_project_compose_would_not_change_is_one_round_trip():
    action, calls = _action(ARGS, {HOST: [_prepared(up_needed=False, up_reason='', services=RUNNING,
                                                    answers={'qdrant': {'is_available': True}})]})
    result = action.run(task_vars=TASK_VARS)
    assert [c[0] for c in calls] == [HOST]
    prepare = calls[0][1]
    assert prepare['step'] == 'prepare' and prepare['decide'] is True and prepare['wait'] is True
    assert prepare['services'] == [{'name': 'qdrant', 'container_name': 'qdrant', 'port': 6333,
                                    'image': 'qdrant/qdrant:v1.19.0'}]
    assert prepare['health'] == [{'path': '/readyz', 'service': 'qdrant'}]
    assert not result['changed'] and 'up_reason' not in result and result['msg'].startswith('owu-qdrant: unchanged')
    assert result['compose_out']['services'] == RUNNING and result['compose_out']['answers'] == {'qdrant': True}
    assert 'k$ey' not in repr(result) and 'k$$ey' not in repr(result)


def test_a_service_that_stops_answering_fails_also_without_compose():
    action, calls = _action(ARGS, {HOST: [_prepared(up_needed=False, up_reason='', services=RUNNING, answers={
        'qdrant': {'is_available': False, 'attempts': 61, 'reason': 'HTTP 503'}})]})
    with pytest.raises(AnsibleActionFail, match='service qdrant did not answer'):
        action.run(task_vars=TASK_VARS)
    assert [c[0] for c in calls] == [HOST]


def test_check_mode_reports_a_container_compose_would_start():
    action, calls = _action(ARGS, {HOST: [
        _prepared(up_needed=True, up_reason='service qdrant: container qdrant is exited'),
        {'docker_ready': True, 'services': RUNNING, 'answers': {}}]}, check_mode=True)
    result = action.run(task_vars=TASK_VARS)
    assert [c[0] for c in calls] == [HOST, HOST] and calls[1][1]['wait'] is False
    assert result['changed'] and result['up_reason'] == 'service qdrant: container qdrant is exited'
    assert 'container qdrant is exited' in result['msg'] and not result['compose_out']['pending']


def test_a_project_compose_would_change_is_three_round_trips():
    action, calls = _action(ARGS, {
        HOST: [_prepared(up_needed=True, up_reason='service qdrant: container qdrant was created from another definition'),
               {'docker_ready': True, 'services': RUNNING, 'answers': {'qdrant': {'is_available': True}}}],
        UP: [{'changed': False}]})
    result = action.run(task_vars=TASK_VARS)
    assert [c[0] for c in calls] == [HOST, UP, HOST]
    assert calls[0][1]['step'] == 'prepare' and 'k$$ey' in calls[0][1]['override']
    assert calls[1][1] == {'project_src': '/opt/c/owu-qdrant', 'project_name': 'owu-qdrant', 'state': 'present',
                           'pull': 'missing', 'remove_orphans': True, 'wait': True, 'wait_timeout': 600}
    status = calls[2][1]
    assert status['step'] == 'status' and status['health'] == [{'path': '/readyz', 'service': 'qdrant'}]
    assert status['wait'] is True and status['services'] == [{'name': 'qdrant', 'container_name': 'qdrant', 'port': 6333,
                                                              'image': 'qdrant/qdrant:v1.19.0'}]
    assert not result['changed'] and 'diff' not in result and 'another definition' in result['up_reason']
    assert result['compose_out']['services'] == RUNNING and result['compose_out']['answers'] == {'qdrant': True}
    assert not result['compose_out']['changed'] and not result['compose_out']['pending']
    assert 'k$ey' not in repr(result) and 'k$$ey' not in repr(result)


def test_check_mode_on_a_fresh_host_shows_the_diff_and_applies_nothing():
    action, calls = _action(ARGS, {
        HOST: [_prepared(docker_ready=False, changed=True, files_changed=True, volumes={},
                         diff={'before': '', 'after': 'new'}),
               {'docker_ready': False, 'services': {}, 'answers': {}}]}, check_mode=True, diff=True)
    result = action.run(task_vars=TASK_VARS)
    assert [c[0] for c in calls] == [HOST, HOST] and calls[1][1]['wait'] is False
    assert result['changed'] and result['diff'] == {'before': '', 'after': 'new'}
    assert result['compose_out']['pending'] and result['compose_out']['changed']


def test_without_an_engine_a_real_run_stops_before_compose():
    action, calls = _action(ARGS, {HOST: [_prepared(docker_ready=False)]})
    with pytest.raises(AnsibleActionFail, match='no Docker engine answers'):
        action.run(task_vars=TASK_VARS)
    assert [c[0] for c in calls] == [HOST]


def test_a_service_that_does_not_answer_fails_the_task_naming_it():
    action, _calls = _action(ARGS, {
        HOST: [_prepared(), {'docker_ready': True, 'services': RUNNING,
                             'answers': {'qdrant': {'is_available': False, 'attempts': 61, 'reason': 'HTTP 503'}}}],
        UP: [{'changed': True}]})
    with pytest.raises(AnsibleActionFail, match=r'service qdrant did not answer at http://172.18.0.2:6333 after 61 tries: HTTP 503'):
        action.run(task_vars=TASK_VARS)


def test_a_failing_module_becomes_the_task_result():
    action, _calls = _action(ARGS, {HOST: [_prepared()], UP: [{'failed': True, 'msg': 'pull access denied'}]})
    result = action.run(task_vars=TASK_VARS)
    assert result['failed'] and result['msg'] == 'project owu-qdrant: %s: pull access denied' % UP


def test_it_refuses_to_run_outside_a_role_and_refuses_bad_descriptions():
    action, calls = _action(ARGS, {})
    with pytest.raises(AnsibleActionFail, match='internal service runtime'):
        action.run(task_vars={})
    action, calls = _action(dict(ARGS, services=[dict(QDRANT, ports=[{'target': 'x'}])]), {})
    with pytest.raises(AnsibleActionFail, match='project owu-qdrant'):
        action.run(task_vars=TASK_VARS)
    assert calls == []


def test_absent_takes_the_project_down_then_removes_what_is_left():
    action, calls = _action(dict(ARGS, step='absent'), {
        HOST: [{'docker_ready': True, 'compose_exists': True, 'changed': False},
               {'changed': True, 'removed': []}],
        UP: [{'changed': True}]})
    result = action.run(task_vars=TASK_VARS)
    assert [(c[0], c[1].get('step', c[1].get('state'))) for c in calls] == [(HOST, 'probe'), (UP, 'absent'), (HOST, 'remove')]
    assert result['changed'] and result['compose_out']['services'] == {}


def test_files_from_the_controller_travel_as_secret_files_and_never_reach_the_result(tmp_path):
    from ansible.parsing.dataloader import DataLoader
    key = tmp_path / 'key.pem'
    key.write_text('-----BEGIN PRIVATE KEY-----s3cret')
    caddy = {'name': 'caddy', 'image': 'caddy:2', 'port': 80,
             'files': [{'path': '/etc/c/Caddyfile', 'content': ':80 {}\n'},
                       {'path': '/etc/c/tls/key.pem', 'src': str(key), 'mode': '0600', 'secret': True}]}
    args = dict(ARGS, project='owu-reverse-proxy', role='reverse_proxy', services=[caddy])
    action, calls = _action(args, {HOST: [_prepared(up_needed=False, services={}, answers={},
                                                    file_diffs=[{'before': '', 'after': ':80 {}\n'}])]}, diff=True)
    action._loader = DataLoader()
    result = action.run(task_vars=TASK_VARS)
    prepare = calls[0][1]
    assert prepare['files'] == [{'path': '/etc/c/Caddyfile', 'volume': '', 'content': ':80 {}\n', 'mode': '0644',
                                 'state': 'present'}]
    assert prepare['secret_files'] == [{'path': '/etc/c/tls/key.pem', 'volume': '', 'mode': '0600', 'state': 'present',
                                        'content': '-----BEGIN PRIVATE KEY-----s3cret'}]
    assert result['diff'] == {'before': '', 'after': ':80 {}\n'} and 's3cret' not in repr(result)
    missing = dict(args, services=[dict(caddy, files=[{'path': '/x', 'src': str(tmp_path / 'none.pem')}])])
    action, calls = _action(missing, {})
    action._loader = DataLoader()
    with pytest.raises(AnsibleActionFail, match='project owu-reverse-proxy: .*none.pem'):
        action.run(task_vars=TASK_VARS)
    assert calls == []


def test_a_health_checks_host_header_stays_with_it_and_a_key_goes_to_the_no_log_option():
    item, secret = compose_project._health_check('caddy', {'path': '/', 'status_code': [308], 'follow_redirects': False,
                                                           'headers': {'Host': 'chat.example.org', 'api-key': 'k'}})
    assert item == {'path': '/', 'status_code': [308], 'follow_redirects': False, 'service': 'caddy',
                    'public_headers': {'Host': 'chat.example.org'}}
    assert secret == {'api-key': 'k'} and 'api-key' not in repr(item)
    assert 'k' not in repr(item)
