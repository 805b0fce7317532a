# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of Ollama's instances and service descriptions (plugins/plugin_utils/_ollama_services.py),
rendered through the runtime (plugins/plugin_utils/_compose.py) where it matters."""

from __future__ import annotations

import pytest

from ansible_collections.numberone.owu.plugins.plugin_utils import _compose as compose
from ansible_collections.numberone.owu.plugins.plugin_utils import _ollama_services as ollama

GPUS = [{'index': 1, 'name': 'NVIDIA GeForce RTX 3070'}, {'index': 0, 'name': 'NVIDIA GeForce RTX 3070'}]
HEALTH = {'test': ['CMD', 'ollama', 'list'], 'interval': '15s', 'timeout': '10s', 'retries': 5, 'start_period': '30s'}


def _services(instances, **kw):
    args = {'image': 'docker.io/ollama/ollama:0.32.15', 'environment': {'OLLAMA_KEEP_ALIVE': '30m'},
            'addresses': [], 'data_path': '', 'data_volume': 'ollama', 'restart': 'unless-stopped',
            'healthcheck': HEALTH}
    args.update(kw)
    return ollama.services(instances, **args)


def test_cpu_only_is_one_container_without_devices():
    assert ollama.instances([], 'all', 'ollama', 11434) == [
        {'name': 'ollama', 'port': 11434, 'gpu_indices': [], 'device_requests': []}]


def test_mode_none_ignores_the_gpus():
    assert ollama.instances(GPUS, 'none', 'ollama', 11434)[0]['device_requests'] == []


def test_per_gpu_is_one_container_per_gpu_in_index_order_on_consecutive_ports():
    out = ollama.instances(GPUS, 'per_gpu', 'ollama', '11434')
    assert [(i['name'], i['port'], i['gpu_indices']) for i in out] == [('ollama-0', 11434, [0]), ('ollama-1', 11435, [1])]
    assert out[1]['device_requests'] == [{'driver': 'nvidia', 'device_ids': ['1'], 'capabilities': [['gpu']]}]


def test_per_gpu_on_a_mig_gpu_is_one_container_per_mig_device():
    """A process can use one MIG device: each gets its own container, by MIG UUID."""
    mig = {'index': 0, 'uuid': 'GPU-0', 'name': 'H100', 'memory_total_mib': 81559, 'mig_mode': 'Enabled',
           'mig_devices': [{'index': 0, 'profile': '3g.40gb', 'uuid': 'MIG-a'},
                           {'index': 1, 'profile': '1g.10gb', 'uuid': 'MIG-b'}]}
    plain = {'index': 1, 'uuid': 'GPU-1', 'name': 'H100', 'memory_total_mib': 81559, 'mig_mode': 'Disabled',
             'mig_devices': []}
    out = ollama.instances([plain, mig], 'per_gpu', 'ollama', 11434)
    assert [(i['name'], i['port'], i['gpu_indices']) for i in out] == [
        ('ollama-0-0', 11434, ['0:0']), ('ollama-0-1', 11435, ['0:1']), ('ollama-1', 11436, [1])]
    assert [i['device_requests'][0]['device_ids'] for i in out] == [['MIG-a'], ['MIG-b'], ['1']]
    services = ollama.services(out, 'img', {}, [], '', 'ollama', 'always', {})
    assert [s['gpus'] for s in services] == [{'device_ids': ['MIG-a']}, {'device_ids': ['MIG-b']}, {'device_ids': ['1']}]


def test_all_is_one_container_with_every_gpu():
    out = ollama.instances(GPUS, 'all', 'ollama', 11434)
    assert out == [{'name': 'ollama', 'port': 11434, 'gpu_indices': [0, 1],
                    'device_requests': [{'driver': 'nvidia', 'count': -1, 'capabilities': [['gpu']]}]}]


def test_indices_names_the_devices():
    out = ollama.instances([GPUS[0]], 'indices', 'ollama', 11434)
    assert out[0]['device_requests'] == [{'driver': 'nvidia', 'device_ids': ['1'], 'capabilities': [['gpu']]}]
    assert out[0]['gpu_indices'] == [1]


@pytest.mark.parametrize('gpus,port,message', [
    ([{'name': 'x'}], 11434, 'numeric index'),
    ([], 'eleven', 'port must be a number'),
])
def test_bad_instance_input_is_refused(gpus, port, message):
    with pytest.raises(ollama.OllamaServicesError, match=message):
        ollama.instances(gpus, 'all', 'ollama', port)


@pytest.mark.parametrize('publish,address,extra,expected', [
    ('none', '0.0.0.0', [], []),
    ('loopback', '0.0.0.0', [], ['127.0.0.1']),
    ('loopback', '0.0.0.0', ['10.0.0.5', '127.0.0.1'], ['127.0.0.1', '10.0.0.5']),
    ('lan', '0.0.0.0', ['10.0.0.5'], ['0.0.0.0']),
    ('lan', '192.168.1.5', ['10.0.0.5'], ['192.168.1.5', '10.0.0.5']),
    ('none', '0.0.0.0', ['[fd00::5]', 'fd00::6'], ['fd00::5', 'fd00::6']),
])
def test_publish_addresses(publish, address, extra, expected):
    assert ollama.publish_addresses(publish, address, extra) == expected


def test_services_share_the_model_store_and_set_their_own_ollama_host():
    instances = ollama.instances(GPUS, 'per_gpu', 'ollama', 11434)
    out = _services(instances, environment={'OLLAMA_HOST': '1.2.3.4:1', 'OLLAMA_KEEP_ALIVE': '30m'},
                    addresses=['127.0.0.1'])
    assert [s['name'] for s in out] == ['ollama-0', 'ollama-1']
    assert [s['environment']['OLLAMA_HOST'] for s in out] == ['0.0.0.0:11434', '0.0.0.0:11435']
    assert all(s['volumes'] == [{'source': 'ollama', 'target': '/root/.ollama'}] for s in out)
    assert out[1]['ports'] == [{'address': '127.0.0.1', 'published': 11435, 'target': 11435}]
    assert out[1]['gpus'] == {'device_ids': ['1']}
    assert out[0]['http_health'] == {'path': '/api/version', 'json_field': 'version'}


def test_a_host_directory_is_a_bind_and_cpu_has_no_gpus():
    out = _services(ollama.instances([], 'all', 'ollama', 11434), data_path='/srv/ollama')
    assert out[0]['binds'] == [{'source': '/srv/ollama', 'target': '/root/.ollama'}]
    assert 'volumes' not in out[0] and 'gpus' not in out[0]


def test_rendered_through_the_runtime():
    instances = ollama.instances(GPUS, 'all', 'Ollama.Main', 11434)
    files = compose.build('owu-ollama', 'ollama', _services(instances, addresses=['fd00::5']), 'owu')
    service = files['compose']['services']['ollama-main']
    assert service['container_name'] == 'Ollama.Main'
    assert service['deploy'] == {'resources': {'reservations': {'devices': [
        {'driver': 'nvidia', 'capabilities': ['gpu'], 'count': 'all'}]}}}
    assert service['ports'] == [{'target': 11434, 'published': '11434', 'protocol': 'tcp', 'host_ip': 'fd00::5'}]
    assert service['labels'][compose.PORT_LABEL] == '11434'
    assert files['volumes'] == ['ollama']


def test_no_instance_is_refused():
    with pytest.raises(ollama.OllamaServicesError):
        _services([])


def test_tuning_overrides_keep_what_is_not_auto_as_strings():
    got = ollama.tuning_overrides({
        'OLLAMA_KEEP_ALIVE': 'auto', 'OLLAMA_NUM_PARALLEL': 2, 'OLLAMA_MAX_LOADED_MODELS': 'auto',
        'OLLAMA_FLASH_ATTENTION': 'yes', 'OLLAMA_KV_CACHE_TYPE': 'q8_0', 'OLLAMA_CONTEXT_LENGTH': 8192})
    assert got == {'OLLAMA_NUM_PARALLEL': '2', 'OLLAMA_FLASH_ATTENTION': '1', 'OLLAMA_KV_CACHE_TYPE': 'q8_0',
                   'OLLAMA_CONTEXT_LENGTH': '8192'}
    assert ollama.tuning_overrides({'OLLAMA_FLASH_ATTENTION': False}) == {'OLLAMA_FLASH_ATTENTION': '0'}
    assert ollama.tuning_overrides({'OLLAMA_FLASH_ATTENTION': 'off', 'OLLAMA_KEEP_ALIVE': '30m'}) == {
        'OLLAMA_FLASH_ATTENTION': '0', 'OLLAMA_KEEP_ALIVE': '30m'}


def _inspect(project, service, mounts):
    labels = {'com.docker.compose.project': project, 'com.docker.compose.service': service} if project else {}
    return {'Config': {'Labels': labels}, 'Mounts': mounts}


def test_model_volumes_lists_each_volume_once_with_a_service_that_mounts_it():
    shared = {'Type': 'volume', 'Name': 'ollama', 'Destination': '/root/.ollama', 'Source': '/var/lib/docker/volumes/ollama/_data'}
    containers = {
        'ollama-gpu1': _inspect('owu-ollama', 'ollama-gpu1', [shared]),
        'ollama-gpu0': _inspect('owu-ollama', 'ollama-gpu0', [shared]),
        'ollama-extra': _inspect('owu-ollama', 'extra', [{'Type': 'volume', 'Name': 'models2', 'Destination': '/root/.ollama'},
                                                         {'Type': 'volume', 'Name': 'other', 'Destination': '/data'}]),
        'ollama-bind': _inspect('owu-ollama', 'bind', [{'Type': 'bind', 'Source': '/srv/models', 'Destination': '/root/.ollama'}]),
        'not-compose': _inspect(None, None, [{'Type': 'volume', 'Name': 'stray', 'Destination': '/root/.ollama'}]),
    }
    assert ollama.model_volumes(containers) == [
        {'volume': 'models2', 'project': 'owu-ollama', 'service': 'extra'},
        {'volume': 'ollama', 'project': 'owu-ollama', 'service': 'ollama-gpu0'},
    ]
    assert ollama.model_volumes({}) == []


def test_unreferenced_models_compare_names_as_ollama_does():
    server = ['llama3.1:8b', 'nomic-embed-text:latest', 'registry.ollama.ai/library/phi3:mini', 'tinyllama:latest',
              'myorg/custom:1b']
    referenced = ['Llama3.1:8B', 'nomic-embed-text', 'phi3:mini', 'myorg/custom:1b']
    assert ollama.unreferenced_models(server, referenced) == ['tinyllama:latest']
    assert ollama.unreferenced_models(server, []) == server
    assert ollama.unreferenced_models([], ['x']) == []


def test_env_mismatches_compares_every_tuning_variable_both_ways():
    planned = {'OLLAMA_CONTEXT_LENGTH': '8192', 'OLLAMA_KEEP_ALIVE': '30m', 'LLAMA_ARG_FIT_TARGET': '1024',
               'OLLAMA_HOST': '0.0.0.0:11434', 'OLLAMA_ORIGINS': 'x', 'TZ': 'UTC'}
    running = ['PATH=/usr/bin', 'OLLAMA_HOST=0.0.0.0:11435', 'OLLAMA_CONTEXT_LENGTH=8192', 'OLLAMA_KEEP_ALIVE=30m',
               'LLAMA_ARG_FIT_TARGET=1024', 'OLLAMA_ORIGINS=x', 'NVIDIA_VISIBLE_DEVICES=all']
    assert ollama.env_mismatches(running, planned) == []
    drifted = ['OLLAMA_CONTEXT_LENGTH=4096', 'OLLAMA_KEEP_ALIVE=30m', 'OLLAMA_NUM_PARALLEL=4', 'OLLAMA_ORIGINS=x=y']
    assert ollama.env_mismatches(drifted, planned) == [
        'LLAMA_ARG_FIT_TARGET: running unset, planned 1024',
        'OLLAMA_CONTEXT_LENGTH: running 4096, planned 8192',
        'OLLAMA_NUM_PARALLEL: running 4, planned unset',
        'OLLAMA_ORIGINS: running x=y, planned x']
