# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection; not a public API.

"""What the host's Docker Engine can do and where its services answer, shared by the controller
(plugin_utils/_compose.py renders the compose files; the owu_compose_addresses filter) and the host
(modules/compose_host.py picks the file its engine takes and finds each service's address)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

_ENGINE_MAJOR_RE = re.compile(r'^v?([0-9]+)[.]')

# The label every container of the collection carries (status, backup and restore look for it).
ROLE_LABEL = 'com.numberone.owu.role'
# The port a service answers on inside the network (operations' backup, restore and status read it).
PORT_LABEL = 'com.numberone.owu.port'
# The label Compose puts on the containers of a project.
PROJECT_LABEL = 'com.docker.compose.project'
# The role variables that made the container's image (JSON: {"openwebui_version": "v0.12.4", ...}):
# what runs, as the roles' own variables (the deployment history, upgrades and rollbacks read it).
PINS_LABEL = 'com.numberone.owu.pins'


def merged_pins(label_sets):
    """One {variable: value} from the PINS_LABEL of every container's labels in ``label_sets``;
    a label that is not a JSON object is left out."""
    out = {}
    for labels in label_sets:
        try:
            pins = json.loads((labels or {}).get(PINS_LABEL) or '{}')
        except ValueError:
            continue
        if isinstance(pins, dict):
            out.update((str(k), '' if v is None else str(v)) for k, v in pins.items())
    return dict(sorted(out.items()))


def socket_exists(docker_host):
    """Whether the engine can be there: a unix socket that exists, or any other address."""
    if docker_host.startswith('unix://'):
        return os.path.exists(docker_host[len('unix://'):])
    return True


def supports_start_interval(engine_version):
    """Whether the Docker Engine ``engine_version`` (its ServerVersion, e.g. ``26.1.5+dfsg1``) takes
    a health check's start_interval: Engine 25 and later (API 1.44). Compose refuses the key on an
    older engine ("can't set healthcheck.start_interval as feature require Docker Engine v25 or
    later", docker/compose pkg/compose/create.go). Unknown (check mode before Docker is installed):
    no."""
    match = _ENGINE_MAJOR_RE.match(str(engine_version or '').strip())
    return bool(match) and int(match.group(1)) >= 25


def addresses(services, containers, network):
    """Where each service answers, from the project's running containers.

    ``containers`` is Docker's container list (``docker_host_info`` with ``verbose_output``: each
    item has ``Names``, ``State``, ``NetworkSettings.Networks``, ``Ports``). Returns ``{service:
    {'container': name, 'running': bool, 'ip': address on the network or '', 'url':
    'http://<ip>:<port>' or ''}}`` for every described service.
    """
    by_name = {}
    for item in containers or []:
        for cname in item.get('Names') or []:
            by_name[cname.lstrip('/')] = item
    out = {}
    for desc in services:
        name = desc['name']
        container = desc.get('container_name') or name
        item = by_name.get(container) or {}
        running = item.get('State') == 'running'
        nets = ((item.get('NetworkSettings') or {}).get('Networks') or {})
        ip = ((nets.get(network) or {}).get('IPAddress') or '') if running else ''
        port = desc.get('port')
        url = 'http://%s:%s' % (ip, int(port)) if (ip and port) else ''
        out[name] = {'container': container, 'running': running, 'ip': ip, 'url': url}
    return out


def containers_down(containers):
    """What keeps containers (name -> ``docker inspect``) from serving, one line each, sorted by
    name: a container that does not run, restarts, or whose health check says it is not healthy
    (yet). A container without a health check that runs counts as up."""
    down = []
    for name in sorted(containers or {}):
        info = containers[name] or {}
        state = info.get('State') or {}
        health = ((state.get('Health') or {}).get('Status') or '')
        image = (info.get('Config') or {}).get('Image') or '?'
        if not state.get('Running') or state.get('Restarting') or health not in ('', 'healthy'):
            down.append('%s is %s%s, image %s' % (
                name, state.get('Status') or 'unknown', (' (%s)' % health) if health else '', image))
    return down


def compose_projects(containers, roles=None):
    """The Compose projects of containers (name -> ``docker inspect``), sorted by name: ``[{project,
    role, containers, running, healthy, down}]`` - how many containers each has, how many run, how
    many run and are healthy (or have no health check), and the lines of ``containers_down`` for
    the others. ``roles`` (name -> role label) names each project's role; a container that Compose
    does not own is listed under the project ``-``."""
    projects = {}
    for name in sorted(containers or {}):
        info = containers[name] or {}
        labels = (info.get('Config') or {}).get('Labels') or {}
        project = labels.get(PROJECT_LABEL) or '-'
        entry = projects.setdefault(project, {'project': project, 'role': '', 'containers': 0, 'running': 0,
                                              'healthy': 0, 'down': []})
        entry['role'] = entry['role'] or (roles or {}).get(name) or labels.get(ROLE_LABEL) or ''
        entry['containers'] += 1
        if (info.get('State') or {}).get('Running'):
            entry['running'] += 1
        down = containers_down({name: info})
        if down:
            entry['down'] += down
        else:
            entry['healthy'] += 1
    return [projects[project] for project in sorted(projects)]
