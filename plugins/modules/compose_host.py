#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: compose_host
short_description: Internal - the host side of the collection's service runtime
version_added: 0.1.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Internal to the collection. The action M(numberone.owu.compose_project) (used only by the
    internal C(numberone.owu.compose) role) runs it on the managed host; use a service role of
    the collection instead of calling it.
  - V(step=prepare) creates the site network and the project's named volumes when they are
    missing, removes containers of the services' names that the Compose project does not own (a
    host deployed by an earlier release; their volumes stay), and writes the project's files -
    the directory (0750), C(compose.yaml) (0644) and C(compose.override.yaml) (0600, the secret
    environment) or removes the latter when no service has a secret. All of that in one process,
    so a project that needs nothing costs one round trip.
  - With O(decide) (what the runtime does before it applies a project), V(step=prepare) also works
    out whether C(docker compose up --wait) would change anything, by Compose's own rules. When
    nothing above changed, it asks Compose for each service's configuration hash
    (C(docker compose config --hash '*'), the hash Compose puts on the containers it creates as
    C(com.docker.compose.config-hash)) and compares it, the image the container was created from
    (C(com.docker.compose.image)) with the image the reference names on the host now, and that
    exactly one running, healthy container per service is on the network and no other container
    belongs to the project. When all of that holds it returns RV(up_needed=false) and the
    V(step=status) result in the same round trip; anything it cannot tell counts as a difference
    (the runtime then applies the project with C(community.docker.docker_compose_v2)).
  - V(step=status) lists the project's containers, works out where each of O(services) answers
    and asks each O(health) check over HTTP (waiting for it with O(wait)), in the same process.
  - V(step=probe) says whether the engine's socket and the project's C(compose.yaml) exist.
  - V(step=remove) removes the named containers (any owner) and the project's directory.
  - V(step=inspect) reads every container that carries the label O(label) (all projects of the
    collection; day-2 tasks) - its C(docker inspect), the label's value and its address on
    O(network) - in one round trip.
  - Nothing talks to the engine when its socket is missing (check mode on a fresh host); the files
    are still compared, so C(--check --diff) shows them.
options:
  step:
    description: What to do (see the description).
    type: str
    choices: [prepare, status, probe, remove, inspect]
    required: true
  project:
    description: The Compose project's name (every step but V(inspect)).
    type: str
  project_dir:
    description:
      - The project's directory, C(compose.yaml) and C(compose.override.yaml) in it (every step
        but V(inspect)).
    type: path
  label:
    description:
      - The label whose containers V(step=inspect) reads, C(key) (every container with it) or
        C(key=value) (those with that value, e.g. one role's containers).
    type: str
    default: com.numberone.owu.role
  tolerate_down:
    description:
      - With V(step=inspect), an engine whose socket exists but does not answer is reported
        (RV(can_talk_to_docker=false)) instead of failing the task.
    type: bool
    default: false
  network:
    description:
      - The site network every service joins (V(step=prepare)); with V(step=inspect), the network
        whose addresses RV(ips) gives.
    type: str
  role:
    description: Value of the C(com.numberone.owu.role) label of the volumes the module creates.
    type: str
  volumes:
    description: Named volumes of the project (V(step=prepare)).
    type: list
    elements: str
    default: []
  containers:
    description: The services' container names (V(step=prepare) and V(step=remove)).
    type: list
    elements: str
    default: []
  compose:
    description:
      - Text of C(compose.yaml) for Docker Engine 25 and later (V(step=prepare)).
      - Unset, the project's files are left as they are (the network and volumes only).
    type: str
  compose_before_engine_25:
    description:
      - Text of C(compose.yaml) for an older engine (no health check C(start_interval)); unset when
        it is the same as O(compose).
    type: str
  override:
    description: Text of C(compose.override.yaml); unset removes the file (V(step=prepare)).
    type: str
  directories:
    description:
      - With V(step=prepare) and O(compose), host directories to create (owner root) - C(path),
        C(mode) - before O(files) are written.
    type: list
    elements: dict
    default: []
  files:
    description:
      - With V(step=prepare) and O(compose), text files the services read at start - C(path)
        (absolute, or relative to the named volume C(volume)), C(content), C(mode), C(state)
        (V(present) or V(absent)); owner root, missing parent directories created (0755). A file
        in a volume that does not exist yet (check mode) counts as a change.
    type: list
    elements: dict
    default: []
  secret_files:
    description: Like O(files), for files whose content never shows (a private key; no diff).
    type: list
    elements: dict
    default: []
  decide:
    description:
      - With V(step=prepare), also decide whether Compose would change the project's containers
        and, when it would not, return the V(step=status) result (see the description).
    type: bool
    default: false
  services:
    description:
      - With V(step=status) or O(decide), each service's C(name), C(container_name), C(port) (the
        port it answers on inside the network) and C(image) (its image reference; O(decide)).
    type: list
    elements: dict
    default: []
  health:
    description:
      - With V(step=status), the HTTP checks - C(service), C(path), C(status_code), C(json_field),
        C(json_value), C(follow_redirects), C(public_headers) (headers that carry no secret, such as
        C(Host)) - of the services that have one (the service's C(http_health)).
    type: list
    elements: dict
    default: []
  health_headers:
    description: Service name -> the other request headers of its check (they may carry an API key).
    type: dict
    default: {}
  checks:
    description:
      - With V(step=status), more HTTP checks (the services' C(http_checks)), each asked once after
        the O(health) checks, in the same process - C(name) (unique in the project), C(service),
        C(path) on the service's address or an absolute C(url), C(method), C(status_code),
        C(json_field), C(json_value), C(body_contains), C(public_headers), C(follow_redirects) (default V(true)) and
        C(json) (V(true) hands back the parsed JSON answer; never for an answer that holds a secret).
      - A check of a service that does not run on O(network) is left out of RV(checks) (unless it has a C(url)).
    type: list
    elements: dict
    default: []
  check_headers:
    description: Check name -> the other request headers of that check of O(checks) (they may carry an API key).
    type: dict
    default: {}
  wait:
    description: Ask each check again every O(delay) seconds, up to O(retries) more times, until it passes.
    type: bool
    default: false
  retries:
    description: More tries of each check with O(wait).
    type: int
    default: 60
  delay:
    description: Seconds between the tries.
    type: float
    default: 2
  docker_host:
    description: The engine's address.
    type: str
    default: unix:///var/run/docker.sock
requirements:
  - Docker SDK for Python (C(python3-docker), installed by the docker role)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports what would change (files, network, volumes, containers) without changing it.
  diff_mode:
    support: partial
    details:
      - The diff of C(compose.yaml); the secret file's content is never shown.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Write the files of owu-qdrant and create its network and volumes (what the action does)
  numberone.owu.compose_host:
    step: prepare
    project: owu-qdrant
    project_dir: /opt/numberone-owu/compose/owu-qdrant
    network: owu
    role: qdrant
    volumes: [qdrant_storage]
    containers: [qdrant]
    compose: "{{ compose_text }}"
"""

RETURN = r"""
docker_ready:
  description: Whether the engine's socket exists (false in check mode on a fresh host).
  returned: always
  type: bool
engine_version:
  description: The engine's version (ServerVersion); empty when it does not answer.
  returned: always
  type: str
files_changed:
  description: Whether C(compose.yaml), C(compose.override.yaml) or the directory changed (or would).
  returned: step=prepare
  type: bool
volumes:
  description: Each existing volume's directory on the host (the local driver's mount point).
  returned: step=prepare
  type: dict
up_needed:
  description:
    - With O(decide), whether C(docker compose up) would create, re-create or start a container
      (or cannot be ruled out); without O(decide), always true.
  returned: step=prepare
  type: bool
up_reason:
  description: Why RV(up_needed) is true (empty when it is not).
  returned: step=prepare
  type: str
file_diffs:
  description: The diff of each file of O(files) that changed (or would); never of O(secret_files).
  returned: step=prepare
  type: list
  elements: dict
removed:
  description: Containers removed (or that would be).
  returned: step=prepare or step=remove
  type: list
  elements: str
services:
  description: Service -> its container, running, ip and url (empty when it does not run on O(network)).
  returned: step=status, or step=prepare when RV(up_needed) is false
  type: dict
answers:
  description: Service -> the outcome of its check (is_available, status, reason, attempts).
  returned: step=status, or step=prepare when RV(up_needed) is false
  type: dict
checks:
  description:
    - Check name -> the outcome of that check of O(checks) (is_available, status, reason,
      C(location) for a redirect answered as it is, and C(json) when the check asks for it).
  returned: step=status, or step=prepare when RV(up_needed) is false
  type: dict
containers:
  description:
    - V(step=status) - the Docker API's list of the project's containers.
    - V(step=inspect) - container name -> its C(docker inspect).
  returned: step=status or step=inspect
  type: raw
roles:
  description: Container name -> the value of its O(label).
  returned: step=inspect
  type: dict
ips:
  description: Container name -> its address on O(network) (empty when it is not on it or not running).
  returned: step=inspect
  type: dict
env:
  description: Container name -> its environment as a dict (holds the services' keys; use C(no_log)).
  returned: step=inspect
  type: dict
ports:
  description:
    - Container name -> the port its service answers on inside the network - the runtime's
      C(com.numberone.owu.port) label, else its own C(PORT) or C(OLLAMA_HOST) setting; empty if none.
  returned: step=inspect
  type: dict
pins:
  description:
    - The role variables that made the images of the containers read, merged from their
      C(com.numberone.owu.pins) labels (variable -> value, e.g. C(openwebui_version)).
  returned: step=inspect
  type: dict
  version_added: 0.3.0
can_talk_to_docker:
  description: Whether the engine answered.
  returned: step=inspect
  type: bool
compose_exists:
  description: Whether the project's C(compose.yaml) exists.
  returned: step=probe
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.numberone.owu.plugins.module_utils._engine import (
    PORT_LABEL,
    PROJECT_LABEL,
    ROLE_LABEL,
    addresses,
    merged_pins,
    socket_exists,
    supports_start_interval,
)
from ansible_collections.numberone.owu.plugins.module_utils._files import RootFiles
from ansible_collections.numberone.owu.plugins.module_utils._health import run as check_health

try:
    import docker
    from docker.errors import DockerException, NotFound
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = exc

COMPOSE_FILE = 'compose.yaml'
OVERRIDE_FILE = 'compose.override.yaml'
# Labels Compose puts on the containers it creates (docker/compose pkg/api/labels.go).
SERVICE_LABEL = 'com.docker.compose.service'
CONFIG_HASH_LABEL = 'com.docker.compose.config-hash'
IMAGE_LABEL = 'com.docker.compose.image'
ONEOFF_LABEL = 'com.docker.compose.oneoff'


def foreign(items, names, project):
    """Names in ``names`` of listed containers that project ``project`` does not own."""
    out = []
    for item in items or []:
        if (item.get('Labels') or {}).get(PROJECT_LABEL) == project:
            continue
        for cname in item.get('Names') or []:
            cname = cname.lstrip('/')
            if cname in names and cname not in out:
                out.append(cname)
    return sorted(out)


def environment(info):
    """A container's environment (``docker inspect``'s Config.Env) as a dict."""
    out = {}
    for pair in (info.get('Config') or {}).get('Env') or []:
        key, _sep, value = pair.partition('=')
        out[key] = value
    return out


def service_port(labels, env):
    """The port a container's service answers on inside the network: the runtime's port label, else
    its own PORT or OLLAMA_HOST setting (a container the runtime did not create); '' if none."""
    port = labels.get(PORT_LABEL) or env.get('PORT') or (env.get('OLLAMA_HOST') or '').rpartition(':')[2]
    return str(port or '')


def parse_hashes(text):
    """``docker compose config --hash '*'`` output (``<service> <hash>`` per line) as a dict."""
    out = {}
    for line in (text or '').splitlines():
        name, _sep, digest = line.strip().partition(' ')
        if name and digest.strip():
            out[name] = digest.strip()
    return out


def drift(hashes, infos, images, network):
    """Why ``docker compose up --wait`` would change the project (a sentence), '' when it would not.

    ``hashes``: service -> the hash Compose computes for its definition now; ``infos``: ``docker
    inspect`` of every container of the project; ``images``: service -> the ID of the image its
    reference names on the host now (None when it is not there: Compose would pull it); ``network``:
    the network every service joins. Compose re-creates a container whose config-hash or image label
    differs, starts a stopped one, creates a missing one and removes orphans (``remove_orphans``);
    ``--wait`` waits for health. Anything unusual (a one-off container, two of one service) counts
    as a difference: the caller then lets Compose decide."""
    if not hashes:
        return 'Compose reported no service'
    seen = {}
    for info in infos:
        name = (info.get('Name') or '').lstrip('/')
        labels = (info.get('Config') or {}).get('Labels') or {}
        service = labels.get(SERVICE_LABEL)
        if labels.get(ONEOFF_LABEL, 'False') != 'False':
            return 'container %s is a one-off run of the project' % name
        if service not in hashes:
            return 'container %s is of no service in compose.yaml (an orphan)' % name
        if service in seen:
            return 'service %s has more than one container (%s, %s)' % (service, seen[service], name)
        seen[service] = name
        if labels.get(CONFIG_HASH_LABEL) != hashes[service]:
            return 'service %s: container %s was created from another definition' % (service, name)
        image = images.get(service)
        if not image:
            return 'service %s: its image is not on the host' % service
        if (labels.get(IMAGE_LABEL) or info.get('Image')) != image:
            return 'service %s: container %s runs another image than its reference names now' % (service, name)
        state = info.get('State') or {}
        if not state.get('Running') or state.get('Restarting') or state.get('Paused'):
            return 'service %s: container %s is %s' % (service, name, state.get('Status') or 'not running')
        health = (state.get('Health') or {}).get('Status')
        if health not in (None, 'healthy'):
            return 'service %s: container %s is %s' % (service, name, health)
        if network not in ((info.get('NetworkSettings') or {}).get('Networks') or {}):
            return 'service %s: container %s is not on network %s' % (service, name, network)
    missing = sorted(set(hashes) - set(seen))
    if missing:
        return 'no container of service(s) %s' % ', '.join(missing)
    return ''


class Host(RootFiles):
    """One run of the module: ``api`` is the Docker SDK's low-level APIClient (or None)."""

    def __init__(self, module, api):
        self.module = module
        self.api = api
        self.check = module.check_mode
        self.changed = False

    # ----- files (_ensure_dir, _write, _remove: module_utils/_files.py)
    def write_service_files(self, volumes):
        """O(directories), then O(files) and O(secret_files); returns (changed, diffs of the public files)."""
        params = self.module.params
        before_changed, self.changed = self.changed, False
        for entry in params['directories']:
            self._ensure_dir(entry['path'], entry.get('mode') or '0755')
        diffs = []
        for secret, entries in ((False, params['files']), (True, params['secret_files'])):
            for entry in entries:
                if entry.get('volume'):
                    root = volumes.get(entry['volume'])
                    if not root:  # the volume does not exist yet (check mode)
                        self.changed = True
                        continue
                    path = os.path.join(root, entry['path'])
                else:
                    path = entry['path']
                if (entry.get('state') or 'present') == 'absent':
                    self._remove(path)
                    continue
                parent = os.path.dirname(path)
                if not os.path.isdir(parent) and self._ensure_dir(parent, '0755'):
                    self.changed = True
                    before = None
                    changed = True
                else:
                    changed, before = self._write(path, entry['content'], entry.get('mode') or '0644')
                if changed and not secret:
                    diffs.append({'before_header': path, 'after_header': path, 'before': before or '',
                                  'after': entry['content']})
        changed = self.changed
        self.changed = before_changed or changed
        return changed, diffs

    def write_files(self, compose, override):
        params = self.module.params
        project_dir = params['project_dir']
        path = os.path.join(project_dir, COMPOSE_FILE)
        self._ensure_dir(project_dir)
        compose_changed, before = self._write(path, compose, '0644')
        secret = os.path.join(project_dir, OVERRIDE_FILE)
        if override is None:
            override_changed = self._remove(secret)
        else:
            override_changed = self._write(secret, override, '0600')[0]
        diff = {'before_header': path, 'after_header': path, 'before': before or '', 'after': compose}
        return compose_changed or override_changed, diff

    # ----- engine
    def _containers(self, filters):
        return self.api.containers(all=True, filters=filters)

    def remove_containers(self, names):
        for name in names:
            self.changed = True
            if not self.check:
                try:
                    self.api.remove_container(name, force=True)
                except NotFound:
                    pass

    def ensure_network(self, name):
        try:
            self.api.inspect_network(name)
            return False
        except NotFound:
            self.changed = True
            if not self.check:
                self.api.create_network(name, driver='bridge', check_duplicate=True)
            return True

    def ensure_volumes(self, names, role):
        """Creates the missing volumes; returns {name: mount point} of those that exist."""
        out = {}
        for name in names:
            try:
                info = self.api.inspect_volume(name)
            except NotFound:
                self.changed = True
                if self.check:
                    continue
                info = self.api.create_volume(name, labels={ROLE_LABEL: role} if role else None)
            out[name] = info.get('Mountpoint', '')
        return out

    # ----- steps
    def prepare(self):
        params = self.module.params
        result = {'engine_version': '', 'volumes': {}, 'removed': []}
        if self.api is not None:
            result['engine_version'] = to_text(self.api.version().get('Version', ''))
            self.ensure_network(params['network'])
            result['volumes'] = self.ensure_volumes(params['volumes'], params['role'])
            names = params['containers']
            if names:
                listed = self._containers({'name': names})
                result['removed'] = foreign(listed, names, params['project'])
                self.remove_containers(result['removed'])
        compose = params['compose']
        if compose is None:
            result['files_changed'], result['diff'] = False, None
            return result
        if params['compose_before_engine_25'] is not None and self.api is not None \
                and not supports_start_interval(result['engine_version']):
            compose = params['compose_before_engine_25']
        result['files_changed'], diff = self.write_files(compose, params['override'])
        result['diff'] = diff
        service_files_changed, result['file_diffs'] = self.write_service_files(result['volumes'])
        result['files_changed'] = result['files_changed'] or service_files_changed
        result['up_needed'], result['up_reason'] = True, 'not asked (decide is false)'
        if params['decide']:
            result['up_reason'], listed = self.why_up()
            result['up_needed'] = bool(result['up_reason'])
            if not result['up_needed']:
                result.update(self.status(listed))
        return result

    def _project_containers(self):
        return self._containers({'label': '%s=%s' % (PROJECT_LABEL, self.module.params['project'])})

    def why_up(self):
        """(why the project needs ``docker compose up`` now, '' when Compose would change nothing;
        the project's container list it read, for the status in the same round trip)."""
        params = self.module.params
        if self.api is None:
            return 'no Docker engine answers', []
        if self.changed:
            return 'its files, network, volumes or containers changed', []
        docker_cli = self.module.get_bin_path('docker')
        if not docker_cli:
            return 'no docker CLI on the host', []
        rc, out, err = self.module.run_command(
            [docker_cli, 'compose', '--project-directory', params['project_dir'], '--project-name', params['project'],
             'config', '--hash', '*'], cwd=params['project_dir'])
        if rc != 0:
            return 'docker compose config --hash failed: %s' % (err or out).strip(), []
        hashes = parse_hashes(out)
        listed = self._project_containers()
        infos = []
        for item in listed:
            try:
                infos.append(self.api.inspect_container(item['Id']))
            except NotFound:
                return 'a container of the project went away while it was read', listed
        images = {}
        refs = dict((desc.get('name'), desc.get('image')) for desc in params['services'])
        for service in hashes:
            try:
                images[service] = self.api.inspect_image(refs[service])['Id'] if refs.get(service) else None
            except NotFound:
                images[service] = None
        return drift(hashes, infos, images, params['network']), listed

    def status(self, listed=None):
        """Where the services answer and their health checks; ``listed`` is the project's container
        list when the caller has just read it."""
        params = self.module.params
        if listed is None:
            listed = self._project_containers() if self.api is not None else []
        where = addresses(params['services'], listed, params['network'] or '')
        answers = {}
        for check in params['health']:
            name = check.get('service')
            url = (where.get(name) or {}).get('url')
            if not url:
                continue
            answers[name] = self._ask(url + (check.get('path') or '/'), check, params['health_headers'].get(name),
                                      params['wait'])
        checks = {}
        for check in params['checks']:
            base = (where.get(check.get('service')) or {}).get('url')
            url = check.get('url') or (base + (check.get('path') or '/') if base else '')
            if url:
                checks[check['name']] = self._ask(url, check, params['check_headers'].get(check['name']), False,
                                                  keep_json=bool(check.get('json')))
        return {'containers': listed, 'services': where, 'answers': answers, 'checks': checks}

    def _ask(self, url, check, secret_headers, wait, keep_json=False):
        params = self.module.params
        headers = dict(check.get('public_headers') or {})
        headers.update(secret_headers or {})
        result = check_health({
            'url': url, 'method': check.get('method') or 'GET', 'headers': headers, 'timeout': 5,
            'validate_certs': True, 'use_proxy': False, 'status_code': check.get('status_code') or [200],
            'json_field': check.get('json_field'), 'json_value': check.get('json_value'),
            'body_contains': check.get('body_contains'), 'follow_redirects': check.get('follow_redirects', True) is not False,
            'wait': wait, 'retries': params['retries'], 'delay': params['delay'], 'ollama': False})
        if not keep_json:
            result.pop('json', None)
        return result

    def inspect(self):
        params = self.module.params
        out = {'containers': {}, 'roles': {}, 'ips': {}, 'env': {}, 'ports': {}, 'pins': {},
               'can_talk_to_docker': self.api is not None}
        if self.api is None:
            return out
        label_sets = []
        # "key" (every container with the label) or "key=value" (only those with that value).
        key = params['label'].split('=', 1)[0]
        for item in self._containers({'label': params['label']}):
            name = (item.get('Names') or ['/'])[0].lstrip('/')
            try:
                info = self.api.inspect_container(item['Id'])
            except NotFound:  # removed since it was listed
                continue
            labels = (info.get('Config') or {}).get('Labels') or {}
            nets = (info.get('NetworkSettings') or {}).get('Networks') or {}
            env = environment(info)
            out['containers'][name] = info
            out['roles'][name] = labels.get(key, '')
            out['ips'][name] = (nets.get(params['network'] or '') or {}).get('IPAddress') or ''
            out['env'][name] = env
            out['ports'][name] = service_port(labels, env)
            label_sets.append(labels)
        out['pins'] = merged_pins(label_sets)
        return out

    def probe(self):
        return {'compose_exists': os.path.exists(os.path.join(self.module.params['project_dir'], COMPOSE_FILE))}

    def remove(self):
        removed = []
        if self.api is not None and self.module.params['containers']:
            names = self.module.params['containers']
            listed = self._containers({'name': names})
            removed = sorted(set(c.lstrip('/') for item in listed for c in item.get('Names') or []) & set(names))
            self.remove_containers(removed)
        self._remove(self.module.params['project_dir'])
        return {'removed': removed}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            step=dict(type='str', required=True, choices=['prepare', 'status', 'probe', 'remove', 'inspect']),
            project=dict(type='str'),
            project_dir=dict(type='path'),
            label=dict(type='str', default=ROLE_LABEL),
            tolerate_down=dict(type='bool', default=False),
            decide=dict(type='bool', default=False),
            services=dict(type='list', elements='dict', default=[]),
            health=dict(type='list', elements='dict', default=[]),
            health_headers=dict(type='dict', default={}, no_log=True),
            checks=dict(type='list', elements='dict', default=[]),
            check_headers=dict(type='dict', default={}, no_log=True),
            wait=dict(type='bool', default=False),
            retries=dict(type='int', default=60),
            delay=dict(type='float', default=2),
            network=dict(type='str'),
            role=dict(type='str'),
            volumes=dict(type='list', elements='str', default=[]),
            containers=dict(type='list', elements='str', default=[]),
            compose=dict(type='str'),
            compose_before_engine_25=dict(type='str'),
            override=dict(type='str', no_log=True),
            directories=dict(type='list', elements='dict', default=[]),
            files=dict(type='list', elements='dict', default=[]),
            secret_files=dict(type='list', elements='dict', default=[], no_log=True),
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
        ),
        required_if=[('step', 'prepare', ('project', 'project_dir', 'network')),
                     ('step', 'status', ('project', 'project_dir')),
                     ('step', 'probe', ('project', 'project_dir')),
                     ('step', 'remove', ('project', 'project_dir'))],
        supports_check_mode=True,
    )
    params = module.params
    ready = socket_exists(params['docker_host'])
    api = None
    if ready and params['step'] != 'probe':
        if not HAS_DOCKER:
            module.fail_json(msg=missing_required_lib('docker (the Docker SDK for Python)'), exception=DOCKER_IMPORT_ERROR)
        try:
            api = docker.APIClient(base_url=params['docker_host'], version='auto', timeout=120)
        except DockerException as exc:
            if params['step'] == 'inspect' and params['tolerate_down']:
                module.exit_json(changed=False, docker_ready=ready, can_talk_to_docker=False, containers={},
                                 roles={}, ips={}, env={}, ports={}, msg='the Docker engine does not answer: %s' % to_native(exc))
            module.fail_json(msg='the Docker engine at %s does not answer: %s' % (params['docker_host'], to_native(exc)))
    host = Host(module, api)
    try:
        result = getattr(host, params['step'])()
    except DockerException as exc:
        module.fail_json(msg='project %s, step %s: %s' % (params['project'] or '-', params['step'], to_native(exc)))
    module.exit_json(changed=host.changed, docker_ready=ready, **result)


if __name__ == '__main__':
    main()
