# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters that plan Ollama models for a host's VRAM (docs: ollama_plan.yml,
ollama_vram_estimate.yml, ollama_plan_table.yml next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _vram_plan
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def ollama_plan(gpus, catalog, models='auto', context_length=0, num_parallel=0, kv_cache_type='auto',
                allow_cpu_offload=False, vram_override_gib=None, fit_target_mib=None, memory_gib=None,
                purposes=None, single_device=False, gpu_reason='', strict=False):
    """Plan the models and Ollama tuning for a host (see ollama_plan.yml)."""
    try:
        plan = _vram_plan.build_plan(
            _plain(gpus), _plain(catalog), models=_plain(models), context_length=_plain(context_length),
            num_parallel=_plain(num_parallel), kv_cache_type=_plain(kv_cache_type),
            allow_cpu_offload=bool(allow_cpu_offload), vram_override_gib=_plain(vram_override_gib),
            fit_target_mib=_plain(fit_target_mib), memory_gib=_plain(memory_gib),
            purposes=_plain(purposes), single_device=bool(single_device), gpu_reason=to_native(gpu_reason or ''))
    except _vram_plan.PlanInputError as exc:
        raise AnsibleFilterError('ollama_plan: %s' % to_native(exc))
    if strict and plan['errors']:
        raise AnsibleFilterError('ollama_plan: ' + '; '.join(plan['errors']))
    return plan


def ollama_vram_estimate(model_entry, context_length=4096, num_parallel=1, kv_cache_type='f16', gpus=1,
                         gpu_overhead_bytes=0, flash_attention=True):
    """Estimate one catalog entry's memory (see ollama_vram_estimate.yml)."""
    try:
        entry = _vram_plan.normalize_entry(_plain(model_entry))
        batch = _vram_plan.generation_batch(entry, int(context_length), int(num_parallel), bool(flash_attention))
        return _vram_plan.estimate(entry, int(context_length), int(num_parallel), to_native(kv_cache_type),
                                   gpus=int(gpus), gpu_overhead_bytes=int(gpu_overhead_bytes), batch=batch,
                                   flash_attention=bool(flash_attention))
    except (_vram_plan.PlanInputError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('ollama_vram_estimate: %s' % to_native(exc))


def ollama_plan_table(plan):
    """Render a plan as a fixed-width text table (see ollama_plan_table.yml)."""
    if not isinstance(plan, dict) or 'models' not in plan:
        raise AnsibleFilterError('ollama_plan_table: expects the dict returned by numberone.owu.ollama_plan')
    try:
        return _vram_plan.render_table(_plain(plan))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('ollama_plan_table: not a plan from numberone.owu.ollama_plan (%s)' % to_native(exc))


class FilterModule:
    """Ollama VRAM planning filters."""

    def filters(self):
        return {
            'ollama_plan': ollama_plan,
            'ollama_vram_estimate': ollama_vram_estimate,
            'ollama_plan_table': ollama_plan_table,
        }
