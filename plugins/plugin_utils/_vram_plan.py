# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the ollama_plan
# filters and the Ollama instance builder); not a public API.

"""VRAM planning for Ollama: estimate what a model needs and pick the models a host can run.

Everything here is pure data in, data out, so unit tests can call it directly; the filter
plugins in ``plugins/filter/ollama_plan.py`` are thin wrappers. The budget follows Ollama
v0.32.15, where every GGUF model runs in its own llama-server process (``llm/llama_server.go``)
whose ``--fit`` places the layers and keeps ``LLAMA_ARG_FIT_TARGET`` MiB free per device, and
whose scheduler (``server/sched.go``) picks the GPU, the batch size and what to evict.
``docs/vram-planning.md`` explains it with worked tables.

Per model, on the device(s) it is placed on::

    usage   = weights + kv_cache + compute + batch_surcharge + vision + devices x runner
    fits    : usage of every model on a device + fit_target <= what is free on it for Ollama

* weights   = the model's download size (GGUF tensors as stored),
* kv_cache  = ctx x slots x layers x (head_dim_k + head_dim_v) x kv_heads x bytes/element
              (f16 2, q8_0 1, q4_0 0.5); ctx is clamped to the model's trained context, layers
              with a sliding window (Gemma 3) keep only that many tokens; slots is
              OLLAMA_NUM_PARALLEL for chat models and 1 for embedding models (sched.go),
* compute   = the classic llama compute-graph estimate with a 512 batch, per device,
* batch_surcharge = what sched.go adds for the generation batch it picks by itself (1024:
              768 MiB above 4096 tokens, 2048: 2 GiB above 32768; counted whenever Ollama may
              pick it),
* vision    = 1 GiB for a model with a vision projector (mmprojOffloadHeadroom: with
              LLAMA_ARG_FIT_TARGET set, Ollama no longer adds it to fit's margin),
* runner    = 457 MiB per device for the runner's CUDA context (ml/device.go MinimumMemory).

Ollama's own rules are simulated in load order: a model goes to the single GPU with the most
free memory when its prediction (weights + f16 KV cache, ``PredictServerVRAM``) is at most 80 %
of that GPU's free memory, else it is spread over all the instance's GPUs; a model is loaded next
to others only while its prediction stays within 80 % of what is left (else Ollama evicts).
"""

from __future__ import annotations

import math
import re

GIB = 1024 ** 3
MIB = 1024 ** 2

# Per device and runner process: the CUDA/ROCm context (ml/device.go MinimumMemory, 457 MiB).
RUNNER_CONTEXT_BYTES = 457 * MIB
# llama.cpp's --fit keeps this much free per device unless LLAMA_ARG_FIT_TARGET says otherwise
# (common/arg.cpp, fit_params_target default 1024 MiB); the plan always sets it.
FIT_TARGET_MIB_DEFAULT = 1024
# Extra room a vision model needs beyond its weights (llm/llama_server.go mmprojOffloadHeadroom).
VISION_HEADROOM_BYTES = 1 * GIB
# sched.go: a model goes on one GPU, or next to loaded models, only within 80 % of free memory.
OLLAMA_LOAD_SHARE = 0.8
# Memory other processes hold on a GPU is rounded up to this step, so a desktop whose usage
# wobbles by a few MiB does not change the plan (and restart Ollama) on every run.
IN_USE_STEP_BYTES = 256 * MIB
# Generation batch sizes and surcharges of sched.go (automaticGenerationBatch).
BATCH_DEFAULT = 512
BATCH_SURCHARGE = {512: 0, 1024: 768 * MIB, 2048: 2 * GIB}
# Bytes per KV cache element (OLLAMA_KV_CACHE_TYPE).
KV_CACHE_BYTES = {'f16': 2.0, 'q8_0': 1.0, 'q4_0': 0.5}
KV_CACHE_TYPES = ('auto',) + tuple(KV_CACHE_BYTES)

PURPOSES = ('chat', 'fast', 'reasoning', 'code', 'embedding')
# Load order of the resident set (chat first: it gets the emptiest GPU) and of the plan's rows.
RESIDENT_ORDER = ('chat', 'embedding', 'fast', 'reasoning', 'code')

# Context lengths the automatic tier tries, largest first. Models are chosen at
# SELECTION_CONTEXTS (the first at which a chat model fits), then the context is raised as far as
# the chosen models allow, up to 32768 from CONTEXT_TIER_GIB of usable memory (Ollama's own tier,
# server/routes.go) and up to SMALL_CONTEXT_CEILING below it. Ollama's 262144 tier (>= 47 GiB)
# is never planned: the KV cache of a 70B model alone would be 80 GiB.
CONTEXT_LADDER = (32768, 16384, 8192, 4096)
SELECTION_CONTEXTS = (8192, 4096)
CONTEXT_TIER_GIB = 23.0
SMALL_CONTEXT_CEILING = 8192
CPU_CONTEXT = 4096
# Hosts with a 16 GB card or more (16 GB cards report a little under 16 GiB) also get a
# dedicated code model by default.
CODE_PURPOSE_MIN_GIB = 15.5
# The fast (task) model: Open WebUI calls it after every answer, so a dedicated one must stay
# loaded next to the chat and embedding models, and may cost (at the selection context) at most
# FAST_SHARE of the usable memory. Only the best such model is tried: when it does not stay
# loaded next to chat (or nothing is cheap enough, as on every card below about 16 GiB) the chat
# model doubles as the fast one, never a smaller dedicated model than a smaller host would get.
FAST_SHARE = 0.15
# Team boxes (this much usable memory or more) get more parallel slots where the plan allows.
TEAM_MIN_GIB = 40.0
TEAM_PARALLEL = (4, 2)
# OLLAMA_KEEP_ALIVE: forever when every planned model fits at once (idle runners are still
# evicted when another model needs the room, sched.go findRunnerToUnload), else this long.
KEEP_ALIVE_ALL_RESIDENT = '-1'
KEEP_ALIVE_DEFAULT = '30m'
# kv_cache_type=auto: q8_0 below this much usable VRAM when flash attention is on.
KV_AUTO_Q8_BELOW_GIB = 23.0
# CPU plans: only models up to this size (generation speed is memory bandwidth / model size),
# within this share of the host's RAM (the rest is for the OS and the other containers).
CPU_MAX_PARAMETERS_B = 4.0
CPU_MEMORY_SHARE = 0.5
CPU_DEFAULT_BUDGET_GIB = 8.0
# Where Ollama turns flash attention on by itself (OLLAMA_FLASH_ATTENTION unset, its default
# "auto"; Ollama v0.32.15 llm/llama_server.go, ml/device.go): on the CPU, and on CUDA from compute
# capability 6.0 except 7.2 (Jetson Xavier). The plan leaves the setting to Ollama and only uses
# the rule to know whether a quantized KV cache will be honoured.
FLASH_ATTENTION_MIN_CC = 6.0
FLASH_ATTENTION_EXCLUDED_CC = (7.2,)

# Names of the role variables, used in messages so a user knows what to change.
VAR_MODELS = 'ollama_models'
VAR_OVERRIDE = 'ollama_vram_override_gib'
VAR_OFFLOAD = 'ollama_allow_cpu_offload'
VAR_EXTRA = 'ollama_catalog_extra'
VAR_CONTEXT = 'ollama_context_length'
VAR_PARALLEL = 'ollama_num_parallel'
VAR_KV = 'ollama_kv_cache_type'
VAR_FIT = 'ollama_fit_target_mib'

_REQUIRED_FIELDS = ('tag', 'layers', 'kv_heads', 'head_dim', 'purposes')
_INT_FIELDS = ('layers', 'kv_heads', 'head_dim', 'heads', 'embedding_length', 'vocab_size',
               'default_context', 'sliding_window', 'global_layers')
_EPSILON = 1e-9
_MIG_MEMORY_RE = re.compile(r'\.(\d+(?:\.\d+)?)gb$', re.IGNORECASE)


class PlanInputError(ValueError):
    """Raised for input that cannot be planned at all (wrong types in gpus or the catalog)."""


# ---------------------------------------------------------------------------------------------
# Catalog entries


def _as_number(value):
    if isinstance(value, bool):
        raise ValueError('not a number')
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    if not text:
        raise ValueError('empty')
    return float(text)


def normalize_entry(entry):
    """Validate one catalog entry and return a normalized copy (ints, bytes, defaults filled).

    Raises PlanInputError naming the entry and the field.
    """
    if not isinstance(entry, dict):
        raise PlanInputError('catalog entry %r is not a dict' % (entry,))
    name = entry.get('tag') or '<entry without tag>'
    missing = [field for field in _REQUIRED_FIELDS if entry.get(field) in (None, '', [])]
    if 'download_size_bytes' not in entry and 'download_size_gb' not in entry:
        missing.append('download_size_bytes')
    if missing:
        raise PlanInputError('catalog entry %s lacks %s (check %s)' % (name, ', '.join(missing), VAR_EXTRA))
    out = dict(entry)
    out['tag'] = str(entry['tag'])
    try:
        if 'download_size_bytes' in entry:
            out['download_size_bytes'] = int(_as_number(entry['download_size_bytes']))
        else:
            out['download_size_bytes'] = int(_as_number(entry['download_size_gb']) * 1e9)
        for field in _INT_FIELDS:
            if entry.get(field) not in (None, ''):
                out[field] = int(_as_number(entry[field]))
        out['parameters_b'] = float(_as_number(entry.get('parameters_b', 0) or 0))
        out['rank'] = float(_as_number(entry.get('rank', 0) or 0))
    except (TypeError, ValueError):
        raise PlanInputError('catalog entry %s has a non-numeric size or architecture field (check %s)'
                             % (name, VAR_EXTRA))
    for field in ('layers', 'kv_heads', 'head_dim'):
        if out[field] <= 0:
            raise PlanInputError('catalog entry %s: %s must be > 0 (check %s)' % (name, field, VAR_EXTRA))
    purposes = entry['purposes']
    if isinstance(purposes, str):
        purposes = [purposes]
    unknown = [p for p in purposes if p not in PURPOSES]
    if unknown:
        raise PlanInputError('catalog entry %s has unknown purpose(s) %s; known: %s'
                             % (name, ', '.join(map(str, unknown)), ', '.join(PURPOSES)))
    out['purposes'] = list(purposes)
    out.setdefault('heads', out['kv_heads'])
    out.setdefault('embedding_length', out['heads'] * out['head_dim'])
    out.setdefault('vocab_size', 32000)
    out.setdefault('default_context', 131072)
    out['aliases'] = [str(a) for a in (entry.get('aliases') or [])]
    out.setdefault('quantization', '')
    out['vision'] = bool(entry.get('vision'))
    return out


def normalize_catalog(catalog):
    """Normalize every entry; later entries with the same tag replace earlier ones."""
    if not isinstance(catalog, (list, tuple)):
        raise PlanInputError('the model catalog must be a list of dicts, got %s' % type(catalog).__name__)
    by_tag = {}
    for entry in catalog:
        norm = normalize_entry(entry)
        by_tag[norm['tag']] = norm
    return list(by_tag.values())


def _with_latest(name):
    return name if ':' in name.rsplit('/', 1)[-1] else name + ':latest'


def find_entry(catalog, name):
    """Return the catalog entry for a tag or one of its aliases (``x`` == ``x:latest``), or None."""
    wanted = _with_latest(str(name).strip())
    if wanted.startswith('library/'):
        wanted = wanted[len('library/'):]
    for entry in catalog:
        if _with_latest(entry['tag']) == wanted:
            return entry
    for entry in catalog:
        if wanted in [_with_latest(a) for a in entry['aliases']]:
            return entry
    return None


# ---------------------------------------------------------------------------------------------
# Estimate for one model


def effective_context(entry, context_length):
    """Ollama clamps num_ctx to the model's trained context (llm/server.go)."""
    return max(1, min(int(context_length), int(entry['default_context'])))


def is_embedding(entry):
    """An embedding-only model: Ollama loads it with one slot and no generation batch."""
    return set(entry['purposes']) <= {'embedding'}


def slots(entry, num_parallel):
    """Parallel slots Ollama gives the model (embedding models always 1, sched.go)."""
    return 1 if is_embedding(entry) else max(1, int(num_parallel))


def kv_cache_bytes(entry, context_length, num_parallel=1, kv_cache_type='f16'):
    """KV cache in bytes for num_parallel slots of context_length tokens (clamped)."""
    ctx = effective_context(entry, context_length) * int(num_parallel)
    per_token_layer = (entry['head_dim'] * 2) * entry['kv_heads'] * KV_CACHE_BYTES[kv_cache_type]
    window = entry.get('sliding_window')
    if window:
        full = min(entry.get('global_layers') or entry['layers'], entry['layers'])
        local = entry['layers'] - full
        local_tokens = min(ctx, int(window) * int(num_parallel))
        return int(per_token_layer * (full * ctx + local * local_tokens))
    return int(per_token_layer * entry['layers'] * ctx)


def predicted_bytes(entry, context_length, num_parallel=1):
    """What Ollama's scheduler predicts before it starts llama-server (llm/llama_server.go
    PredictServerVRAM): the file size plus an f16 KV cache of every layer at the full context."""
    ctx = effective_context(entry, context_length) * int(num_parallel)
    return int(entry['download_size_bytes'] + 2 * entry['layers'] * entry['kv_heads'] * entry['head_dim'] * ctx * 2)


def graph_bytes(entry, context_length, num_parallel=1, flash_attention=True):
    """Compute buffer per device at batch 512. Without flash attention: the classic llama
    GraphSize formula (fs/ggml/ggml.go before v0.12.11), whose attention scores grow with
    context x heads. With flash attention the scores are computed in tiles and never stored:
    the activations (4 x embedding per token) plus an f16 mask of context x batch, or the output
    logits, whichever is larger (an estimate: tests/gpu/record_gpu_facts.py records llama-server's
    real compute buffers on a GPU machine)."""
    num_ctx = effective_context(entry, context_length)
    ctx = num_ctx * int(num_parallel)
    batch = min(num_ctx, BATCH_DEFAULT)
    emb = entry['embedding_length']
    heads = entry['heads']
    vocab = entry['vocab_size']
    if flash_attention:
        return int(max(4 * batch * (1 + 4 * emb) + 2 * batch * ctx, 4 * batch * (emb + vocab)))
    return int(max(4 * batch * (1 + 4 * emb + ctx * (1 + heads)),
                   4 * batch * (emb + vocab)))


def generation_batch(entry, context_length, num_parallel, flash_attention=True):
    """The largest generation batch Ollama may pick for a load (sched.go automaticGenerationBatch:
    2048 above 32768 tokens of context x slots, 1024 above 4096, else 512; 512 for embedding
    models and without flash attention). Ollama lowers it when memory is short; the plan counts
    the largest, so it holds whichever Ollama picks and a bigger host never plans less."""
    if is_embedding(entry) or not flash_attention:
        return BATCH_DEFAULT
    ctx = effective_context(entry, context_length) * int(num_parallel)
    return 2048 if ctx > 32768 else (1024 if ctx > 4096 else BATCH_DEFAULT)


def estimate(entry, context_length, num_parallel=1, kv_cache_type='f16', gpus=1, gpu_overhead_bytes=0,
             on_gpu=True, batch=BATCH_DEFAULT, flash_attention=True):
    """Memory a model needs: a dict of bytes and GiB (weights, kv, graph, batch, vision, overhead,
    total, predicted).

    ``gpus`` is the number of devices the model is spread over (compute buffer and runner
    context per device); ``on_gpu=False`` gives the CPU estimate (no runner context, no vision
    headroom, one compute buffer). ``num_parallel`` is OLLAMA_NUM_PARALLEL (an embedding model
    gets one slot whatever it says); ``gpu_overhead_bytes`` is counted per device like the
    runner context (for callers that reserve more). ``batch`` is the generation batch.
    """
    if kv_cache_type not in KV_CACHE_BYTES:
        raise PlanInputError('kv_cache_type must be one of %s, got %r' % (', '.join(KV_CACHE_BYTES), kv_cache_type))
    gpus = max(1, int(gpus)) if on_gpu else 1
    parallel = slots(entry, num_parallel)
    weights = int(entry['download_size_bytes'])
    kv = kv_cache_bytes(entry, context_length, parallel, kv_cache_type)
    graph = graph_bytes(entry, context_length, parallel, flash_attention)
    surcharge = BATCH_SURCHARGE.get(int(batch), 0)
    vision = VISION_HEADROOM_BYTES if (on_gpu and entry.get('vision')) else 0
    overhead = (RUNNER_CONTEXT_BYTES + int(gpu_overhead_bytes)) if on_gpu else 0
    total = weights + kv + vision + gpus * (graph + surcharge + overhead)
    result = {
        'tag': entry['tag'],
        'context_length': effective_context(entry, context_length),
        'num_parallel': parallel,
        'kv_cache_type': kv_cache_type,
        'gpus': gpus if on_gpu else 0,
        'batch': int(batch),
        'weights_bytes': weights,
        'kv_bytes': kv,
        'graph_bytes': graph,
        'batch_bytes': surcharge,
        'vision_bytes': vision,
        'overhead_bytes': overhead,
        'total_bytes': total,
        'predicted_bytes': predicted_bytes(entry, context_length, parallel),
        'layer_bytes': int((weights + kv) / entry['layers']),
    }
    for key in ('weights', 'kv', 'graph', 'batch', 'vision', 'overhead', 'total', 'predicted'):
        result[key + '_gib'] = round(result[key + '_bytes'] / GIB, 3)
    return result


# ---------------------------------------------------------------------------------------------
# Devices: GPUs and MIG devices, and the memory Ollama may use on each


def _int_or_none(value):
    try:
        number = _as_number(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number) or number < 0:
        return None
    return int(number)


def mig_memory_mib(profile):
    """The memory of a MIG profile from its name (``3g.40gb`` -> 40 GB in MiB, rounded down), or None."""
    match = _MIG_MEMORY_RE.search(str(profile or '').strip())
    if not match:
        return None
    return int(float(match.group(1)) * 1e9 // MIB)


def _in_use_bytes(total_mib, used_mib, free_mib, ollama_mib):
    """Memory other processes hold (not Ollama's own runners), rounded up to IN_USE_STEP_BYTES."""
    if total_mib is None:
        return 0
    ollama = ollama_mib or 0
    if free_mib is not None:
        others = total_mib - free_mib - ollama
    elif used_mib is not None:
        others = used_mib - ollama
    else:
        others = 0
    others = max(0, others) * MIB
    return int(math.ceil(others / float(IN_USE_STEP_BYTES)) * IN_USE_STEP_BYTES)


def plan_devices(gpus):
    """The devices an Ollama container can be given, from owu_gpus: each GPU, or each MIG device
    of a GPU in MIG mode. Each is ``{index, gpu_index, device_id, name, mig_profile,
    total_bytes, in_use_bytes, capacity_bytes, compute_capability}``; ``device_id`` is what a
    Docker NVIDIA device request takes (the GPU index, or the MIG device UUID); ``capacity_bytes``
    is what is free for Ollama (total minus what other processes hold), None when the memory
    could not be read.
    """
    if gpus is None:
        gpus = []
    if not isinstance(gpus, (list, tuple)):
        raise PlanInputError('gpus must be a list of GPU facts (owu_gpus), got %s' % type(gpus).__name__)
    devices = []
    for position, gpu in enumerate(gpus):
        if not isinstance(gpu, dict):
            raise PlanInputError('every GPU in gpus must be a dict from owu_gpus, got %r' % (gpu,))
        index = gpu.get('index', position)
        cc = gpu.get('compute_capability')
        try:
            cc = float(cc) if cc not in (None, '') else None
        except (TypeError, ValueError):
            cc = None
        name = str(gpu.get('name') or 'GPU')
        migs = gpu.get('mig_devices') or []
        if str(gpu.get('mig_mode') or '') == 'Enabled' and migs:
            for mig in migs:
                if not isinstance(mig, dict):
                    raise PlanInputError('every MIG device of GPU %s must be a dict, got %r' % (index, mig))
                total = _int_or_none(mig.get('memory_total_mib'))
                if total is None:
                    total = mig_memory_mib(mig.get('profile'))
                in_use = _in_use_bytes(total, _int_or_none(mig.get('memory_used_mib')),
                                       _int_or_none(mig.get('memory_free_mib')), _int_or_none(mig.get('memory_ollama_mib')))
                devices.append({
                    'index': '%s:%s' % (index, mig.get('index', 0)), 'gpu_index': index,
                    'device_id': str(mig.get('uuid') or '%s:%s' % (index, mig.get('index', 0))),
                    'name': '%s MIG %s' % (name, mig.get('profile') or '?'), 'mig_profile': mig.get('profile'),
                    'total_bytes': None if total is None else total * MIB, 'in_use_bytes': in_use,
                    'capacity_bytes': None if total is None else max(0, total * MIB - in_use),
                    'compute_capability': cc})
            continue
        total = _int_or_none(gpu.get('memory_total_mib'))
        in_use = _in_use_bytes(total, _int_or_none(gpu.get('memory_used_mib')), _int_or_none(gpu.get('memory_free_mib')),
                               _int_or_none(gpu.get('memory_ollama_mib')))
        devices.append({
            'index': index, 'gpu_index': index, 'device_id': str(index), 'name': name, 'mig_profile': None,
            'total_bytes': None if total is None else total * MIB, 'in_use_bytes': in_use,
            'capacity_bytes': None if total is None else max(0, total * MIB - in_use), 'compute_capability': cc})
    return devices


def _devices_for_instance(devices, single_device, warnings):
    """The devices one Ollama container plans for: all of them; the smallest with one container per
    device (ollama_gpu_mode per_gpu); only the first when MIG devices are shared by one container
    (CUDA lets a process use one MIG device)."""
    if not devices:
        return devices
    if single_device:
        return [min(devices, key=lambda d: (d['capacity_bytes'] is not None, d['capacity_bytes'] or 0))]
    if len(devices) > 1 and any(d['mig_profile'] for d in devices):
        warnings.append('one Ollama container can use only one MIG device (CUDA enumerates a single MIG '
                        'instance per process): the plan is for %s; set ollama_gpu_mode: per_gpu to run one '
                        'Ollama per device' % devices[0]['name'])
        return devices[:1]
    return devices


def _apply_override(devices, vram_override_gib, errors, reason):
    """ollama_vram_override_gib: GiB shared evenly by the devices, whether or not their memory
    could be read; 0 plans for the CPU; refused on a host without a GPU."""
    if vram_override_gib in (None, ''):
        return devices
    try:
        override = float(_as_number(vram_override_gib))
        if override < 0 or math.isnan(override) or math.isinf(override):
            raise ValueError('negative')
    except (TypeError, ValueError):
        errors.append('%s must be a number of GiB (e.g. 8 or 7.5), got %r' % (VAR_OVERRIDE, vram_override_gib))
        return devices
    if override == 0:
        return []
    if not devices:
        errors.append('%s is %s but this host has no NVIDIA GPU (%s): Ollama runs on the CPU, so a GPU plan would '
                      'not fit what runs; remove %s (the CPU plan is used) or set it to 0'
                      % (VAR_OVERRIDE, vram_override_gib, reason or 'gpu_facts found none', VAR_OVERRIDE))
        return devices
    share = int(override * GIB / len(devices))
    out = []
    for device in devices:
        device = dict(device, total_bytes=share, in_use_bytes=0, capacity_bytes=share)
        device['name'] += ' (override)'
        out.append(device)
    return out


def _flash_attention_auto(mode, devices):
    """Whether Ollama's automatic flash attention is on for these devices (see FLASH_ATTENTION_MIN_CC);
    a GPU whose compute capability is unknown counts as capable."""
    if mode != 'gpu':
        return True
    for device in devices:
        cc = device['compute_capability']
        if cc is not None and (cc < FLASH_ATTENTION_MIN_CC or round(cc, 1) in FLASH_ATTENTION_EXCLUDED_CC):
            return False
    return True


def _describe_gpus(devices):
    if not devices:
        return 'no GPU'
    names = sorted({d['name'] for d in devices})
    sizes = sorted({(d['total_bytes'] or 0) // MIB for d in devices})
    if len(names) == 1 and len(sizes) == 1:
        if len(devices) == 1:
            return 'GPU: %s, %d MiB' % (names[0], sizes[0])
        return 'GPUs: %d x %s, %d MiB each' % (len(devices), names[0], sizes[0])
    return 'GPUs: ' + ', '.join('%s %d MiB' % (d['name'], (d['total_bytes'] or 0) // MIB) for d in devices)


# ---------------------------------------------------------------------------------------------
# Loading models as Ollama does


def _simulate(entries, context, ctx_plan):
    """Load ``entries`` in order as Ollama would; a list of ``{entry, devices, estimate}`` or None
    when one would not be fully in memory (or Ollama would evict an earlier one to load it)."""
    parallel = ctx_plan['num_parallel']
    kv_type = ctx_plan['kv_type']
    if ctx_plan['mode'] == 'cpu':
        budget = ctx_plan['memory_budget']
        room = budget if budget is not None else CPU_DEFAULT_BUDGET_GIB * GIB
        out = []
        for entry in entries:
            est = estimate(entry, context, parallel, kv_type, on_gpu=False)
            room -= est['total_bytes']
            if room < -_EPSILON:
                return None
            out.append({'entry': entry, 'devices': [], 'estimate': est})
        return out
    free = list(ctx_plan['capacities'])
    margin = ctx_plan['margin']
    out = []
    for number, entry in enumerate(entries):
        par = slots(entry, parallel)
        predicted = predicted_bytes(entry, context, par)
        group = [0]
        if len(free) > 1:
            single = [g for g in range(len(free)) if predicted <= free[g] * OLLAMA_LOAD_SHARE + _EPSILON]
            group = [max(single, key=lambda g: (free[g], -g))] if single else list(range(len(free)))
        available = sum(free[g] for g in group)
        batch = generation_batch(entry, context, par, ctx_plan['flash'])
        if number > 0 and predicted + BATCH_SURCHARGE[batch] > available * OLLAMA_LOAD_SHARE + _EPSILON:
            return None
        est = estimate(entry, context, parallel, kv_type, gpus=len(group), batch=batch,
                       flash_attention=ctx_plan['flash'])
        if len(group) == 1:
            if est['total_bytes'] + margin > free[group[0]] + _EPSILON:
                return None
            free[group[0]] -= est['total_bytes']
        else:
            fixed = est['graph_bytes'] + est['batch_bytes'] + est['overhead_bytes']
            variable = est['weights_bytes'] + est['kv_bytes'] + est['vision_bytes']
            room = [free[g] - margin - fixed for g in group]
            if min(room) < est['layer_bytes'] or sum(room) + _EPSILON < variable:
                return None
            total_room = sum(room)
            for g, r in zip(group, room):
                free[g] -= fixed + variable * r / total_room
        out.append({'entry': entry, 'devices': group, 'estimate': est})
    return out


def _fits(entries, context, ctx_plan):
    return _simulate([e for e in entries if e is not None], context, ctx_plan) is not None


# ---------------------------------------------------------------------------------------------
# Inputs


def _floor1(value):
    return math.floor(value * 10 + 1e-9) / 10.0


def _ceil1(value):
    return math.ceil(value * 10 - 1e-9) / 10.0


def _int_input(value, name, minimum, errors, default):
    try:
        number = _as_number(value)
        if int(number) != number or number < minimum:
            raise ValueError('range')
        return int(number)
    except (TypeError, ValueError):
        errors.append('%s must be an integer >= %d, got %r' % (name, minimum, value))
        return default


# ---------------------------------------------------------------------------------------------
# The plan


def build_plan(gpus, catalog, models='auto', context_length=0, num_parallel=0, kv_cache_type='auto',
               allow_cpu_offload=False, vram_override_gib=None, fit_target_mib=None, memory_gib=None,
               purposes=None, single_device=False, gpu_reason=''):
    """Plan which models a host runs and how Ollama is tuned. See docs/vram-planning.md.

    ``num_parallel`` 0 and ``context_length`` 0 mean automatic; ``fit_target_mib`` None means
    FIT_TARGET_MIB_DEFAULT; ``single_device`` plans one container per device (the smallest
    device); ``gpu_reason`` is gpu_facts' reason for finding no GPU (for messages).
    """
    errors = []
    warnings = []
    notes = []
    catalog = normalize_catalog(catalog)
    num_parallel = _int_input(num_parallel if num_parallel not in (None, '') else 0, VAR_PARALLEL, 0, errors, 0)
    parallel_auto = num_parallel == 0
    num_parallel = num_parallel or 1
    context_length = _int_input(context_length if context_length not in (None, '') else 0,
                                VAR_CONTEXT, 0, errors, 0)
    if context_length and context_length < 256:
        errors.append('%s must be 0 (auto) or at least 256, got %d' % (VAR_CONTEXT, context_length))
        context_length = 0
    margin_mib = _int_input(fit_target_mib if fit_target_mib not in (None, '') else FIT_TARGET_MIB_DEFAULT,
                            VAR_FIT, 0, errors, FIT_TARGET_MIB_DEFAULT)
    kv_requested = str(kv_cache_type or 'f16')
    if kv_requested not in KV_CACHE_TYPES:
        errors.append('%s must be one of %s, got %r' % (VAR_KV, ', '.join(KV_CACHE_TYPES), kv_cache_type))
        kv_requested = 'f16'

    devices = _devices_for_instance(plan_devices(gpus), single_device, warnings)
    devices = _apply_override(devices, vram_override_gib, errors, gpu_reason)
    unread = [d for d in devices if d['capacity_bytes'] is None]
    if unread:
        errors.append('%s: gpu_facts could not read the memory of GPU %s (a MIG device seen from inside a '
                      'container reports none): set %s to the GiB of VRAM Ollama may use on this host' % (
                          VAR_OVERRIDE, ', '.join('%s (%s)' % (d['index'], d['name']) for d in unread), VAR_OVERRIDE))
        devices = [dict(d, total_bytes=d['total_bytes'] or 0, capacity_bytes=0) if d in unread else d for d in devices]
    capacities = [d['capacity_bytes'] for d in devices]
    margin = margin_mib * MIB
    mode = 'gpu' if devices and sum(max(0, c - margin) for c in capacities) > 0 else 'cpu'
    if devices and mode == 'cpu':
        warnings.append('the GPU memory (%.1f GiB free for Ollama, %d MiB of it kept free per GPU) is too small '
                        'for any model; planning for the CPU' % (sum(capacities) / GIB, margin_mib))
    memory_budget = None
    if memory_gib not in (None, ''):
        try:
            memory_budget = float(_as_number(memory_gib)) * CPU_MEMORY_SHARE * GIB
        except (TypeError, ValueError):
            errors.append('memory_gib must be a number, got %r' % (memory_gib,))

    flash = _flash_attention_auto(mode, devices)
    usable = sum(max(0, c - margin) for c in capacities) if mode == 'gpu' else 0
    usable_gib = usable / GIB
    if kv_requested == 'auto':
        kv_type = 'q8_0' if (mode == 'gpu' and flash) else 'f16'
    else:
        kv_type = kv_requested
    if kv_type != 'f16' and not flash:
        warnings.append('KV cache type %s needs flash attention, which Ollama does not turn on for a GPU of '
                        'compute capability below 6.0 or of 7.2; Ollama falls back to f16, so the plan uses f16'
                        % kv_type)
        kv_type = 'f16'

    if isinstance(purposes, str):
        purposes = [p.strip() for p in purposes.split(',') if p.strip()]
    if purposes:
        bad = [p for p in purposes if p not in PURPOSES]
        if bad:
            errors.append('unknown purpose(s) %s; known: %s' % (', '.join(map(str, bad)), ', '.join(PURPOSES)))
        wanted_purposes = [p for p in PURPOSES if p in purposes]
    else:
        wanted_purposes = ['chat', 'fast', 'reasoning', 'embedding']
        if mode == 'gpu' and usable_gib + _EPSILON >= CODE_PURPOSE_MIN_GIB:
            wanted_purposes.insert(3, 'code')

    ctx_plan = {'mode': mode, 'capacities': capacities, 'num_parallel': num_parallel, 'kv_type': kv_type,
                'margin': margin, 'memory_budget': memory_budget, 'flash': flash, 'parallel_auto': parallel_auto,
                'usable': usable}

    if isinstance(models, str) and models.strip() != 'auto':
        models = [m.strip() for m in models.split(',') if m.strip()]
    if models is None or (isinstance(models, str) and models.strip() == 'auto'):
        selection, context = _plan_auto(catalog, context_length, wanted_purposes, ctx_plan, warnings)
        if selection is None:
            # The GPU cannot hold even the smallest chat model: plan for the CPU instead.
            warnings.append('the GPU memory (%.1f GiB usable) is too small for any chat model with the '
                            'embedding model; planning for the CPU' % usable_gib)
            mode = 'cpu'
            flash = True
            kv_type = 'f16'
            ctx_plan.update({'mode': 'cpu', 'kv_type': 'f16', 'flash': True, 'num_parallel': 1})
            selection, context = _plan_auto(catalog, context_length, wanted_purposes, ctx_plan, warnings)
        explicit = False
    elif isinstance(models, (list, tuple)):
        selection, context = _plan_explicit(catalog, models, context_length, ctx_plan, errors)
        explicit = True
    else:
        raise PlanInputError('models must be "auto" or a list of tags, got %s' % type(models).__name__)
    num_parallel = ctx_plan['num_parallel']

    model_rows, max_loaded, all_resident = _model_rows(
        selection or [], context, ctx_plan, devices, allow_cpu_offload, explicit, errors, warnings)
    by_purpose = {}
    for row in model_rows:
        for purpose in row['purposes']:
            by_purpose.setdefault(purpose, row['tag'])
    if mode == 'gpu' and kv_type == 'f16' and flash and usable_gib < KV_AUTO_Q8_BELOW_GIB and model_rows:
        chat = next((r for r in model_rows if 'chat' in r['purposes']), model_rows[0])
        notes.append('kv_cache_type q8_0 (flash attention is on) would halve the KV cache: %.2f GiB less for %s '
                     'at context %d' % (chat['kv_gib'] / 2.0, chat['tag'], context))
    keep_alive = KEEP_ALIVE_ALL_RESIDENT if (mode == 'gpu' and model_rows and all_resident) else KEEP_ALIVE_DEFAULT

    tuning = {
        'OLLAMA_CONTEXT_LENGTH': str(context),
        'OLLAMA_NUM_PARALLEL': str(num_parallel),
        'OLLAMA_MAX_LOADED_MODELS': str(max_loaded),
        'OLLAMA_KV_CACHE_TYPE': kv_type,
        'OLLAMA_KEEP_ALIVE': keep_alive,
    }
    if mode == 'gpu':
        tuning['LLAMA_ARG_FIT_TARGET'] = str(margin_mib)

    gpu_devices = devices if mode == 'gpu' else []
    plan = {
        'mode': mode,
        'devices': [{'index': d['index'], 'device_id': d['device_id'], 'name': d['name'],
                     'memory_gib': round((d['total_bytes'] or 0) / GIB, 2),
                     'in_use_gib': round(d['in_use_bytes'] / GIB, 2),
                     'usable_gib': round(max(0, d['capacity_bytes'] - margin) / GIB, 2)} for d in gpu_devices],
        'gpu_description': _describe_gpus(gpu_devices),
        'vram_gib': round(sum(d['total_bytes'] or 0 for d in gpu_devices) / GIB, 2),
        'in_use_gib': round(sum(d['in_use_bytes'] for d in gpu_devices) / GIB, 2),
        'usable_gib': round(usable_gib, 2) if mode == 'gpu' else 0.0,
        'fit_target_mib': margin_mib if mode == 'gpu' else 0,
        'memory_budget_gib': round((memory_budget if memory_budget is not None else CPU_DEFAULT_BUDGET_GIB * GIB) / GIB, 2)
        if mode == 'cpu' else None,
        'context_length': context,
        'num_parallel': num_parallel,
        'kv_cache_type': kv_type,
        'flash_attention': flash,
        'max_loaded_models': max_loaded,
        'keep_alive': keep_alive,
        'models': model_rows,
        'by_purpose': by_purpose,
        'resident_gib': _resident_gib(model_rows),
        'tuning': tuning,
        'errors': errors,
        'warnings': warnings,
        'notes': notes,
    }
    plan['gpus'] = plan['devices']
    plan['table'] = render_table(plan)
    return plan


def _candidates(catalog, purpose, ctx_plan):
    found = [e for e in catalog if purpose in e['purposes']]
    if ctx_plan['mode'] == 'cpu':
        found = [e for e in found if e['parameters_b'] <= CPU_MAX_PARAMETERS_B]
    return sorted(found, key=lambda e: (-e['rank'], e['download_size_bytes'], e['tag']))


def _context_ceiling(ctx_plan):
    if ctx_plan['mode'] == 'cpu':
        return CPU_CONTEXT
    return 32768 if ctx_plan['usable'] / GIB + _EPSILON >= CONTEXT_TIER_GIB else SMALL_CONTEXT_CEILING


def _first_fit(candidates, others, context, ctx_plan):
    for cand in candidates:
        if _fits([cand] + others, context, ctx_plan):
            return cand
    return None


def _raise_parallel(ctx_plan, holds, context):
    """Parallel slots left automatic on a team box (a GPU plan with TEAM_MIN_GIB usable or more):
    the first of TEAM_PARALLEL at which ``holds(context)`` still does, else 1. Sets
    ctx_plan['num_parallel']."""
    if ctx_plan['mode'] != 'gpu' or not ctx_plan['parallel_auto'] or ctx_plan['usable'] / GIB + _EPSILON < TEAM_MIN_GIB:
        return
    for parallel in TEAM_PARALLEL:
        ctx_plan['num_parallel'] = parallel
        if holds(context):
            return
    ctx_plan['num_parallel'] = 1


def _plan_auto(catalog, context_length, wanted, ctx_plan, warnings):
    """The best model per purpose (docs/vram-planning.md, "Selection rules").

    1. chat is the highest-ranked model that fits with the embedding model at a selection
       context (8192 or 4096 on GPUs, 4096 on the CPU); reasoning and code the highest-ranked
       that fit with it at the first one: criteria that only loosen as memory grows, so a bigger
       host never gets a smaller model for these purposes;
    2. the fast model is the highest-ranked one no bigger than chat whose real cost is within
       FAST_SHARE of the usable memory; it is planned when it stays loaded next to chat and
       embedding, else the chat model doubles as the fast one;
    3. the context is raised as far as all of that still holds (up to the tier's ceiling), then
       parallel slots on a team box.
    Returns (selection, context), or (None, None) when no chat model fits.
    """
    gpu = ctx_plan['mode'] == 'gpu'
    if context_length:
        selection_contexts = [context_length]
    elif gpu:
        selection_contexts = list(SELECTION_CONTEXTS)
    else:
        selection_contexts = [CPU_CONTEXT]

    embedding = None
    if 'embedding' in wanted:
        embedding = _first_fit(_candidates(catalog, 'embedding', ctx_plan), [], selection_contexts[-1], ctx_plan)
        if embedding is None:
            warnings.append('no embedding model fits this host; none is planned')
    companions = [embedding] if embedding else []

    # chat: the highest-ranked model that fits with the embedding model at any selection context
    # (at the largest of them that it fits); the others at the first selection context.
    chat = None
    base = selection_contexts[0]
    if 'chat' in wanted:
        for cand in _candidates(catalog, 'chat', ctx_plan):
            base = next((ctx for ctx in selection_contexts if _fits([cand] + companions, ctx, ctx_plan)), None)
            if base is not None:
                chat = cand
                break
        if chat is None:
            return None, None
    picks = {'chat': chat, 'embedding': embedding}
    for purpose in ('reasoning', 'code'):
        if purpose in wanted:
            picks[purpose] = _first_fit(_candidates(catalog, purpose, ctx_plan), companions, selection_contexts[0],
                                        ctx_plan)
            if picks[purpose] is None:
                warnings.append('no %s model fits this host; none is planned' % purpose)

    fast = None
    if 'fast' in wanted:
        for cand in _candidates(catalog, 'fast', ctx_plan):
            if chat and (cand['parameters_b'] > chat['parameters_b'] or cand['tag'] == chat['tag']):
                continue
            if gpu:
                cost = estimate(cand, selection_contexts[0], ctx_plan['num_parallel'], ctx_plan['kv_type'],
                                flash_attention=ctx_plan['flash'])['total_bytes']
                if cost > FAST_SHARE * ctx_plan['usable'] + _EPSILON:
                    continue
            # Only the best affordable one: a smaller one would make the choice depend on chat's.
            if _fits([chat] + companions + [cand], base, ctx_plan):
                fast = cand
            break

    def holds(ctx):
        if chat and not _fits([chat] + companions, ctx, ctx_plan):
            return False
        if fast and not _fits([chat] + companions + [fast], ctx, ctx_plan):
            return False
        return all(_fits([picks[p]] + companions, ctx, ctx_plan) for p in ('reasoning', 'code') if picks.get(p))

    context = base
    if not context_length:
        for ctx in CONTEXT_LADDER:
            if base < ctx <= _context_ceiling(ctx_plan) and holds(ctx):
                context = ctx
                break
    _raise_parallel(ctx_plan, holds, context)

    if 'fast' in wanted:
        picks['fast'] = fast or chat  # without a dedicated one, the chat model doubles as the fast one
        if picks['fast'] is None:
            warnings.append('no fast model fits this host; none is planned')

    selection = []
    for purpose in PURPOSES:
        entry = picks.get(purpose)
        if entry is None:
            continue
        same = next((s for s in selection if s['entry']['tag'] == entry['tag']), None)
        if same:
            same['purposes'].append(purpose)
        else:
            selection.append({'tag': entry['tag'], 'entry': entry, 'purposes': [purpose]})
    return selection, context


def _plan_explicit(catalog, models, context_length, ctx_plan, errors):
    """Validate an explicit list; the context is the largest tier value at which each fits with the
    embedding model."""
    selection = []
    for name in models:
        name = str(name).strip()
        if not name:
            continue
        entry = find_entry(catalog, name)
        if entry is None:
            errors.append('%s is not in the model catalog, so its VRAM cannot be checked: fix the name in %s, '
                          'or describe the model in %s (tag, download_size_bytes, layers, kv_heads, head_dim, '
                          'purposes)' % (name, VAR_MODELS, VAR_EXTRA))
            continue
        if any(s['tag'] == name for s in selection):
            continue
        selection.append({'tag': name, 'entry': entry, 'purposes': list(entry['purposes'][:1])})
    entries = [s['entry'] for s in selection]
    if selection and all(is_embedding(e) for e in entries):
        errors.append('%s lists only embedding models (%s): Open WebUI needs a model to chat with; add one '
                      '(e.g. llama3.1:8b) or use auto' % (VAR_MODELS, ', '.join(s['tag'] for s in selection)))
    embeddings = [e for e in entries if 'embedding' in e['purposes']][:1]

    def holds(ctx):
        return all(_fits([e] + [x for x in embeddings if x is not e], ctx, ctx_plan) for e in entries)

    if context_length:
        ladder = [context_length]
    elif ctx_plan['mode'] == 'cpu':
        ladder = [CPU_CONTEXT]
    else:
        ladder = [c for c in CONTEXT_LADDER if c <= _context_ceiling(ctx_plan)]
    context = ladder[-1]
    for ctx in ladder:
        if holds(ctx):
            context = ctx
            break
    if entries:
        _raise_parallel(ctx_plan, holds, context)
    return selection, context


def _purpose_order(item):
    return min(RESIDENT_ORDER.index(p) for p in item['purposes'])


def _model_rows(selection, context, ctx_plan, devices, allow_cpu_offload, explicit, errors, warnings):
    """One row per planned model with its estimate and where it runs; also max loaded models and
    whether everything fits at once."""
    ordered = sorted(selection, key=_purpose_order)
    entries = [item['entry'] for item in ordered]
    resident = 0
    placed = None
    for count in range(len(entries), 0, -1):
        placed = _simulate(entries[:count], context, ctx_plan)
        if placed is not None:
            resident = count
            break
    all_resident = bool(entries) and resident == len(entries)
    embedding = next((e for e in entries if 'embedding' in e['purposes']), None)
    rows = []
    for position, item in enumerate(ordered):
        entry = item['entry']
        if position < resident:
            where = placed[position]
        else:
            alone = _simulate([entry] + ([embedding] if embedding is not None and embedding is not entry else []),
                              context, ctx_plan)
            where = alone[0] if alone else None
        rows.append(_model_row(item, entry, context, ctx_plan, devices, where, allow_cpu_offload, explicit,
                               errors, warnings))
    return rows, max(1, resident), all_resident


def _model_row(item, entry, context, ctx_plan, devices, where, allow_cpu_offload, explicit, errors, warnings):
    gpu = ctx_plan['mode'] == 'gpu'
    row = {
        'tag': item['tag'],
        'catalog_tag': entry['tag'],
        'purpose': item['purposes'][0],
        'purposes': list(item['purposes']),
        'parameters_b': entry['parameters_b'],
        'quantization': entry['quantization'],
        'context_length': effective_context(entry, context),
        'num_parallel': slots(entry, ctx_plan['num_parallel']),
    }
    if where is not None:
        est = where['estimate']
        row.update({'fits': True, 'placement': 'gpu' if gpu else 'cpu',
                    'gpu_indices': [devices[g]['index'] for g in where['devices']] if gpu else [],
                    'gpu_layers': entry['layers'] if gpu else 0})
    else:
        est = estimate(entry, context, ctx_plan['num_parallel'], ctx_plan['kv_type'], gpus=max(1, len(devices)),
                       on_gpu=gpu, flash_attention=ctx_plan['flash'])
        row['fits'] = False
        if gpu:
            layers = _offload_layers(estimate(entry, context, ctx_plan['num_parallel'], ctx_plan['kv_type'],
                                              flash_attention=ctx_plan['flash']), entry, ctx_plan)
            row.update({'placement': 'split' if layers > 0 else 'cpu',
                        'gpu_indices': [d['index'] for d in devices] if layers > 0 else [], 'gpu_layers': layers})
            message = '%s needs %.1f GiB at context %d, host has %.1f GiB (%s, %d MiB kept free per GPU)' % (
                item['tag'], _ceil1(est['total_bytes'] / GIB), context, _floor1(ctx_plan['usable'] / GIB),
                _describe_gpus(devices), ctx_plan['margin'] // MIB)
            if allow_cpu_offload:
                warnings.append(message + '; %s is true, so %d of %d layers run on the GPU and the rest on the '
                                'CPU (slow)' % (VAR_OFFLOAD, layers, entry['layers']))
            elif explicit:
                errors.append('%s: %s; choose a smaller model or set %s: true' % (VAR_MODELS, message, VAR_OFFLOAD))
        else:
            row.update({'placement': 'cpu', 'gpu_indices': [], 'gpu_layers': 0})
            if ctx_plan['memory_budget'] is not None:
                message = '%s needs %.1f GiB at context %d, host has %.1f GiB for models (no GPU; %d%% of RAM)' % (
                    item['tag'], _ceil1(est['total_bytes'] / GIB), context, _floor1(ctx_plan['memory_budget'] / GIB),
                    int(CPU_MEMORY_SHARE * 100))
                if explicit and not allow_cpu_offload:
                    errors.append('%s: %s; choose a smaller model' % (VAR_MODELS, message))
                else:
                    warnings.append(message)
    if not gpu and entry['parameters_b'] > CPU_MAX_PARAMETERS_B:
        warnings.append('%s (%.1fB parameters) runs on the CPU only and will be slow' % (item['tag'], entry['parameters_b']))
    row.update({
        'estimate_gib': round(est['total_bytes'] / GIB, 2),
        'estimate_bytes': est['total_bytes'],
        'weights_gib': est['weights_gib'],
        'kv_gib': est['kv_gib'],
        'graph_gib': round((est['graph_bytes'] + est['batch_bytes']) * max(1, est['gpus']) / GIB, 3),
        'overhead_gib': round(est['overhead_bytes'] * max(1, est['gpus']) / GIB, 3),
        'batch': est['batch'],
    })
    return row


def _offload_layers(est_one, entry, ctx_plan):
    """Layers that fit in VRAM when the model does not fit entirely (partial offload)."""
    fixed = est_one['graph_bytes'] + est_one['batch_bytes'] + est_one['overhead_bytes']
    room = sum(max(0.0, c - ctx_plan['margin'] - fixed) for c in ctx_plan['capacities'])
    if est_one['layer_bytes'] <= 0:
        return 0
    return int(min(entry['layers'], room // est_one['layer_bytes']))


def _resident_gib(rows):
    chat = next((r for r in rows if 'chat' in r['purposes']), None)
    emb = next((r for r in rows if 'embedding' in r['purposes']), None)
    total = sum(r['estimate_gib'] for r in {id(x): x for x in (chat, emb) if x}.values())
    return round(total, 2)


# ---------------------------------------------------------------------------------------------
# Table


def render_table(plan):
    """A fixed-width text table of the plan (header lines, one row per model, footer)."""
    if plan['mode'] == 'gpu':
        host = '%s; %.2f GiB VRAM, %.2f GiB in use by other processes, %.2f GiB usable after %d MiB kept free per GPU' % (
            plan['gpu_description'], plan['vram_gib'], plan.get('in_use_gib', 0.0), plan['usable_gib'],
            plan.get('fit_target_mib', 0))
    else:
        host = 'no GPU: CPU plan, %.1f GiB of RAM budgeted for models' % (plan.get('memory_budget_gib') or 0)
    lines = [
        'Ollama plan (%s mode) - %s' % (plan['mode'], host),
        'context %d, parallel %d, KV cache %s, flash attention %s, max loaded models %d, keep alive %s' % (
            plan['context_length'], plan['num_parallel'], plan['kv_cache_type'],
            'on' if plan['flash_attention'] else 'off', plan['max_loaded_models'], plan.get('keep_alive', '5m')),
    ]
    rows = [('purpose', 'model', 'params', 'quant', 'ctx', 'est. GiB', 'placement')]
    for row in plan['models']:
        placement = row['placement']
        indices = [str(i) for i in row.get('gpu_indices') or []]
        if placement == 'gpu' and indices:
            placement = 'GPU %s' % '+'.join(indices)
        elif placement == 'split':
            placement = 'split (%d layers on GPU)' % row.get('gpu_layers', 0)
        rows.append((', '.join(row['purposes']), row['tag'], '%.1fB' % row['parameters_b'], row['quantization'],
                     str(row['context_length']), '%.2f' % row['estimate_gib'], placement))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {2, 4, 5}
    for num, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append('  '.join(cells).rstrip())
        if num == 0:
            lines.append('  '.join('-' * w for w in widths))
    if plan['models']:
        lines.append('resident (chat + embedding): %.2f GiB' % plan['resident_gib'])
    else:
        lines.append('(no models planned)')
    for error in plan['errors']:
        lines.append('ERROR: ' + error)
    for warning in plan['warnings']:
        lines.append('warning: ' + warning)
    for note in plan['notes']:
        lines.append('note: ' + note)
    return '\n'.join(lines)
