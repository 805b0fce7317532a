# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the ollama_plan filter plugin: entry points, errors, and a real ansible run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import ollama_plan as plugin
from ansible_collections.numberone.owu.plugins.plugin_utils import _vram_plan

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir))
with open(os.path.join(REPO, 'roles', 'ollama', 'vars', 'catalog.yml'), encoding='utf-8') as _handle:
    CATALOG = yaml.safe_load(_handle)['_ollama_catalog']
RTX_3070 = [{'index': 0, 'name': 'NVIDIA GeForce RTX 3070', 'memory_total_mib': 8192, 'compute_capability': '8.6'}]


def test_filters_are_registered():
    filters = plugin.FilterModule().filters()
    assert set(filters) == {'ollama_plan', 'ollama_vram_estimate', 'ollama_plan_table'}
    assert all(callable(f) for f in filters.values())


def test_plan_filter_matches_the_planner():
    plan = plugin.FilterModule().filters()['ollama_plan'](RTX_3070, CATALOG)
    assert plan == _vram_plan.build_plan(RTX_3070, CATALOG)
    assert plan['by_purpose']['chat'] == 'llama3.1:8b-instruct-q4_K_M'


def test_plan_filter_returns_errors_or_raises_when_strict():
    plan = plugin.ollama_plan(RTX_3070, CATALOG, models=['llama3.3:70b'])
    assert plan['errors'][0].startswith('ollama_models: llama3.3:70b needs ')
    with pytest.raises(AnsibleFilterError, match=r'^ollama_plan: ollama_models: llama3\.3:70b needs \d+\.\d GiB'):
        plugin.ollama_plan(RTX_3070, CATALOG, models=['llama3.3:70b'], strict=True)
    with pytest.raises(AnsibleFilterError, match='ollama_vram_override_gib'):
        plugin.ollama_plan(RTX_3070, CATALOG, vram_override_gib='lots', strict=True)
    with pytest.raises(AnsibleFilterError, match=r'ollama_vram_override_gib is 8 but this host has no NVIDIA GPU \(x\)'):
        plugin.ollama_plan([], CATALOG, vram_override_gib=8, gpu_reason='x', strict=True)


def test_plan_filter_turns_bad_input_into_filter_errors():
    with pytest.raises(AnsibleFilterError, match='^ollama_plan: the model catalog must be a list'):
        plugin.ollama_plan(RTX_3070, 'catalog.yml')
    with pytest.raises(AnsibleFilterError, match='^ollama_plan: models must be'):
        plugin.ollama_plan(RTX_3070, CATALOG, models={'chat': 'x'})


def test_estimate_filter():
    llama = next(e for e in CATALOG if e['tag'] == 'llama3.1:8b-instruct-q4_K_M')
    est = plugin.ollama_vram_estimate(llama, 32768, 1, 'f16')
    assert est['kv_bytes'] == 4 * 1024 ** 3 and est['kv_gib'] == 4.0
    # 32768 tokens: Ollama may pick a 1024 batch (768 MiB more compute buffer).
    assert est['batch'] == 1024 and est['batch_bytes'] == 768 * 1024 ** 2
    assert est['total_bytes'] == (est['weights_bytes'] + est['kv_bytes'] + est['graph_bytes'] + est['batch_bytes']
                                  + est['overhead_bytes'])
    assert plugin.ollama_vram_estimate(llama, 32768, flash_attention=False)['batch'] == 512
    assert plugin.ollama_vram_estimate(llama, 4096)['kv_bytes'] == 512 * 1024 ** 2
    with pytest.raises(AnsibleFilterError, match='kv_cache_type'):
        plugin.ollama_vram_estimate(llama, 4096, 1, 'q3')
    with pytest.raises(AnsibleFilterError, match='lacks'):
        plugin.ollama_vram_estimate({'tag': 'x'}, 4096)


def test_table_filter():
    plan = plugin.ollama_plan(RTX_3070, CATALOG)
    assert plugin.ollama_plan_table(plan) == plan['table']
    with pytest.raises(AnsibleFilterError, match='expects the dict'):
        plugin.ollama_plan_table('plan')
    with pytest.raises(AnsibleFilterError, match='not a plan'):
        plugin.ollama_plan_table({'models': []})


def _ansible_cli():
    candidate = os.path.join(os.path.dirname(sys.executable), 'ansible')
    return candidate if os.path.exists(candidate) else shutil.which('ansible')


@pytest.mark.skipif(_ansible_cli() is None, reason='ansible CLI not installed next to this Python')
def test_filters_through_a_real_ansible_run(tmp_path):
    """The FQCN filters resolve from the checkout (ansible.cfg collections_path) and template."""
    expr = ("{{ {'plan': gpus | numberone.owu.ollama_plan(catalog, models=['llama3.1:8b', 'bad:tag']),"
            " 'est': (catalog | selectattr('tag', 'equalto', 'llama3.1:8b-instruct-q4_K_M') | first"
            " | numberone.owu.ollama_vram_estimate(4096)).kv_bytes} | to_json }}")
    extra = tmp_path / 'vars.json'
    extra.write_text(json.dumps({'gpus': RTX_3070, 'catalog': CATALOG}))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(
        [_ansible_cli(), 'localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.debug',
         '-a', 'msg=' + expr, '-e', '@' + str(extra)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
    if isinstance(result, str):
        result = json.loads(result)
    assert result['est'] == 512 * 1024 ** 2
    plan = result['plan']
    assert plan['models'][0]['tag'] == 'llama3.1:8b' and plan['models'][0]['fits'] is True
    assert plan['errors'][0].startswith('bad:tag is not in the model catalog')
