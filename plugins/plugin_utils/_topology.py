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
    ``tls_certificate_exists``, ``tls_key_exists``, ``lan_address``, ``lan_hostname``,
    ``lan_subnets`` (None = the host's own subnet), ``lan_ca_certificate``, ``lan_ca_key`` (and their
    ``..._exists``), ``default_ipv4`` (``{'address', 'netmask'}`` of the host's default IPv4 route,
    from its facts; empty when unknown), ``firewall_extra_ports``, ``docker_network``.
    No port: each service role owns its ports and publishes what it binds (``<role>_bindings``,
    set by its ``check`` entry point); ``host_ports`` reads those in the second step.

Output (``build``)
    ``errors``: list of messages, each naming the host, the variable and the fix; empty = valid.
    ``warnings``: things that work but deserve a word.
    ``hosts``: per host ``{'roles': [...], 'site_roles': [...], 'wiring': {...}}``
    (``site_roles``: the collection's roles site.yml runs there, in its order) where ``wiring``
    is what the topology role sets as ``owu_wiring`` on the host.
    ``gpu_hosts``, ``app_hosts``, ``data_host`` (name or None).

The second step, after the roles' checks have published their facts, uses that result:
``host_ports`` (one host's bindings from every role that runs there: conflicts, and the ports the
firewall opens to the other stack hosts), ``ollama_wiring`` (one app host's Ollama servers and
embedding model, from the GPU hosts' model plans) and ``connection_urls`` (the data host's
services, from the endpoints its qdrant and langfuse_stack roles publish).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.numberone.owu.plugins.plugin_utils._ollama_services import model_name

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
    'lan_hostname': '',
    'lan_subnets': None,
    'lan_ca_certificate': '',
    'lan_ca_key': '',
    'default_ipv4': {},
    'firewall_extra_ports': [],
    'docker_network': 'owu',
}
# A Docker network name (docker/docker daemon/network: the same rule as a container name).
NETWORK_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$')

WILDCARDS = ('0.0.0.0', '::', '')
DOMAIN_RE = re.compile(r'^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$')
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
HTTPS_URL_RE = re.compile(r'^https://[^/\s?#@]+(/[^\s]*)?$')
EXTRA_PORT_RE = re.compile(r'^([0-9]{1,5})(/(tcp|udp))?$')
# A LAN host name: one label (mDNS/hosts-file names such as `llm`) or several (llm.home.arpa).
HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                         r'(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')


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


def port_bindings(ports, variable, addresses=None):
    """The bindings one role publishes (its ``<role>_bindings`` fact), from its Compose ports.

    ``ports``: the ``ports`` entries of the role's service descriptions (dicts with ``address``,
    ``published``, optionally ``protocol``), or, with ``addresses``, plain port numbers each
    published on every one of ``addresses``. ``variable``: the variable that sets the port, for
    messages; a dict maps a published port to its variable. Returns
    ``[{'variable', 'address', 'port', 'protocol'}]``; a port that is not a number is kept as None.
    """
    if addresses is not None:
        ports = [{'address': a, 'published': p} for a in addresses for p in ports]
    out = []
    for entry in ports or []:
        if not isinstance(entry, dict):
            raise TopologyInputError('a port binding must be a dict with address and published, got %r' % (entry,))
        port = _port(entry.get('published'))
        name = variable.get(port, variable.get(str(port), '')) if isinstance(variable, dict) else variable
        out.append({'variable': str(name or ''), 'address': str(entry.get('address') or '0.0.0.0').strip('[]'),
                    'port': port, 'protocol': str(entry.get('protocol') or 'tcp')})
    return out


def host_ports(name, address, published):
    """One host's published ports, checked across its roles (the second step of the topology).

    ``address``: the host's internal address (``owu_wiring.address``). ``published``: role name ->
    that role's ``<role>_bindings`` (see ``port_bindings``), for the roles that run on the host.
    Returns ``{'errors': [...], 'bindings': [{'service', 'variable', 'address', 'port',
    'protocol'}], 'internal_ports': [...]}``: two roles on one port and address are an error that
    names both variables; ``internal_ports`` are the TCP ports bound on the internal address, the
    ones the firewall opens to the other stack hosts.
    """
    if not isinstance(published, dict):
        raise TopologyInputError('published must be a dict of role name to its bindings')
    binds = []
    for service, entries in published.items():
        if entries is None:
            continue
        if not isinstance(entries, (list, tuple)):
            raise TopologyInputError('%s_bindings must be a list, got %r' % (service, entries))
        for entry in entries:
            if not isinstance(entry, dict):
                raise TopologyInputError('%s_bindings entries must be dicts, got %r' % (service, entry))
            binds.append({'service': str(service), 'variable': str(entry.get('variable') or ''),
                          'address': str(entry.get('address') or '0.0.0.0').strip('[]'),
                          'port': _port(entry.get('port')), 'protocol': str(entry.get('protocol') or 'tcp')})
    internal = sorted({b['port'] for b in binds if b['port'] is not None and b['protocol'] == 'tcp'
                       and address and addresses_overlap(b['address'], address)
                       and b['address'] not in WILDCARDS})
    return {'errors': port_conflicts(name, binds), 'bindings': binds, 'internal_ports': internal}


def port_conflicts(name, binds):
    """Messages for two services publishing the same port on overlapping addresses of one host."""
    errors = []
    seen = []
    for bind in binds:
        if bind['port'] is None:
            continue
        for other in seen:
            if other['port'] == bind['port'] and other.get('protocol', 'tcp') == bind.get('protocol', 'tcp') \
                    and addresses_overlap(other['address'], bind['address']) \
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
                      'lan (HTTPS on the LAN from a local CA, with the firewall) or public (HTTPS through the reverse proxy, '
                      'with the firewall)' % (name, exposure))
    address = str(settings.get('address') or '')
    if multi_host and not _is_ip(address):
        errors.append('%s: owu_internal_address is %r (from %s), not an IP address; the other stack hosts reach '
                      'this host\'s services there: set owu_internal_address to its IP on the network the stack '
                      'hosts share' % (name, address, settings.get('address_source') or 'the inventory'))
    network = settings['docker_network']
    if not isinstance(network, str) or not NETWORK_RE.match(network):
        errors.append('%s: owu_docker_network is %r: use a Docker network name (letters, digits, _ . -; e.g. owu); '
                      'every service of the collection on this host joins it' % (name, network))
    lan = str(settings['lan_address'] or '')
    if lan and not _is_ip(lan):
        errors.append('%s: owu_lan_address is %r: use an IP address of this host (or "" for every address)' % (name, lan))
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
    if exposure != 'lan' and settings.get('lan_subnets') is not None:
        warnings.append('%s: owu_lan_subnets is set but owu_exposure is %s: only the lan profile uses it' % (name, exposure))
    return errors, warnings


def host_subnet(default_ipv4):
    """The network of a host's default IPv4 route (``{'address', 'netmask'}`` from its facts), as
    ``a.b.c.d/n``; '' when unknown."""
    default_ipv4 = default_ipv4 if isinstance(default_ipv4, dict) else {}
    address = str(default_ipv4.get('address') or '')
    netmask = str(default_ipv4.get('netmask') or '')
    if not address or not netmask:
        return ''
    try:
        return str(ipaddress.ip_network('%s/%s' % (address, netmask), strict=False))
    except ValueError:
        return ''


def lan_settings(name, settings, roles):
    """The ``lan`` profile of one host: ``(errors, lan)``.

    ``lan``: ``subnets`` (the networks that may reach the reverse proxy's ports: owu_lan_subnets,
    default the host's own subnet), and on an app host ``address`` (the LAN IP the certificate
    and the TLS default name are for: owu_lan_address, else the default route's address),
    ``hostname`` (owu_lan_hostname, optional), ``names`` (what the proxy serves, the host name
    first: users open it), ``ca`` (``internal``: Caddy's own CA; ``provided``: the CA certificate
    and key in owu_lan_ca_certificate / owu_lan_ca_key sign).
    """
    errors = []
    route = settings.get('default_ipv4') if isinstance(settings.get('default_ipv4'), dict) else {}
    raw = settings.get('lan_subnets')
    default = host_subnet(route)
    subnets = []
    if raw is None:
        if default:
            subnets = [default]
        else:
            errors.append('%s: owu_exposure is lan but this host\'s subnet is unknown (no default IPv4 route in its '
                          'facts): set owu_lan_subnets to the networks whose devices may open Open WebUI, e.g. '
                          '["192.168.1.0/24"]' % name)
    elif isinstance(raw, (str, bytes, dict)) or not isinstance(raw, (list, tuple)) or not raw:
        errors.append('%s: owu_lan_subnets is %r: use a non-empty list of networks whose devices may open Open WebUI, '
                      'e.g. ["192.168.1.0/24", "fd00:1::/64"] (or leave it unset for this host\'s subnet%s)' % (
                          name, raw, ', ' + default if default else ''))
    else:
        for entry in raw:
            try:
                subnets.append(str(ipaddress.ip_network(str(entry).strip(), strict=True)))
            except ValueError:
                try:
                    hint = ': did you mean %s?' % ipaddress.ip_network(str(entry).strip(), strict=False)
                except ValueError:
                    hint = ': use a network in CIDR form such as 192.168.1.0/24'
                errors.append('%s: owu_lan_subnets has %r, which is not a network%s' % (name, entry, hint))
    lan = {'subnets': subnets}
    if 'app' not in roles:
        return errors, lan
    hostname = str(settings.get('lan_hostname') or '')
    if hostname and (_is_ip(hostname) or not HOSTNAME_RE.match(hostname)):
        errors.append('%s: owu_lan_hostname %r is not a host name: use the name LAN devices open, such as '
                      'llm.home.arpa or llm.local (no scheme, port or path), or "" for the address only' % (name, hostname))
    address = str(settings.get('lan_address') or '')
    if address in WILDCARDS or not _is_ip(address):
        address = str(route.get('address') or '')
    if not address:
        errors.append('%s: owu_exposure is lan but this host\'s LAN address is unknown (no default IPv4 route in its '
                      'facts): set owu_lan_address to the IP address LAN devices reach it at' % name)
    cert = str(settings.get('lan_ca_certificate') or '')
    key = str(settings.get('lan_ca_key') or '')
    if bool(cert) != bool(key):
        errors.append('%s: owu_lan_ca_certificate and owu_lan_ca_key must be set together (controller paths of your '
                      'CA\'s PEM certificate and its private key); only %s is set' % (
                          name, 'owu_lan_ca_certificate' if cert else 'owu_lan_ca_key'))
    elif cert:
        for variable, path, exists in (('owu_lan_ca_certificate', cert, settings.get('lan_ca_certificate_exists')),
                                       ('owu_lan_ca_key', key, settings.get('lan_ca_key_exists'))):
            if exists is False:
                errors.append('%s: %s %s does not exist on the controller: fix the path' % (name, variable, path))
    lan.update({'address': address, 'hostname': hostname,
                'names': [n for n in (hostname, address) if n],
                'ca': 'provided' if cert and key else 'internal'})
    return errors, lan


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
        lan = {}
        if host['exposure'] == 'lan':
            lan_errors, lan = lan_settings(name, host, roles)
            errors += lan_errors
        if multi_host and _is_ip(address):
            by_address.setdefault(str(ipaddress.ip_address(address)), []).append(name)
        result_hosts[name] = {
            'roles': roles,
            'site_roles': [role for group, role in SITE_ROLES if group == 'all' or group in roles],
            'wiring': {
                'exposure': host['exposure'],
                'lan': lan,
                'network': host['docker_network'],
                'address': address,
                'publish': publish,
                'peers': [],
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


def connection_urls(app_host, data_host, data_address, qdrant=None, langfuse=None):
    """URLs an app host uses for the data host's Qdrant and Langfuse.

    ``qdrant`` / ``langfuse``: the endpoints the data host's roles publish (``qdrant_endpoint``,
    ``langfuse_stack_endpoint``: ``container``, ``port`` on the Docker network, ``published_port``
    on the host); None or empty = not known. On the data host itself the container name and
    network port, elsewhere the data host's internal address and the published port. Returns
    ``{'qdrant': url or '', 'langfuse': url or ''}`` ({} without a data host).
    """
    if not data_host:
        return {}
    host = _url_host(data_address)
    out = {}
    for service, endpoint in (('qdrant', qdrant), ('langfuse', langfuse)):
        endpoint = endpoint or {}
        if not endpoint:
            out[service] = ''
        elif app_host == data_host:
            out[service] = 'http://%s:%d' % (endpoint['container'], int(endpoint['port']))
        else:
            out[service] = 'http://%s:%d' % (host, int(endpoint['published_port']))
    return out


def _url_host(address):
    address = str(address)
    return '[%s]' % address if ':' in address and not address.startswith('[') else address


LOOPBACK_RE = re.compile(r'^(127[.]|::1$|localhost$)')


def _reachable_address(host, bindings, internal, ansible_host):
    """The address another host reaches ``host``'s service at, from what the service binds there:
    the internal address when it is bound, else the first specific address that is not a
    loopback, else (bound on every address) the host's ``ansible_host``; None when only the
    loopback is bound or nothing."""
    addresses = []
    for bind in bindings or []:
        address = str((bind or {}).get('address') or '0.0.0.0').strip('[]')
        if not LOOPBACK_RE.match(address) and address not in addresses:
            addresses.append(address)
    if internal and any(a not in WILDCARDS and addresses_overlap(a, internal) for a in addresses):
        return internal
    specific = [a for a in addresses if a not in WILDCARDS]
    if specific:
        return specific[0]
    if addresses:
        return str(ansible_host or host)
    return None


def ollama_wiring(app_host, ollama_hosts, topology=None):
    """Every Ollama an app host uses, and the one embedding model both its consumers use.

    ``ollama_hosts``: per host that runs Ollama (the ``owu_gpu`` hosts, in group order), a dict
    with ``plan`` (the host's ``ollama_plan`` fact: ``instances`` [{name, port}], ``by_purpose``),
    ``bindings`` (its ``ollama_bindings`` fact: the host addresses the role publishes the
    instances on) and optionally ``ansible_host``. ``topology``: the ``build`` result (None = only
    ``app_host`` itself is known, e.g. a role used alone), for each host's internal address.

    Returns ``{'urls': [...], 'configs': [...], 'api_configs': {...}, 'unreachable': [{'host',
    'url'}], 'embedding': {'model', 'url'}}``:
    ``urls`` lists this host's Ollama first (container names on the ``owu`` network), then each
    other host's that is published beyond its loopback (at its internal address when bound there,
    else the address it is bound on, else its ``ansible_host`` for every address);
    ``unreachable`` the others; ``embedding`` the first reachable host (same order) whose plan
    has an embedding model, and that host's first URL, so Open WebUI's RAG and the Pipelines
    memory filter embed with the same model on the same server (empty strings when none has one);
    ``configs`` one dict per URL of ``urls``: ``{'model_ids': [...]}``, the models that server
    serves (its plan's ``models`` and ``keep``, as Ollama names them: ``name:tag``), so that Open
    WebUI (its per-connection ``model_ids``, OLLAMA_API_CONFIGS) routes a model only to servers
    that hold it; ``{}`` (no filter) for a plan without a model list; ``api_configs`` the same as
    Open WebUI's OLLAMA_API_CONFIGS, keyed by the URL's index (as a string), filters only.
    """
    if not isinstance(ollama_hosts, dict):
        raise TopologyInputError('ollama_hosts must be a dict of host name to {plan, bindings, ...}')
    topo_hosts = (topology or {}).get('hosts') or {}
    order = ([app_host] if app_host in ollama_hosts else []) + [h for h in ollama_hosts if h != app_host]
    urls, configs, unreachable = [], [], []
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
            internal = str((((topo_hosts.get(host) or {}).get('wiring') or {}).get('address')) or '')
            address = _reachable_address(host, info.get('bindings'), internal, info.get('ansible_host'))
            reachable = address is not None
            host_urls = ['http://%s:%s' % (_url_host(address or host), int(i['port'])) for i in instances]
        if not reachable:
            unreachable += [{'host': host, 'url': url} for url in host_urls]
            continue
        urls += host_urls
        configs += [_served_models(plan) for dummy in host_urls]
        model = str(((plan.get('by_purpose') or {}).get('embedding')) or '')
        if model and not embedding['model']:
            embedding = {'model': model, 'url': host_urls[0]}
    api_configs = dict((str(index), config) for index, config in enumerate(configs) if config)
    return {'urls': urls, 'configs': configs, 'api_configs': api_configs, 'unreachable': unreachable,
            'embedding': embedding}


def _served_models(plan):
    """The Open WebUI connection config of one Ollama server of a host (see ollama_wiring)."""
    if not isinstance(plan.get('models'), list):
        return {}
    names = [row.get('tag') if isinstance(row, dict) else row for row in plan['models']] + list(plan.get('keep') or [])
    out = []
    for name in names:
        if name and model_name(name) not in out:
            out.append(model_name(name))
    return {'model_ids': out} if out else {}
