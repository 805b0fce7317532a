# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the VRAM planner against the real catalog (roles/ollama/vars/catalog.yml)."""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from ansible_collections.numberone.owu.plugins.plugin_utils import _vram_plan as vp

GIB = 1024 ** 3
MIB = 1024 ** 2
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir))
CATALOG_FILE = os.path.join(REPO, 'roles', 'ollama', 'vars', 'catalog.yml')


def _load_catalog():
    with open(CATALOG_FILE, encoding='utf-8') as handle:
        return yaml.safe_load(handle)['_ollama_catalog']


CATALOG = _load_catalog()
NORMALIZED = vp.normalize_catalog(CATALOG)


def entry(tag):
    found = vp.find_entry(NORMALIZED, tag)
    assert found is not None, tag
    return found


def gpus(mib, count=1, name='GPU', cc='8.6'):
    return [{'index': i, 'uuid': 'GPU-%d' % i, 'name': name, 'memory_total_mib': mib, 'memory_used_mib': 0,
             'memory_free_mib': mib, 'driver_version': '550.54.15', 'compute_capability': cc, 'mig_mode': None}
            for i in range(count)]


def mig_gpu(profiles, total=81559, name='NVIDIA H100 80GB HBM3'):
    return {'index': 0, 'uuid': 'GPU-0', 'name': name, 'memory_total_mib': total, 'memory_used_mib': 0,
            'memory_free_mib': total, 'compute_capability': '9.0', 'mig_mode': 'Enabled',
            'mig_devices': [{'index': i, 'profile': p, 'uuid': 'MIG-%d' % i} for i, p in enumerate(profiles)]}


EMB = 'nomic-embed-text:v1.5'
# Host -> (GPU facts, mode, context, parallel, by_purpose). Chat doubles as the fast model where no
# dedicated one is cheap enough (every card below about 16 GiB) or stays loaded next to chat.
HOSTS = {
    'none': ([], 'cpu', 4096, 1, {
        'chat': 'llama3.2:3b-instruct-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:1.5b-qwen-distill-q4_K_M', 'embedding': EMB}),
    '4gib': (gpus(4096, name='NVIDIA GeForce GTX 1650', cc='7.5'), 'gpu', 4096, 1, {
        'chat': 'llama3.2:1b-instruct-q8_0', 'fast': 'llama3.2:1b-instruct-q8_0', 'embedding': EMB}),
    '6gib': (gpus(6144, name='NVIDIA GeForce RTX 2060', cc='7.5'), 'gpu', 8192, 1, {
        'chat': 'llama3.2:3b-instruct-q4_K_M', 'fast': 'llama3.2:3b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:1.5b-qwen-distill-q4_K_M', 'embedding': EMB}),
    'rtx3070': (gpus(8192, name='NVIDIA GeForce RTX 3070'), 'gpu', 4096, 1, {
        'chat': 'llama3.1:8b-instruct-q4_K_M', 'fast': 'llama3.1:8b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:7b-qwen-distill-q4_K_M', 'embedding': EMB}),
    '12gib': (gpus(12288, name='NVIDIA GeForce RTX 3060'), 'gpu', 4096, 1, {
        'chat': 'qwen2.5:14b-instruct-q4_K_M', 'fast': 'qwen2.5:14b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:8b-0528-qwen3-q4_K_M', 'embedding': EMB}),
    '16gib': (gpus(16376, name='NVIDIA GeForce RTX 4060 Ti', cc='8.9'), 'gpu', 8192, 1, {
        'chat': 'qwen2.5:14b-instruct-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:14b-qwen-distill-q4_K_M', 'embedding': EMB}),
    '24gib': (gpus(24564, name='NVIDIA GeForce RTX 4090', cc='8.9'), 'gpu', 8192, 1, {
        'chat': 'gemma3:27b-it-q4_K_M', 'fast': 'gemma3:27b-it-q4_K_M',
        'reasoning': 'deepseek-r1:32b-qwen-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '48gib': (gpus(49140, name='NVIDIA RTX A6000'), 'gpu', 16384, 1, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.3:70b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '80gib': (gpus(81559, name='NVIDIA H100 80GB HBM3', cc='9.0'), 'gpu', 32768, 2, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.2:3b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '2x16gib': (gpus(16376, count=2, name='NVIDIA GeForce RTX 4060 Ti', cc='8.9'), 'gpu', 32768, 1, {
        'chat': 'gemma3:27b-it-q4_K_M', 'fast': 'llama3.2:3b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:32b-qwen-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '2x24gib': (gpus(24576, count=2, name='NVIDIA GeForce RTX 3090'), 'gpu', 8192, 1, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.3:70b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '4x16gib': (gpus(16376, count=4, name='NVIDIA GeForce RTX 4060 Ti', cc='8.9'), 'gpu', 32768, 1, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.3:70b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '2x80gib': (gpus(81559, count=2, name='NVIDIA H100 80GB HBM3', cc='9.0'), 'gpu', 32768, 4, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.2:3b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
    '4x80gib': (gpus(81559, count=4, name='NVIDIA H100 80GB HBM3', cc='9.0'), 'gpu', 32768, 4, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.2:3b-instruct-q4_K_M',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': EMB}),
}


# --- catalog --------------------------------------------------------------------------------------

def test_catalog_entries_are_complete_and_unique():
    tags = [e['tag'] for e in CATALOG]
    assert len(tags) == len(set(tags))
    names = tags + [a for e in CATALOG for a in e.get('aliases', [])]
    assert len(names) == len(set(names)), 'a tag or alias appears twice'
    for raw in CATALOG:
        assert raw.get('source'), raw['tag']
        assert raw['purposes'], raw['tag']
        norm = vp.normalize_entry(raw)
        assert norm['download_size_bytes'] > 0
        assert norm['heads'] % norm['kv_heads'] == 0, raw['tag']
    for purpose in vp.PURPOSES:
        assert any(purpose in e['purposes'] for e in CATALOG), purpose


# Nominal bits per weight of each quantization (upstream-contracts.md: Q4_0 ~4.5, Q4_K_M ~4.8,
# Q8_0 ~8.5, F16 16). Small and multimodal models carry more (embeddings, vision tower).
BITS_PER_WEIGHT = {'Q4_0': 4.5, 'Q4_K_M': 4.8, 'Q8_0': 8.5, 'F16': 16.0}


@pytest.mark.parametrize('raw', CATALOG, ids=[e['tag'] for e in CATALOG])
def test_catalog_sizes_match_parameters_and_quantization(raw):
    bpw = raw['download_size_bytes'] * 8 / (raw['parameters_b'] * 1e9)
    nominal = BITS_PER_WEIGHT[raw['quantization']]
    assert 0.85 * nominal <= bpw <= 1.45 * nominal, (raw['tag'], bpw)
    assert raw['tag'].lower().endswith(raw['quantization'].lower()) or raw['quantization'] == 'F16'


def test_the_8b_llama_has_the_contracts_architecture():
    llama = entry('llama3.1:8b')
    assert (llama['layers'], llama['kv_heads'], llama['head_dim']) == (32, 8, 128)
    assert llama['quantization'] == 'Q4_K_M'
    assert entry('phi3:mini')['kv_heads'] == entry('phi3:mini')['heads'] == 32  # no GQA


def test_find_entry_resolves_tags_aliases_and_latest():
    assert vp.find_entry(NORMALIZED, 'llama3.1')['tag'] == 'llama3.1:8b-instruct-q4_K_M'
    assert vp.find_entry(NORMALIZED, 'library/llama3.1:8b')['tag'] == 'llama3.1:8b-instruct-q4_K_M'
    assert vp.find_entry(NORMALIZED, 'nomic-embed-text')['tag'] == 'nomic-embed-text:v1.5'
    assert vp.find_entry(NORMALIZED, 'llama3.1:70b') is None


# --- estimate -------------------------------------------------------------------------------------

def test_kv_cache_worked_example_from_the_contracts():
    llama = entry('llama3.1:8b')
    assert vp.kv_cache_bytes(llama, 1) == 128 * 1024  # 128 KiB per token
    assert vp.kv_cache_bytes(llama, 4096) == 512 * MIB
    assert vp.kv_cache_bytes(llama, 32768) == 4 * GIB
    assert vp.kv_cache_bytes(llama, 32768, kv_cache_type='q8_0') == 2 * GIB
    assert vp.kv_cache_bytes(llama, 32768, kv_cache_type='q4_0') == 1 * GIB
    assert vp.kv_cache_bytes(llama, 4096, num_parallel=4) == 2 * GIB


def test_context_is_clamped_to_the_model():
    nomic = entry('nomic-embed-text')
    assert vp.kv_cache_bytes(nomic, 32768) == vp.kv_cache_bytes(nomic, 2048)
    assert vp.estimate(nomic, 32768)['context_length'] == 2048


def test_sliding_window_layers_keep_only_the_window():
    gemma = entry('gemma3:27b')
    per_token_layer = 2 * 128 * 16 * 2
    expected = per_token_layer * (10 * 32768 + 52 * 1024)
    assert vp.kv_cache_bytes(gemma, 32768) == expected
    assert expected < per_token_layer * 62 * 32768 / 4


def test_ollamas_prediction_is_the_file_plus_an_f16_cache_of_every_layer():
    """llm/llama_server.go PredictServerVRAM: no sliding window, no KV quantization."""
    llama = entry('llama3.1:8b')
    assert vp.predicted_bytes(llama, 8192) == 4900000000 + GIB
    assert vp.predicted_bytes(llama, 8192, num_parallel=2) == 4900000000 + 2 * GIB
    gemma = entry('gemma3:27b')
    assert vp.predicted_bytes(gemma, 8192) == 17000000000 + 2 * 62 * 16 * 128 * 8192 * 2


def test_compute_buffer_with_and_without_flash_attention():
    llama = entry('llama3.1:8b')
    # Without flash attention: the classic GraphSize, 4 * batch * (1 + 4 E + ctx (1 + heads)).
    assert vp.graph_bytes(llama, 8192, flash_attention=False) == 4 * 512 * (1 + 4 * 4096 + 8192 * 33)
    # With it the attention scores are not stored: the output logits win here.
    assert vp.graph_bytes(llama, 8192) == 4 * 512 * (4096 + 128256)
    assert vp.graph_bytes(llama, 256) == 4 * 256 * (4096 + 128256)
    phi3 = entry('phi3:mini')
    assert vp.graph_bytes(phi3, 32768) < vp.graph_bytes(phi3, 32768, flash_attention=False) / 10


@pytest.mark.parametrize('context, parallel, batch', [
    (2048, 1, 512), (4096, 1, 512), (8192, 1, 1024), (32768, 1, 1024), (32768, 2, 2048), (4096, 2, 1024)])
def test_generation_batch_follows_the_context(context, parallel, batch):
    """sched.go automaticGenerationBatch: 512 up to 4096 tokens, 1024 up to 32768, 2048 above."""
    assert vp.generation_batch(entry('llama3.1:8b'), context, parallel) == batch
    assert vp.generation_batch(entry('llama3.1:8b'), context, parallel, flash_attention=False) == 512
    assert vp.generation_batch(entry('nomic-embed-text'), context, parallel) == 512


def test_estimate_adds_up_per_device():
    llama = entry('llama3.1:8b')
    one = vp.estimate(llama, 8192, batch=1024)
    assert one['total_bytes'] == (one['weights_bytes'] + one['kv_bytes'] + one['graph_bytes'] + 768 * MIB
                                  + 457 * MIB)
    assert one['weights_bytes'] == 4900000000 and one['kv_gib'] == 1.0 and one['vision_bytes'] == 0
    two = vp.estimate(llama, 8192, gpus=2, gpu_overhead_bytes=256 * MIB, batch=1024)
    assert two['total_bytes'] == one['total_bytes'] + one['graph_bytes'] + 768 * MIB + 457 * MIB + 2 * 256 * MIB
    cpu = vp.estimate(llama, 8192, on_gpu=False)
    assert cpu['overhead_bytes'] == 0 and cpu['batch_bytes'] == 0
    with pytest.raises(vp.PlanInputError):
        vp.estimate(llama, 8192, kv_cache_type='q5_1')


def test_vision_models_carry_the_projector_headroom_and_embedding_models_one_slot():
    gemma = vp.estimate(entry('gemma3:12b'), 4096)
    assert gemma['vision_bytes'] == GIB
    assert vp.estimate(entry('gemma3:12b'), 4096, on_gpu=False)['vision_bytes'] == 0
    assert vp.estimate(entry('nomic-embed-text'), 2048, num_parallel=4)['num_parallel'] == 1


# --- devices ----------------------------------------------------------------------------------------

def test_memory_other_processes_hold_is_taken_off_but_ollamas_own_is_not():
    idle = vp.plan_devices(gpus(24564))[0]
    assert idle['capacity_bytes'] == 24564 * MIB and idle['in_use_bytes'] == 0
    # 7.5 GiB taken by another process (the case).
    busy = vp.plan_devices([dict(gpus(24564)[0], memory_used_mib=7680, memory_free_mib=16884)])[0]
    assert busy['in_use_bytes'] == 7680 * MIB and busy['capacity_bytes'] == (24564 - 7680) * MIB
    # Ollama's own runner holding 18 GiB: still the idle card's capacity.
    own = vp.plan_devices([dict(gpus(24564)[0], memory_used_mib=18432, memory_free_mib=6132,
                                memory_ollama_mib=18432)])[0]
    assert own['capacity_bytes'] == idle['capacity_bytes']
    # A desktop's 276 MiB rounds up to 512 MiB, so its wobble does not change the plan.
    desktop = vp.plan_devices([dict(gpus(8192)[0], memory_used_mib=276, memory_free_mib=7916)])[0]
    assert desktop['in_use_bytes'] == 512 * MIB
    wobble = vp.plan_devices([dict(gpus(8192)[0], memory_used_mib=301, memory_free_mib=7891)])[0]
    assert wobble['in_use_bytes'] == desktop['in_use_bytes']


def test_a_card_with_memory_in_use_is_planned_from_what_is_free():
    """The issue's case: a 24 GiB card with 7.5 GiB taken must not get a 22 GiB plan."""
    busy = [dict(gpus(24564)[0], memory_used_mib=7680, memory_free_mib=24564 - 7680)]
    plan = vp.build_plan(busy, CATALOG)
    assert plan['in_use_gib'] == 7.5 and plan['usable_gib'] == pytest.approx(24564 / 1024 - 7.5 - 1, abs=0.01)
    resident = [r for r in plan['models'] if set(r['purposes']) & {'chat', 'embedding', 'fast'}]
    assert sum(r['estimate_gib'] for r in resident) <= plan['usable_gib']
    assert all(r['estimate_gib'] <= plan['usable_gib'] for r in plan['models'])
    assert '7.50 GiB in use by other processes' in plan['table']
    # The same card idle plans bigger.
    assert entry(_plan('24gib')['by_purpose']['chat'])['parameters_b'] > entry(plan['by_purpose']['chat'])['parameters_b']


def test_mig_devices_are_planned_one_by_one():
    devices = vp.plan_devices([mig_gpu(['3g.40gb', '1g.10gb'])])
    assert [d['index'] for d in devices] == ['0:0', '0:1']
    assert [d['device_id'] for d in devices] == ['MIG-0', 'MIG-1']
    assert devices[1]['total_bytes'] == int(10e9 // MIB) * MIB
    # One container sees one MIG device: the plan is for the first and says so ...
    plan = vp.build_plan([mig_gpu(['1g.10gb', '3g.40gb'])], CATALOG)
    assert len(plan['devices']) == 1 and plan['devices'][0]['index'] == '0:0'
    assert plan['vram_gib'] < 10 and any('ollama_gpu_mode: per_gpu' in w for w in plan['warnings'])
    assert all(r['estimate_gib'] <= plan['usable_gib'] for r in plan['models'])
    # ... not the whole 80 GiB GPU (the 70B at 32k on a 1g.10gb slice).
    assert 'llama3.3:70b-instruct-q4_K_M' not in plan['by_purpose'].values()
    # per_gpu: every container plans for the smallest device.
    single = vp.build_plan([mig_gpu(['3g.40gb', '1g.10gb'])], CATALOG, single_device=True)
    assert single['devices'][0]['index'] == '0:1' and single['by_purpose'] == plan['by_purpose']


@pytest.mark.parametrize('memory', [None, '[Insufficient Permissions]', ''])
def test_unreadable_gpu_memory_needs_the_override_and_works_with_it(memory):
    """A MIG device seen from a container: nvidia-smi reads no memory (owu_gpus holds null)."""
    mig = [dict(gpus(0, name='NVIDIA H100 80GB HBM3 MIG 1g.10gb', cc='9.0')[0], memory_total_mib=memory)]
    plan = vp.build_plan(mig, CATALOG)
    assert len(plan['errors']) == 1 and plan['errors'][0].startswith('ollama_vram_override_gib: gpu_facts could not read')
    assert 'GPU 0 (NVIDIA H100 80GB HBM3 MIG 1g.10gb)' in plan['errors'][0]
    overridden = vp.build_plan(mig, CATALOG, vram_override_gib=10)
    assert overridden['errors'] == [] and overridden['mode'] == 'gpu'
    assert overridden['usable_gib'] == 9.0  # 10 GiB less the 1 GiB fit target
    assert vp.build_plan(mig, CATALOG, vram_override_gib=0)['mode'] == 'cpu'
    # The same for a MIG device whose profile gpu_facts could not size.
    unsized = vp.build_plan([mig_gpu(['weird'])], CATALOG, vram_override_gib=10)
    assert unsized['errors'] == [] and unsized['usable_gib'] == 9.0


def test_an_override_on_a_host_without_a_gpu_is_refused():
    plan = vp.build_plan([], CATALOG, vram_override_gib=8, gpu_reason='nvidia-smi not found')
    assert len(plan['errors']) == 1
    assert plan['errors'][0].startswith('ollama_vram_override_gib is 8 but this host has no NVIDIA GPU '
                                        '(nvidia-smi not found)')
    assert plan['mode'] == 'cpu'
    assert vp.build_plan([], CATALOG, vram_override_gib=0)['errors'] == []
    assert vp.build_plan([], CATALOG, vram_override_gib='')['errors'] == []


# --- auto plans over the host table ---------------------------------------------------------------

def _plan(name, **kwargs):
    return vp.build_plan(HOSTS[name][0], CATALOG, **kwargs)


def _usage_per_device(plan, rows):
    """What the rows put on each device, spreading a model's weights and KV evenly (upper bound
    for the share is checked by the planner's own placement)."""
    used = {}
    for row in rows:
        devices = row['gpu_indices']
        for index in devices:
            used[index] = used.get(index, 0.0) + row['estimate_gib'] / len(devices)
    return used


@pytest.mark.parametrize('name', list(HOSTS))
def test_auto_plan_picks_the_expected_models(name):
    host_gpus, mode, context, parallel, expected = HOSTS[name]
    plan = vp.build_plan(host_gpus, CATALOG)
    assert plan['errors'] == []
    assert plan['mode'] == mode
    assert (plan['context_length'], plan['num_parallel']) == (context, parallel)
    assert plan['by_purpose'] == expected
    tuning = plan['tuning']
    assert tuning['OLLAMA_CONTEXT_LENGTH'] == str(context)
    assert tuning['OLLAMA_NUM_PARALLEL'] == str(parallel)
    assert tuning['OLLAMA_MAX_LOADED_MODELS'] == str(plan['max_loaded_models'])
    assert tuning['OLLAMA_KEEP_ALIVE'] == plan['keep_alive']
    assert tuning.get('LLAMA_ARG_FIT_TARGET') == ('1024' if mode == 'gpu' else None)
    assert 'OLLAMA_GPU_OVERHEAD' not in tuning and 'OLLAMA_FLASH_ATTENTION' not in tuning
    assert all(isinstance(v, str) for v in tuning.values())
    json.dumps(plan)  # kept as a host fact: must serialize


@pytest.mark.parametrize('name', [n for n in HOSTS if n != 'none'])
def test_no_plan_goes_over_usable_memory(name):
    plan = _plan(name)
    assert all(row['fits'] and row['placement'] == 'gpu' for row in plan['models'])
    per_device = {d['index']: d['usable_gib'] for d in plan['devices']}
    # The models loaded together (max_loaded_models of them, in load order) fit every device.
    order = sorted(plan['models'], key=lambda r: min(vp.RESIDENT_ORDER.index(p) for p in r['purposes']))
    together = order[:plan['max_loaded_models']]
    for index, used in _usage_per_device(plan, together).items():
        assert used <= per_device[index] + 0.01, (index, used, plan['table'])
    for row in plan['models']:
        assert row['estimate_gib'] <= plan['usable_gib'] + 0.01
    chat = next(r for r in plan['models'] if 'chat' in r['purposes'])
    emb = next(r for r in plan['models'] if 'embedding' in r['purposes'])
    assert plan['resident_gib'] == pytest.approx(chat['estimate_gib'] + emb['estimate_gib'], abs=0.011)
    assert plan['max_loaded_models'] >= 2


@pytest.mark.parametrize('name', ['2x16gib', '2x24gib', '4x16gib', '2x80gib', '4x80gib'])
def test_every_gpu_of_a_multi_gpu_host_holds_a_model(name):
    plan = _plan(name)
    held = set(index for row in plan['models'] for index in row['gpu_indices'])
    assert held == set(d['index'] for d in plan['devices'])
    # The table says which GPU holds which model.
    assert re.search(r'GPU 0\+1', plan['table'])


def test_a_4x80_team_box_keeps_every_model_loaded_with_four_slots():
    plan = _plan('4x80gib')
    assert plan['num_parallel'] == 4 and plan['max_loaded_models'] == len(plan['models']) == 5
    assert plan['keep_alive'] == '-1'
    # The embedding model always gets one slot; the others four.
    assert {r['tag']: r['num_parallel'] for r in plan['models']}[EMB] == 1
    assert all(r['num_parallel'] == 4 for r in plan['models'] if r['tag'] != EMB)
    # One 80 GiB card plans like one card, not like four.
    one = _plan('80gib')
    assert (one['num_parallel'], one['keep_alive']) == (2, '30m')


def test_models_go_to_the_emptiest_gpu_when_they_fit_in_80_percent():
    """sched.go: a model within 80 % of one GPU's free memory is loaded on that GPU alone."""
    plan = vp.build_plan(gpus(24576, count=2), CATALOG, models=['qwen2.5:14b', 'deepseek-r1:14b', EMB],
                         num_parallel=1)
    where = {r['tag']: r['gpu_indices'] for r in plan['models']}
    assert where['qwen2.5:14b'] == [0]
    assert where[EMB] == [1] and where['deepseek-r1:14b'] == [1]
    assert plan['max_loaded_models'] == 3 and plan['keep_alive'] == '-1'


def _rank(tag):
    return entry(tag)['rank']


def test_choices_are_monotone_over_card_sizes_6_to_80_gib():
    """A bigger card never gets a lower-ranked model for chat, reasoning, code or embedding, and
    never a lower-ranked dedicated fast model; nothing is planned over usable memory."""
    best = {}
    best_fast = 0
    for quarter_gib in range(24, 321):  # 6 .. 80 GiB
        plan = vp.build_plan(gpus(quarter_gib * 256), CATALOG)
        assert plan['errors'] == [], quarter_gib
        assert all(r['fits'] and r['estimate_gib'] <= plan['usable_gib'] + 0.01 for r in plan['models'])
        for purpose in ('chat', 'reasoning', 'code', 'embedding'):
            tag = plan['by_purpose'].get(purpose)
            if tag is None:
                assert purpose not in best, (purpose, quarter_gib / 4.0)
                continue
            assert _rank(tag) >= best.get(purpose, 0), (purpose, quarter_gib / 4.0, plan['by_purpose'])
            best[purpose] = _rank(tag)
        fast = plan['by_purpose']['fast']
        if fast != plan['by_purpose']['chat']:
            assert _rank(fast) >= best_fast, (quarter_gib / 4.0, plan['by_purpose'])
            best_fast = _rank(fast)
            # A dedicated fast model stays loaded next to chat and embedding ...
            assert plan['max_loaded_models'] >= 3
            # ... and costs at most FAST_SHARE of the usable memory at the planned context.
            row = next(r for r in plan['models'] if r['tag'] == fast)
            assert row['estimate_gib'] <= vp.FAST_SHARE * plan['usable_gib'] * 1.5 + 0.01


def test_the_fast_model_is_chosen_by_its_real_cost():
    """phi3 mini has no grouped KV heads: 12 GiB of KV cache at 32k. It is never the fast model."""
    for name in HOSTS:
        assert not _plan(name)['by_purpose'].get('fast', '').startswith('phi3')
    phi3 = vp.estimate(entry('phi3:mini'), 32768, batch=1024)
    small = vp.estimate(entry('llama3.2:3b'), 32768, batch=1024)
    assert phi3['kv_gib'] == 12.0 and small['kv_gib'] == 3.5


def test_cpu_only_hosts_with_and_without_ram_facts():
    without = vp.build_plan([], CATALOG)
    assert without['mode'] == 'cpu' and without['memory_budget_gib'] == 8.0 and without['errors'] == []
    small = vp.build_plan([], CATALOG, memory_gib=4)  # 2 GiB for models
    assert small['memory_budget_gib'] == 2.0
    resident = [r for r in small['models'] if set(r['purposes']) & {'chat', 'embedding'}]
    assert sum(r['estimate_gib'] for r in resident) <= 2.0
    big = vp.build_plan([], CATALOG, memory_gib=512)
    for plan in (without, small, big):
        assert all(entry(r['catalog_tag'])['parameters_b'] <= vp.CPU_MAX_PARAMETERS_B for r in plan['models'])
        assert all(r['placement'] == 'cpu' and r['gpu_indices'] == [] for r in plan['models'])
        assert plan['keep_alive'] == '30m' and 'LLAMA_ARG_FIT_TARGET' not in plan['tuning']
        assert plan['devices'] == [] and plan['vram_gib'] == 0.0


def test_rtx_3070_plan():
    plan = _plan('rtx3070')
    assert plan['tuning'] == {'OLLAMA_CONTEXT_LENGTH': '4096', 'OLLAMA_NUM_PARALLEL': '1',
                              'OLLAMA_MAX_LOADED_MODELS': '2', 'OLLAMA_KV_CACHE_TYPE': 'q8_0',
                              'OLLAMA_KEEP_ALIVE': '30m', 'LLAMA_ARG_FIT_TARGET': '1024'}
    assert [r['tag'] for r in plan['models']] == [
        'llama3.1:8b-instruct-q4_K_M', EMB, 'deepseek-r1:7b-qwen-distill-q4_K_M']
    assert plan['models'][0]['purposes'] == ['chat', 'fast']
    assert plan['vram_gib'] == 8.0 and plan['usable_gib'] == 7.0 and plan['flash_attention'] is True


def test_fit_target_is_kept_free_per_device_and_can_be_changed():
    assert _plan('2x24gib')['usable_gib'] == 46.0
    plan = _plan('2x24gib', fit_target_mib=2048)
    assert plan['usable_gib'] == 44.0 and plan['tuning']['LLAMA_ARG_FIT_TARGET'] == '2048'
    assert _plan('rtx3070', fit_target_mib=0)['usable_gib'] == 8.0
    assert _plan('rtx3070', fit_target_mib='lots')['errors'][0].startswith('ollama_fit_target_mib')


def test_num_parallel_scales_the_kv_cache():
    plan = _plan('rtx3070', num_parallel=2)
    assert plan['tuning']['OLLAMA_NUM_PARALLEL'] == '2'
    chat = plan['models'][0]
    assert chat['num_parallel'] == 2
    assert chat['kv_gib'] == pytest.approx(vp.kv_cache_bytes(entry(chat['catalog_tag']), plan['context_length'], 2,
                                                             'q8_0') / GIB, abs=0.001)
    assert all(r['estimate_gib'] <= plan['usable_gib'] for r in plan['models'])


def test_fixed_context_is_respected():
    plan = _plan('24gib', context_length=4096)
    assert plan['context_length'] == 4096 and plan['errors'] == []
    assert plan['by_purpose']['chat'] == 'gemma3:27b-it-q4_K_M'


# --- KV cache type and flash attention ------------------------------------------------------------

def test_kv_cache_auto_is_q8_where_flash_attention_is_on():
    assert _plan('rtx3070')['kv_cache_type'] == 'q8_0'
    assert _plan('80gib')['kv_cache_type'] == 'q8_0'
    # Ollama's automatic flash attention covers CUDA from compute capability 6.0 (Pascal)...
    pascal = vp.build_plan(gpus(8192, name='NVIDIA GeForce GTX 1080', cc='6.1'), CATALOG)
    assert pascal['flash_attention'] is True and pascal['kv_cache_type'] == 'q8_0'
    # ... but not Maxwell (5.2) nor the Jetson Xavier (7.2).
    for name, cc in (('NVIDIA GeForce GTX 980', '5.2'), ('NVIDIA Jetson AGX Xavier', '7.2')):
        old = vp.build_plan(gpus(8192, name=name, cc=cc), CATALOG)
        assert old['flash_attention'] is False and old['kv_cache_type'] == 'f16', name
    assert 'OLLAMA_FLASH_ATTENTION' not in pascal['tuning']


def test_quantized_kv_without_flash_attention_falls_back_with_a_warning():
    plan = vp.build_plan(gpus(8192, cc='5.2'), CATALOG, kv_cache_type='q8_0')
    assert plan['kv_cache_type'] == 'f16'
    assert any('flash attention' in w and 'below 6.0 or of 7.2' in w for w in plan['warnings'])


def test_a_quantized_kv_cache_is_honoured_on_the_cpu():
    assert vp.build_plan([], CATALOG, kv_cache_type='q8_0')['kv_cache_type'] == 'q8_0'
    assert vp.build_plan([], CATALOG, kv_cache_type='auto')['kv_cache_type'] == 'f16'


def test_q8_cache_halves_the_kv_estimate():
    f16 = _plan('rtx3070', kv_cache_type='f16', models=['llama3.1:8b'], context_length=4096)['models'][0]
    q8 = _plan('rtx3070', kv_cache_type='q8_0', models=['llama3.1:8b'], context_length=4096)['models'][0]
    assert q8['kv_gib'] == pytest.approx(f16['kv_gib'] / 2)


def test_zero_override_forces_cpu_and_tiny_gpu_falls_back_to_cpu():
    assert _plan('rtx3070', vram_override_gib=0)['mode'] == 'cpu'
    tiny = vp.build_plan(gpus(1024), CATALOG)
    assert tiny['mode'] == 'cpu' and tiny['errors'] == []
    assert any('too small' in w for w in tiny['warnings'])


# --- explicit lists -------------------------------------------------------------------------------

def test_explicit_list_keeps_the_users_tags():
    plan = _plan('rtx3070', models=['llama3.1:8b', 'nomic-embed-text'])
    assert plan['errors'] == []
    assert [r['tag'] for r in plan['models']] == ['llama3.1:8b', 'nomic-embed-text']
    assert plan['models'][0]['catalog_tag'] == 'llama3.1:8b-instruct-q4_K_M'
    assert plan['by_purpose'] == {'chat': 'llama3.1:8b', 'embedding': 'nomic-embed-text'}
    # 8192 would add Ollama's 768 MiB batch surcharge, which the 7 GiB left after the fit target lacks.
    assert plan['context_length'] == 4096
    assert _plan('12gib', models=['llama3.1:8b', 'nomic-embed-text'])['context_length'] == 8192


def test_impossible_explicit_model_fails_with_the_numbers():
    plan = _plan('rtx3070', models=['llama3.1:8b', 'llama3.3:70b'])
    assert len(plan['errors']) == 1
    match = re.match(r'^ollama_models: llama3\.3:70b needs (\d+\.\d) GiB at context (\d+), host has (\d+\.\d) GiB '
                     r'\(GPU: NVIDIA GeForce RTX 3070, 8192 MiB, 1024 MiB kept free per GPU\); '
                     r'.*ollama_allow_cpu_offload', plan['errors'][0])
    assert match, plan['errors'][0]
    needs, context, has = float(match.group(1)), int(match.group(2)), float(match.group(3))
    assert context == 4096  # the smallest tier context was tried
    assert needs > has == 7.0
    row = plan['models'][1]
    assert row['fits'] is False and row['placement'] == 'split'
    assert 'ERROR: ollama_models: llama3.3:70b needs' in plan['table']


def test_cpu_offload_turns_the_error_into_a_warning():
    plan = _plan('rtx3070', models=['llama3.3:70b'], allow_cpu_offload=True)
    assert plan['errors'] == []
    row = plan['models'][0]
    assert row['placement'] == 'split' and 0 < row['gpu_layers'] < 80
    assert re.search(r'\d+ of 80 layers run on the GPU', plan['warnings'][0])
    assert 'split (' in plan['table']


def test_explicit_list_on_multi_gpu_reports_the_gpus():
    plan = _plan('2x24gib', models=['llama3.3:70b'], context_length=131072)
    assert plan['errors'][0].startswith('ollama_models: llama3.3:70b needs ')
    assert 'GPUs: 2 x NVIDIA GeForce RTX 3090, 24576 MiB each' in plan['errors'][0]


def test_unknown_model_names_the_variables():
    plan = _plan('rtx3070', models=['llama9:1t', 'phi3:mini'])
    assert len(plan['errors']) == 1
    assert plan['errors'][0].startswith('llama9:1t is not in the model catalog')
    assert 'ollama_models' in plan['errors'][0] and 'ollama_catalog_extra' in plan['errors'][0]
    assert [r['tag'] for r in plan['models']] == ['phi3:mini']


def test_catalog_extra_entries_are_planned():
    extra = {'tag': 'acme/tiny:q8', 'download_size_gb': 1.0, 'layers': 16, 'kv_heads': 4, 'head_dim': 64,
             'purposes': ['chat']}
    plan = vp.build_plan(gpus(8192), CATALOG + [extra], models=['acme/tiny:q8'])
    assert plan['errors'] == [] and plan['models'][0]['fits'] is True
    assert plan['models'][0]['weights_gib'] == pytest.approx(1e9 / GIB, abs=0.001)


def test_explicit_cpu_list_checks_memory_only_when_known():
    assert vp.build_plan([], CATALOG, models=['llama3.3:70b'])['errors'] == []
    plan = vp.build_plan([], CATALOG, models=['llama3.3:70b'], memory_gib=32)
    assert plan['errors'][0].startswith('ollama_models: llama3.3:70b needs ')
    assert 'host has 16.0 GiB for models (no GPU' in plan['errors'][0]


def test_explicit_list_of_only_embedding_models_is_refused():
    plan = _plan('rtx3070', models=['nomic-embed-text'])
    assert len(plan['errors']) == 1
    assert plan['errors'][0].startswith('ollama_models lists only embedding models (nomic-embed-text)')
    assert 'add one' in plan['errors'][0] and 'or use auto' in plan['errors'][0]
    assert _plan('rtx3070', models=['deepseek-r1:8b', 'nomic-embed-text'])['errors'] == []


def test_empty_explicit_list_plans_nothing():
    plan = _plan('rtx3070', models=[])
    assert plan['models'] == [] and plan['errors'] == [] and plan['max_loaded_models'] == 1
    assert '(no models planned)' in plan['table']


# --- input errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize('value', ['abc', 'eight', '-1', [8], True])
def test_non_numeric_vram_override_names_the_variable(value):
    plan = _plan('rtx3070', vram_override_gib=value)
    assert len(plan['errors']) == 1
    assert plan['errors'][0].startswith('ollama_vram_override_gib must be a number of GiB')
    assert plan['usable_gib'] == 7.0  # planned with the real GPU


def test_numeric_vram_override_replaces_the_gpus_memory():
    assert _plan('12gib', vram_override_gib='8')['by_purpose'] == HOSTS['rtx3070'][4]
    plan = _plan('2x24gib', vram_override_gib=16)
    assert [g['memory_gib'] for g in plan['devices']] == [8.0, 8.0]
    assert _plan('rtx3070', vram_override_gib='') == _plan('rtx3070')
    # It ignores what other processes hold (the user said how much Ollama may use).
    busy = [dict(gpus(8192)[0], memory_used_mib=4096, memory_free_mib=4096)]
    assert vp.build_plan(busy, CATALOG, vram_override_gib=8)['usable_gib'] == 7.0


@pytest.mark.parametrize('kwargs, variable', [
    ({'kv_cache_type': 'q5_1'}, 'ollama_kv_cache_type'),
    ({'num_parallel': -1}, 'ollama_num_parallel'),
    ({'num_parallel': 'two'}, 'ollama_num_parallel'),
    ({'context_length': 100}, 'ollama_context_length'),
    ({'context_length': 'long'}, 'ollama_context_length'),
    ({'fit_target_mib': -5}, 'ollama_fit_target_mib'),
])
def test_bad_tuning_inputs_name_the_variable(kwargs, variable):
    plan = _plan('rtx3070', **kwargs)
    assert plan['errors'] and plan['errors'][0].startswith(variable)


def test_malformed_inputs_raise():
    with pytest.raises(vp.PlanInputError, match='lacks layers'):
        vp.build_plan([], [{'tag': 'x', 'download_size_bytes': 1, 'kv_heads': 1, 'head_dim': 1, 'purposes': ['chat']}])
    with pytest.raises(vp.PlanInputError, match='unknown purpose'):
        vp.build_plan([], [dict(CATALOG[0], purposes=['poetry'])])
    with pytest.raises(vp.PlanInputError, match='must be a list'):
        vp.build_plan([], {'tag': 'x'})
    assert vp.build_plan([{'index': 0, 'name': 'x'}], CATALOG)['errors'][0].startswith('ollama_vram_override_gib')
    with pytest.raises(vp.PlanInputError, match='gpus must be a list'):
        vp.build_plan('8192', CATALOG)
    with pytest.raises(vp.PlanInputError, match='MIG device'):
        vp.build_plan([dict(mig_gpu([]), mig_devices=['3g.40gb'])], CATALOG)


# --- table ----------------------------------------------------------------------------------------

def test_table_is_fixed_width_with_a_header():
    plan = _plan('2x24gib')
    lines = plan['table'].splitlines()
    assert lines[0].startswith('Ollama plan (gpu mode) - GPUs: 2 x NVIDIA GeForce RTX 3090')
    assert '48.00 GiB VRAM, 0.00 GiB in use by other processes, 46.00 GiB usable after 1024 MiB' in lines[0]
    assert lines[1] == ('context 8192, parallel 1, KV cache q8_0, flash attention on, max loaded models 2, '
                        'keep alive 30m')
    header = lines[2]
    assert header.split() == ['purpose', 'model', 'params', 'quant', 'ctx', 'est.', 'GiB', 'placement']
    end_of_estimate = header.index('est. GiB') + len('est. GiB')
    body = lines[4:4 + len(plan['models'])]
    for line, row in zip(body, plan['models']):
        assert line[:end_of_estimate].endswith('%.2f' % row['estimate_gib'])
        assert row['tag'] in line
    assert body[0].endswith('GPU 0+1') and body[1].endswith('GPU 0')
    assert vp.render_table(plan) == plan['table']
