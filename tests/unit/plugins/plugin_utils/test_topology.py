# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the site topology rules and wiring (plugins/plugin_utils/_topology.py)."""

from __future__ import annotations

import pytest

from ansible_collections.numberone.owu.plugins.plugin_utils import _topology as topo


def _groups(gpu=(), app=(), data=(), extra=()):
    everyone = []
    for name in list(gpu) + list(app) + list(data) + list(extra):
        if name not in everyone:
            everyone.append(name)
    return {'owu': everyone, 'owu_gpu': list(gpu), 'owu_app': list(app), 'owu_data': list(data)}


def _single(**settings):
    host = {'address': '192.0.2.10'}
    host.update(settings)
    return topo.build(_groups(['h1'], ['h1'], ['h1']), {'h1': host})


MULTI_HOSTS = {'gpu1': {'address': '10.0.0.11'}, 'gpu2': {'address': '10.0.0.12'},
               'app1': {'address': '10.0.0.20'}, 'data1': {'address': '10.0.0.30'}}


def _multi(**per_host):
    hosts = {name: dict(settings, **per_host.get(name, {})) for name, settings in MULTI_HOSTS.items()}
    return topo.build(_groups(['gpu1', 'gpu2'], ['app1'], ['data1']), hosts)


# ------------------------------------------------------------------ wiring

def test_single_host_publishes_nothing_for_other_hosts():
    result = _single()
    assert result['errors'] == []
    wiring = result['hosts']['h1']['wiring']
    assert wiring['publish'] == {'ollama': [], 'qdrant': [], 'langfuse': []}
    assert wiring['exposure'] == 'local'
    assert wiring['network'] == 'owu'
    assert wiring['address'] == '192.0.2.10'
    assert wiring['peers'] == []
    assert 'internal_ports' not in wiring  # the second step (host_ports) computes them
    assert result['hosts']['h1']['roles'] == ['gpu', 'app', 'data']
    assert result['hosts']['h1']['site_roles'] == [
        'docker', 'nvidia_toolkit', 'ollama', 'qdrant', 'langfuse_stack', 'pipelines', 'openwebui',
        'reverse_proxy', 'firewall']
    assert result['data_host'] == 'h1'
    assert 'bindings' not in result['hosts']['h1']


def test_multi_host_publishes_on_the_internal_address_only_for_remote_consumers():
    result = _multi()
    assert result['errors'] == []
    hosts = result['hosts']
    assert hosts['gpu1']['wiring']['publish'] == {'ollama': ['10.0.0.11'], 'qdrant': [], 'langfuse': []}
    assert hosts['gpu2']['wiring']['publish']['ollama'] == ['10.0.0.12']
    assert hosts['data1']['wiring']['publish'] == {'ollama': [], 'qdrant': ['10.0.0.30'], 'langfuse': ['10.0.0.30']}
    assert hosts['app1']['wiring']['publish'] == {'ollama': [], 'qdrant': [], 'langfuse': []}
    assert sorted(hosts['app1']['wiring']['peers']) == ['10.0.0.11', '10.0.0.12', '10.0.0.30']
    assert hosts['app1']['wiring']['data_host'] == 'data1'
    assert hosts['app1']['wiring']['gpu_hosts'] == ['gpu1', 'gpu2']


def test_two_host_variant_gpu_plus_app_and_data():
    result = topo.build(_groups(['gpu1'], ['box'], ['box']), {'gpu1': {'address': '10.0.0.1'}, 'box': {'address': '10.0.0.2'}})
    assert result['errors'] == []
    assert result['hosts']['gpu1']['wiring']['publish']['ollama'] == ['10.0.0.1']
    # Same-host consumers use the container names: Qdrant and Langfuse are not published.
    assert result['hosts']['box']['wiring']['publish'] == {'ollama': [], 'qdrant': [], 'langfuse': []}


def test_gpu_host_that_is_also_the_only_app_host_does_not_publish_ollama():
    result = topo.build(_groups(['box'], ['box'], ['data1']), {'box': {'address': '10.0.0.2'}, 'data1': {'address': '10.0.0.3'}})
    assert result['hosts']['box']['wiring']['publish']['ollama'] == []
    assert result['hosts']['data1']['wiring']['publish']['qdrant'] == ['10.0.0.3']


# ------------------------------------------------------------------ the lan profile

ROUTE = {'address': '192.168.1.20', 'netmask': '255.255.255.0'}


def test_lan_defaults_to_the_hosts_own_subnet_and_address():
    result = _single(exposure='lan', default_ipv4=ROUTE)
    assert result['errors'] == []
    assert result['hosts']['h1']['wiring']['lan'] == {
        'subnets': ['192.168.1.0/24'], 'address': '192.168.1.20', 'hostname': '', 'names': ['192.168.1.20'],
        'ca': 'internal'}


def test_lan_hostname_comes_first_and_lan_address_wins():
    result = _single(exposure='lan', default_ipv4=ROUTE, lan_address='192.168.1.99', lan_hostname='llm.home.arpa',
                     lan_subnets=['192.168.1.0/24', '10.8.0.0/16', 'fd00:1::/64'])
    assert result['errors'] == []
    lan = result['hosts']['h1']['wiring']['lan']
    assert lan['names'] == ['llm.home.arpa', '192.168.1.99']
    assert lan['subnets'] == ['192.168.1.0/24', '10.8.0.0/16', 'fd00:1::/64']
    # A wildcard lan address (publish on every address) is no name: the route's address is.
    assert _single(exposure='lan', default_ipv4=ROUTE, lan_address='0.0.0.0')['hosts']['h1']['wiring']['lan'][
        'names'] == ['192.168.1.20']
    # A one-label name (hosts file, mDNS) is a name.
    assert _single(exposure='lan', default_ipv4=ROUTE, lan_hostname='llm')['errors'] == []


def test_lan_gpu_only_host_gets_only_the_subnets():
    def host(address):
        return {'address': address, 'exposure': 'lan', 'default_ipv4': {'address': address, 'netmask': '255.255.0.0'}}
    hosts = {'gpu1': host('10.0.0.11'), 'app1': host('10.0.0.20')}
    result = topo.build(_groups(['gpu1'], ['app1']), hosts)
    assert result['errors'] == []
    assert result['hosts']['gpu1']['wiring']['lan'] == {'subnets': ['10.0.0.0/16']}
    assert result['hosts']['app1']['wiring']['lan']['names'] == ['10.0.0.20']


@pytest.mark.parametrize('subnets, message', [
    (['192.168.1.5/24'], "owu_lan_subnets has '192.168.1.5/24', which is not a network: did you mean 192.168.1.0/24?"),
    (['home'], "owu_lan_subnets has 'home', which is not a network: use a network in CIDR form"),
    ([], 'owu_lan_subnets is []: use a non-empty list of networks'),
    ('192.168.1.0/24', "owu_lan_subnets is '192.168.1.0/24': use a non-empty list"),
])
def test_lan_subnets_must_be_networks(subnets, message):
    result = _single(exposure='lan', default_ipv4=ROUTE, lan_subnets=subnets)
    assert len(result['errors']) == 1
    assert result['errors'][0].startswith('h1: ' + message)


def test_lan_without_facts_names_the_variables_to_set():
    errors = _single(exposure='lan')['errors']
    assert any('owu_lan_subnets' in e and 'subnet is unknown' in e for e in errors)
    assert any('owu_lan_address' in e and 'LAN address is unknown' in e for e in errors)
    assert _single(exposure='lan', lan_subnets=['192.168.1.0/24'], lan_address='192.168.1.20')['errors'] == []


@pytest.mark.parametrize('hostname', ['https://llm.home.arpa', 'llm.home.arpa:443', '192.168.1.20', 'under_score', '-x'])
def test_lan_hostname_must_be_a_host_name(hostname):
    errors = _single(exposure='lan', default_ipv4=ROUTE, lan_hostname=hostname)['errors']
    assert len(errors) == 1 and 'owu_lan_hostname %r is not a host name' % hostname in errors[0]


def test_lan_ca_of_the_user():
    ok = _single(exposure='lan', default_ipv4=ROUTE, lan_ca_certificate='ca.pem', lan_ca_key='ca.key',
                 lan_ca_certificate_exists=True, lan_ca_key_exists=True)
    assert ok['errors'] == []
    assert ok['hosts']['h1']['wiring']['lan']['ca'] == 'provided'
    half = _single(exposure='lan', default_ipv4=ROUTE, lan_ca_certificate='ca.pem')['errors']
    assert len(half) == 1 and 'must be set together' in half[0] and 'only owu_lan_ca_certificate is set' in half[0]
    missing = _single(exposure='lan', default_ipv4=ROUTE, lan_ca_certificate='ca.pem', lan_ca_key='ca.key',
                      lan_ca_certificate_exists=False, lan_ca_key_exists=True)['errors']
    assert missing == ['h1: owu_lan_ca_certificate ca.pem does not exist on the controller: fix the path']


def test_lan_settings_outside_lan():
    result = _single(exposure='public', domain='chat.example.org', acme_email='a@example.org',
                     lan_subnets=['192.168.1.0/24'])
    assert result['hosts']['h1']['wiring']['lan'] == {}
    assert any('owu_lan_subnets is set but owu_exposure is public' in w for w in result['warnings'])


def test_host_subnet():
    assert topo.host_subnet(ROUTE) == '192.168.1.0/24'
    assert topo.host_subnet({'address': '10.1.2.3', 'netmask': '255.255.240.0'}) == '10.1.0.0/20'
    assert topo.host_subnet({}) == topo.host_subnet(None) == topo.host_subnet({'address': 'x', 'netmask': 'y'}) == ''


# ------------------------------------------------------------------ ports (second step)

def _ports(port, variable='qdrant_publish_addresses', **entry):
    return dict({'variable': variable, 'address': '10.0.0.30', 'port': port, 'protocol': 'tcp'}, **entry)


def test_port_bindings_from_compose_ports():
    ports = [{'address': '127.0.0.1', 'published': 3001, 'target': 3000},
             {'address': '[fd00::30]', 'published': '3001', 'target': 3000}]
    assert topo.port_bindings(ports, 'langfuse_stack_web_port') == [
        {'variable': 'langfuse_stack_web_port', 'address': '127.0.0.1', 'port': 3001, 'protocol': 'tcp'},
        {'variable': 'langfuse_stack_web_port', 'address': 'fd00::30', 'port': 3001, 'protocol': 'tcp'}]


def test_port_bindings_map_ports_to_variables_and_keep_the_protocol():
    ports = [{'address': '', 'published': 80}, {'address': '', 'published': 443},
             {'address': '', 'published': 443, 'protocol': 'udp'}]
    binds = topo.port_bindings(ports, {80: 'reverse_proxy_http_port', 443: 'reverse_proxy_https_port'})
    assert [(b['variable'], b['address'], b['port'], b['protocol']) for b in binds] == [
        ('reverse_proxy_http_port', '0.0.0.0', 80, 'tcp'), ('reverse_proxy_https_port', '0.0.0.0', 443, 'tcp'),
        ('reverse_proxy_https_port', '0.0.0.0', 443, 'udp')]


def test_port_bindings_of_plain_ports_on_every_address():
    binds = topo.port_bindings([11434, 11435], 'ollama_port', ['127.0.0.1', '10.0.0.11'])
    assert [(b['address'], b['port']) for b in binds] == [
        ('127.0.0.1', 11434), ('127.0.0.1', 11435), ('10.0.0.11', 11434), ('10.0.0.11', 11435)]
    assert topo.port_bindings([], 'ollama_port', ['10.0.0.11']) == []


def test_port_bindings_reject_bad_input():
    with pytest.raises(topo.TopologyInputError):
        topo.port_bindings([3000], 'openwebui_port')
    assert topo.port_bindings([{'address': '127.0.0.1', 'published': 'x'}], 'openwebui_port')[0]['port'] is None


def test_host_ports_internal_ports_are_the_ones_on_the_internal_address():
    published = {
        'qdrant': [_ports(6333)],
        'langfuse_stack': [_ports(3001, 'langfuse_stack_web_port', address='127.0.0.1'),
                           _ports(3001, 'langfuse_stack_web_port')],
        'openwebui': [_ports(3000, 'openwebui_port', address='127.0.0.1')],
        'reverse_proxy': [_ports(443, 'reverse_proxy_https_port', address='0.0.0.0'),
                          _ports(443, 'reverse_proxy_https_port', address='0.0.0.0', protocol='udp')],
        'pipelines': [],
        'docker': None,
    }
    result = topo.host_ports('data1', '10.0.0.30', published)
    assert result['errors'] == []
    # Every interface (the proxy) is not "for the other stack hosts"; the loopback is not either.
    assert result['internal_ports'] == [3001, 6333]
    assert ('qdrant', 'qdrant_publish_addresses', '10.0.0.30', 6333) in [
        (b['service'], b['variable'], b['address'], b['port']) for b in result['bindings']]


def test_host_ports_nothing_published_for_peers():
    result = topo.host_ports('h1', '192.0.2.10', {'openwebui': [_ports(3000, 'openwebui_port', address='127.0.0.1')]})
    assert result == {'errors': [], 'internal_ports': [],
                      'bindings': [{'service': 'openwebui', 'variable': 'openwebui_port', 'address': '127.0.0.1',
                                    'port': 3000, 'protocol': 'tcp'}]}


def test_host_ports_two_roles_on_one_port():
    result = topo.host_ports('h1', '192.0.2.10', {
        'openwebui': [_ports(3001, 'openwebui_port', address='127.0.0.1')],
        'langfuse_stack': [_ports(3001, 'langfuse_stack_web_port', address='127.0.0.1')]})
    assert result['errors'] == [
        'h1: openwebui (openwebui_port) and langfuse_stack (langfuse_stack_web_port) both publish port 3001 on '
        '127.0.0.1/127.0.0.1 of this host: give one of them another port (set openwebui_port or '
        'langfuse_stack_web_port on h1)']


def test_host_ports_a_wildcard_collides_with_a_specific_address():
    result = topo.host_ports('h1', '192.0.2.10', {
        'reverse_proxy': [_ports(443, 'reverse_proxy_https_port', address='0.0.0.0')],
        'ollama': [_ports(443, 'ollama_port', address='127.0.0.1')]})
    assert any('reverse_proxy (reverse_proxy_https_port) and ollama (ollama_port) both publish port 443' in e
               for e in result['errors'])


def test_host_ports_different_addresses_or_protocols_do_not_collide():
    result = topo.host_ports('h1', '192.0.2.10', {
        'openwebui': [_ports(3001, 'openwebui_port', address='192.0.2.10')],
        'langfuse_stack': [_ports(3001, 'langfuse_stack_web_port', address='127.0.0.1')],
        'reverse_proxy': [_ports(443, 'reverse_proxy_https_port', address='0.0.0.0', protocol='udp')],
        'ollama': [_ports(443, 'ollama_port', address='127.0.0.1')]})
    assert result['errors'] == []
    # One role on one port twice (several addresses) is not a conflict either.
    twice = [_ports(3001, 'langfuse_stack_web_port', address='127.0.0.1'), _ports(3001, 'langfuse_stack_web_port', address='0.0.0.0')]
    same = topo.host_ports('h1', '192.0.2.10', {'langfuse_stack': twice})
    assert same['errors'] == []


def test_host_ports_reject_bad_input():
    for published in ([], {'qdrant': 'x'}, {'qdrant': ['x']}):
        with pytest.raises(topo.TopologyInputError):
            topo.host_ports('h1', '10.0.0.1', published)


def test_connection_urls():
    qdrant = {'container': 'qdrant', 'port': 6333, 'published_port': 6333}
    langfuse = {'container': 'lf-web', 'port': 3000, 'published_port': 3100}
    assert topo.connection_urls('h1', 'h1', '10.0.0.3', qdrant, langfuse) == {
        'qdrant': 'http://qdrant:6333', 'langfuse': 'http://lf-web:3000'}
    assert topo.connection_urls('app1', 'data1', '10.0.0.3', qdrant, langfuse) == {
        'qdrant': 'http://10.0.0.3:6333', 'langfuse': 'http://10.0.0.3:3100'}
    assert topo.connection_urls('app1', 'data1', 'fd00::3', qdrant, langfuse) == {
        'qdrant': 'http://[fd00::3]:6333', 'langfuse': 'http://[fd00::3]:3100'}
    # An endpoint the data host did not publish (its role not deployed, key unknown): no URL.
    assert topo.connection_urls('app1', 'data1', '10.0.0.3', qdrant, None) == {'qdrant': 'http://10.0.0.3:6333', 'langfuse': ''}
    assert topo.connection_urls('app1', None, '', qdrant, langfuse) == {}


# ------------------------------------------------------------------ Ollama wiring

def _plan(*instances, embedding=''):
    return {'instances': [{'name': n, 'port': p} for n, p in instances],
            'by_purpose': {'chat': 'llama3.1:8b', 'embedding': embedding}}


def test_ollama_wiring_same_host_uses_container_names():
    wiring = topo.ollama_wiring('h1', {'h1': {'plan': _plan(('ollama', 11434), embedding='nomic-embed-text:v1.5')}},
                                _single())
    assert wiring == {'urls': ['http://ollama:11434'], 'configs': [{}], 'api_configs': {}, 'unreachable': [],
                      'embedding': {'model': 'nomic-embed-text:v1.5', 'url': 'http://ollama:11434'}}


def test_ollama_wiring_routes_each_model_to_the_servers_that_hold_it():
    """Open WebUI picks at random among the connections that list a model: each connection gets
    the models its host planned (and keeps), as Ollama names them."""
    big = dict(_plan(('ollama', 11434), embedding='nomic-embed-text:v1.5'),
               models=[{'tag': 'llama3.3:70b-instruct-q4_K_M'}, {'tag': 'nomic-embed-text:v1.5'}])
    small = dict(_plan(('ollama-0', 11434), ('ollama-1', 11435)),
                 models=[{'tag': 'llama3.1:8b'}, {'tag': 'library/qwen2.5:7b'}], keep=['mistral', 'llama3.1:8b'])
    hosts = {'gpu1': {'plan': big, 'bindings': _bound('10.0.0.11')},
             'gpu2': {'plan': small, 'bindings': _bound('10.0.0.12', ports=(11434, 11435))}}
    wiring = topo.ollama_wiring('app1', hosts, _multi())
    assert wiring['urls'] == ['http://10.0.0.11:11434', 'http://10.0.0.12:11434', 'http://10.0.0.12:11435']
    assert wiring['configs'] == [
        {'model_ids': ['llama3.3:70b-instruct-q4_K_M', 'nomic-embed-text:v1.5']},
        {'model_ids': ['llama3.1:8b', 'qwen2.5:7b', 'mistral:latest']},
        {'model_ids': ['llama3.1:8b', 'qwen2.5:7b', 'mistral:latest']}]
    assert len(wiring['configs']) == len(wiring['urls'])
    assert wiring['api_configs'] == {str(i): c for i, c in enumerate(wiring['configs'])}
    # An unreachable host adds neither a URL nor a config; a plan without models, no filter.
    hosts['gpu1']['bindings'] = _bound('127.0.0.1')
    hosts['gpu2']['plan'] = _plan(('ollama', 11434))
    wiring = topo.ollama_wiring('app1', hosts, _multi())
    assert wiring['urls'] == ['http://10.0.0.12:11434'] and wiring['configs'] == [{}]
    assert wiring['api_configs'] == {}


def _bound(*addresses, ports=(11434,)):
    return topo.port_bindings(list(ports), 'ollama_port', list(addresses))


def test_ollama_wiring_remote_hosts_on_their_internal_address():
    topology = _multi()
    hosts = {'gpu1': {'plan': _plan(('ollama-0', 11434), ('ollama-1', 11435)),
                      'bindings': _bound('10.0.0.11', ports=(11434, 11435))},
             'gpu2': {'plan': _plan(('ollama', 11434), embedding='nomic-embed-text:v1.5'),
                      'bindings': _bound('127.0.0.1', '10.0.0.12')}}
    wiring = topo.ollama_wiring('app1', hosts, topology)
    assert wiring['urls'] == ['http://10.0.0.11:11434', 'http://10.0.0.11:11435', 'http://10.0.0.12:11434']
    assert wiring['unreachable'] == []
    # gpu1 has no embedding model: both consumers embed on gpu2.
    assert wiring['embedding'] == {'model': 'nomic-embed-text:v1.5', 'url': 'http://10.0.0.12:11434'}


def test_ollama_wiring_own_host_first_and_its_embedding_wins():
    groups = _groups(['gpu1', 'app1'], ['app1'], [])
    topology = topo.build(groups, {'gpu1': {'address': '10.0.0.11'}, 'app1': {'address': '10.0.0.20'}})
    hosts = {'gpu1': {'plan': _plan(('ollama', 11434), embedding='bge-m3:567m'), 'bindings': _bound('10.0.0.11')},
             'app1': {'plan': _plan(('ollama', 11434), embedding='nomic-embed-text:v1.5'), 'bindings': []}}
    wiring = topo.ollama_wiring('app1', hosts, topology)
    assert wiring['urls'] == ['http://ollama:11434', 'http://10.0.0.11:11434']
    assert wiring['embedding'] == {'model': 'nomic-embed-text:v1.5', 'url': 'http://ollama:11434'}


def test_ollama_wiring_unpublished_host_is_unreachable_and_never_the_embedder():
    # gpu1 binds its Ollama on the loopback only (ollama_publish: loopback, nothing for app1).
    hosts = {'gpu1': {'plan': _plan(('ollama', 11434), embedding='nomic-embed-text:v1.5'), 'bindings': _bound('127.0.0.1')}}
    wiring = topo.ollama_wiring('app1', hosts, _multi())
    assert wiring == {'urls': [], 'configs': [], 'api_configs': {}, 'unreachable': [{'host': 'gpu1', 'url': 'http://gpu1:11434'}],
                      'embedding': {'model': '', 'url': ''}}
    # Nothing known about its bindings (not in the play, no fact cache): unreachable too.
    assert topo.ollama_wiring('app1', {'gpu1': {'plan': _plan(('ollama', 11434))}})['urls'] == []


def test_ollama_wiring_follows_what_the_role_binds():
    topology = _multi()
    hosts = {
        # ollama_publish_addresses: [fd00::11] instead of the internal address.
        'gpu1': {'plan': _plan(('ollama', 11434)), 'bindings': _bound('fd00::11')},
        # lan on every address plus the internal address: the internal address wins.
        'gpu2': {'plan': _plan(('ollama', 11434)), 'bindings': _bound('0.0.0.0', '10.0.0.12'), 'ansible_host': 'gpu2.lan'}}
    wiring = topo.ollama_wiring('app1', hosts, topology)
    assert wiring['urls'] == ['http://[fd00::11]:11434', 'http://10.0.0.12:11434']
    lan_only = {'gpu9': {'plan': _plan(('ollama', 11434)), 'bindings': _bound('0.0.0.0'), 'ansible_host': 'gpu9.lan'},
                'gpu8': {'plan': _plan(('ollama', 11434)), 'bindings': _bound('192.0.2.8')},
                'gpu7': {'plan': _plan(('ollama', 11434)), 'bindings': _bound('::')}}
    assert topo.ollama_wiring('app1', lan_only)['urls'] == [
        'http://gpu9.lan:11434', 'http://192.0.2.8:11434', 'http://gpu7:11434']


def test_ollama_wiring_skips_hosts_without_a_plan():
    wiring = topo.ollama_wiring('h1', {'h1': {'plan': {}}, 'gpu2': None}, _single())
    assert wiring == {'urls': [], 'configs': [], 'api_configs': {}, 'unreachable': [], 'embedding': {'model': '', 'url': ''}}


def test_ollama_wiring_rejects_bad_input():
    with pytest.raises(topo.TopologyInputError):
        topo.ollama_wiring('h1', ['h1'])


# ------------------------------------------------------------------ bad input

def test_host_in_no_service_group():
    result = topo.build(_groups(['h1'], ['h1'], [], extra=['lost']), {'h1': {'address': '10.0.0.1'}, 'lost': {'address': '10.0.0.2'}})
    assert any(e.startswith('lost: in group owu but in none of owu_gpu, owu_app, owu_data') for e in result['errors'])


def test_host_in_a_service_group_but_not_in_owu():
    groups = {'owu': ['h1'], 'owu_gpu': ['h1', 'stray'], 'owu_app': ['h1'], 'owu_data': []}
    result = topo.build(groups, {'h1': {'address': '10.0.0.1'}, 'stray': {'address': '10.0.0.2'}})
    assert any('stray: in group owu_gpu but not in owu' in e for e in result['errors'])


def test_two_data_hosts():
    result = topo.build(_groups([], ['a'], ['d1', 'd2']), {'a': {'address': '10.0.0.1'}, 'd1': {'address': '10.0.0.2'}, 'd2': {'address': '10.0.0.3'}})
    assert any('owu_data has 2 hosts (d1, d2)' in e for e in result['errors'])


@pytest.mark.parametrize('exposure', ['internet', 'LAN', '', None])
def test_unknown_exposure(exposure):
    result = _single(exposure=exposure)
    if exposure is None:  # missing = the default, local
        assert result['errors'] == []
    else:
        assert any('owu_exposure is %r' % exposure in e for e in result['errors'])


def test_the_site_network_is_one_variable():
    assert _single(docker_network='llm-net')['hosts']['h1']['wiring']['network'] == 'llm-net'
    for bad in ('', 'has space', '-dash-first', 12, 'x' * 129):
        result = _single(docker_network=bad)
        assert any('owu_docker_network is %r' % (bad,) in e for e in result['errors']), (bad, result['errors'])


def test_public_needs_a_domain():
    result = _single(exposure='public', acme_email='ops@example.org')
    assert any('owu_domain is empty' in e for e in result['errors'])


@pytest.mark.parametrize('domain', ['https://chat.example.org', 'chat', 'chat.example.org:443', 'chat.example.org/'])
def test_public_domain_must_be_a_dns_name(domain):
    result = _single(exposure='public', domain=domain, acme_email='ops@example.org')
    assert any('owu_domain %r is not a DNS name' % domain in e for e in result['errors'])


def test_public_needs_acme_email_or_certificate():
    result = _single(exposure='public', domain='chat.example.org')
    assert any('owu_acme_email' in e and 'owu_tls_certificate + owu_tls_key' in e for e in result['errors'])


def test_public_with_certificate_and_key():
    result = _single(exposure='public', domain='chat.example.org', tls_certificate='/c.pem', tls_key='/k.pem',
                     tls_certificate_exists=True, tls_key_exists=True)
    assert result['errors'] == []


def test_public_certificate_without_key_and_missing_files():
    only_cert = _single(exposure='public', domain='chat.example.org', tls_certificate='/c.pem')
    assert any('owu_tls_certificate and owu_tls_key must be set together' in e and 'only owu_tls_certificate' in e
               for e in only_cert['errors'])
    missing = _single(exposure='public', domain='chat.example.org', tls_certificate='/c.pem', tls_key='/k.pem',
                      tls_certificate_exists=False, tls_key_exists=True)
    assert any('owu_tls_certificate /c.pem does not exist' in e for e in missing['errors'])


def test_public_acme_email_and_ca_are_checked():
    result = _single(exposure='public', domain='chat.example.org', acme_email='nobody', acme_ca='http://ca.example/dir')
    assert any("owu_acme_email 'nobody'" in e for e in result['errors'])
    assert any("owu_acme_ca 'http://ca.example/dir'" in e for e in result['errors'])


def test_public_on_a_gpu_only_host_needs_no_domain():
    result = _multi(gpu1={'exposure': 'public'})
    assert result['errors'] == []


def test_multi_host_needs_ip_addresses():
    result = _multi(gpu1={'address': 'gpu1.example.org', 'address_source': 'ansible_host (no facts)'})
    assert any("gpu1: owu_internal_address is 'gpu1.example.org' (from ansible_host (no facts))" in e for e in result['errors'])


def test_single_host_may_have_no_ip_address():
    assert _single(address='localhost')['errors'] == []


def test_hosts_sharing_an_address():
    result = _multi(gpu2={'address': '10.0.0.11'})
    assert any('gpu1, gpu2: all have owu_internal_address 10.0.0.11' in e for e in result['errors'])


@pytest.mark.parametrize('ports,ok', [([8443, '51820/udp', '9000/tcp'], True), (['http'], False), ([70000], False),
                                      ('8443', False), ([True], False)])
def test_firewall_extra_ports(ports, ok):
    result = _single(firewall_extra_ports=ports)
    assert (result['errors'] == []) is ok, result['errors']
    if not ok:
        assert any('owu_firewall_extra_ports' in e for e in result['errors'])


def test_bad_lan_address():
    result = _single(lan_address='eth0')
    assert any("owu_lan_address is 'eth0'" in e for e in result['errors'])


# ------------------------------------------------------------------ allowed, with a warning

def test_no_gpu_host_is_a_warning():
    result = topo.build(_groups([], ['h1'], ['h1']), {'h1': {}})
    assert result['errors'] == []
    assert any('owu_gpu is empty' in w for w in result['warnings'])


def test_no_data_host_is_a_warning():
    result = topo.build(_groups(['h1'], ['h1'], []), {'h1': {}})
    assert result['errors'] == []
    assert result['data_host'] is None
    assert any('owu_data is empty' in w and 'Chroma' in w for w in result['warnings'])


def test_no_app_host_is_a_warning():
    result = topo.build(_groups(['h1'], [], []), {'h1': {}})
    assert result['errors'] == []
    assert any('owu_app is empty' in w for w in result['warnings'])
    assert result['hosts']['h1']['wiring']['publish']['ollama'] == []


# ------------------------------------------------------------------ helpers and input shape

@pytest.mark.parametrize('first,second,overlap', [
    ('0.0.0.0', '127.0.0.1', True), ('127.0.0.1', '127.0.0.1', True), ('10.0.0.1', '10.0.0.2', False),
    ('::', '10.0.0.1', True), ('[fd00::1]', 'fd00:0::1', True), ('', '10.0.0.1', True)])
def test_addresses_overlap(first, second, overlap):
    assert topo.addresses_overlap(first, second) is overlap


@pytest.mark.parametrize('value,parsed', [(8443, (8443, 'tcp')), ('8443', (8443, 'tcp')), ('53/udp', (53, 'udp')),
                                          ('0', None), ('70000/tcp', None), ('53/icmp', None), (False, None)])
def test_parse_extra_port(value, parsed):
    assert topo.parse_extra_port(value) == parsed


def test_bad_input_shape_raises():
    with pytest.raises(topo.TopologyInputError):
        topo.build([], {})
    with pytest.raises(topo.TopologyInputError):
        topo.build({'owu': 'h1'}, {})
    with pytest.raises(topo.TopologyInputError):
        topo.build({'owu': []}, [])


def test_empty_inventory_is_valid_and_empty():
    result = topo.build({}, {})
    assert result == {'errors': [], 'warnings': [], 'hosts': {}, 'gpu_hosts': [], 'app_hosts': [], 'data_host': None}


def test_site_roles_follow_the_service_groups():
    result = topo.build(_groups(['gpu1'], ['app1'], ['data1']), MULTI_HOSTS)
    roles = {name: host['site_roles'] for name, host in result['hosts'].items()}
    assert roles['gpu1'] == ['docker', 'nvidia_toolkit', 'ollama', 'firewall']
    assert roles['app1'] == ['docker', 'nvidia_toolkit', 'pipelines', 'openwebui', 'reverse_proxy', 'firewall']
    assert roles['data1'] == ['docker', 'nvidia_toolkit', 'qdrant', 'langfuse_stack', 'firewall']
