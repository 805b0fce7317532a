# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the service runtime's Compose rendering (plugins/plugin_utils/_compose.py)."""

from __future__ import annotations

import pytest

from ansible_collections.numberone.owu.plugins.module_utils import _engine
from ansible_collections.numberone.owu.plugins.module_utils._engine import merged_pins
from ansible_collections.numberone.owu.plugins.plugin_utils import _compose as compose

QDRANT = {
    'name': 'qdrant',
    'image': 'docker.io/qdrant/qdrant:v1.19.0',
    'port': 6333,
    'environment': {'QDRANT__TELEMETRY_DISABLED': True, 'QDRANT__LOG_LEVEL': 'INFO'},
    'secret_environment': {'QDRANT__SERVICE__API_KEY': 'k$y-with-dollar'},
    'volumes': [{'source': 'qdrant_storage', 'target': '/qdrant/storage'},
                {'source': 'qdrant_snapshots', 'target': '/qdrant/snapshots'}],
    'ports': [{'address': '10.0.0.30', 'published': 6333, 'target': 6333}],
    'healthcheck': {'test': ['CMD', 'bash', '-c', ':> /dev/tcp/127.0.0.1/6333'], 'interval': '15s',
                    'timeout': '5s', 'retries': 5, 'start_period': '20s'},
}


def _build(*services, project='owu-qdrant', role='qdrant', network='owu'):
    return compose.build(project, role, list(services), network)


def test_a_service_becomes_one_project_with_external_network_and_volumes():
    out = _build(QDRANT)
    doc = out['compose']
    assert doc['name'] == 'owu-qdrant'
    assert doc['networks'] == {'owu': {'external': True, 'name': 'owu'}}
    assert doc['volumes'] == {'qdrant_storage': {'external': True, 'name': 'qdrant_storage'},
                              'qdrant_snapshots': {'external': True, 'name': 'qdrant_snapshots'}}
    assert out['volumes'] == ['qdrant_storage', 'qdrant_snapshots']
    assert out['containers'] == {'qdrant': 'qdrant'}
    svc = doc['services']['qdrant']
    assert svc['image'] == 'docker.io/qdrant/qdrant:v1.19.0'
    assert svc['container_name'] == 'qdrant'
    assert svc['restart'] == 'unless-stopped'
    assert svc['networks'] == ['owu']
    # The port label: day-2 tasks (backup, restore, status) find where the service answers.
    assert svc['labels'] == {'com.numberone.owu.port': '6333', 'com.numberone.owu.role': 'qdrant'}
    # Booleans and numbers become the strings Docker would see.
    assert svc['environment'] == {'QDRANT__LOG_LEVEL': 'INFO', 'QDRANT__TELEMETRY_DISABLED': 'true'}
    assert svc['ports'] == [{'target': 6333, 'published': '6333', 'protocol': 'tcp', 'host_ip': '10.0.0.30'}]
    assert svc['volumes'][0] == {'type': 'volume', 'source': 'qdrant_storage', 'target': '/qdrant/storage'}
    assert svc['healthcheck']['retries'] == 5 and svc['healthcheck']['interval'] == '15s'


def test_secrets_only_in_the_override_and_dollars_doubled():
    out = _build(QDRANT)
    assert 'QDRANT__SERVICE__API_KEY' not in str(out['compose'])
    assert out['override'] == {'services': {'qdrant': {'environment': {'QDRANT__SERVICE__API_KEY': 'k$$y-with-dollar'}}}}
    no_secret = dict(QDRANT, secret_environment={}, environment={'A': 'x$HOME'})
    out = _build(no_secret)
    assert out['override'] is None
    assert out['compose']['services']['qdrant']['environment'] == {'A': 'x$$HOME'}


def test_gpus_become_an_nvidia_device_reservation():
    by_count = _build(dict(QDRANT, gpus={'count': 'all'}))['compose']['services']['qdrant']['deploy']
    assert by_count == {'resources': {'reservations': {'devices': [
        {'driver': 'nvidia', 'capabilities': ['gpu'], 'count': 'all'}]}}}
    by_id = _build(dict(QDRANT, gpus={'device_ids': [0, 1]}))['compose']['services']['qdrant']['deploy']
    assert by_id['resources']['reservations']['devices'][0]['device_ids'] == ['0', '1']
    assert 'deploy' not in _build(dict(QDRANT, gpus={}))['compose']['services']['qdrant']


def test_config_hash_label_and_dependencies():
    db = {'name': 'db', 'image': 'postgres:17', 'container_name': 'langfuse-postgres'}
    web = {'name': 'web', 'image': 'langfuse:3', 'depends_on': {'db': 'service_healthy'}, 'config_hash': 'abc'}
    out = _build(db, web, project='owu-langfuse', role='langfuse_stack')
    assert out['containers'] == {'db': 'langfuse-postgres', 'web': 'web'}
    assert out['compose']['services']['web']['depends_on'] == {'db': {'condition': 'service_healthy'}}
    assert out['compose']['services']['web']['labels']['com.numberone.owu.config-hash'] == 'abc'
    assert 'volumes' not in out['compose']


def test_pins_become_one_json_label_that_the_host_modules_read_back():
    pinned = dict(QDRANT, pins={'qdrant_version': 'v1.19.0', 'qdrant_image': 'docker.io/qdrant/qdrant', 'qdrant_image_digest': None})
    labels = _build(pinned)['compose']['services']['qdrant']['labels']
    assert labels['com.numberone.owu.pins'] == (
        '{"qdrant_image":"docker.io/qdrant/qdrant","qdrant_image_digest":"","qdrant_version":"v1.19.0"}')
    other = {'com.numberone.owu.pins': '{"openwebui_version":"v0.12.4"}'}
    assert merged_pins([labels, other, {}, None, {'com.numberone.owu.pins': '[1]'}]) == {
        'openwebui_version': 'v0.12.4', 'qdrant_image': 'docker.io/qdrant/qdrant', 'qdrant_image_digest': '',
        'qdrant_version': 'v1.19.0'}
    # Without pins: no label.
    assert 'com.numberone.owu.pins' not in _build(QDRANT)['compose']['services']['qdrant']['labels']


@pytest.mark.parametrize('change, needle', [
    ({'pins': ['qdrant_version']}, 'pins must be a dict of role variable name to value'),
    ({'name': 'Qdrant'}, 'a service needs a name'),
    ({'image': ''}, 'image must be an image reference'),
    ({'surprise': 1}, 'unknown field(s) surprise'),
    ({'environment': {'1BAD': 'x'}}, "invalid variable name '1BAD'"),
    ({'environment': {'A': ['x']}}, 'environment.A must be a string'),
    ({'secret_environment': {'QDRANT__LOG_LEVEL': 'x'}}, 'QDRANT__LOG_LEVEL set in both'),
    ({'volumes': [{'source': 'a b', 'target': '/x'}]}, "'a b' is not a valid volume name"),
    ({'binds': [{'source': 'relative', 'target': '/x'}]}, "the source 'relative' must be an absolute path"),
    ({'ports': [{'target': 70000}]}, 'is not a valid port'),
    ({'ports': [{'target': 80, 'protocol': 'sctp'}]}, 'protocol must be tcp or udp'),
    ({'healthcheck': {'test': ['curl', 'x']}}, 'healthcheck.test must be a list starting with CMD'),
    ({'healthcheck': {'test': ['CMD', 'x'], 'interval': '15'}}, 'healthcheck.interval must be a duration'),
    ({'gpus': {'count': 0}}, "gpus.count must be 'all' or a positive number"),
    ({'gpus': {'count': 1, 'device_ids': ['0']}}, 'gpus must be'),
    ({'restart': 'sometimes'}, 'restart must be one of'),
    ({'depends_on': {'db': 'healthy'}}, 'depends_on must map service names'),
    ({'depends_on': {'db': 'service_healthy'}}, 'depends_on names db, which is not a service'),
    ({'options': {'network_mode': 'host'}}, 'options may not set network_mode'),
    ({'container_name': 'bad name'}, "container_name 'bad name' is not a valid container name"),
    ({'port': 0}, 'port must be a port number 1-65535'),
    ({'port': 'http'}, 'port must be a port number 1-65535'),
    ({'files': [{'path': 'relative.conf', 'content': ''}]}, "'relative.conf' must be an absolute path"),
    ({'files': [{'path': '/etc/a/../b', 'content': ''}]}, "'/etc/a/../b' must be an absolute path"),
    ({'files': [{'path': '/etc/x.conf'}]}, 'files: /etc/x.conf needs its content as text'),
    ({'files': [{'path': '/etc/x.conf', 'content': '', 'mode': '644x'}]}, "mode '644x' must be octal"),
    ({'files': [{'path': '/etc/x.conf', 'content': '', 'state': 'gone'}]}, 'state must be present or absent'),
    ({'files': [{'volume': 'other', 'path': 'x.py', 'content': ''}]}, "'other' is not one of the service's volumes"),
    ({'files': [{'volume': 'qdrant_storage', 'path': '/abs.py', 'content': ''}]}, 'relative to volume qdrant_storage'),
    ({'directories': [{'path': 'rel'}]}, 'directories entries need an absolute path'),
])
def test_invalid_descriptions_are_refused_naming_service_and_field(change, needle):
    with pytest.raises(compose.ComposeInputError) as err:
        _build(dict(QDRANT, **change))
    assert needle in str(err.value)


def test_files_are_checked_handed_back_and_hashed_into_the_label():
    caddy = {'name': 'caddy', 'image': 'caddy:2', 'volumes': [{'source': 'caddy_data', 'target': '/data'}],
             'directories': [{'path': '/etc/owu/caddy', 'mode': '700'}],
             'files': [{'path': '/etc/owu/caddy/Caddyfile', 'content': ':80 {}\n'},
                       {'path': '/etc/owu/caddy/tls/key.pem', 'content': 'KEY', 'mode': '0600', 'secret': True},
                       {'volume': 'caddy_data', 'path': 'sub/x.txt', 'content': 'x'},
                       {'path': '/etc/owu/caddy/old.pem', 'state': 'absent'}]}
    out = _build(caddy, project='owu-reverse-proxy', role='reverse_proxy')
    assert out['directories'] == [{'path': '/etc/owu/caddy', 'mode': '0700'}]
    assert [(f['volume'], f['path'], f['mode'], f['secret'], f['state']) for f in out['files']] == [
        ('', '/etc/owu/caddy/Caddyfile', '0644', False, 'present'),
        ('', '/etc/owu/caddy/tls/key.pem', '0600', True, 'present'),
        ('caddy_data', 'sub/x.txt', '0644', False, 'present'),
        ('', '/etc/owu/caddy/old.pem', '0644', False, 'absent')]
    assert all(f['service'] == 'caddy' for f in out['files'])
    label = out['compose']['services']['caddy']['labels']['com.numberone.owu.config-hash']
    assert len(label) == 16 and 'KEY' not in str(out['compose'])
    changed = dict(caddy, files=[dict(caddy['files'][0], content=':81 {}\n')] + caddy['files'][1:])
    assert _build(changed, project='owu-reverse-proxy', role='reverse_proxy')['compose']['services']['caddy'][
        'labels']['com.numberone.owu.config-hash'] != label
    # Without files the label is the given config_hash as it was.
    assert compose.files_digest('abc', []) == 'abc' and compose.files_digest(None, []) == ''
    with pytest.raises(compose.ComposeInputError, match='files written twice: /etc/owu/caddy/Caddyfile'):
        _build(dict(caddy, files=caddy['files'][:1] * 2), project='owu-reverse-proxy', role='reverse_proxy')


def test_project_level_refusals():
    with pytest.raises(compose.ComposeInputError, match='project name'):
        _build(QDRANT, project='OWU')
    with pytest.raises(compose.ComposeInputError, match='at least one service'):
        compose.build('owu-x', 'x', [], 'owu')
    with pytest.raises(compose.ComposeInputError, match='used twice'):
        _build(QDRANT, QDRANT)
    with pytest.raises(compose.ComposeInputError, match='used by another service'):
        _build(QDRANT, dict(QDRANT, name='qdrant2', container_name='qdrant'))
    with pytest.raises(compose.ComposeInputError, match='network'):
        _build(QDRANT, network='')


def _container(name, state='running', ip='172.18.0.5', network='owu', labels=None):
    return {'Names': ['/' + name], 'State': state, 'Labels': labels or {},
            'NetworkSettings': {'Networks': {network: {'IPAddress': ip}}}}


def test_addresses_from_the_running_containers():
    services = [QDRANT, {'name': 'side', 'image': 'x:1'}, {'name': 'gone', 'image': 'y:1', 'port': 80}]
    got = _engine.addresses(services, [_container('qdrant'), _container('side', ip='172.18.0.6')], 'owu')
    assert got['qdrant'] == {'container': 'qdrant', 'running': True, 'ip': '172.18.0.5', 'url': 'http://172.18.0.5:6333'}
    assert got['side']['url'] == '' and got['side']['ip'] == '172.18.0.6'  # no port: no URL
    assert got['gone'] == {'container': 'gone', 'running': False, 'ip': '', 'url': ''}
    stopped = _engine.addresses([QDRANT], [_container('qdrant', state='exited')], 'owu')
    assert stopped['qdrant']['running'] is False and stopped['qdrant']['url'] == ''
    other_net = _engine.addresses([QDRANT], [_container('qdrant', network='bridge')], 'owu')
    assert other_net['qdrant']['url'] == ''


@pytest.mark.parametrize('version,expected', [
    ('26.1.5+dfsg1', True), ('25.0.0', True), ('v28.0.0-rc.1', True), ('24.0.7', False),
    ('20.10.24+dfsg1', False), ('', False), (None, False), ('unknown', False),
])
def test_start_interval_needs_engine_25(version, expected):
    assert _engine.supports_start_interval(version) is expected


def test_start_interval_is_added_on_engine_25_and_dropped_before():
    given = dict(QDRANT, healthcheck=dict(QDRANT['healthcheck']))
    new = _build(given)
    assert 'start_interval' not in new['compose']['services']['qdrant']['healthcheck']
    new = compose.build('owu-qdrant', 'qdrant', [given], 'owu', '26.1.5')
    assert new['compose']['services']['qdrant']['healthcheck']['start_interval'] == '1s'
    given['healthcheck']['start_interval'] = '2s'
    assert compose.build('owu-qdrant', 'qdrant', [given], 'owu', '27.0.1')['compose']['services']['qdrant']['healthcheck']['start_interval'] == '2s'
    assert 'start_interval' not in compose.build('owu-qdrant', 'qdrant', [given], 'owu', '24.0.7')['compose']['services']['qdrant']['healthcheck']


def test_no_start_interval_without_a_start_period():
    given = dict(QDRANT, healthcheck={'test': ['CMD', 'true'], 'interval': '15s'})
    assert 'start_interval' not in compose.build('owu-qdrant', 'qdrant', [given], 'owu', '26.1.5')['compose']['services']['qdrant']['healthcheck']


def test_a_secret_command_goes_only_into_the_override():
    redis = {'name': 'redis', 'image': 'docker.io/library/redis:7.4.11',
             'secret_command': ['--requirepass', 'pa$$word', '--maxmemory-policy', 'noeviction'],
             'secret_environment': {'REDISCLI_AUTH': 'pa$$word'}}
    files = compose.build('owu-langfuse', 'langfuse_stack', [redis], 'owu')
    assert 'command' not in files['compose']['services']['redis']
    assert files['override']['services']['redis'] == {
        'environment': {'REDISCLI_AUTH': 'pa$$$$word'},
        'command': ['--requirepass', 'pa$$$$word', '--maxmemory-policy', 'noeviction']}


def test_command_and_secret_command_are_exclusive():
    with pytest.raises(compose.ComposeInputError, match='not both'):
        compose.build('owu-langfuse', 'langfuse_stack', [
            {'name': 'redis', 'image': 'redis:7', 'command': ['a'], 'secret_command': ['b']}], 'owu')


def test_http_checks_become_the_host_modules_checks_with_their_headers_apart():
    services = [
        {'name': 'qdrant', 'http_checks': [
            {'name': 'keyless', 'path': '/collections', 'status_code': 401},
            {'name': 'keyed', 'path': '/collections', 'json_field': 'status', 'json_value': 'ok', 'headers': {'api-key': 'k'}}]},
        {'name': 'caddy', 'http_checks': [
            {'name': 'redirect', 'url': 'http://127.0.0.1:80/', 'method': 'get', 'status_code': [301, 308],
             'follow_redirects': False, 'headers': {'Host': 'chat.example.org'}}]},
        {'name': 'plain'}]
    checks, headers = compose.http_checks(services)
    assert checks == [
        {'name': 'keyless', 'service': 'qdrant', 'path': '/collections', 'method': 'GET', 'status_code': [401]},
        {'name': 'keyed', 'service': 'qdrant', 'path': '/collections', 'method': 'GET', 'json_field': 'status', 'json_value': 'ok'},
        {'name': 'redirect', 'service': 'caddy', 'url': 'http://127.0.0.1:80/', 'method': 'GET', 'status_code': [301, 308],
         'follow_redirects': False, 'public_headers': {'Host': 'chat.example.org'}}]
    # A header that may carry a secret (an API key) travels apart, in the host module's no_log
    # option; a Host header stays with its check (masked, it would hide the domain in the redirect's
    # Location).
    assert headers == {'keyed': {'api-key': 'k'}}
    assert compose.split_headers({'HOST': 'h', 'Authorization': 'Bearer x', 'Accept': 'a'}) == (
        {'HOST': 'h', 'Accept': 'a'}, {'Authorization': 'Bearer x'})
    assert compose.http_checks([{'name': 'x'}]) == ([], {})


def test_http_checks_the_runtime_refuses():
    bad = [
        ({'name': 'a', 'http_checks': {'name': 'x'}}, 'must be a list'),
        ({'name': 'a', 'http_checks': [{'path': '/'}]}, 'needs a name'),
        ({'name': 'a', 'http_checks': [{'name': 'x', 'path': '/', 'timeout': 3}]}, 'unknown keys timeout'),
        ({'name': 'a', 'http_checks': [{'name': 'x', 'path': '/'}, {'name': 'x', 'path': '/y'}]}, 'used twice'),
        ({'name': 'a', 'http_checks': [{'name': 'x', 'path': 'relative'}]}, 'path starting with /'),
        ({'name': 'a', 'http_checks': [{'name': 'x', 'url': 'ftp://h/'}]}, 'http:// or https://'),
        ({'name': 'a', 'http_checks': [{'name': 'x', 'path': '/', 'method': 'DELETE'}]}, 'method must be one of'),
        ({'name': 'a', 'http_checks': [{'name': 'x', 'path': '/', 'headers': ['k']}]}, 'headers must be a dict'),
    ]
    for desc, message in bad:
        with pytest.raises(compose.ComposeInputError, match=message):
            compose.http_checks([desc])
