# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Whole-module tests of numberone.owu.gpu_facts.

Every fixture under tests/unit/fixtures/nvidia-smi/ is replayed twice: through a patched
``AnsibleModule.run_command``/``get_bin_path`` (fake_commands), and through a stand-in
``nvidia-smi`` executable that prints the recorded bytes, so that the real ``run_command``,
the coreutils ``timeout`` wrapper and the retry on an unknown field run too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat
import sys
import time

import pytest

from ansible_collections.numberone.owu.plugins.modules import gpu_facts
from ansible_collections.numberone.owu.plugins.module_utils._gpu import GPU_KEYS, NVIDIA_SMI_DIRS

NVIDIA_SMI = '/usr/bin/nvidia-smi'
TIMEOUT = '/usr/bin/timeout'

# fixture -> (owu_gpu_count, owu_gpu_vram_total_mib, driver_version, start of owu_gpu_reason)
EXPECTED = {
    'one-gpu.yml': (1, 8192, '550.120', ''),
    'two-gpus.yml': (2, 49128, '550.127.05', ''),
    'mig.yml': (2, 163840, '535.183.01', ''),
    'mig-container.yml': (1, 0, '550.90.07', ''),
    'old-driver.yml': (1, 15109, '470.182.03', ''),
    'na.yml': (1, 0, '580.95.05', ''),
    'none.yml': (0, 0, None, 'no NVIDIA GPU found: nvidia-smi reported "No devices were found"'),
    'driver-not-loaded.yml': (0, 0, None, 'NVIDIA driver not loaded'),
    'nvml-mismatch.yml': (0, 0, None, 'NVIDIA driver/library version mismatch (rc=18, NVML library 550.144)'),
    'unparseable.yml': (0, 0, None, 'unparseable nvidia-smi output, first line: Fri Nov 21 05:10:02 2025'),
}
CASES = sorted(EXPECTED)

# A stand-in nvidia-smi: answers the argv it is called with from a JSON copy of a fixture's
# calls, logs each argv, exits 64 on an argv the fixture does not have.
STUB = r'''#!{python}
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'calls.json')) as handle:
    calls = json.load(handle)
with open(os.path.join(here, 'argv.log'), 'a') as log:
    log.write(json.dumps(sys.argv[1:]) + '\n')
for call in calls:
    if call['args'] == sys.argv[1:]:
        time.sleep(call.get('sleep', 0))
        sys.stdout.write(call['stdout'])
        sys.stderr.write(call['stderr'])
        sys.exit(call['rc'])
sys.stderr.write('stub: unexpected argv %r\n' % (sys.argv[1:],))
sys.exit(64)
'''


def check_result(result, name, check_mode=False):
    count, total, driver, reason = EXPECTED[name]
    facts = result['ansible_facts']
    assert 'failed' not in result, result
    assert result['changed'] is False
    assert sorted(facts) == ['owu_gpu_count', 'owu_gpu_reason', 'owu_gpu_vendor', 'owu_gpu_vram_total_mib', 'owu_gpus']
    assert facts['owu_gpu_count'] == count == len(facts['owu_gpus'])
    assert facts['owu_gpu_vram_total_mib'] == total
    assert facts['owu_gpu_vendor'] == ('nvidia' if count else 'none')
    assert result['gpus'] == facts['owu_gpus']
    assert result['reason'] == facts['owu_gpu_reason']
    assert result['driver_version'] == driver
    if reason:
        assert facts['owu_gpu_reason'].startswith(reason)
    else:
        assert facts['owu_gpu_reason'] == ''
    for gpu in facts['owu_gpus']:
        assert tuple(gpu) == GPU_KEYS
        assert isinstance(gpu['index'], int)
    return facts


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
@pytest.mark.parametrize('name', CASES)
def test_replay_with_patched_run_command(run_module, fake_commands, load_fixture, name, check_mode):
    fake_commands.bin_paths.update({'nvidia-smi': NVIDIA_SMI, 'timeout': TIMEOUT})
    calls = load_fixture('nvidia-smi', name)['calls']
    for call in calls:
        fake_commands.add(call['args'], call['rc'], call['stdout'], call['stderr'])

    result = run_module(gpu_facts.main, {}, check_mode=check_mode)

    check_result(result, name)
    assert result['nvidia_smi_path'] == NVIDIA_SMI
    assert fake_commands.pending == []  # every scripted call was made...
    assert len(fake_commands.calls) == len(calls)  # ...and no other
    for made in fake_commands.calls:
        assert made['args'][:5] == [TIMEOUT, '-k', '5', '30', NVIDIA_SMI]
        assert made['kwargs']['environ_update']['LC_ALL'] == 'C'
    lookup = [entry for entry in fake_commands.bin_lookups if entry['arg'] == 'nvidia-smi'][0]
    assert list(lookup['opt_dirs']) == list(NVIDIA_SMI_DIRS)


def test_one_gpu_facts_in_full(run_module, fake_commands, load_fixture):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    for call in load_fixture('nvidia-smi', 'one-gpu.yml')['calls']:
        fake_commands.add(call['args'], call['rc'], call['stdout'], call['stderr'])

    result = run_module(gpu_facts.main)

    assert result['ansible_facts'] == {
        'owu_gpus': [{
            'index': 0,
            'uuid': 'GPU-f93125fc-7532-4f22-a5ac-8cc333ab7df1',
            'name': 'NVIDIA GeForce RTX 3070',
            'memory_total_mib': 8192,
            'memory_used_mib': 412,
            'memory_free_mib': 7574,
            'memory_ollama_mib': 0,
            'driver_version': '550.120',
            'compute_capability': '8.6',
            'mig_mode': None,
            'mig_devices': [],
        }],
        'owu_gpu_count': 1,
        'owu_gpu_vram_total_mib': 8192,
        'owu_gpu_vendor': 'nvidia',
        'owu_gpu_reason': '',
    }
    # No coreutils timeout found: nvidia-smi is run directly.
    assert fake_commands.calls[0]['args'][0] == NVIDIA_SMI


def test_mig_devices_are_listed(run_module, fake_commands, load_fixture):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    for call in load_fixture('nvidia-smi', 'mig.yml')['calls']:
        fake_commands.add(call['args'], call['rc'], call['stdout'], call['stderr'])

    gpus = run_module(gpu_facts.main)['ansible_facts']['owu_gpus']

    assert [gpu['mig_mode'] for gpu in gpus] == ['Enabled', 'Disabled']
    assert [dev['profile'] for dev in gpus[0]['mig_devices']] == ['3g.40gb', '2g.20gb', '1g.10gb']
    assert gpus[0]['mig_devices'][0]['uuid'] == 'MIG-7922a4e5-941b-5f98-a4ee-20158bab4f12'
    assert gpus[1]['mig_devices'] == []


def test_mig_listing_failure_is_a_warning(run_module, fake_commands, load_fixture):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    query = load_fixture('nvidia-smi', 'mig.yml')['calls'][0]
    fake_commands.add(query['args'], query['rc'], query['stdout'], query['stderr'])
    fake_commands.add(['-L'], 15, 'Unable to determine the device handle for GPU0000:07:00.0: GPU is lost.\n', '')
    fake_commands.add(gpu_facts.compute_apps_args(), 0, 'No running processes found\n')

    result = run_module(gpu_facts.main)

    assert result['ansible_facts']['owu_gpu_count'] == 2
    assert result['ansible_facts']['owu_gpu_reason'] == ''
    assert [gpu['mig_devices'] for gpu in result['gpus']] == [[], []]
    assert any('MIG devices not listed' in str(w) and 'GPU is lost' in str(w) for w in result['warnings'])


def test_warning_lines_become_module_warnings(run_module, fake_commands):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    fake_commands.add(gpu_facts.query_args(), 0,
                      'WARNING: infoROM is corrupted at gpu 0000:01:00.0\n'
                      '0, GPU-1, NVIDIA GeForce RTX 3070, 8192, 412, 7574, 550.120, 8.6, [N/A]\n')
    fake_commands.add(gpu_facts.compute_apps_args(), 0, '')

    result = run_module(gpu_facts.main)

    assert result['ansible_facts']['owu_gpu_count'] == 1
    assert any('infoROM is corrupted' in str(w) for w in result['warnings'])


def test_driver_without_compute_cap_nor_mig_fields(run_module, fake_commands):
    """A very old driver (418) rejects both optional fields: two retries, both keys null."""
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    fields = list(gpu_facts.QUERY_FIELDS)
    fake_commands.add(gpu_facts.query_args(fields), 2, 'Field "compute_cap" is not a valid field to query.\n')
    fields.remove('compute_cap')
    fake_commands.add(gpu_facts.query_args(fields), 2, 'Field "mig.mode.current" is not a valid field to query.\n')
    fields.remove('mig.mode.current')
    fake_commands.add(gpu_facts.query_args(fields), 0, '0, GPU-1, Tesla P100-PCIE-16GB, 16280, 0, 16278, 418.87.01\n')
    fake_commands.add(gpu_facts.compute_apps_args(), 0, '')

    result = run_module(gpu_facts.main)

    gpu = result['gpus'][0]
    assert (gpu['compute_capability'], gpu['mig_mode'], gpu['memory_total_mib']) == (None, None, 16280)
    assert len(fake_commands.calls) == 4


def test_ollamas_own_memory_is_reported_apart(run_module, fake_commands, load_fixture):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    for call in load_fixture('nvidia-smi', 'two-gpus.yml')['calls']:
        fake_commands.add(call['args'], call['rc'], call['stdout'], call['stderr'])

    gpus = run_module(gpu_facts.main)['gpus']

    # GPU 0: llama-server 17920 MiB + the ollama server 112 MiB; GPU 1 runs nothing.
    assert [gpu['memory_ollama_mib'] for gpu in gpus] == [18032, 0]
    assert gpus[0]['memory_used_mib'] == 18431


def test_ollama_process_names_can_be_changed(run_module, fake_commands, load_fixture):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    for call in load_fixture('nvidia-smi', 'two-gpus.yml')['calls']:
        fake_commands.add(call['args'], call['rc'], call['stdout'], call['stderr'])

    gpus = run_module(gpu_facts.main, {'ollama_process_names': ['llama-server']})['gpus']

    assert [gpu['memory_ollama_mib'] for gpu in gpus] == [17920, 0]


@pytest.mark.parametrize('name, expected', [('mig.yml', [0, 0]), ('na.yml', [None]), ('one-gpu.yml', [0])])
def test_ollama_memory_per_fixture(run_module, fake_commands, load_fixture, name, expected):
    """No process / a process whose memory is [N/A] (null: unknown) / only desktop processes."""
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    for call in load_fixture('nvidia-smi', name)['calls']:
        fake_commands.add(call['args'], call['rc'], call['stdout'], call['stderr'])

    assert [gpu['memory_ollama_mib'] for gpu in run_module(gpu_facts.main)['gpus']] == expected


def test_process_query_failure_is_a_warning_and_leaves_null(run_module, fake_commands, load_fixture):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    query = load_fixture('nvidia-smi', 'one-gpu.yml')['calls'][0]
    fake_commands.add(query['args'], query['rc'], query['stdout'], query['stderr'])
    fake_commands.add(gpu_facts.compute_apps_args(), 15, 'Unable to determine the device handle: GPU is lost.\n')

    result = run_module(gpu_facts.main)

    assert result['gpus'][0]['memory_ollama_mib'] is None
    assert result['gpus'][0]['memory_total_mib'] == 8192
    assert any('GPU processes not read' in str(w) and 'GPU is lost' in str(w) for w in result['warnings'])


def test_required_field_rejected_is_a_reason_not_a_loop(run_module, fake_commands):
    fake_commands.bin_paths['nvidia-smi'] = NVIDIA_SMI
    fake_commands.add(gpu_facts.query_args(), 2, 'Field "uuid" is not a valid field to query.\n')

    result = run_module(gpu_facts.main)

    assert result['reason'].startswith('nvidia-smi does not know the field uuid (rc=2)')
    assert len(fake_commands.calls) == 1


def test_binary_missing_is_an_answer_not_a_failure(run_module, fake_commands):
    result = run_module(gpu_facts.main, check_mode=True)

    assert 'failed' not in result
    assert result['changed'] is False
    assert result['gpus'] == [] and result['nvidia_smi_path'] is None and result['driver_version'] is None
    assert result['ansible_facts']['owu_gpu_vendor'] == 'none'
    assert result['reason'].startswith('nvidia-smi not found on PATH or in /usr/bin, /usr/local/nvidia/bin')
    assert fake_commands.calls == []


def test_explicit_path_missing_is_an_answer(run_module, fake_commands, tmp_path):
    missing = str(tmp_path / 'nvidia-smi')
    result = run_module(gpu_facts.main, {'nvidia_smi_path': missing})

    assert 'failed' not in result
    assert result['reason'] == 'nvidia_smi_path %s is not an executable file: no NVIDIA driver here?' % missing
    assert result['ansible_facts']['owu_gpu_count'] == 0
    assert fake_commands.calls == [] and fake_commands.bin_lookups == []


@pytest.mark.parametrize('timeout', [0, -5])
def test_timeout_below_one_fails(run_module, fake_commands, timeout):
    result = run_module(gpu_facts.main, {'timeout': timeout})

    assert result['failed'] is True
    assert 'timeout must be at least 1' in result['msg']


def test_unknown_option_fails(run_module, fake_commands):
    result = run_module(gpu_facts.main, {'nvidia_smi': '/usr/bin/nvidia-smi'})

    assert result['failed'] is True
    assert 'nvidia_smi' in result['msg']


# --- runs of a real executable (no patched run_command) ---------------------------------------


@pytest.fixture
def stub_nvidia_smi(tmp_path):
    """Return ``make(calls) -> (path, argv_log)`` writing a stand-in nvidia-smi for ``calls``."""
    def make(calls):
        (tmp_path / 'calls.json').write_text(json.dumps(calls))
        path = tmp_path / 'nvidia-smi'
        path.write_text(STUB.replace('{python}', sys.executable))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path), tmp_path / 'argv.log'
    return make


def logged_argvs(log):
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize('name', CASES)
def test_replay_with_stand_in_executable(run_module, stub_nvidia_smi, load_fixture, name):
    calls = load_fixture('nvidia-smi', name)['calls']
    path, log = stub_nvidia_smi(calls)

    result = run_module(gpu_facts.main, {'nvidia_smi_path': path, 'timeout': 20})

    check_result(result, name)
    assert result['nvidia_smi_path'] == path
    assert logged_argvs(log) == [call['args'] for call in calls]


@pytest.mark.skipif(shutil.which('timeout') is None, reason='coreutils timeout is not installed')
def test_hung_nvidia_smi_times_out(run_module, stub_nvidia_smi, load_fixture):
    calls = load_fixture('nvidia-smi', 'one-gpu.yml')['calls']
    calls[0]['sleep'] = 60
    path, dummy = stub_nvidia_smi(calls)

    started = time.monotonic()
    result = run_module(gpu_facts.main, {'nvidia_smi_path': path, 'timeout': 1})
    elapsed = time.monotonic() - started

    assert 'failed' not in result
    assert result['reason'] == 'nvidia-smi did not answer within 1 seconds (timeout)'
    assert result['ansible_facts']['owu_gpus'] == []
    assert elapsed < 15


def test_non_executable_file_is_an_answer(run_module, tmp_path):
    path = tmp_path / 'nvidia-smi'
    path.write_text('#!/bin/sh\nexit 0\n')
    path.chmod(0o644)
    if os.access(str(path), os.X_OK):  # root on some file systems
        pytest.skip('the file system grants execute permission to everything')

    result = run_module(gpu_facts.main, {'nvidia_smi_path': str(path)})

    assert 'failed' not in result
    assert 'is not an executable file' in result['reason']


def test_nvidia_smi_found_through_path(run_module, stub_nvidia_smi, load_fixture, monkeypatch):
    path, dummy = stub_nvidia_smi(load_fixture('nvidia-smi', 'two-gpus.yml')['calls'])
    monkeypatch.setenv('PATH', '%s%s%s' % (os.path.dirname(path), os.pathsep, os.environ.get('PATH', '')))

    result = run_module(gpu_facts.main)

    assert result['nvidia_smi_path'] == path
    assert result['ansible_facts']['owu_gpu_count'] == 2
