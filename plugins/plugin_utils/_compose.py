# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the owu_compose
# filters and the internal compose role); not a public API.

"""The collection's one service path: a role's services as data -> one Compose project.

Pure data in, data out (no Ansible imports), so unit tests call it directly; the filter plugin
``plugins/filter/owu_compose.py`` is a thin wrapper and ``roles/compose`` renders and applies
the result with ``community.docker.docker_compose_v2``.

A service description (one dict per service, every key but ``name`` and ``image`` optional)::

    name                 compose service name (also the container name unless container_name)
    container_name       the container's name (default: name)
    image                full image reference (registry/repo:tag or @sha256:...)
    command, entrypoint  lists of strings
    environment          {NAME: value}: written into compose.yaml (mode 0644)
    secret_environment   {NAME: value}: written only into compose.override.yaml (mode 0600)
    secret_command       list of strings: the command, when it carries a secret (a server that
                         takes its password only as an argument): written only into
                         compose.override.yaml; excludes ``command``
    volumes              [{source, target, read_only}]: named volumes, created by the runtime
                         and declared ``external`` (``docker compose down -v`` never deletes data)
    binds                [{source, target, read_only}]: host paths
    ports                [{address, published, target, protocol}]: published ports
    port                 the port the service answers on inside the network (for its address;
                         also kept as a label, so day-2 tasks find it on the container)
    healthcheck          {test, interval, timeout, retries, start_period, start_interval}:
                         Docker's health check. On Docker Engine 25 or later a check with a
                         start_period probes every start_interval (default 1s) until the first
                         success, so ``up --wait`` returns as soon as the service is up; on an
                         older engine start_interval is left out (Compose refuses it there)
    http_health          {path, status_code, json_field, json_value, headers}: what the runtime
                         asks over HTTP once Compose reports the container healthy
    http_checks          [{name, path | url, method, status_code, json_field, json_value,
                         body_contains, headers, follow_redirects, json}]: more HTTP checks the runtime
                         asks once each in the same round trip, after the health checks (a key
                         that must be required, a redirect); their outcomes come back by name in
                         the project's state (``checks``), for the role to judge; ``json: true``
                         hands back the parsed answer too (never for one that holds a secret)
    gpus                 {} (none), {'count': 'all'|N} or {'device_ids': ['0', ...]}: NVIDIA devices
    depends_on           {service: 'service_healthy' | 'service_started'}
    labels               {name: value}
    pins                 {role variable: value}: the role's variables that make the image (its
                         _image, _version and _digest variables), kept as the JSON label
                         com.numberone.owu.pins: the deployment history, upgrades and rollbacks
                         read what runs from it, as the roles' own variables
    restart              restart policy (default unless-stopped)
    config_hash          a digest of configuration the service reads at start that the runtime
                         does not write itself: kept as a label, so a change re-creates the
                         container like a changed setting does (Compose itself compares only the
                         service definition)
    directories          [{path, mode}]: host directories the runtime creates (owner root, mode
                         default 0755) before it writes ``files``
    files                [{path, content, mode, secret, state}] or [{volume, path, ...}]: text files
                         the service reads at start (a configuration file, a certificate), written by
                         the runtime in the same round trip as the project's files: ``path`` absolute
                         on the host, or relative to the named volume ``volume`` (one of the
                         service's ``volumes``); owner root, ``mode`` default 0644; ``secret`` keeps
                         the content out of every output and diff; ``state: absent`` removes the
                         file. Missing parent directories are created (0755). The files' contents go
                         into the config-hash label, so a changed file re-creates the container.
                         The action reads ``src`` (a file on the controller) into ``content``.
    options              extra Compose service keys passed as they are (user, tmpfs, shm_size,
                         stop_signal, stop_grace_period, ulimits, working_dir, extra_hosts, ...)

Compose interpolates ``$`` in every value of its files; every string this module writes has ``$``
doubled, so a value reaches the container exactly as given (as with ``docker run``).
"""

from __future__ import annotations

import hashlib
import json
import re

from ansible_collections.numberone.owu.plugins.module_utils._engine import PINS_LABEL, PORT_LABEL, ROLE_LABEL, supports_start_interval

CONFIG_HASH_LABEL = 'com.numberone.owu.config-hash'

_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
_PROJECT_RE = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
_ENV_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_DURATION_RE = re.compile(r'^([0-9]+(ms|s|m|h))+$')
_KNOWN = frozenset((
    'name', 'container_name', 'image', 'command', 'entrypoint', 'environment', 'secret_environment', 'secret_command',
    'volumes', 'binds', 'ports', 'port', 'healthcheck', 'http_health', 'http_checks', 'gpus', 'depends_on',
    'labels', 'restart', 'config_hash', 'options', 'files', 'directories', 'pins'))
_CHECK_KEYS = frozenset(('name', 'path', 'url', 'method', 'status_code', 'json_field', 'json_value', 'body_contains',
                         'headers', 'follow_redirects', 'json'))
_METHODS = ('GET', 'HEAD', 'POST')
# Request headers that carry no secret: they travel with the check itself (a Host header for a
# virtual host). Every other header (an API key, Authorization) goes to the host module's no_log
# option, whose values Ansible masks in every answer (the redirect's Location would lose its domain).
PUBLIC_HEADERS = frozenset(('host', 'accept', 'content-type', 'user-agent'))

# Keys the runtime owns: passing them through ``options`` would bypass its checks.
_OWNED_OPTIONS = frozenset((
    'image', 'container_name', 'environment', 'env_file', 'volumes', 'ports', 'networks', 'network_mode',
    'healthcheck', 'deploy', 'depends_on', 'labels', 'restart', 'command', 'entrypoint', 'gpus'))
_RESTART = ('no', 'always', 'unless-stopped', 'on-failure')
_MODE_RE = re.compile(r'^0?[0-7]{3}$')
_CONDITIONS = ('service_started', 'service_healthy', 'service_completed_successfully')


# Probe interval during a health check's start_period (Docker Engine 25 / API 1.44 and later).
DEFAULT_START_INTERVAL = '1s'


class ComposeInputError(ValueError):
    """A service description the runtime refuses; the message names the service and the field."""


def _escape(value):
    """Double every ``$`` of every string, recursively (Compose would interpolate it)."""
    if isinstance(value, str):
        return value.replace('$', '$$')
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escape(v) for v in value]
    return value


def _fail(service, message):
    raise ComposeInputError('service %s: %s' % (service, message))


def _string_list(service, field, value):
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        _fail(service, '%s must be a list of strings (got %r)' % (field, value))
    return list(value)


def _env(service, field, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(service, '%s must be a dict of NAME: value (got %r)' % (field, type(value).__name__))
    out = {}
    for key, val in value.items():
        if not isinstance(key, str) or not _ENV_RE.match(key):
            _fail(service, '%s has an invalid variable name %r' % (field, key))
        if isinstance(val, bool):
            val = 'true' if val else 'false'
        elif val is None:
            val = ''
        elif isinstance(val, (int, float)):
            val = str(val)
        elif not isinstance(val, str):
            _fail(service, '%s.%s must be a string (got %s)' % (field, key, type(val).__name__))
        out[key] = val
    return out


def _mounts(service, field, value, kind):
    out = []
    for mount in value or []:
        if not isinstance(mount, dict) or not mount.get('source') or not mount.get('target'):
            _fail(service, '%s entries need a source and a target (got %r)' % (field, mount))
        source, target = str(mount['source']), str(mount['target'])
        if kind == 'volume' and not _NAME_RE.match(source):
            _fail(service, '%s: %r is not a valid volume name' % (field, source))
        if kind == 'bind' and not source.startswith('/'):
            _fail(service, '%s: the source %r must be an absolute path' % (field, source))
        if not target.startswith('/'):
            _fail(service, '%s: the target %r must be an absolute path' % (field, target))
        entry = {'type': kind, 'source': source, 'target': target}
        if mount.get('read_only'):
            entry['read_only'] = True
        out.append(entry)
    return out


def _mode(service, field, value, default):
    mode = default if value is None else str(value)
    if not _MODE_RE.match(mode):
        _fail(service, '%s: mode %r must be octal, such as 0644' % (field, value))
    return mode if len(mode) == 4 else '0' + mode


def _relative(path):
    return bool(path) and not path.startswith('/') and '..' not in path.split('/')


def _directories(service, value):
    out = []
    if not isinstance(value or [], (list, tuple)):
        _fail(service, 'directories must be a list (got %r)' % (value,))
    for entry in value or []:
        if not isinstance(entry, dict) or not str(entry.get('path') or '').startswith('/'):
            _fail(service, 'directories entries need an absolute path (got %r)' % (entry,))
        out.append({'path': str(entry['path']), 'mode': _mode(service, 'directories', entry.get('mode'), '0755')})
    return out


def _files(service, value, volumes):
    """The checked ``files`` of a service: [{path, volume, content, mode, secret, state}]."""
    out = []
    if not isinstance(value or [], (list, tuple)):
        _fail(service, 'files must be a list (got %r)' % (value,))
    for entry in value or []:
        if not isinstance(entry, dict):
            _fail(service, 'files entries must be dicts (got %r)' % (entry,))
        path, volume = str(entry.get('path') or ''), entry.get('volume')
        if volume:
            if volume not in volumes:
                _fail(service, 'files: %r is not one of the service\'s volumes (%s)' % (volume, ', '.join(volumes) or 'none'))
            if not _relative(path):
                _fail(service, 'files: %r must be a path relative to volume %s (no "..")' % (path, volume))
        elif not path.startswith('/') or '..' in path.split('/'):
            _fail(service, 'files: %r must be an absolute path (or set volume)' % (path,))
        state = entry.get('state') or 'present'
        if state not in ('present', 'absent'):
            _fail(service, 'files: state must be present or absent (got %r)' % (state,))
        content = entry.get('content')
        if state == 'present' and not isinstance(content, str):
            _fail(service, 'files: %s needs its content as text' % path)
        out.append({'path': path, 'volume': str(volume or ''), 'content': content if state == 'present' else None,
                    'mode': _mode(service, 'files', entry.get('mode'), '0644'), 'secret': bool(entry.get('secret')),
                    'state': state})
    return out


def files_digest(config_hash, files):
    """The config-hash label's value: ``config_hash`` alone when there are no files, else a digest of
    it and every file's place, mode, state and content."""
    if not files:
        return str(config_hash or '')
    parts = [str(config_hash or '')] + [
        [f['volume'], f['path'], f['mode'], f['state'], hashlib.sha256((f['content'] or '').encode('utf-8')).hexdigest()]
        for f in files]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode('utf-8')).hexdigest()[:16]


def _ports(service, value):
    out = []
    for port in value or []:
        if not isinstance(port, dict):
            _fail(service, 'ports entries must be dicts (got %r)' % (port,))
        try:
            published, target = int(port.get('published', port.get('target'))), int(port['target'])
        except (KeyError, TypeError, ValueError):
            _fail(service, 'ports entries need a numeric target (and published) port (got %r)' % (port,))
        if not (0 < published < 65536 and 0 < target < 65536):
            _fail(service, 'ports: %s -> %s is not a valid port' % (published, target))
        protocol = port.get('protocol', 'tcp')
        if protocol not in ('tcp', 'udp'):
            _fail(service, 'ports: protocol must be tcp or udp (got %r)' % (protocol,))
        entry = {'target': target, 'published': str(published), 'protocol': protocol}
        if port.get('address'):
            entry['host_ip'] = str(port['address'])
        out.append(entry)
    return out


def _healthcheck(service, value, start_interval_ok=False):
    if not value:
        return None
    if not isinstance(value, dict):
        _fail(service, 'healthcheck must be a dict (got %r)' % (value,))
    test = _string_list(service, 'healthcheck.test', value.get('test'))
    if not test or test[0] not in ('CMD', 'CMD-SHELL', 'NONE'):
        _fail(service, 'healthcheck.test must be a list starting with CMD, CMD-SHELL or NONE (got %r)' % (test,))
    out = {'test': test}
    for key in ('interval', 'timeout', 'start_period', 'start_interval'):
        if value.get(key) is not None:
            duration = str(value[key])
            if not _DURATION_RE.match(duration):
                _fail(service, 'healthcheck.%s must be a duration such as 15s or 1m30s (got %r)' % (key, duration))
            out[key] = duration
    if value.get('retries') is not None:
        out['retries'] = int(value['retries'])
    if not start_interval_ok:
        out.pop('start_interval', None)
    elif 'start_period' in out and 'start_interval' not in out and test[0] != 'NONE':
        out['start_interval'] = DEFAULT_START_INTERVAL
    return out


def _gpus(service, value):
    if not value:
        return None
    if not isinstance(value, dict) or not (('count' in value) ^ ('device_ids' in value)):
        _fail(service, "gpus must be {'count': 'all' or N} or {'device_ids': [...]} (got %r)" % (value,))
    device = {'driver': 'nvidia', 'capabilities': ['gpu']}
    if 'count' in value:
        count = value['count']
        if count != 'all' and not (isinstance(count, int) and count > 0):
            _fail(service, "gpus.count must be 'all' or a positive number (got %r)" % (count,))
        device['count'] = count
    else:
        device['device_ids'] = [str(i) for i in value['device_ids']]
        if not device['device_ids']:
            _fail(service, 'gpus.device_ids must not be empty')
    return {'resources': {'reservations': {'devices': [device]}}}


def _service(desc, role, network, names, start_interval_ok=False):
    if not isinstance(desc, dict):
        raise ComposeInputError('every service must be a dict (got %r)' % (desc,))
    name = desc.get('name')
    if not isinstance(name, str) or not _PROJECT_RE.match(name):
        raise ComposeInputError('a service needs a name of lower-case letters, digits, - and _ (got %r)' % (name,))
    if name in names:
        _fail(name, 'the name is used twice')
    unknown = sorted(set(desc) - _KNOWN)
    if unknown:
        _fail(name, 'unknown field(s) %s' % ', '.join(unknown))
    image = desc.get('image')
    if not isinstance(image, str) or not image or ' ' in image:
        _fail(name, 'image must be an image reference (got %r)' % (image,))
    container = desc.get('container_name') or name
    if not _NAME_RE.match(container):
        _fail(name, 'container_name %r is not a valid container name' % (container,))
    restart = desc.get('restart') or 'unless-stopped'
    if restart.split(':')[0] not in _RESTART:
        _fail(name, 'restart must be one of %s (got %r)' % (', '.join(_RESTART), restart))
    environment = _env(name, 'environment', desc.get('environment'))
    secret = _env(name, 'secret_environment', desc.get('secret_environment'))
    both = sorted(set(environment) & set(secret))
    if both:
        _fail(name, '%s set in both environment and secret_environment' % ', '.join(both))
    labels = {str(k): str(v) for k, v in (desc.get('labels') or {}).items()}
    labels[ROLE_LABEL] = role
    pins = desc.get('pins')
    if pins:
        if not isinstance(pins, dict) or not all(isinstance(k, str) and k for k in pins):
            _fail(name, 'pins must be a dict of role variable name to value (got %r)' % (pins,))
        labels[PINS_LABEL] = json.dumps(dict((k, '' if v is None else str(v)) for k, v in pins.items()),
                                        sort_keys=True, separators=(',', ':'))
    named = [str(m.get('source')) for m in desc.get('volumes') or [] if isinstance(m, dict)]
    files = _files(name, desc.get('files'), named)
    directories = _directories(name, desc.get('directories'))
    digest = files_digest(desc.get('config_hash'), files)
    if digest:
        labels[CONFIG_HASH_LABEL] = digest
    if desc.get('port') is not None:
        try:
            port = int(desc['port'])
        except (TypeError, ValueError):
            port = 0
        if not 0 < port < 65536:
            _fail(name, 'port must be a port number 1-65535 (got %r)' % (desc['port'],))
        labels[PORT_LABEL] = str(port)
    service = {
        'image': image,
        'container_name': container,
        'restart': restart,
        'networks': [network],
        'labels': dict(sorted(labels.items())),
    }
    for field in ('command', 'entrypoint'):
        value = _string_list(name, field, desc.get(field))
        if value is not None:
            service[field] = value
    if environment:
        service['environment'] = dict(sorted(environment.items()))
    mounts = _mounts(name, 'volumes', desc.get('volumes'), 'volume') + _mounts(name, 'binds', desc.get('binds'), 'bind')
    if mounts:
        service['volumes'] = mounts
    ports = _ports(name, desc.get('ports'))
    if ports:
        service['ports'] = ports
    health = _healthcheck(name, desc.get('healthcheck'), start_interval_ok)
    if health:
        service['healthcheck'] = health
    deploy = _gpus(name, desc.get('gpus'))
    if deploy:
        service['deploy'] = deploy
    depends = desc.get('depends_on') or {}
    if not isinstance(depends, dict) or any(c not in _CONDITIONS for c in depends.values()):
        _fail(name, 'depends_on must map service names to one of %s (got %r)' % (', '.join(_CONDITIONS), depends))
    if depends:
        service['depends_on'] = {dep: {'condition': cond} for dep, cond in sorted(depends.items())}
    options = desc.get('options') or {}
    if not isinstance(options, dict):
        _fail(name, 'options must be a dict of Compose service keys (got %r)' % (options,))
    owned = sorted(set(options) & _OWNED_OPTIONS)
    if owned:
        _fail(name, 'options may not set %s: use the service fields' % ', '.join(owned))
    service.update(options)
    override = {}
    if secret:
        override['environment'] = dict(sorted(secret.items()))
    secret_command = _string_list(name, 'secret_command', desc.get('secret_command'))
    if secret_command is not None:
        if 'command' in service:
            _fail(name, 'set command or secret_command, not both')
        override['command'] = secret_command
    return name, container, service, override, files, directories


def split_headers(headers):
    """``(public, secret)`` parts of a header dict (see PUBLIC_HEADERS)."""
    public, secret = {}, {}
    for key, value in (headers or {}).items():
        (public if str(key).lower() in PUBLIC_HEADERS else secret)[str(key)] = str(value)
    return public, secret


def http_checks(services):
    """The services' ``http_checks`` as the host module's ``checks`` (each with its ``service``, and its
    ``public_headers``) and ``check_headers`` (check name -> the other headers, which may carry a key):
    ``(checks, headers)``."""
    checks, headers = [], {}
    for desc in services:
        service = desc.get('name')
        items = desc.get('http_checks') or []
        if not isinstance(items, (list, tuple)):
            _fail(service, 'http_checks must be a list of checks (got %r)' % (items,))
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get('name'), str) or not item.get('name'):
                _fail(service, 'every http_checks item needs a name (got %r)' % (item,))
            name = item['name']
            unknown = sorted(set(item) - _CHECK_KEYS)
            if unknown:
                _fail(service, 'http_checks %s: unknown keys %s' % (name, ', '.join(unknown)))
            if name in headers or any(c['name'] == name for c in checks):
                _fail(service, 'http_checks %s: the name is used twice in the project' % name)
            if not item.get('url') and not str(item.get('path') or '').startswith('/'):
                _fail(service, 'http_checks %s: set a path starting with / or an absolute url' % name)
            if item.get('url') and not re.match(r'^https?://', str(item['url'])):
                _fail(service, 'http_checks %s: url must start with http:// or https:// (got %r)' % (name, item['url']))
            method = str(item.get('method') or 'GET').upper()
            if method not in _METHODS:
                _fail(service, 'http_checks %s: method must be one of %s (got %r)' % (name, ', '.join(_METHODS), method))
            check = dict((k, v) for k, v in item.items() if k != 'headers' and v is not None)
            check.update(service=service, method=method)
            if 'status_code' in check:
                check['status_code'] = [int(c) for c in (check['status_code'] if isinstance(check['status_code'], (list, tuple))
                                                         else [check['status_code']])]
            if item.get('headers'):
                if not isinstance(item['headers'], dict):
                    _fail(service, 'http_checks %s: headers must be a dict' % name)
                public, secret = split_headers(item['headers'])
                if public:
                    check['public_headers'] = public
                if secret:
                    headers[name] = secret
            checks.append(check)
    return checks, headers


def build(project, role, services, network, engine_version=None):
    """Compose files for ``services`` (a list of descriptions) as project ``project``.

    ``engine_version`` is the host's Docker Engine version (ServerVersion); it decides whether the
    health checks get a start_interval (see ``supports_start_interval``).

    Returns ``{'compose': dict, 'override': dict or None, 'volumes': [...], 'containers': {service:
    container name}}``: ``compose`` is compose.yaml (no secret in it), ``override`` holds only the
    secret environment and secret commands (compose.override.yaml, mode 0600; Compose reads both by default), and
    ``volumes`` the named volumes to create before ``up`` (declared external), ``files`` and
    ``directories`` what the runtime writes on the host before ``up`` (each file with its service).
    """
    if not isinstance(project, str) or not _PROJECT_RE.match(project):
        raise ComposeInputError('the project name must be lower-case letters, digits, - and _ (got %r)' % (project,))
    if not isinstance(role, str) or not role:
        raise ComposeInputError('the role label must be a non-empty string (got %r)' % (role,))
    if not isinstance(network, str) or not _NAME_RE.match(network):
        raise ComposeInputError('the network must be a valid Docker network name (got %r)' % (network,))
    if not isinstance(services, (list, tuple)) or not services:
        raise ComposeInputError('a project needs at least one service')
    compose_services, secrets, containers, volumes, files, directories = {}, {}, {}, [], [], []
    start_interval_ok = supports_start_interval(engine_version)
    for desc in services:
        name, container, service, override, own_files, own_dirs = _service(
            desc, role, network, compose_services, start_interval_ok)
        files.extend(dict(f, service=name) for f in own_files)
        directories.extend(d for d in own_dirs if d not in directories)
        if container in containers.values():
            _fail(name, 'container_name %r is used by another service' % (container,))
        compose_services[name] = service
        containers[name] = container
        if override:
            secrets[name] = override
        for mount in service.get('volumes', []):
            if mount['type'] == 'volume' and mount['source'] not in volumes:
                volumes.append(mount['source'])
    for name, service in compose_services.items():
        missing = sorted(set(service.get('depends_on', {})) - set(compose_services))
        if missing:
            _fail(name, 'depends_on names %s, which is not a service of project %s' % (', '.join(missing), project))
    compose = {
        'name': project,
        'services': _escape(compose_services),
        'networks': {network: {'external': True, 'name': network}},
    }
    if volumes:
        compose['volumes'] = {v: {'external': True, 'name': v} for v in volumes}
    override = {'services': _escape(secrets)} if secrets else None
    places = [(f['volume'], f['path']) for f in files]
    twice = sorted(set('%s:%s' % p if p[0] else p[1] for p in places if places.count(p) > 1))
    if twice:
        raise ComposeInputError('project %s: files written twice: %s' % (project, ', '.join(twice)))
    return {'compose': compose, 'override': override, 'volumes': volumes, 'containers': containers,
            'files': files, 'directories': directories}
