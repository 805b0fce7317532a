# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's one service path in one task (docs: plugins/modules/compose_project.py).

Renders a role's services (plugin_utils/_compose.py) as compose.yaml and compose.override.yaml on
the controller, then on the host: numberone.owu.compose_host writes them, creates the network
and volumes and asks Compose's own config hashes whether ``up`` would change anything; when it
would not, the same round trip lists the containers and waits for each service's HTTP health.
Otherwise community.docker.docker_compose_v2 applies the project and compose_host lists its
containers and waits for the health checks (the checks of service_health).
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import comment, to_nice_yaml

from ansible_collections.numberone.owu.plugins.modules.compose_project import ARGUMENT_SPEC
from ansible_collections.numberone.owu.plugins.plugin_utils import _compose
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain

# The Engine version each rendering is for: start_interval (25+) and without it (older).
_NEW_ENGINE = '25.0.0'
_OLD_ENGINE = ''

_COMPOSE_HEAD = """\
#
# Compose project {project} (numberone.owu.{role}), applied by the
# numberone.owu service runtime. On this host:
#   cd {project_dir} && docker compose ps
#   docker compose -p {project} logs -f        docker compose -p {project} restart
# Secret environment variables are in compose.override.yaml (mode 0600), which Compose reads too.
"""
_OVERRIDE_HEAD = """\
#
# The secret environment (and commands that carry a secret) of project {project}
# (mode 0600); compose.yaml holds the rest.
"""


def managed_header():
    """The ``ansible_managed`` comment the collection's templates start with."""
    from ansible import constants as C  # pylint: disable=import-outside-toplevel
    managed = to_text(C.config.get_config_value('DEFAULT_MANAGED_STR'))
    managed = managed.replace('{host}', '').replace('{uid}', '').replace('{file}', 'compose.yaml')
    return comment(managed)


def render(project, role, services, network, project_dir):
    """The project's files as text: {'compose', 'compose_before_engine_25', 'override', 'volumes',
    'containers'}; compose_before_engine_25 is None when it equals compose, override None when no
    service has a secret. Raises _compose.ComposeInputError for a description the runtime refuses."""
    new = _compose.build(project, role, services, network, _NEW_ENGINE)
    old = _compose.build(project, role, services, network, _OLD_ENGINE)
    values = {'project': project, 'role': role, 'project_dir': project_dir}
    head = managed_header()

    def text(files, which, intro):
        return head + '\n' + intro.format(**values) + to_nice_yaml(files[which], indent=2, sort_keys=False, width=1000)

    compose = text(new, 'compose', _COMPOSE_HEAD)
    compose_old = text(old, 'compose', _COMPOSE_HEAD)
    return {
        'compose': compose,
        'compose_before_engine_25': None if compose_old == compose else compose_old,
        'override': text(new, 'override', _OVERRIDE_HEAD) if new['override'] is not None else None,
        'volumes': new['volumes'],
        'containers': new['containers'],
        'files': new['files'],
        'directories': new['directories'],
    }


def host_files(files, secret):
    """compose_host's ``files`` (secret false) or ``secret_files`` (secret true) argument."""
    return [dict((k, v) for k, v in f.items() if k not in ('secret', 'service')) for f in files if f['secret'] == secret]


def http_checks(services):
    """Service name -> its http_health, for the services that have one (in their order)."""
    return [(desc['name'], desc['http_health']) for desc in services if desc.get('http_health')]


def _health_check(service, check):
    """(compose_host's ``health`` item of a service's http_health, its secret headers): the headers
    that carry no secret stay with the item (``public_headers``); the others go to the no_log
    ``health_headers``."""
    item = dict((k, v) for k, v in check.items() if k != 'headers')
    item['service'] = service
    public, secret = _compose.split_headers(check.get('headers'))
    if public:
        item['public_headers'] = public
    return item, secret


class _ModuleFailed(Exception):
    """A module the action ran failed: its result becomes the task's result."""

    def __init__(self, name, result):
        super().__init__(name)
        self.name = name
        self.result = result


class ActionModule(ActionBase):
    """Render, write, apply, read and wait: one task per Compose project."""

    TRANSFERS_FILES = False
    _requires_connection = True
    _checks = ([], {})  # the services' http_checks as compose_host's checks and check_headers (run)

    def _module(self, name, args, task_vars):
        result = self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
        if result.get('failed') or result.get('unreachable'):
            raise _ModuleFailed(name, result)
        return result

    def _read_sources(self, services, read):
        """A file given as ``src`` (a file on the controller: a certificate) gets its text as
        ``content`` when ``read`` (the step writes files), else an empty text."""
        for desc in services:
            for entry in desc.get('files') or []:
                if not isinstance(entry, dict):
                    continue
                src = entry.pop('src', None)
                if src and entry.get('content') is None and (entry.get('state') or 'present') == 'present':
                    entry['content'] = ''
                    if read:
                        with open(self._loader.get_real_file(self._loader.path_dwim(src)), 'rb') as handle:
                            entry['content'] = handle.read().decode('utf-8')

    def _host(self, step, params, task_vars, **extra):
        args = {'step': step, 'project': params['project'], 'project_dir': params['project_dir']}
        args.update(extra)
        return self._module('numberone.owu.compose_host', args, task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail('compose_project: %s' % '; '.join(validation.error_messages))
        params = validation.validated_parameters
        if not task_vars.get('ansible_parent_role_names'):
            raise AnsibleActionFail('numberone.owu.compose_project is the collection\'s internal service runtime: '
                                    'include a service role (numberone.owu.qdrant, ...) instead.')
        params['services'] = _plain(params['services'])
        try:
            self._read_sources(params['services'], params['step'] == 'apply')
            files = render(params['project'], params['role'], params['services'], params['network'],
                           params['project_dir'])
            self._checks = _compose.http_checks(params['services'])
        except (_compose.ComposeInputError, AnsibleFileNotFound, IOError, OSError, UnicodeError) as exc:
            raise AnsibleActionFail('project %s: %s' % (params['project'], to_native(exc)))
        try:
            step = params['step']
            if step == 'absent':
                result.update(self._absent(params, files, task_vars))
            elif step == 'status':
                result.update(self._status(params, task_vars))
            else:
                result.update(self._apply(params, files, task_vars))
        except _ModuleFailed as exc:
            result.update(exc.result)
            result['failed'] = True
            result['msg'] = 'project %s: %s: %s' % (params['project'], exc.name, exc.result.get('msg', 'failed'))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _apply(self, params, files, task_vars):
        check = self._task.check_mode
        extra = dict(self._status_args(params), decide=True, compose=files['compose'], override=files['override'],
                     compose_before_engine_25=files['compose_before_engine_25'], directories=files['directories'],
                     files=host_files(files['files'], False), secret_files=host_files(files['files'], True))
        host = self._host('prepare', params, task_vars, network=params['network'], role=params['role'],
                          volumes=files['volumes'], containers=list(files['containers'].values()), **extra)
        if not host['docker_ready'] and not check:
            raise AnsibleActionFail('project %s: no Docker engine answers on this host (/var/run/docker.sock is '
                                    'missing): run the docker role first.' % params['project'])
        out = {'changed': host['changed'], 'volumes': host['volumes'], 'removed': host['removed']}
        if self._task.diff:
            diffs = [d for d in [host['diff']] + list(host.get('file_diffs') or []) if d and d['before'] != d['after']]
            if diffs:
                out['diff'] = diffs[0] if len(diffs) == 1 else diffs
        # compose_host decided with Compose's own hashes whether `up` would change anything; when it
        # would not, its answer already holds the status (one round trip for an unchanged project).
        up_needed = host.get('up_needed', True)
        up_changed = False
        if not up_needed:
            state = self._state(params, host, host['docker_ready'])
        else:
            if host['docker_ready'] and not check:
                up = self._module('community.docker.docker_compose_v2', {
                    'project_src': params['project_dir'], 'project_name': params['project'], 'state': 'present',
                    'pull': 'missing', 'remove_orphans': True, 'wait': True, 'wait_timeout': params['wait_timeout'],
                }, task_vars)
                up_changed = bool(up.get('changed'))
            elif host['docker_ready'] and check:
                # Compose would create, re-create or start a container (compose_host said why).
                up_changed = True
            state = self._status(params, task_vars, docker_ready=host['docker_ready'])['compose_out']
        state['changed'] = bool(host['files_changed'] or up_changed)
        state['pending'] = bool(check and host['files_changed'])
        out['changed'] = bool(host['changed'] or up_changed)
        out['compose_out'] = state
        if up_needed:
            out['up_reason'] = host.get('up_reason', '')
        out['msg'] = '%s: %s; services %s. Inspect with `docker compose -p %s ps`.' % (
            params['project'],
            ('files would change (check mode): ' + params['project_dir']) if state['pending']
            else ('would apply (check mode): %s' % host.get('up_reason', '')) if (check and up_changed)
            else ('containers created or re-created' if up_changed else 'unchanged'),
            ', '.join(state['services']), params['project'])
        return out

    def _status_args(self, params):
        """compose_host's arguments that list the services and ask their HTTP health checks."""
        services = params['services']
        health = [_health_check(n, c) for n, c in http_checks(services)]
        more, more_headers = self._checks
        return {
            'services': [{'name': d['name'], 'container_name': d.get('container_name') or d['name'],
                          'port': d.get('port'), 'image': d['image']} for d in services],
            'health': [item for item, _secret in health],
            'health_headers': dict((item['service'], secret) for item, secret in health if secret),
            'checks': more, 'check_headers': more_headers,
            'wait': not self._task.check_mode, 'retries': params['health_retries'], 'delay': params['health_delay'],
        }

    def _state(self, params, listed, ready):
        """compose_out from compose_host's status answer; a service that did not answer fails the task."""
        answers = {}
        for name, outcome in listed['answers'].items():
            if not (outcome.get('is_available') or self._task.check_mode):
                raise AnsibleActionFail('project %s: service %s did not answer at %s after %s tries: %s' % (
                    params['project'], name, listed['services'][name]['url'], outcome.get('attempts'),
                    outcome.get('reason', '')))
            answers[name] = bool(outcome.get('is_available'))
        return {'project': params['project'], 'dir': params['project_dir'], 'docker_ready': ready,
                'changed': False, 'pending': False, 'services': listed['services'], 'answers': answers,
                'checks': listed.get('checks') or {}}

    def _status(self, params, task_vars, docker_ready=None):
        """Reads the containers and asks every http_health in one round trip (compose_host status)."""
        listed = self._host('status', params, task_vars, network=params['network'], **self._status_args(params))
        ready = listed['docker_ready'] if docker_ready is None else docker_ready
        return {'changed': False, 'compose_out': self._state(params, listed, ready)}

    def _absent(self, params, files, task_vars):
        probe = self._host('probe', params, task_vars)
        down_changed = False
        if probe['docker_ready'] and probe['compose_exists'] and not self._task.check_mode:
            down = self._module('community.docker.docker_compose_v2', {
                'project_src': params['project_dir'], 'project_name': params['project'], 'state': 'absent',
                'remove_orphans': True}, task_vars)
            down_changed = bool(down.get('changed'))
        removed = self._host('remove', params, task_vars, containers=list(files['containers'].values()))
        changed = bool(down_changed or removed['changed'] or (probe['compose_exists'] and self._task.check_mode))
        state = {'project': params['project'], 'dir': params['project_dir'], 'docker_ready': probe['docker_ready'],
                 'changed': changed, 'pending': False, 'services': {}, 'answers': {}, 'checks': {}}
        return {'changed': changed, 'removed': removed['removed'], 'compose_out': state,
                'msg': '%s: %s.' % (params['project'], 'removed (volumes kept)' if changed else 'not on this host')}
