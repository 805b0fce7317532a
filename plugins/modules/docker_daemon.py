#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: docker_daemon
short_description: Internal - write /etc/docker/daemon.json from settings and fragments, and read the engine back
version_added: 0.2.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Internal to the collection. The C(numberone.owu.docker) role, the one owner of
    C(/etc/docker/daemon.json), runs it; another role contributes settings through that role's
    C(daemon_fragment) entry point, never with this module.
  - In one round trip - creates the fragments directory (0755) with its README, writes or removes
    the fragment O(fragment_name) when asked, reads every C(*.json) fragment in the directory
    (each must be a JSON object), merges O(settings_before), the fragments (by name) and
    O(settings_after) recursively (dictionaries merged, anything else replaced, like Ansible's
    C(combine(recursive=true))), and writes the result to O(path) (0644) when it differs. A
    changed file is checked with C(dockerd --validate) first when the installed C(dockerd) is at
    least O(validate_min_version), so a bad setting never reaches a restart.
  - With O(engine), also reports what the running engine says (logging driver, live restore,
    registry mirrors), and the versions of C(dockerd) and the Compose v2 plugin; the role checks
    them against the file without another round trip when the file did not change.
  - With O(apply=false), nothing is written - the file on disk is reported as RV(config)
    (C(--tags docker_verify) run alone).
  - Check mode reports what would change, with the file's diff; on a fresh host without Docker
    nothing is read from the engine.
options:
  path:
    description: The daemon configuration file.
    type: path
    default: /etc/docker/daemon.json
  fragments_dir:
    description: Directory of the C(<name>.json) fragments other roles contribute.
    type: path
  fragments_readme:
    description: Text of the C(README) written into O(fragments_dir) (JSON has no comments).
    type: str
  settings_before:
    description: Settings merged first, in order (the role's defaults).
    type: list
    elements: dict
    default: []
  settings_after:
    description: Settings merged after the fragments, in order (they win over every fragment).
    type: list
    elements: dict
    default: []
  fragment_name:
    description: A fragment to write (O(fragment)) or remove (O(fragment_state=absent)) in the same call.
    type: str
  fragment:
    description: The settings of O(fragment_name).
    type: dict
  fragment_state:
    description: Whether O(fragment_name) is to be present or absent.
    type: str
    choices: [present, absent]
    default: present
  validate_min_version:
    description: The first C(dockerd) release that has C(--validate); older engines go unchecked.
    type: str
    default: '23.0'
  engine:
    description: Also read the running engine and the Compose plugin's version (RV(engine), RV(compose_version)).
    type: bool
    default: false
  service:
    description:
      - A systemd unit (V(docker)) whose C(UnitFileState) and C(ActiveState) to report in RV(service), read
        with one C(systemctl show); the role then skips its C(systemd_service) round trip when the unit is
        already enabled and running as asked.
    type: str
  apply:
    description: V(false) writes nothing and reports the file as it is.
    type: bool
    default: true
  docker_host:
    description: The engine's socket, for O(engine).
    type: str
    default: unix:///var/run/docker.sock
notes:
  - Needs the Docker SDK for Python on the host only for O(engine) with a running engine.
"""

EXAMPLES = r"""
- name: Write daemon.json (the docker role's configure step)
  numberone.owu.docker_daemon:
    fragments_dir: /etc/docker/daemon.json.d
    fragments_readme: "Managed by Ansible.\n"
    settings_before: [{log-driver: json-file, log-opts: {max-size: 10m, max-file: "3"}}]
    settings_after: [{live-restore: true}]
    engine: true
  register: daemon
  notify: restart docker
"""

RETURN = r"""
config:
  description: The merged settings (what O(path) holds, or will hold).
  returned: always
  type: dict
fragments:
  description: Names of the fragments merged, in order.
  returned: always
  type: list
  elements: str
file_changed:
  description: Whether O(path) was (or would be) written.
  returned: always
  type: bool
dockerd_version:
  description: The installed C(dockerd) release (C(27.5.1)), empty when not installed.
  returned: always
  type: str
validated:
  description: Whether C(dockerd --validate) checked the new file.
  returned: always
  type: bool
engine:
  description:
    - With O(engine) and an engine that answers - C(LoggingDriver), C(LiveRestoreEnabled),
      C(RegistryConfig.Mirrors) from its info; null otherwise.
  returned: always
  type: dict
compose_version:
  description: With O(engine), the Compose plugin's version (C(docker compose version)); empty when it does not answer.
  returned: always
  type: str
compose_error:
  description: Why the Compose plugin's version could not be read.
  returned: always
  type: str
service:
  description:
    - With O(service), the unit's C(UnitFileState) (C(enabled), C(disabled), ...) and C(ActiveState) (C(active),
      C(inactive), ...) as C(systemctl show) reports them; empty without O(service), without C(systemctl), or
      when C(systemctl) fails.
  returned: always
  type: dict
  sample: {UnitFileState: enabled, ActiveState: active}
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.module_utils._engine import socket_exists
from ansible_collections.numberone.owu.plugins.module_utils._files import RootFiles, read_text

try:
    import docker
    from docker.errors import DockerException
    HAS_DOCKER = True
except ImportError:  # pragma: no cover - depends on the host
    HAS_DOCKER = False

FRAGMENT_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')


def merge(items):
    """Recursive merge of the dicts in ``items`` (later wins; dicts merged, anything else replaced)."""
    out = {}
    for item in items:
        out = _merge_two(out, item or {})
    return out


def _merge_two(base, extra):
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge_two(result[key], value)
        else:
            result[key] = value
    return result


def render(config):
    """The file's text, as the role wrote it with to_nice_json(indent=2) (sorted keys)."""
    return json.dumps(config, indent=2, sort_keys=True, separators=(',', ': ')) + '\n'


def parse_version(text):
    """``Docker version 27.5.1, build ...`` -> ``27.5.1``; empty when there is none."""
    match = re.search(r'version v?([0-9]+(?:[.][0-9]+)*)', text or '')
    return match.group(1) if match else ''


def version_at_least(version, minimum):
    def parts(value):
        return [int(p) for p in re.findall(r'[0-9]+', value or '')] or [0]
    return parts(version) >= parts(minimum)


class Daemon(RootFiles):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.changed = False

    def dockerd_version(self):
        binary = self.module.get_bin_path('dockerd')
        if not binary:
            return ''
        rc, out, err = self.module.run_command([binary, '--version'])
        return parse_version(out) if rc == 0 else ''

    def validate_with(self, version):
        """A validator for the new file, or None when this dockerd cannot check one."""
        if not version or not version_at_least(version, self.params['validate_min_version']):
            return None
        binary = self.module.get_bin_path('dockerd')

        def validate(tmp):
            rc, out, err = self.module.run_command([binary, '--config-file=%s' % tmp, '--validate'])
            if rc != 0:
                self.module.fail_json(msg='dockerd %s refuses the new %s: %s' % (
                    version, self.params['path'], (err or out).strip()), config=self.config)
            self.validated = True
        return validate

    def fragments(self):
        """{name: settings} of every *.json fragment (and the pending one), sorted by name."""
        directory = self.params['fragments_dir']
        found = {}
        if directory and os.path.isdir(directory):
            for entry in sorted(os.listdir(directory)):
                path = os.path.join(directory, entry)
                if not entry.endswith('.json') or not os.path.isfile(path):
                    continue
                text = read_text(path)
                try:
                    value = json.loads(text)
                except ValueError as exc:
                    self.module.fail_json(msg='%s is not valid JSON (%s): fix or delete it' % (path, to_native(exc)))
                found[entry[:-len('.json')]] = value
        name = self.params['fragment_name']
        if name:
            if self.params['fragment_state'] == 'absent':
                found.pop(name, None)
            else:
                found[name] = self.params['fragment']
        bad = sorted(n for n, v in found.items() if not isinstance(v, dict))
        if bad:
            self.module.fail_json(msg='daemon.json fragments must be JSON objects; fix or delete %s' % ', '.join(
                os.path.join(directory, n + '.json') for n in bad))
        return dict(sorted(found.items()))

    def apply(self):
        params = self.params
        self.validated = False
        self.config = {}
        version = self.dockerd_version()
        directory = params['fragments_dir']
        if directory:
            self._ensure_dir(directory, '0755')
            if params['fragments_readme'] is not None:
                self._write(os.path.join(directory, 'README'), params['fragments_readme'], '0644')
            name = params['fragment_name']
            if name:
                target = os.path.join(directory, name + '.json')
                if params['fragment_state'] == 'absent':
                    self._remove(target)
                else:
                    self._write(target, render(params['fragment']), '0644')
        fragments = self.fragments()
        self.config = merge(list(params['settings_before']) + list(fragments.values()) + list(params['settings_after']))
        text = render(self.config)
        self._ensure_dir(os.path.dirname(params['path']), '0755')
        file_changed, before = self._write(params['path'], text, '0644', self.validate_with(version))
        return {
            'config': self.config, 'fragments': list(fragments), 'file_changed': file_changed,
            'dockerd_version': version, 'validated': self.validated,
            'diff': {'before_header': params['path'], 'after_header': params['path'],
                     'before': before or '', 'after': text},
        }

    def read(self):
        text = read_text(self.params['path'])
        try:
            config = json.loads(text) if text else {}
        except ValueError as exc:
            self.module.fail_json(msg='%s is not valid JSON: %s' % (self.params['path'], to_native(exc)))
        return {'config': config, 'fragments': [], 'file_changed': False, 'dockerd_version': self.dockerd_version(),
                'validated': False}

    def engine(self):
        """(engine info subset or None, compose version, compose error)."""
        info = None
        if HAS_DOCKER and socket_exists(self.params['docker_host']):
            try:
                raw = docker.APIClient(base_url=self.params['docker_host'], version='auto', timeout=30).info()
                info = {'LoggingDriver': raw.get('LoggingDriver'), 'LiveRestoreEnabled': raw.get('LiveRestoreEnabled'),
                        'RegistryConfig': {'Mirrors': (raw.get('RegistryConfig') or {}).get('Mirrors') or []}}
            except DockerException:
                info = None
        version, error = '', ''
        binary = self.module.get_bin_path('docker')
        if not binary:
            error = 'the docker CLI is not installed'
        else:
            rc, out, err = self.module.run_command([binary, 'compose', 'version', '--format', 'json'])
            if rc != 0:
                error = (err or out).strip() or 'exit %d' % rc
            else:
                try:
                    version = str(json.loads(out).get('version') or '')
                except (ValueError, AttributeError):
                    error = 'unexpected answer %r' % out.strip()[:200]
        return info, version, error


def unit_state(module, unit):
    """The unit's UnitFileState and ActiveState from one ``systemctl show``; {} when unknown."""
    systemctl = module.get_bin_path('systemctl')
    if not unit or not systemctl:
        return {}
    rc, out, dummy = module.run_command([systemctl, 'show', unit, '--property=UnitFileState,ActiveState'])
    if rc != 0:
        return {}
    state = {}
    for line in out.splitlines():
        key, sep, value = line.partition('=')
        if sep and key in ('UnitFileState', 'ActiveState'):
            state[key] = value.strip()
    return state


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/docker/daemon.json'),
            fragments_dir=dict(type='path'),
            fragments_readme=dict(type='str'),
            settings_before=dict(type='list', elements='dict', default=[]),
            settings_after=dict(type='list', elements='dict', default=[]),
            fragment_name=dict(type='str'),
            fragment=dict(type='dict'),
            fragment_state=dict(type='str', choices=['present', 'absent'], default='present'),
            validate_min_version=dict(type='str', default='23.0'),
            engine=dict(type='bool', default=False),
            apply=dict(type='bool', default=True),
            service=dict(type='str'),
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
        ),
        required_if=[('apply', True, ('fragments_dir',))],
        supports_check_mode=True,
    )
    params = module.params
    name = params['fragment_name']
    if name is not None and not FRAGMENT_RE.match(name):
        module.fail_json(msg='fragment_name %r: use letters, digits, ".", "_" and "-"' % name)
    if name and params['fragment_state'] == 'present' and params['fragment'] is None:
        module.fail_json(msg='fragment_name %s with fragment_state present needs fragment' % name)
    daemon = Daemon(module)
    result = daemon.apply() if params['apply'] else daemon.read()
    info, compose_version, compose_error = daemon.engine() if params['engine'] else (None, '', '')
    module.exit_json(changed=daemon.changed, engine=info, compose_version=compose_version,
                     compose_error=compose_error, service=unit_state(module, params['service']), **result)


if __name__ == '__main__':
    main()
