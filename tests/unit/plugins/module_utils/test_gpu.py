# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the pure nvidia-smi helpers, fed with tests/unit/fixtures/nvidia-smi/*.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.numberone.owu.plugins.module_utils import _gpu
from ansible_collections.numberone.owu.plugins.module_utils._gpu import (
    GPU_KEYS,
    GpuQueryError,
    NO_GPU_LISTED,
    QUERY_FIELDS,
    attach_mig_devices,
    attach_ollama_memory,
    classify_failure,
    compute_apps_args,
    invalid_field,
    output_warnings,
    parse_compute_apps,
    parse_mig_listing,
    parse_query_output,
    query_args,
    summarize,
)

FIELDS_WITHOUT_CC = tuple(f for f in QUERY_FIELDS if f != 'compute_cap')

RTX_3070 = {
    'index': 0,
    'uuid': 'GPU-f93125fc-7532-4f22-a5ac-8cc333ab7df1',
    'name': 'NVIDIA GeForce RTX 3070',
    'memory_total_mib': 8192,
    'memory_used_mib': 412,
    'memory_free_mib': 7574,
    'memory_ollama_mib': None,
    'driver_version': '550.120',
    'compute_capability': '8.6',
    'mig_mode': None,
    'mig_devices': [],
}


def last_call(case):
    """The successful query of a fixture case: (stdout, fields queried)."""
    call = [c for c in case['calls'] if c['args'][0].startswith('--query-gpu=')][-1]
    return call['stdout'], tuple(call['args'][0][len('--query-gpu='):].split(','))


def test_query_args_match_the_documented_command():
    assert query_args() == [
        '--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,driver_version,'
        'compute_cap,mig.mode.current',
        '--format=csv,noheader,nounits',
    ]
    assert query_args(FIELDS_WITHOUT_CC)[0] == (
        '--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,driver_version,mig.mode.current')


def test_fixture_commands_are_the_ones_the_module_runs(load_fixture):
    """The fixtures' argv must stay in sync with query_args, or the replay tests prove nothing."""
    for name in ('one-gpu.yml', 'none.yml', 'unparseable.yml'):
        assert load_fixture('nvidia-smi', name)['calls'][0]['args'] == query_args()
    assert load_fixture('nvidia-smi', 'old-driver.yml')['calls'][1]['args'] == query_args(FIELDS_WITHOUT_CC)


def test_parse_one_gpu_exactly(load_fixture):
    stdout, fields = last_call(load_fixture('nvidia-smi', 'one-gpu.yml'))
    assert parse_query_output(stdout, fields) == [RTX_3070]


@pytest.mark.parametrize('name, expected', [
    ('two-gpus.yml', [
        {'index': 0, 'name': 'NVIDIA GeForce RTX 4090', 'memory_total_mib': 24564, 'memory_used_mib': 18431,
         'memory_free_mib': 5742, 'driver_version': '550.127.05', 'compute_capability': '8.9', 'mig_mode': None},
        {'index': 1, 'name': 'NVIDIA GeForce RTX 4090', 'memory_total_mib': 24564, 'memory_used_mib': 2,
         'memory_free_mib': 24171, 'driver_version': '550.127.05', 'compute_capability': '8.9', 'mig_mode': None},
    ]),
    ('mig.yml', [
        {'index': 0, 'name': 'NVIDIA A100-SXM4-80GB', 'memory_total_mib': 81920, 'compute_capability': '8.0',
         'mig_mode': 'Enabled', 'driver_version': '535.183.01'},
        {'index': 1, 'name': 'NVIDIA A100-SXM4-80GB', 'memory_total_mib': 81920, 'compute_capability': '8.0',
         'mig_mode': 'Disabled', 'memory_used_mib': 4, 'memory_free_mib': 81069},
    ]),
    ('mig-container.yml', [
        {'index': 0, 'name': 'NVIDIA H100 80GB HBM3', 'memory_total_mib': None, 'memory_used_mib': None,
         'memory_free_mib': None, 'compute_capability': '9.0', 'mig_mode': 'Enabled'},
    ]),
    ('na.yml', [
        {'index': 0, 'name': 'NVIDIA GB10', 'memory_total_mib': None, 'memory_used_mib': None,
         'memory_free_mib': None, 'driver_version': '580.95.05', 'compute_capability': '12.1', 'mig_mode': None},
    ]),
    ('old-driver.yml', [
        {'index': 0, 'uuid': 'GPU-8126c82e-c1ba-421f-96a9-993c06099787', 'name': 'Tesla T4',
         'memory_total_mib': 15109, 'memory_used_mib': 0, 'memory_free_mib': 14960,
         'driver_version': '470.182.03', 'compute_capability': None, 'mig_mode': None},
    ]),
])
def test_parse_fixtures(load_fixture, name, expected):
    stdout, fields = last_call(load_fixture('nvidia-smi', name))
    gpus = parse_query_output(stdout, fields)
    assert len(gpus) == len(expected)
    for gpu, want in zip(gpus, expected):
        assert tuple(gpu) == GPU_KEYS
        assert gpu['uuid'].startswith('GPU-')
        assert gpu['mig_devices'] == []
        assert dict((key, gpu[key]) for key in want) == want


@pytest.mark.parametrize('cell, expected', [
    ('8192', 8192),
    (' 8192 ', 8192),
    ('8192 MiB', 8192),
    ('[N/A]', None),
    ('N/A', None),
    ('[Not Supported]', None),
    ('[Insufficient Permissions]', None),
    ('[Unknown Error]', None),
    ('', None),
])
def test_memory_cells(cell, expected):
    line = '0, GPU-1, NVIDIA L4, %s, 1, 2, 550.54.15, 8.9, Disabled\n' % cell
    assert parse_query_output(line)[0]['memory_total_mib'] == expected


@pytest.mark.parametrize('cell, key, expected', [
    ('[N/A]', 'mig_mode', None),
    ('[Not Supported]', 'compute_capability', None),
    ('Enabled', 'mig_mode', 'Enabled'),
    ('[N/A]', 'driver_version', None),
])
def test_text_cells(cell, key, expected):
    cells = ['0', 'GPU-1', 'NVIDIA L4', '23034', '0', '22563', '550.54.15', '8.9', 'Disabled']
    position = {'mig_mode': 8, 'compute_capability': 7, 'driver_version': 6}[key]
    cells[position] = cell
    assert parse_query_output(', '.join(cells))[0][key] == expected


def test_parse_without_optional_fields_gives_null_keys():
    fields = ('index', 'uuid', 'name', 'memory.total', 'memory.used', 'memory.free', 'driver_version')
    gpu = parse_query_output('0, GPU-1, Tesla P100-PCIE-16GB, 16280, 0, 16278, 418.87.01', fields)[0]
    assert gpu['compute_capability'] is None and gpu['mig_mode'] is None
    assert gpu['memory_total_mib'] == 16280 and gpu['driver_version'] == '418.87.01'


def test_parse_skips_blank_and_warning_lines():
    text = ('WARNING: infoROM is corrupted at gpu 0000:01:00.0\n\n'
            '0, GPU-1, NVIDIA GeForce RTX 3070, 8192, 412, 7574, 550.120, 8.6, [N/A]\n\n')
    assert [gpu['index'] for gpu in parse_query_output(text)] == [0]
    assert output_warnings(text) == ['WARNING: infoROM is corrupted at gpu 0000:01:00.0']
    assert output_warnings('0, GPU-1, x') == []


@pytest.mark.parametrize('text', ['', '\n', None])
def test_parse_empty_output_is_no_gpu(text):
    assert parse_query_output(text) == []


@pytest.mark.parametrize('text, message', [
    ('0, GPU-1, NVIDIA GeForce RTX 3070, 8192', 'expected 9 comma-separated values, got 4'),
    ('0, GPU-1, NVIDIA GeForce RTX 3070, 8 GiB, 412, 7574, 550.120, 8.6, [N/A]', 'memory.total is not a number'),
    ('zero, GPU-1, NVIDIA GeForce RTX 3070, 8192, 412, 7574, 550.120, 8.6, [N/A]', 'index is not a number'),
    ('0, [N/A], NVIDIA GeForce RTX 3070, 8192, 412, 7574, 550.120, 8.6, [N/A]', 'uuid is empty'),
    ('No devices were found', 'expected 9 comma-separated values, got 1'),
])
def test_parse_rejects_malformed_lines(text, message):
    with pytest.raises(GpuQueryError, match=message):
        parse_query_output(text)


def test_parse_rejects_the_human_table(load_fixture):
    stdout, fields = last_call(load_fixture('nvidia-smi', 'unparseable.yml'))
    with pytest.raises(GpuQueryError):
        parse_query_output(stdout, fields)


@pytest.mark.parametrize('text, expected', [
    ('Field "compute_cap" is not a valid field to query.\n\n', 'compute_cap'),
    ('Field "mig.mode.current" is not a valid field to query.', 'mig.mode.current'),
    ('No devices were found', None),
    ('', None),
    (None, None),
])
def test_invalid_field(text, expected):
    assert invalid_field(text) == expected


def test_invalid_field_in_old_driver_fixture(load_fixture):
    first = load_fixture('nvidia-smi', 'old-driver.yml')['calls'][0]
    assert first['rc'] == 2
    assert invalid_field(first['stdout']) == 'compute_cap'


def test_parse_mig_listing(load_fixture):
    listing = parse_mig_listing(load_fixture('nvidia-smi', 'mig.yml')['calls'][1]['stdout'])
    assert listing == {
        'GPU-054e7859-154a-432c-82bb-d5aa7408ea6f': [
            {'index': 0, 'profile': '3g.40gb', 'uuid': 'MIG-7922a4e5-941b-5f98-a4ee-20158bab4f12'},
            {'index': 1, 'profile': '2g.20gb', 'uuid': 'MIG-6b5ffbd9-8a28-5cce-ac46-f262290f8ed9'},
            {'index': 2, 'profile': '1g.10gb', 'uuid': 'MIG-abb3ac4a-ef5d-5d9c-98db-0a175936bd19'},
        ],
        'GPU-b7540d94-2de8-4364-a43b-c4a0dce85ac7': [],
    }


def test_parse_mig_listing_old_uuid_format_and_sub_devices():
    text = ('GPU 0: A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)\n'
            '  MIG 1c.3g.20gb Device 0: (UUID: MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/1/0)\n'
            '  MIG 2c.3g.20gb Device 1: (UUID: MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/1/1)\n')
    devices = parse_mig_listing(text)['GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77']
    assert [(d['index'], d['profile'], d['uuid']) for d in devices] == [
        (0, '1c.3g.20gb', 'MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/1/0'),
        (1, '2c.3g.20gb', 'MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/1/1'),
    ]


def test_parse_mig_listing_ignores_devices_before_any_gpu_and_noise():
    assert parse_mig_listing('  MIG 1g.5gb      Device  0: (UUID: MIG-x)\nsomething else\n') == {}


def test_attach_mig_devices_copies(load_fixture):
    case = load_fixture('nvidia-smi', 'mig.yml')
    gpus = parse_query_output(case['calls'][0]['stdout'])
    attached = attach_mig_devices(gpus, parse_mig_listing(case['calls'][1]['stdout']))
    assert [len(gpu['mig_devices']) for gpu in attached] == [3, 0]
    assert gpus[0]['mig_devices'] == []  # the input is not modified
    assert attach_mig_devices(gpus, {})[0]['mig_devices'] == []


@pytest.mark.parametrize('name, expected', [
    ('none.yml', 'no NVIDIA GPU found: nvidia-smi reported "No devices were found" (rc=6)'),
    ('driver-not-loaded.yml', 'NVIDIA driver not loaded: nvidia-smi could not communicate with the NVIDIA driver (rc=9)'),
    ('nvml-mismatch.yml', 'NVIDIA driver/library version mismatch (rc=18, NVML library 550.144)'),
    ('unparseable.yml', 'unparseable nvidia-smi output, first line: Fri Nov 21 05:10:02 2025'),
])
def test_classify_fixture_failures(load_fixture, name, expected):
    call = load_fixture('nvidia-smi', name)['calls'][0]
    reason = classify_failure(call['rc'], call['stdout'], call['stderr'], timeout=30)
    assert reason.startswith(expected)


@pytest.mark.parametrize('rc, stdout, stderr, timeout, expected', [
    (124, '', '', 30, 'nvidia-smi did not answer within 30 seconds (timeout)'),
    (137, '', '', 5, 'nvidia-smi did not answer within 5 seconds (timeout)'),
    # Without the timeout wrapper 124 is just an exit status.
    (124, '', '', None, 'nvidia-smi failed (rc=124): (no output)'),
    # The message wins over the exit status (stderr too, and whatever the rc).
    (255, '', "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
     None, 'NVIDIA driver not loaded'),
    (0, 'No devices were found\n', '', None, 'no NVIDIA GPU found'),
    (18, 'Failed to initialize NVML: Driver/library version mismatch\n', '', None,
     'NVIDIA driver/library version mismatch (rc=18):'),
    (9, '', '', None, 'NVIDIA driver not loaded'),
    (4, 'Failed to initialize NVML: Insufficient Permissions\n', '', None,
     'nvidia-smi failed (rc=4): Failed to initialize NVML: Insufficient Permissions'),
    (2, 'Field "temperature.gpux" is not a valid field to query.\n', '', None,
     'nvidia-smi does not know the field temperature.gpux (rc=2)'),
    (126, '', "timeout: failed to run command '/usr/bin/nvidia-smi': Permission denied\n", 30,
     "nvidia-smi failed (rc=126): timeout: failed to run command '/usr/bin/nvidia-smi': Permission denied"),
    (0, '', '', None, 'unparseable nvidia-smi output, first line: (empty)'),
])
def test_classify_failure(rc, stdout, stderr, timeout, expected):
    reason = classify_failure(rc, stdout, stderr, timeout=timeout)
    assert reason.startswith(expected)
    assert '\n' not in reason


def test_summarize_no_gpu():
    assert summarize([], 'nvidia-smi not found') == {
        'owu_gpus': [],
        'owu_gpu_count': 0,
        'owu_gpu_vram_total_mib': 0,
        'owu_gpu_vendor': 'none',
        'owu_gpu_reason': 'nvidia-smi not found',
    }
    assert summarize([])['owu_gpu_reason'] == NO_GPU_LISTED
    assert summarize(None)['owu_gpu_count'] == 0


@pytest.mark.parametrize('name, count, total', [
    ('one-gpu.yml', 1, 8192),
    ('two-gpus.yml', 2, 49128),
    ('mig.yml', 2, 163840),
    ('na.yml', 1, 0),
    ('mig-container.yml', 1, 0),
    ('old-driver.yml', 1, 15109),
])
def test_summarize_fixtures(load_fixture, name, count, total):
    stdout, fields = last_call(load_fixture('nvidia-smi', name))
    gpus = parse_query_output(stdout, fields)
    facts = summarize(gpus, 'ignored when GPUs are found')
    assert facts['owu_gpus'] == gpus
    assert facts['owu_gpu_count'] == count
    assert facts['owu_gpu_vram_total_mib'] == total
    assert facts['owu_gpu_vendor'] == 'nvidia'
    assert facts['owu_gpu_reason'] == ''


def test_search_dirs_cover_the_usual_places():
    assert _gpu.NVIDIA_SMI_DIRS[:2] == ('/usr/bin', '/usr/local/nvidia/bin')


def test_compute_apps_args_match_the_fixtures(load_fixture):
    call = load_fixture('nvidia-smi', 'two-gpus.yml')['calls'][-1]
    assert compute_apps_args() == call['args']


@pytest.mark.parametrize('text, expected', [
    ('', []),
    ('No running processes found\n', []),
    ('GPU-1, 41877, /usr/lib/ollama/llama-server, 17920\n',
     [{'gpu_uuid': 'GPU-1', 'pid': 41877, 'process_name': '/usr/lib/ollama/llama-server', 'used_memory_mib': 17920}]),
    ('GPU-1, 7, /opt/my app, v2/run, [N/A]\n',
     [{'gpu_uuid': 'GPU-1', 'pid': 7, 'process_name': '/opt/my app, v2/run', 'used_memory_mib': None}]),
])
def test_parse_compute_apps(text, expected):
    assert parse_compute_apps(text) == expected


@pytest.mark.parametrize('text', ['GPU-1, 7, 20\n', 'GPU-1, x, /bin/a, 20\n', 'GPU-1, 7, /bin/a, lots\n'])
def test_parse_compute_apps_rejects_malformed_lines(text):
    with pytest.raises(GpuQueryError):
        parse_compute_apps(text)


def test_attach_ollama_memory_counts_only_ollamas_processes():
    gpus = [{'uuid': 'GPU-0'}, {'uuid': 'GPU-1'}, {'uuid': 'GPU-2'}]
    apps = parse_compute_apps('GPU-0, 1, /usr/lib/ollama/llama-server, 5000\n'
                              'GPU-0, 2, /usr/bin/ollama, 100\n'
                              'GPU-0, 3, /usr/bin/python3, 900\n'
                              'GPU-1, 4, /usr/lib/xorg/Xorg, 200\n'
                              'GPU-2, 5, /usr/bin/ollama, [N/A]\n')
    assert [g['memory_ollama_mib'] for g in attach_ollama_memory(gpus, apps)] == [5100, 0, None]
    assert [g['memory_ollama_mib'] for g in attach_ollama_memory(gpus, apps, ['python3'])] == [900, 0, 0]
    assert 'memory_ollama_mib' not in gpus[0]
