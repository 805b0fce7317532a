# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the owu_topology
# filter); not a public API.

"""Site topology: validate an inventory of numberone.owu hosts and compute the wiring between them.

Pure data in, data out (no Ansible imports), so unit tests call it directly; the filter plugin
``plugins/filter/owu_topology.py`` is a thin wrapper and ``roles/topology`` feeds it from
``groups`` and ``hostvars``. ``docs/topology.md`` describes the result.

Input
    ``groups``: the inventory's groups (the ``groups`` magic variable, or any dict of group name
    to host list); the four groups ``owu``, ``owu_gpu``, ``owu_app`` and ``owu_data`` are read.
    ``hosts``: one dict per host of ``owu`` with the host's settings, keys (all optional):
    ``address`` (owu_internal_address), ``address_source`` (where it came from, for messages),
    ``exposure``, ``domain``, ``acme_email``, ``acme_ca``, ``tls_certificate``, ``tls_key``,
    ``tls_certificate_exists``, ``tls_key_exists``, ``lan_address``, ``firewall_extra_ports``,
    ``ssh_port``, ``openwebui_port``, ``langfuse_web_port``, ``qdrant_port``, ``qdrant_grpc_port``,
    ``ollama_ports`` (list), ``ollama_publish`` (none/loopback/lan), ``ollama_publish_address``,
    ``pipelines_publish`` (none/loopback), ``pipelines_port``, ``proxy_http_port``,
    ``proxy_https_port``.

Output (``build``)
    ``errors``: list of messages, each naming the host, the variable and the fix; empty = valid.
    ``warnings``: things that work but deserve a word.
    ``hosts``: per host ``{'roles': [...], 'site_roles': [...], 'wiring': {...}, 'bindings': [...]}``
    (``site_roles``: the collection's roles site.yml runs there, in its order) where ``wiring``
    is what the topology role sets as ``owu_wiring`` on the host.
    ``gpu_hosts``, ``app_hosts``, ``data_host`` (name or None).

``ollama_wiring`` (one app host's Ollama servers and embedding model, from the topology and the
GPU hosts' model plans) and ``connection_urls`` (the data host's services) use that result.
"""

from __future__ import annotations

import ipaddress
import re

GROUP_ALL = 'owu'
GROUP_GPU = 'owu_gpu'
GROUP_APP = 'owu_app'
GROUP_DATA = 'owu_data'
ROLE_GROUPS = (GROUP_GPU, GROUP_APP, GROUP_DATA)
# The collection's roles that site.yml runs on a host, in site.yml's order, by the host's service
# groups: every host gets the host roles, then the service roles of its groups.
SITE_ROLES = (
    ('all', 'docker'), ('all', 'nvidia_toolkit'),
    ('gpu', 'ollama'),
    ('data', 'qdrant'), ('data', 'langfuse_stack'),
    ('app', 'pipelines'), ('app', 'openwebui'), ('app', 'reverse_proxy'),
    ('all', 'firewall'),
)

EXPOSURES = ('local', 'lan', 'public')
LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory'

DEFAULTS = {
    'exposure': 'local',
    'domain': '',
    'acme_email': '',
    'acme_ca': '',
    'tls_certificate': '',
    'tls_key': '',
    'lan_address': '',
    'firewall_extra_ports': [],
    'ssh_port': 22,
    'openwebui_port': 3000,
    'langfuse_web_port': 3001,
    'qdrant_port': 6333,
    'qdrant_grpc_port': 6334,
    'ollama_ports': [11434],
    'ollama_publish': 'none',
    'ollama_publish_address': '0.0.0.0',
    'pipelines_publish': 'none',
    'pipelines_port': 9099,
    'proxy_http_port': 80,
    'proxy_https_port': 443,
}

WILDCARDS = ('0.0.0.0', '::', '')
DOMAIN_RE = re.compile(r'^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$')
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
HTTPS_URL_RE = re.compile(r'^https://[^/\s?#@]+(/[^\s]*)?$')
EXTRA_PORT_RE = re.compile(r'^([0-9]{1,5})(/(tcp|udp))?$')


class TopologyInputError(ValueError):
    """The input is not shaped like groups + per-host settings (a programming error)."""


def _is_ip(value):
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _port(value):
    """``value`` as a port number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return port if 1 <= port <= 65535 else None


def parse_extra_port(value):
    """``8080``, ``"8080"``, ``"51820/udp"`` -> ``(port, proto)``; None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, 'tcp') if 1 <= value <= 65535 else None
    match = EXTRA_PORT_RE.match(str(value).strip())
    if not match:
        return None
    port = int(match.group(1))
    if not 1 <= port <= 65535:
        return None
    return port, match.group(3) or 'tcp'


def addresses_overlap(first, second):
    """Whether two host bind addresses collide for one port (a wildcard collides with all)."""
    first = str(first or '').strip('[]')
    second = str(second or '').strip('[]')
    if first in WILDCARDS or second in WILDCARDS:
        return True
    try:
        return ipaddress.ip_address(first) == ipaddress.ip_address(second)
    except ValueError:
        return first == second


def _settings(raw):
    settings = dict(DEFAULTS)
    for key, value in (raw or {}).items():
        if value is not None:
            settings[key] = value
    return settings


def _group(groups, name):
    members = groups.get(name) or []
    if isinstance(members, str) or not isinstance(members, (list, tuple)):
        raise TopologyInputError('group %s must be a list of host names, got %r' % (name, members))
    return [str(h) for h in members]


def bindings(name, settings, roles, publish):
    """Every host address:port the host's services publish, as dicts (service, variable, address, port)."""
    out = []

    def add(service, variable, address, port):
        out.append({'service': service, 'variable': variable, 'address': str(address), 'port': port})

    exposure = settings['exposure']
    if 'app' in roles:
        port = _port(settings['openwebui_port'])
        if exposure == 'local':
            add('openwebui', 'openwebui_port', '127.0.0.1', port)
        elif exposure == 'lan':
            add('openwebui', 'openwebui_port', settings['lan_address'] or '0.0.0.0', port)
        elif exposure == 'public':
            add('reverse_proxy', 'reverse_proxy_http_port', '0.0.0.0', _port(settings['proxy_http_port']))
            add('reverse_proxy', 'reverse_proxy_https_port', '0.0.0.0', _port(settings['proxy_https_port']))
        if settings['pipelines_publish'] == 'loopback':
            add('pipelines', 'pipelines_port', '127.0.0.1', _port(settings['pipelines_port']))
    if 'gpu' in roles:
        ollama_addresses = []
        if settings['ollama_publish'] == 'loopback':
            ollama_addresses.append('127.0.0.1')
        elif settings['ollama_publish'] == 'lan':
            ollama_addresses.append(settings['ollama_publish_address'] or '0.0.0.0')
        if not any(a in WILDCARDS for a in ollama_addresses):
            ollama_addresses += [a for a in publish['ollama'] if a not in ollama_addresses]
        for address in ollama_addresses:
            for port in settings['ollama_ports'] or []:
                add('ollama', 'ollama_port', address, _port(port))
    if 'data' in roles:
        add('langfuse', 'langfuse_stack_web_port', '127.0.0.1', _port(settings['langfuse_web_port']))
        for address in publish['langfuse']:
            add('langfuse', 'langfuse_stack_web_port', address, _port(settings['langfuse_web_port']))
        for address in publish['qdrant']:
            add('qdrant', 'qdrant_port', address, _port(settings['qdrant_port']))
    return out


def port_conflicts(name, binds):
    """Messages for two services publishing the same port on overlapping addresses of one host."""
    errors = []
    seen = []
    for bind in binds:
        if bind['port'] is None:
            continue
        for other in seen:
            if other['port'] == bind['port'] and addresses_overlap(other['address'], bind['address']) \
                    and (other['service'], other['variable']) != (bind['service'], bind['variable']):
                errors.append(
                    '%s: %s (%s) and %s (%s) both publish port %d on %s/%s of this host: give one of them '
                    'another port (set %s or %s on %s)' % (
                        name, other['service'], other['variable'], bind['service'], bind['variable'], bind['port'],
                        other['address'] or '0.0.0.0', bind['address'] or '0.0.0.0',
                        other['variable'], bind['variable'], name))
        seen.append(bind)
    # The same pair may collide on several addresses; say it once.
    unique = []
    for message in errors:
        if message not in unique:
            unique.append(message)
    return unique


def _validate_host(name, settings, roles, multi_host):
    errors = []
    warnings = []
    exposure = settings['exposure']
    if exposure not in EXPOSURES:
        errors.append('%s: owu_exposure is %r: use one of local (Open WebUI on 127.0.0.1, reach it by SSH tunnel), '
                      'lan (Open WebUI on the LAN, plain HTTP) or public (HTTPS through the reverse proxy, '
                      'with the firewall)' % (name, exposure))
    address = str(settings.get('address') or '')
    if multi_host and not _is_ip(address):
        errors.append('%s: owu_internal_address is %r (from %s), not an IP address; the other stack hosts reach '
                      'this host\'s services there: set owu_internal_address to its IP on the network the stack '
                      'hosts share' % (name, address, settings.get('address_source') or 'the inventory'))
    lan = str(settings['lan_address'] or '')
    if lan and not _is_ip(lan):
        errors.append('%s: owu_lan_address is %r: use an IP address of this host (or "" for every address)' % (name, lan))
    for variable, key in (('openwebui_port', 'openwebui_port'), ('langfuse_stack_web_port', 'langfuse_web_port'),
                          ('qdrant_port', 'qdrant_port'), ('reverse_proxy_http_port', 'proxy_http_port'),
                          ('reverse_proxy_https_port', 'proxy_https_port')):
        if _port(settings[key]) is None:
            errors.append('%s: %s is %r: use a port number 1-65535' % (name, variable, settings[key]))
    ollama_ports = settings['ollama_ports']
    if not isinstance(ollama_ports, (list, tuple)) or any(_port(p) is None for p in ollama_ports):
        errors.append('%s: ollama_port is %r: use a port number 1-65535 (per_gpu uses it and the next ones)' % (name, ollama_ports))
    extra = settings['firewall_extra_ports']
    if isinstance(extra, (str, int)) or not isinstance(extra, (list, tuple)):
        errors.append('%s: owu_firewall_extra_ports must be a list of ports such as [8443, "51820/udp"], got %r' % (name, extra))
    else:
        bad = [p for p in extra if parse_extra_port(p) is None]
        if bad:
            errors.append('%s: owu_firewall_extra_ports has invalid entries %r: use port numbers 1-65535, '
                          'optionally with /tcp or /udp (e.g. 8443 or "51820/udp")' % (name, bad))
    if exposure == 'public' and 'app' in roles:
        domain = str(settings['domain'] or '')
        if not domain:
            errors.append('%s: owu_exposure is public but owu_domain is empty: set owu_domain to the DNS name users '
                          'open (e.g. chat.example.org, pointing at this host), or use owu_exposure: lan/local' % name)
        elif not DOMAIN_RE.match(domain):
            errors.append('%s: owu_domain %r is not a DNS name: use a fully qualified name such as chat.example.org '
                          '(no scheme, port or path)' % (name, domain))
        cert = str(settings['tls_certificate'] or '')
        key = str(settings['tls_key'] or '')
        email = str(settings['acme_email'] or '')
        acme_ca = str(settings['acme_ca'] or '')
        if bool(cert) != bool(key):
            errors.append('%s: owu_tls_certificate and owu_tls_key must be set together (controller paths of the '
                          'PEM certificate chain and its private key); only %s is set' % (
                              name, 'owu_tls_certificate' if cert else 'owu_tls_key'))
        elif cert:
            if settings.get('tls_certificate_exists') is False:
                errors.append('%s: owu_tls_certificate %s does not exist on the controller: fix the path' % (name, cert))
            if settings.get('tls_key_exists') is False:
                errors.append('%s: owu_tls_key %s does not exist on the controller: fix the path' % (name, key))
        elif not email:
            errors.append('%s: owu_exposure is public but there is no certificate: set owu_acme_email (certificates '
                          'from Let\'s Encrypt or owu_acme_ca) or owu_tls_certificate + owu_tls_key (your own)' % name)
        if email and not EMAIL_RE.match(email):
            errors.append('%s: owu_acme_email %r is not an e-mail address' % (name, email))
        if acme_ca and not HTTPS_URL_RE.match(acme_ca):
            errors.append('%s: owu_acme_ca %r is not an https:// ACME directory URL (e.g. %s)' % (name, acme_ca, LETS_ENCRYPT))
        if cert and email:
            warnings.append('%s: owu_tls_certificate is set, so owu_acme_email is not used' % name)
    if exposure == 'lan' and 'app' in roles:
        warnings.append('%s: owu_exposure is lan: Open WebUI is published on %s:%s in plain HTTP, without the '
                        'firewall' % (name, lan or '0.0.0.0', settings['openwebui_port']))
    return errors, warnings


def build(groups, hosts):
    """Validate the inventory and compute every host's wiring (see the module docstring)."""
    if not isinstance(groups, dict):
        raise TopologyInputError('groups must be a dict of group name to host list')
    if not isinstance(hosts, dict):
        raise TopologyInputError('hosts must be a dict of host name to settings')
    members = {g: _group(groups, g) for g in (GROUP_ALL,) + ROLE_GROUPS}
    errors = []
    warnings = []
    everyone = list(members[GROUP_ALL])
    for group in ROLE_GROUPS:
        for name in members[group]:
            if name not in members[GROUP_ALL]:
                errors.append('%s: in group %s but not in %s: make %s a child group of %s in the inventory '
                              '(owu: {children: {%s: ...}})' % (name, group, GROUP_ALL, group, GROUP_ALL, group))
                if name not in everyone:
                    everyone.append(name)
    for name in members[GROUP_ALL]:
        if not any(name in members[g] for g in ROLE_GROUPS):
            errors.append('%s: in group owu but in none of owu_gpu, owu_app, owu_data, so nothing would run there: '
                          'add it to the group(s) of the services it should run, or remove it from owu' % name)
    if len(members[GROUP_DATA]) > 1:
        errors.append('owu_data has %d hosts (%s): the stack runs one Qdrant and one Langfuse, so put exactly one host '
                      'in owu_data (or none)' % (len(members[GROUP_DATA]), ', '.join(members[GROUP_DATA])))
    if members[GROUP_ALL] and not members[GROUP_APP]:
        warnings.append('owu_app is empty: no Open WebUI, Pipelines or reverse proxy is deployed')
    if members[GROUP_APP] and not members[GROUP_GPU]:
        warnings.append('owu_gpu is empty: Open WebUI runs without Ollama (only the OpenAI-compatible connections '
                        'in openwebui_openai_connections serve models)')
    if members[GROUP_APP] and not members[GROUP_DATA]:
        warnings.append('owu_data is empty: Open WebUI keeps its vectors in the built-in Chroma store and Pipelines '
                        'has no Qdrant (memory) or Langfuse (tracing) to use')

    settings = {name: _settings(hosts.get(name)) for name in everyone}
    multi_host = len(everyone) > 1
    app_hosts = members[GROUP_APP]
    data_host = members[GROUP_DATA][0] if members[GROUP_DATA] else None
    result_hosts = {}
    by_address = {}
    for name in everyone:
        roles = [r for r, g in (('gpu', GROUP_GPU), ('app', GROUP_APP), ('data', GROUP_DATA)) if name in members[g]]
        host = settings[name]
        address = str(host.get('address') or '')
        remote_apps = [a for a in app_hosts if a != name]
        publish = {
            'ollama': [address] if 'gpu' in roles and remote_apps and address else [],
            'qdrant': [address] if 'data' in roles and name == data_host and remote_apps and address else [],
            'langfuse': [address] if 'data' in roles and name == data_host and remote_apps and address else [],
        }
        host_errors, host_warnings = _validate_host(name, host, roles, multi_host)
        errors += host_errors
        warnings += host_warnings
        binds = bindings(name, host, roles, publish) if not host_errors else []
        errors += port_conflicts(name, binds)
        if multi_host and _is_ip(address):
            by_address.setdefault(str(ipaddress.ip_address(address)), []).append(name)
        internal_ports = []
        for service in ('ollama', 'qdrant', 'langfuse'):
            for bind in binds:
                if bind['service'] == service and bind['address'] in publish[service] and bind['port'] not in internal_ports:
                    internal_ports.append(bind['port'])
        result_hosts[name] = {
            'roles': roles,
            'site_roles': [role for group, role in SITE_ROLES if group == 'all' or group in roles],
            'bindings': binds,
            'wiring': {
                'exposure': host['exposure'],
                'address': address,
                'publish': publish,
                'peers': [],
                'internal_ports': sorted(internal_ports),
                'gpu_hosts': list(members[GROUP_GPU]),
                'app_hosts': list(app_hosts),
                'data_host': data_host,
            },
        }
    for address, names in sorted(by_address.items()):
        if len(names) > 1:
            errors.append('%s: all have owu_internal_address %s: each stack host needs its own address (set '
                          'owu_internal_address per host in host_vars)' % (', '.join(names), address))
    for name in everyone:
        result_hosts[name]['wiring']['peers'] = [
            str(settings[other].get('address') or '') for other in everyone
            if other != name and _is_ip(settings[other].get('address') or '')]
    return {
        'errors': errors,
        'warnings': warnings,
        'hosts': result_hosts,
        'gpu_hosts': list(members[GROUP_GPU]),
        'app_hosts': list(app_hosts),
        'data_host': data_host,
    }


def connection_urls(app_host, data_host, data_address, qdrant_port=6333, langfuse_web_port=3001):
    """URLs an app host uses for the data host's Qdrant and Langfuse (container names when local)."""
    if not data_host:
        return {}
    if app_host == data_host:
        return {'qdrant': 'http://qdrant:6333', 'langfuse': 'http://langfuse-web:3000'}
    host = '[%s]' % data_address if ':' in str(data_address) else str(data_address)
    return {'qdrant': 'http://%s:%s' % (host, int(qdrant_port)), 'langfuse': 'http://%s:%s' % (host, int(langfuse_web_port))}


def _url_host(address):
    address = str(address)
    return '[%s]' % address if ':' in address and not address.startswith('[') else address


def ollama_wiring(app_host, ollama_hosts, topology=None):
    """Every Ollama an app host uses, and the one embedding model both its consumers use.

    ``ollama_hosts``: per host that runs Ollama (the ``owu_gpu`` hosts, in group order), a dict
    with ``plan`` (the host's ``ollama_plan`` fact: ``instances`` [{name, port}], ``by_purpose``),
    and optionally the inventory's ``publish`` (ollama_publish), ``publish_address``
    (ollama_publish_address), ``publish_addresses`` (ollama_publish_addresses) and
    ``ansible_host``. ``topology``: the ``build`` result (None = only ``app_host`` itself is
    known, e.g. a role used alone); another host's internal address comes from its
    ``wiring.publish.ollama`` there unless ``publish_addresses`` is set.

    Returns ``{'urls': [...], 'unreachable': [{'host', 'url'}], 'embedding': {'model', 'url'}}``:
    ``urls`` lists this host's Ollama first (container names on the ``owu`` network), then each
    other host's that is published for it (internal address, or ``ollama_publish: lan``);
    ``unreachable`` the others; ``embedding`` the first reachable host (same order) whose plan
    has an embedding model, and that host's first URL, so Open WebUI's RAG and the Pipelines
    memory filter embed with the same model on the same server (empty strings when none has one).
    """
    if not isinstance(ollama_hosts, dict):
        raise TopologyInputError('ollama_hosts must be a dict of host name to {plan, publish, ...}')
    topo_hosts = (topology or {}).get('hosts') or {}
    order = ([app_host] if app_host in ollama_hosts else []) + [h for h in ollama_hosts if h != app_host]
    urls, unreachable = [], []
    embedding = {'model': '', 'url': ''}
    for host in order:
        info = ollama_hosts[host] or {}
        plan = info.get('plan') or {}
        instances = plan.get('instances') or []
        if not instances:
            continue
        if host == app_host:
            host_urls = ['http://%s:%s' % (i['name'], int(i['port'])) for i in instances]
            reachable = True
        else:
            internal = list(info.get('publish_addresses') or [])
            if not internal:
                internal = list((((topo_hosts.get(host) or {}).get('wiring') or {}).get('publish') or {}).get('ollama') or [])
            reachable = bool(internal) or info.get('publish') == 'lan'
            if internal:
                address = internal[0]
            else:
                bind = str(info.get('publish_address') or '0.0.0.0')
                address = (info.get('ansible_host') or host) if bind in WILDCARDS else bind
            host_urls = ['http://%s:%s' % (_url_host(address), int(i['port'])) for i in instances]
        if not reachable:
            unreachable += [{'host': host, 'url': url} for url in host_urls]
            continue
        urls += host_urls
        model = str(((plan.get('by_purpose') or {}).get('embedding')) or '')
        if model and not embedding['model']:
            embedding = {'model': model, 'url': host_urls[0]}
    return {'urls': urls, 'unreachable': unreachable, 'embedding': embedding}
