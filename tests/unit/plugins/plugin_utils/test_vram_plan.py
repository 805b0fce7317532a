# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the VRAM planner against the real catalog (roles/ollama/vars/catalog.yml)."""

from __future__ import annotations

import json
import math
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


# The host table of the issue: expected auto picks (pinned tags) and planned context.
HOSTS = {
    'none': ([], 'cpu', 4096, {
        'chat': 'llama3.2:3b-instruct-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:1.5b-qwen-distill-q4_K_M', 'embedding': 'nomic-embed-text:v1.5'}),
    '4gib': (gpus(4096, name='NVIDIA GeForce GTX 1650', cc='7.5'), 'gpu', 4096, {
        'chat': 'llama3.2:3b-instruct-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:1.5b-qwen-distill-q4_K_M', 'embedding': 'nomic-embed-text:v1.5'}),
    '6gib': (gpus(6144, name='NVIDIA GeForce RTX 2060', cc='7.5'), 'gpu', 8192, {
        'chat': 'gemma3:4b-it-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:1.5b-qwen-distill-q4_K_M', 'embedding': 'nomic-embed-text:v1.5'}),
    'rtx3070': (gpus(8192, name='NVIDIA GeForce RTX 3070'), 'gpu', 8192, {
        'chat': 'llama3.1:8b-instruct-q4_K_M', 'fast': 'phi3:3.8b-mini-128k-instruct-q4_0',
        'reasoning': 'deepseek-r1:8b-0528-qwen3-q4_K_M', 'embedding': 'nomic-embed-text:v1.5'}),
    '12gib': (gpus(12288, name='NVIDIA GeForce RTX 3060'), 'gpu', 8192, {
        'chat': 'qwen2.5:14b-instruct-q4_K_M', 'fast': 'phi3:3.8b-mini-128k-instruct-q4_0',
        'reasoning': 'deepseek-r1:14b-qwen-distill-q4_K_M', 'embedding': 'nomic-embed-text:v1.5'}),
    '16gib': (gpus(16376, name='NVIDIA GeForce RTX 4060 Ti', cc='8.9'), 'gpu', 8192, {
        'chat': 'qwen2.5:14b-instruct-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:14b-qwen-distill-q4_K_M', 'code': 'qwen2.5-coder:14b-instruct-q4_K_M',
        'embedding': 'nomic-embed-text:v1.5'}),
    '24gib': (gpus(24564, name='NVIDIA GeForce RTX 4090', cc='8.9'), 'gpu', 32768, {
        'chat': 'gemma3:27b-it-q4_K_M', 'fast': 'gemma3:1b-it-q4_K_M',
        'reasoning': 'deepseek-r1:14b-qwen-distill-q4_K_M', 'code': 'qwen2.5-coder:14b-instruct-q4_K_M',
        'embedding': 'nomic-embed-text:v1.5'}),
    '48gib': (gpus(49140, name='NVIDIA RTX A6000'), 'gpu', 8192, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'llama3.2:1b-instruct-q8_0',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': 'nomic-embed-text:v1.5'}),
    '80gib': (gpus(81559, name='NVIDIA H100 80GB HBM3', cc='9.0'), 'gpu', 32768, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'phi3:3.8b-mini-128k-instruct-q4_0',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': 'nomic-embed-text:v1.5'}),
    '2x24gib': (gpus(24576, count=2, name='NVIDIA GeForce RTX 3090'), 'gpu', 8192, {
        'chat': 'llama3.3:70b-instruct-q4_K_M', 'fast': 'phi3:3.8b-mini-128k-instruct-q4_0',
        'reasoning': 'deepseek-r1:70b-llama-distill-q4_K_M', 'code': 'qwen2.5-coder:32b-instruct-q4_K_M',
        'embedding': 'nomic-embed-text:v1.5'}),
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


def test_graph_uses_ollamas_llama_formula():
    llama = entry('llama3.1:8b')
    # 4 * batch * (1 + 4 * embedding + ctx * (1 + heads)) with batch 512, ctx 8192
    assert vp.graph_bytes(llama, 8192) == 4 * 512 * (1 + 4 * 4096 + 8192 * 33)
    # short context: the output (vocab) term wins
    assert vp.graph_bytes(llama, 256) == 4 * 256 * (4096 + 128256)


def test_estimate_adds_up_and_counts_graph_and_overhead_per_gpu():
    llama = entry('llama3.1:8b')
    one = vp.estimate(llama, 8192)
    assert one['total_bytes'] == one['weights_bytes'] + one['kv_bytes'] + one['graph_bytes'] + 457 * MIB
    assert one['weights_bytes'] == 4900000000
    assert one['kv_gib'] == 1.0
    two = vp.estimate(llama, 8192, gpus=2, gpu_overhead_bytes=256 * MIB)
    assert two['total_bytes'] == one['total_bytes'] + one['graph_bytes'] + 457 * MIB + 2 * 256 * MIB
    cpu = vp.estimate(llama, 8192, on_gpu=False)
    assert cpu['overhead_bytes'] == 0
    with pytest.raises(vp.PlanInputError):
        vp.estimate(llama, 8192, kv_cache_type='q5_1')


# --- auto plans over the host table ---------------------------------------------------------------

def _plan(name, **kwargs):
    host_gpus, dummy, dummy2, dummy3 = HOSTS[name]
    return vp.build_plan(host_gpus, CATALOG, **kwargs)


@pytest.mark.parametrize('name', list(HOSTS))
def test_auto_plan_picks_the_expected_models(name):
    host_gpus, mode, context, expected = HOSTS[name]
    plan = vp.build_plan(host_gpus, CATALOG)
    assert plan['errors'] == []
    assert plan['mode'] == mode
    assert plan['context_length'] == context
    assert plan['by_purpose'] == expected
    assert plan['tuning']['OLLAMA_CONTEXT_LENGTH'] == str(context)
    assert plan['tuning']['OLLAMA_MAX_LOADED_MODELS'] == str(plan['max_loaded_models'])
    assert all(isinstance(v, str) for v in plan['tuning'].values())
    json.dumps(plan)  # kept as a host fact: must serialize


@pytest.mark.parametrize('name', [n for n in HOSTS if n != 'none'])
def test_every_auto_estimate_fits_with_the_embedding_model(name):
    plan = _plan(name)
    usable = plan['usable_gib']
    gpu_count = len(plan['gpus'])
    per_gpu = usable / gpu_count
    rows = {r['tag']: r for r in plan['models']}
    emb = rows[plan['by_purpose']['embedding']]
    for row in plan['models']:
        assert row['fits'] is True and row['placement'] == 'gpu', row
        others = emb['estimate_gib'] if row is not emb else 0.0
        assert row['estimate_gib'] + others <= usable + 0.01, row['tag']
        spread = len(row['gpu_indices'])
        # each GPU holds its share of weights + KV plus a full graph and the overhead
        share = (row['weights_gib'] + row['kv_gib']) / spread + (row['graph_gib'] + row['overhead_gib']) / spread
        assert share <= per_gpu + 0.01, row['tag']
    chat = rows[plan['by_purpose']['chat']]
    assert plan['resident_gib'] == pytest.approx(chat['estimate_gib'] + emb['estimate_gib'], abs=0.011)
    assert plan['resident_gib'] <= usable
    assert plan['max_loaded_models'] >= 2


def test_rtx_3070_plan_is_the_specified_one():
    plan = _plan('rtx3070')
    chat = plan['models'][0]
    assert chat['tag'] == 'llama3.1:8b-instruct-q4_K_M' and chat['quantization'] == 'Q4_K_M'
    assert plan['by_purpose']['fast'].startswith('phi3:')
    assert re.match(r'^deepseek-r1:(7|8)b-', plan['by_purpose']['reasoning'])
    assert plan['by_purpose']['embedding'].startswith('nomic-embed-text')
    assert 'code' not in plan['by_purpose']
    assert [r['tag'] for r in plan['models']] == [
        'llama3.1:8b-instruct-q4_K_M', 'phi3:3.8b-mini-128k-instruct-q4_0',
        'deepseek-r1:8b-0528-qwen3-q4_K_M', 'nomic-embed-text:v1.5']
    assert plan['vram_gib'] == 8.0 and plan['flash_attention'] is True
    assert plan['max_loaded_models'] == 2  # chat + embedding; phi3 would not fit beside them
    # Flash attention is left to Ollama (automatic); the plan only knows it will be on.
    assert plan['tuning'] == {'OLLAMA_CONTEXT_LENGTH': '8192', 'OLLAMA_NUM_PARALLEL': '1',
                              'OLLAMA_MAX_LOADED_MODELS': '2', 'OLLAMA_KV_CACHE_TYPE': 'f16'}
    assert any('q8_0' in note for note in plan['notes'])


def test_two_gpus_spread_the_70b_model():
    plan = _plan('2x24gib')
    chat = plan['models'][0]
    assert chat['gpu_indices'] == [0, 1]
    assert chat['overhead_gib'] == pytest.approx(2 * 457 / 1024, abs=0.001)
    # one 24 GiB GPU alone cannot hold it
    single = vp.build_plan(gpus(24576), CATALOG, models=[chat['tag']])
    assert single['errors'] and single['errors'][0].startswith(chat['tag'] + ' needs ')


def _chat_params(plan):
    return entry(plan['by_purpose']['chat'])['parameters_b']


def test_bigger_hosts_never_get_a_smaller_chat_model():
    ordered = sorted((n for n in HOSTS if n != 'none'), key=lambda n: _plan(n)['usable_gib'])
    params = [_chat_params(_plan(n)) for n in ordered]
    assert params == sorted(params)
    assert _chat_params(_plan('none')) <= params[0]
    assert _chat_params(_plan('80gib')) > _chat_params(_plan('rtx3070'))


def test_monotonic_over_a_vram_sweep():
    previous = 0.0
    for half_gib in range(6, 200):  # 3 .. 99.5 GiB
        plan = vp.build_plan(gpus(half_gib * 512), CATALOG)
        assert plan['errors'] == [], half_gib
        params = _chat_params(plan)
        assert params >= previous, (half_gib / 2.0, plan['by_purpose'])
        previous = params
        assert all(r['fits'] for r in plan['models'])
        assert plan['resident_gib'] <= plan['usable_gib'] + 0.01


def test_num_parallel_scales_the_kv_cache_and_lowers_the_context():
    plan = _plan('rtx3070', num_parallel=2)
    assert plan['by_purpose']['chat'] == 'llama3.1:8b-instruct-q4_K_M'
    assert plan['context_length'] == 4096
    assert plan['models'][0]['kv_gib'] == 1.0  # 4096 x 2 slots x 128 KiB
    assert plan['tuning']['OLLAMA_NUM_PARALLEL'] == '2'


def test_fixed_context_is_respected():
    plan = _plan('24gib', context_length=4096)
    assert plan['context_length'] == 4096
    # at 4k the 32B model fits a 24 GiB card and ranks below gemma3:27b, which still wins
    assert plan['by_purpose']['chat'] == 'gemma3:27b-it-q4_K_M'
    assert plan['by_purpose']['reasoning'] == 'deepseek-r1:32b-qwen-distill-q4_K_M'


def test_gpu_overhead_is_reserved_per_gpu():
    plan = _plan('2x24gib', gpu_overhead_bytes=GIB)
    assert plan['usable_gib'] == 46.0
    assert plan['tuning']['OLLAMA_GPU_OVERHEAD'] == str(GIB)


# --- KV cache type and flash attention ------------------------------------------------------------

def test_kv_cache_auto_is_q8_on_small_cards_with_flash_attention():
    assert _plan('rtx3070', kv_cache_type='auto')['kv_cache_type'] == 'q8_0'
    assert _plan('24gib', kv_cache_type='auto')['kv_cache_type'] == 'f16'
    # Ollama's automatic flash attention covers CUDA from compute capability 6.0 (Pascal)...
    pascal = vp.build_plan(gpus(8192, name='NVIDIA GeForce GTX 1080', cc='6.1'), CATALOG, kv_cache_type='auto')
    assert pascal['flash_attention'] is True and pascal['kv_cache_type'] == 'q8_0'
    # ... but not Maxwell (5.2) nor the Jetson Xavier (7.2).
    for name, cc in (('NVIDIA GeForce GTX 980', '5.2'), ('NVIDIA Jetson AGX Xavier', '7.2')):
        old = vp.build_plan(gpus(8192, name=name, cc=cc), CATALOG, kv_cache_type='auto')
        assert old['flash_attention'] is False and old['kv_cache_type'] == 'f16', name
    # The plan never sets OLLAMA_FLASH_ATTENTION: Ollama decides (ollama_flash_attention overrides).
    assert 'OLLAMA_FLASH_ATTENTION' not in pascal['tuning']


def test_quantized_kv_without_flash_attention_falls_back_with_a_warning():
    plan = vp.build_plan(gpus(8192, cc='5.2'), CATALOG, kv_cache_type='q8_0')
    assert plan['kv_cache_type'] == 'f16'
    assert any('flash attention' in w and 'below 6.0 or of 7.2' in w for w in plan['warnings'])


def test_a_quantized_kv_cache_is_honoured_on_the_cpu():
    # Ollama's automatic flash attention is on for the CPU, so q8_0 asked for stays q8_0 there;
    # `auto` keeps f16 on the CPU (the plan's choice, not a limit).
    assert vp.build_plan([], CATALOG, kv_cache_type='q8_0')['kv_cache_type'] == 'q8_0'
    assert vp.build_plan([], CATALOG, kv_cache_type='auto')['kv_cache_type'] == 'f16'


def test_q8_cache_halves_the_kv_estimate():
    f16 = _plan('rtx3070')['models'][0]
    q8 = _plan('rtx3070', kv_cache_type='q8_0')['models'][0]
    assert q8['kv_gib'] == pytest.approx(f16['kv_gib'] / 2)


# --- CPU plans ----------------------------------------------------------------------------------

def test_gpu_less_host_gets_a_cpu_plan():
    plan = vp.build_plan([], CATALOG)
    assert plan['mode'] == 'cpu' and plan['errors'] == []
    assert plan['vram_gib'] == 0.0 and plan['gpus'] == []
    assert plan['flash_attention'] is True  # Ollama's automatic choice on the CPU
    assert all(r['placement'] == 'cpu' for r in plan['models'])
    assert all(entry(r['catalog_tag'])['parameters_b'] <= vp.CPU_MAX_PARAMETERS_B for r in plan['models'])
    assert 'cpu mode' in plan['table'] and 'no GPU' in plan['table']


def test_cpu_plan_respects_the_memory_budget():
    plan = vp.build_plan(None, CATALOG, memory_gib=4)  # 2 GiB for models
    assert plan['memory_budget_gib'] == 2.0
    total = sum(r['estimate_gib'] for r in plan['models'] if set(r['purposes']) & {'chat', 'embedding'})
    assert total <= 2.0
    assert entry(plan['by_purpose']['chat'])['parameters_b'] < 3


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
    assert plan['context_length'] == 8192


def test_impossible_explicit_model_fails_with_the_numbers():
    plan = _plan('rtx3070', models=['llama3.1:8b', 'llama3.3:70b'])
    assert len(plan['errors']) == 1
    match = re.match(r'^llama3\.3:70b needs (\d+\.\d) GiB at context (\d+), host has (\d+\.\d) GiB '
                     r'\(GPU: NVIDIA GeForce RTX 3070, 8192 MiB\); .*ollama_allow_cpu_offload', plan['errors'][0])
    assert match, plan['errors'][0]
    needs, context, has = float(match.group(1)), int(match.group(2)), float(match.group(3))
    assert context == 4096  # the smallest tier context was tried
    expected = vp.estimate(entry('llama3.3:70b'), 4096)['total_bytes'] / GIB
    assert needs == math.ceil(expected * 10) / 10 and needs > has == 8.0
    row = plan['models'][1]
    assert row['fits'] is False and row['placement'] == 'split'
    assert 'ERROR: llama3.3:70b needs' in plan['table']


def test_cpu_offload_turns_the_error_into_a_warning():
    plan = _plan('rtx3070', models=['llama3.3:70b'], allow_cpu_offload=True)
    assert plan['errors'] == []
    row = plan['models'][0]
    assert row['placement'] == 'split' and 0 < row['gpu_layers'] < 80
    assert re.search(r'\d+ of 80 layers run on the GPU', plan['warnings'][0])
    assert 'split (' in plan['table']


def test_explicit_list_on_multi_gpu_reports_the_gpus():
    plan = _plan('2x24gib', models=['llama3.3:70b'], context_length=131072)
    assert plan['errors'][0].startswith('llama3.3:70b needs ')
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
    assert plan['errors'][0].startswith('llama3.3:70b needs ')
    assert 'host has 16.0 GiB for models (no GPU' in plan['errors'][0]


def test_explicit_list_of_only_embedding_models_is_refused():
    plan = _plan('rtx3070', models=['nomic-embed-text'])
    assert len(plan['errors']) == 1
    assert plan['errors'][0].startswith('ollama_models lists only embedding models (nomic-embed-text)')
    assert 'add one' in plan['errors'][0] and 'or use auto' in plan['errors'][0]
    # A chat model beside it is enough; a reasoning-only list still has a model to chat with.
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
    assert plan['usable_gib'] == 8.0  # planned with the real GPU


def test_numeric_vram_override_replaces_the_gpus():
    assert _plan('none', vram_override_gib='12')['usable_gib'] == 12.0
    assert _plan('none', vram_override_gib='12')['by_purpose'] == HOSTS['12gib'][3]
    plan = _plan('2x24gib', vram_override_gib=16)
    assert [g['memory_gib'] for g in plan['gpus']] == [8.0, 8.0]
    assert _plan('rtx3070', vram_override_gib='') == _plan('rtx3070')


@pytest.mark.parametrize('memory', [None, '[Insufficient Permissions]', ''])
def test_unreadable_gpu_memory_needs_the_override_and_works_with_it(memory):
    """A MIG device seen from a container: nvidia-smi reads no memory (owu_gpus holds null).
    Planning no longer crashes: without an override the error names the variable, with one the
    override sizes the plan."""
    mig = [dict(gpus(0, name='NVIDIA H100 80GB HBM3 MIG 1g.10gb', cc='9.0')[0], memory_total_mib=memory)]
    plan = vp.build_plan(mig, CATALOG)
    assert len(plan['errors']) == 1 and plan['errors'][0].startswith('ollama_vram_override_gib: gpu_facts could not read')
    assert 'GPU 0 (NVIDIA H100 80GB HBM3 MIG 1g.10gb)' in plan['errors'][0]
    overridden = vp.build_plan(mig, CATALOG, vram_override_gib=10)
    assert overridden['errors'] == [] and overridden['usable_gib'] == 10.0
    assert overridden['mode'] == 'gpu'
    # Zero: CPU, as for a readable GPU.
    assert vp.build_plan(mig, CATALOG, vram_override_gib=0)['mode'] == 'cpu'


@pytest.mark.parametrize('kwargs, variable', [
    ({'kv_cache_type': 'q5_1'}, 'ollama_kv_cache_type'),
    ({'num_parallel': 0}, 'ollama_num_parallel'),
    ({'num_parallel': 'two'}, 'ollama_num_parallel'),
    ({'context_length': 100}, 'ollama_context_length'),
    ({'context_length': 'long'}, 'ollama_context_length'),
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
    # A GPU without readable memory is an input the user can fix (the override), not a crash.
    assert vp.build_plan([{'index': 0, 'name': 'x'}], CATALOG)['errors'][0].startswith('ollama_vram_override_gib')
    with pytest.raises(vp.PlanInputError, match='gpus must be a list'):
        vp.build_plan('8192', CATALOG)


# --- table ----------------------------------------------------------------------------------------

def test_table_is_fixed_width_with_a_header():
    plan = _plan('2x24gib')
    lines = plan['table'].splitlines()
    assert lines[0].startswith('Ollama plan (gpu mode) - GPUs: 2 x NVIDIA GeForce RTX 3090')
    assert '48.00 GiB VRAM' in lines[0]
    assert lines[1] == 'context 8192, parallel 1, KV cache f16, flash attention on, max loaded models 2'
    header = lines[2]
    assert header.split() == ['purpose', 'model', 'params', 'quant', 'ctx', 'est.', 'GiB', 'placement']
    end_of_estimate = header.index('est. GiB') + len('est. GiB')
    body = lines[4:4 + len(plan['models'])]
    for line, row in zip(body, plan['models']):
        assert line[:end_of_estimate].endswith('%.2f' % row['estimate_gib'])
        assert row['tag'] in line
    assert 'gpu x2' in body[0]
    assert vp.render_table(plan) == plan['table']
