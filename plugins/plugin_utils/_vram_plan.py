# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the ollama_plan
# filters); not a public API.

"""VRAM planning for Ollama: estimate what a model needs and pick the models a host can run.

Everything here is pure data in, data out, so unit tests can call it directly; the filter
plugins in ``plugins/filter/ollama_plan.py`` are thin wrappers. The memory model follows
Ollama's classic estimator (``llm/memory.go`` + ``fs/ggml/ggml.go`` GraphSize) as summarised in
upstream-contracts.md section 1; ``docs/vram-planning.md`` explains it with worked tables.

Per model and GPU it spans::

    total = weights + kv_cache + gpus x (graph + overhead)

* weights  = the model's download size (GGUF tensors as stored),
* kv_cache = ctx x num_parallel x layers x (head_dim_k + head_dim_v) x kv_heads x bytes/element
             (f16 2, q8_0 1, q4_0 0.5); ctx is clamped to the model's trained context, and
             layers with a sliding window (Gemma 3) keep only that many tokens,
* graph    = Ollama's llama-architecture compute-graph estimate applied to every architecture:
             max(4 b (1 + 4 E + C (1 + H)), 4 b (E + V)) with b = min(ctx, 512) batch, E the
             embedding length, C = ctx x num_parallel, H heads, V vocabulary,
* overhead = 457 MiB CUDA minimum (``ml/device.go``) + OLLAMA_GPU_OVERHEAD, counted for every
             model on every GPU it uses (each runner process has its own CUDA context).
"""

from __future__ import annotations

import math

GIB = 1024 ** 3
MIB = 1024 ** 2

# Minimum free memory Ollama keeps per GPU for the CUDA/ROCm context (ml/device.go).
CUDA_MINIMUM_BYTES = 457 * MIB
# num_batch default (llm/memory.go: batch = min(num_ctx, num_batch)).
DEFAULT_BATCH = 512
# Bytes per KV cache element (OLLAMA_KV_CACHE_TYPE).
KV_CACHE_BYTES = {'f16': 2.0, 'q8_0': 1.0, 'q4_0': 0.5}
KV_CACHE_TYPES = ('auto',) + tuple(KV_CACHE_BYTES)

PURPOSES = ('chat', 'fast', 'reasoning', 'code', 'embedding')
# Order in which the plan lists models and fills the resident set.
RESIDENT_ORDER = ('chat', 'embedding', 'fast', 'reasoning', 'code')

# Context lengths the automatic tier tries, largest first.
CONTEXT_LADDER = (32768, 16384, 8192, 4096)
# Ollama's own VRAM tier (server/routes.go): >= 23 GiB -> 32768. Below it we plan up to 8192
# (Ollama would use 4096, too short for RAG prompts); we never plan Ollama's 262144 (>= 47 GiB):
# the KV cache of a 70B model alone would be 80 GiB.
CONTEXT_TIER_GIB = 23.0
SMALL_CONTEXT_CEILING = 8192
CPU_CONTEXT = 4096
# Hosts with a 16 GB card or more (16 GB cards report a little under 16 GiB) also get a
# dedicated code model by default.
CODE_PURPOSE_MIN_GIB = 15.5
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

_REQUIRED_FIELDS = ('tag', 'layers', 'kv_heads', 'head_dim', 'purposes')
_INT_FIELDS = ('layers', 'kv_heads', 'head_dim', 'heads', 'embedding_length', 'vocab_size',
               'default_context', 'sliding_window', 'global_layers')
_EPSILON = 1e-9


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


def graph_bytes(entry, context_length, num_parallel=1):
    """Compute-graph buffer per GPU (llama formula of fs/ggml/ggml.go GraphSize, full offload)."""
    num_ctx = effective_context(entry, context_length)
    ctx = num_ctx * int(num_parallel)
    batch = min(num_ctx, DEFAULT_BATCH)
    emb = entry['embedding_length']
    heads = entry['heads']
    vocab = entry['vocab_size']
    return int(max(4 * batch * (1 + 4 * emb + ctx * (1 + heads)),
                   4 * batch * (emb + vocab)))


def estimate(entry, context_length, num_parallel=1, kv_cache_type='f16', gpus=1,
             gpu_overhead_bytes=0, on_gpu=True):
    """Memory a model needs: a dict of bytes and GiB (weights, kv, graph, overhead, total).

    ``gpus`` is the number of GPUs the model is spread over (graph and overhead per GPU);
    ``on_gpu=False`` gives the CPU estimate (no GPU overhead, one compute graph).
    """
    if kv_cache_type not in KV_CACHE_BYTES:
        raise PlanInputError('kv_cache_type must be one of %s, got %r' % (', '.join(KV_CACHE_BYTES), kv_cache_type))
    gpus = max(1, int(gpus)) if on_gpu else 1
    weights = int(entry['download_size_bytes'])
    kv = kv_cache_bytes(entry, context_length, num_parallel, kv_cache_type)
    graph = graph_bytes(entry, context_length, num_parallel)
    overhead = (CUDA_MINIMUM_BYTES + int(gpu_overhead_bytes)) if on_gpu else 0
    total = weights + kv + gpus * (graph + overhead)
    result = {
        'tag': entry['tag'],
        'context_length': effective_context(entry, context_length),
        'num_parallel': int(num_parallel),
        'kv_cache_type': kv_cache_type,
        'gpus': gpus if on_gpu else 0,
        'weights_bytes': weights,
        'kv_bytes': kv,
        'graph_bytes': graph,
        'overhead_bytes': overhead,
        'total_bytes': total,
        'layer_bytes': int((weights + kv) / entry['layers']),
    }
    for key in ('weights', 'kv', 'graph', 'overhead', 'total'):
        result[key + '_gib'] = round(result[key + '_bytes'] / GIB, 3)
    return result


# ---------------------------------------------------------------------------------------------
# Placement


def _place(estimates_by_k, capacities):
    """Try to place models on GPUs at once; return a list of GPU index lists, or None.

    ``estimates_by_k``: one callable per model, ``k -> estimate dict`` for k GPUs.
    Larger models go first; a model takes the GPU with the most free memory, else is spread
    over the k GPUs with the most free memory, each holding its graph + overhead, a share of
    layers proportional to its free memory, and at least one layer (Ollama's rule).
    """
    free = [float(c) for c in capacities]
    count = len(free)
    if count == 0:
        return None
    order = sorted(range(len(estimates_by_k)), key=lambda i: -estimates_by_k[i](1)['total_bytes'])
    placed = [None] * len(estimates_by_k)
    for model in order:
        gpus_by_free = sorted(range(count), key=lambda g: (-free[g], g))
        one = estimates_by_k[model](1)
        if one['total_bytes'] <= free[gpus_by_free[0]] + _EPSILON:
            free[gpus_by_free[0]] -= one['total_bytes']
            placed[model] = [gpus_by_free[0]]
            continue
        for k in range(2, count + 1):
            est = estimates_by_k[model](k)
            chosen = gpus_by_free[:k]
            fixed = est['graph_bytes'] + est['overhead_bytes']
            room = [free[g] - fixed for g in chosen]
            variable = est['weights_bytes'] + est['kv_bytes']
            if min(room) >= est['layer_bytes'] and sum(room) + _EPSILON >= variable:
                total_room = sum(room)
                for g, r in zip(chosen, room):
                    free[g] -= fixed + variable * r / total_room
                placed[model] = sorted(chosen)
                break
        else:
            return None
    return placed


def _offload_layers(est_one, entry, capacities):
    """Layers that fit in VRAM when the model does not fit entirely (partial offload)."""
    fixed = est_one['graph_bytes'] + est_one['overhead_bytes']
    room = sum(max(0.0, c - fixed) for c in capacities)
    if est_one['layer_bytes'] <= 0:
        return 0
    return int(min(entry['layers'], room // est_one['layer_bytes']))


# ---------------------------------------------------------------------------------------------
# Inputs


def _gpu_capacities(gpus, vram_override_gib, gpu_overhead_bytes, errors):
    """Return (gpu list used for planning, capacities in bytes, description)."""
    if gpus is None:
        gpus = []
    if not isinstance(gpus, (list, tuple)):
        raise PlanInputError('gpus must be a list of GPU facts (owu_gpus), got %s' % type(gpus).__name__)
    found = []
    for gpu in gpus:
        if not isinstance(gpu, dict):
            raise PlanInputError('every GPU in gpus must be a dict from owu_gpus, got %r' % (gpu,))
        try:
            mib = int(_as_number(gpu.get('memory_total_mib')))
        except (TypeError, ValueError):
            # nvidia-smi could not read it (a MIG device seen from a container: [Insufficient
            # Permissions], null in owu_gpus): only an override can size the plan then.
            mib = None
        cc = gpu.get('compute_capability')
        try:
            cc = float(cc) if cc not in (None, '') else None
        except (TypeError, ValueError):
            cc = None
        found.append({'index': gpu.get('index', len(found)), 'name': str(gpu.get('name') or 'GPU'),
                      'memory_bytes': None if mib is None else mib * MIB, 'compute_capability': cc})

    if vram_override_gib not in (None, ''):
        try:
            override = float(_as_number(vram_override_gib))
            if override < 0 or math.isnan(override) or math.isinf(override):
                raise ValueError('negative')
        except (TypeError, ValueError):
            errors.append('%s must be a number of GiB (e.g. 8 or 7.5), got %r' % (VAR_OVERRIDE, vram_override_gib))
        else:
            if override == 0:
                found = []
            elif found:
                share = int(override * GIB / len(found))
                for gpu in found:
                    gpu['memory_bytes'] = share
                    gpu['name'] += ' (override)'
            else:
                found = [{'index': 0, 'name': 'GPU (%s)' % VAR_OVERRIDE, 'memory_bytes': int(override * GIB),
                          'compute_capability': None}]
    unread = [g for g in found if g['memory_bytes'] is None]
    if unread:
        errors.append('%s: gpu_facts could not read the memory of GPU %s (a MIG device seen from inside a '
                      'container reports none): set %s to the GiB of VRAM Ollama may use on this host' % (
                          VAR_OVERRIDE, ', '.join('%s (%s)' % (g['index'], g['name']) for g in unread), VAR_OVERRIDE))
        for gpu in unread:
            gpu['memory_bytes'] = 0
    capacities = [max(0, g['memory_bytes'] - int(gpu_overhead_bytes)) for g in found]
    return found, capacities


def _flash_attention_auto(mode, found):
    """Whether Ollama's automatic flash attention is on for these devices (see FLASH_ATTENTION_MIN_CC);
    a GPU whose compute capability is unknown counts as capable."""
    if mode != 'gpu':
        return True
    for gpu in found:
        cc = gpu['compute_capability']
        if cc is not None and (cc < FLASH_ATTENTION_MIN_CC or round(cc, 1) in FLASH_ATTENTION_EXCLUDED_CC):
            return False
    return True


def _describe_gpus(found):
    if not found:
        return 'no GPU'
    names = sorted({g['name'] for g in found})
    sizes = sorted({g['memory_bytes'] // MIB for g in found})
    if len(names) == 1 and len(sizes) == 1:
        if len(found) == 1:
            return 'GPU: %s, %d MiB' % (names[0], sizes[0])
        return 'GPUs: %d x %s, %d MiB each' % (len(found), names[0], sizes[0])
    return 'GPUs: ' + ', '.join('%s %d MiB' % (g['name'], g['memory_bytes'] // MIB) for g in found)


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


def build_plan(gpus, catalog, models='auto', context_length=0, num_parallel=1, kv_cache_type='f16',
               allow_cpu_offload=False, vram_override_gib=None, gpu_overhead_bytes=0, memory_gib=None,
               purposes=None):
    """Plan which models a host runs and how Ollama is tuned. See docs/vram-planning.md."""
    errors = []
    warnings = []
    notes = []
    catalog = normalize_catalog(catalog)
    num_parallel = _int_input(num_parallel, VAR_PARALLEL, 1, errors, 1)
    context_length = _int_input(context_length if context_length not in (None, '') else 0,
                                VAR_CONTEXT, 0, errors, 0)
    if context_length and context_length < 256:
        errors.append('%s must be 0 (auto) or at least 256, got %d' % (VAR_CONTEXT, context_length))
        context_length = 0
    gpu_overhead_bytes = _int_input(gpu_overhead_bytes or 0, 'OLLAMA_GPU_OVERHEAD', 0, errors, 0)
    kv_requested = str(kv_cache_type or 'f16')
    if kv_requested not in KV_CACHE_TYPES:
        errors.append('%s must be one of %s, got %r' % (VAR_KV, ', '.join(KV_CACHE_TYPES), kv_cache_type))
        kv_requested = 'f16'

    found, capacities = _gpu_capacities(gpus, vram_override_gib, gpu_overhead_bytes, errors)
    mode = 'gpu' if found and sum(capacities) > 0 else 'cpu'
    memory_budget = None
    if memory_gib not in (None, ''):
        try:
            memory_budget = float(_as_number(memory_gib)) * CPU_MEMORY_SHARE * GIB
        except (TypeError, ValueError):
            errors.append('memory_gib must be a number, got %r' % (memory_gib,))

    flash = _flash_attention_auto(mode, found)
    usable = sum(capacities)
    usable_gib = usable / GIB
    if kv_requested == 'auto':
        kv_type = 'q8_0' if (mode == 'gpu' and flash and usable_gib < KV_AUTO_Q8_BELOW_GIB) else 'f16'
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
                'gpu_overhead': gpu_overhead_bytes, 'memory_budget': memory_budget}

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
            ctx_plan.update({'mode': 'cpu', 'kv_type': 'f16'})
            selection, context = _plan_auto(catalog, context_length, wanted_purposes, ctx_plan, warnings)
        explicit = False
    elif isinstance(models, (list, tuple)):
        selection, context = _plan_explicit(catalog, models, context_length, ctx_plan, errors)
        explicit = True
    else:
        raise PlanInputError('models must be "auto" or a list of tags, got %s' % type(models).__name__)

    model_rows = []
    by_purpose = {}
    for item in selection or []:
        entry = item['entry']
        for purpose in item['purposes']:
            by_purpose.setdefault(purpose, item['tag'])
        model_rows.append(_model_row(item, entry, context, ctx_plan, found, allow_cpu_offload, explicit, errors,
                                     warnings))

    max_loaded = _max_loaded(model_rows, catalog, context, ctx_plan)
    if mode == 'gpu' and kv_type == 'f16' and flash and usable_gib < KV_AUTO_Q8_BELOW_GIB and model_rows:
        chat = next((r for r in model_rows if 'chat' in r['purposes']), model_rows[0])
        saved = chat['kv_gib'] / 2.0
        notes.append('kv_cache_type q8_0 (flash attention is on) would halve the KV cache: %.2f GiB less for %s '
                     'at context %d' % (saved, chat['tag'], context))

    tuning = {
        'OLLAMA_CONTEXT_LENGTH': str(context),
        'OLLAMA_NUM_PARALLEL': str(num_parallel),
        'OLLAMA_MAX_LOADED_MODELS': str(max_loaded),
        'OLLAMA_KV_CACHE_TYPE': kv_type,
    }
    if gpu_overhead_bytes:
        tuning['OLLAMA_GPU_OVERHEAD'] = str(gpu_overhead_bytes)

    plan = {
        'mode': mode,
        'gpus': [{'index': g['index'], 'name': g['name'], 'memory_gib': round(g['memory_bytes'] / GIB, 2)}
                 for g in found] if mode == 'gpu' else [],
        'gpu_description': _describe_gpus(found if mode == 'gpu' else []),
        'vram_gib': round(sum(g['memory_bytes'] for g in found) / GIB, 2) if mode == 'gpu' else 0.0,
        'usable_gib': round(usable_gib, 2) if mode == 'gpu' else 0.0,
        'memory_budget_gib': round((memory_budget if memory_budget is not None else CPU_DEFAULT_BUDGET_GIB * GIB) / GIB, 2)
        if mode == 'cpu' else None,
        'context_length': context,
        'num_parallel': num_parallel,
        'kv_cache_type': kv_type,
        'flash_attention': flash,
        'max_loaded_models': max_loaded,
        'models': model_rows,
        'by_purpose': by_purpose,
        'resident_gib': _resident_gib(model_rows),
        'tuning': tuning,
        'errors': errors,
        'warnings': warnings,
        'notes': notes,
    }
    plan['table'] = render_table(plan)
    return plan


def _estimator(entry, context, ctx_plan):
    on_gpu = ctx_plan['mode'] == 'gpu'
    cache = {}

    def by_k(k):
        if k not in cache:
            cache[k] = estimate(entry, context, ctx_plan['num_parallel'], ctx_plan['kv_type'], gpus=k,
                                gpu_overhead_bytes=ctx_plan['gpu_overhead'], on_gpu=on_gpu)
        return cache[k]
    return by_k


def _capacities(ctx_plan):
    if ctx_plan['mode'] == 'gpu':
        return ctx_plan['capacities']
    budget = ctx_plan['memory_budget']
    return [budget if budget is not None else CPU_DEFAULT_BUDGET_GIB * GIB]


def _fits(entries, context, ctx_plan):
    return _place([_estimator(e, context, ctx_plan) for e in entries], _capacities(ctx_plan)) is not None


def _candidates(catalog, purpose, ctx_plan):
    found = [e for e in catalog if purpose in e['purposes']]
    if ctx_plan['mode'] == 'cpu':
        found = [e for e in found if e['parameters_b'] <= CPU_MAX_PARAMETERS_B]
    return sorted(found, key=lambda e: (-e['rank'], e['download_size_bytes'], e['tag']))


def _context_ladder(context_length, ctx_plan):
    if context_length:
        return [context_length]
    if ctx_plan['mode'] == 'cpu':
        return [CPU_CONTEXT]
    ceiling = 32768 if sum(ctx_plan['capacities']) / GIB + _EPSILON >= CONTEXT_TIER_GIB else SMALL_CONTEXT_CEILING
    return [c for c in CONTEXT_LADDER if c <= ceiling]


def _plan_auto(catalog, context_length, wanted, ctx_plan, warnings):
    """Best model per purpose: the chat model first (largest context that fits it), then the rest.

    Every pick must fit together with the embedding model (it stays loaded for RAG).
    Returns (selection, context) or (None, None) when no chat model fits.
    """
    ladder = _context_ladder(context_length, ctx_plan)
    embedding = None
    if 'embedding' in wanted:
        for cand in _candidates(catalog, 'embedding', ctx_plan):
            if _fits([cand], ladder[-1], ctx_plan):
                embedding = cand
                break
        if embedding is None:
            warnings.append('no embedding model fits this host; none is planned')
    companions = [embedding] if embedding else []

    chat = None
    context = ladder[-1]
    if 'chat' in wanted:
        for cand in _candidates(catalog, 'chat', ctx_plan):
            for ctx in ladder:
                if _fits([cand] + companions, ctx, ctx_plan):
                    chat, context = cand, ctx
                    break
            if chat:
                break
        if chat is None:
            return None, None

    picks = {'chat': chat, 'embedding': embedding}
    for purpose in ('fast', 'reasoning', 'code'):
        if purpose not in wanted:
            continue
        candidates = _candidates(catalog, purpose, ctx_plan)
        if purpose == 'fast' and chat:
            # A "fast" model slower than the chat model is pointless; and since Open WebUI calls
            # the fast (task) model after every chat answer, prefer one that stays loaded next to
            # chat + embedding, so the two do not evict each other on every message.
            candidates = [c for c in candidates if c['parameters_b'] <= chat['parameters_b']]
            resident = [c for c in candidates
                        if c['tag'] != chat['tag'] and _fits([chat, c] + companions, context, ctx_plan)]
            candidates = resident[:1] + candidates
        for cand in candidates:
            if _fits([cand] + companions, context, ctx_plan):
                picks[purpose] = cand
                break
        if picks.get(purpose) is None:
            if purpose == 'fast' and chat:
                picks[purpose] = chat  # the chat model doubles as the fast one
            else:
                warnings.append('no %s model fits this host; none is planned' % purpose)

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
    """Validate an explicit list; the context is the largest tier value at which all fit alone."""
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
    if selection and all(set(e['purposes']) <= {'embedding'} for e in entries):
        errors.append('%s lists only embedding models (%s): Open WebUI needs a model to chat with; add one '
                      '(e.g. llama3.1:8b) or use auto' % (VAR_MODELS, ', '.join(s['tag'] for s in selection)))
    embeddings = [e for e in entries if 'embedding' in e['purposes']][:1]
    ladder = _context_ladder(context_length, ctx_plan)
    context = ladder[-1]
    for ctx in ladder:
        if all(_fits([e] + [x for x in embeddings if x is not e], ctx, ctx_plan) for e in entries):
            context = ctx
            break
    return selection, context


def _model_row(item, entry, context, ctx_plan, found, allow_cpu_offload, explicit, errors, warnings):
    by_k = _estimator(entry, context, ctx_plan)
    capacities = _capacities(ctx_plan)
    placement_gpus = _place([by_k], capacities)
    row = {
        'tag': item['tag'],
        'catalog_tag': entry['tag'],
        'purpose': item['purposes'][0],
        'purposes': list(item['purposes']),
        'parameters_b': entry['parameters_b'],
        'quantization': entry['quantization'],
        'context_length': by_k(1)['context_length'],
    }
    if placement_gpus is not None:
        k = len(placement_gpus[0])
        est = by_k(k)
        row.update({'fits': True, 'placement': 'gpu' if ctx_plan['mode'] == 'gpu' else 'cpu',
                    'gpu_indices': [found[i]['index'] for i in placement_gpus[0]] if ctx_plan['mode'] == 'gpu' else [],
                    'gpu_layers': entry['layers'] if ctx_plan['mode'] == 'gpu' else 0})
    else:
        k = len(capacities) if ctx_plan['mode'] == 'gpu' else 1
        est = by_k(k)
        row['fits'] = False
        if ctx_plan['mode'] == 'gpu':
            layers = _offload_layers(by_k(1), entry, capacities)
            row.update({'placement': 'split' if layers > 0 else 'cpu', 'gpu_indices': [f['index'] for f in found]
                        if layers > 0 else [], 'gpu_layers': layers})
            message = '%s needs %.1f GiB at context %d, host has %.1f GiB (%s)' % (
                item['tag'], _ceil1(est['total_bytes'] / GIB), context, _floor1(sum(capacities) / GIB),
                _describe_gpus(found))
            if allow_cpu_offload:
                warnings.append(message + '; %s is true, so %d of %d layers run on the GPU and the rest on the '
                                'CPU (slow)' % (VAR_OFFLOAD, layers, entry['layers']))
            elif explicit:
                errors.append(message + '; choose a smaller model or set %s: true' % VAR_OFFLOAD)
        else:
            row.update({'placement': 'cpu', 'gpu_indices': [], 'gpu_layers': 0})
            if ctx_plan['memory_budget'] is not None:
                message = '%s needs %.1f GiB at context %d, host has %.1f GiB for models (no GPU; %d%% of RAM)' % (
                    item['tag'], _ceil1(est['total_bytes'] / GIB), context, _floor1(capacities[0] / GIB),
                    int(CPU_MEMORY_SHARE * 100))
                if explicit and not allow_cpu_offload:
                    errors.append(message + '; choose a smaller model')
                else:
                    warnings.append(message)
    if ctx_plan['mode'] == 'cpu' and entry['parameters_b'] > CPU_MAX_PARAMETERS_B:
        warnings.append('%s (%.1fB parameters) runs on the CPU only and will be slow' % (item['tag'], entry['parameters_b']))
    row.update({
        'estimate_gib': round(est['total_bytes'] / GIB, 2),
        'estimate_bytes': est['total_bytes'],
        'weights_gib': est['weights_gib'],
        'kv_gib': est['kv_gib'],
        'graph_gib': round(est['graph_bytes'] * max(1, est['gpus']) / GIB, 3),
        'overhead_gib': round(est['overhead_bytes'] * max(1, est['gpus']) / GIB, 3),
    })
    return row


def _max_loaded(rows, catalog, context, ctx_plan):
    """How many planned models fit at once, filled in RESIDENT_ORDER (at least 1)."""
    if not rows:
        return 1
    ordered = sorted(rows, key=lambda r: min(RESIDENT_ORDER.index(p) for p in r['purposes']))
    entries = [find_entry(catalog, r['catalog_tag']) for r in ordered]
    count = 0
    for n in range(1, len(entries) + 1):
        if _fits(entries[:n], context, ctx_plan):
            count = n
        else:
            break
    return max(1, count)


def _resident_gib(rows):
    chat = next((r for r in rows if 'chat' in r['purposes']), None)
    emb = next((r for r in rows if 'embedding' in r['purposes']), None)
    total = sum(r['estimate_gib'] for r in {id(x): x for x in (chat, emb) if x}.values())
    return round(total, 2)


# ---------------------------------------------------------------------------------------------
# Table


def render_table(plan):
    """A fixed-width text table of the plan (header line, one row per model, footer)."""
    if plan['mode'] == 'gpu':
        host = '%s; %.2f GiB VRAM, %.2f GiB usable' % (plan['gpu_description'], plan['vram_gib'], plan['usable_gib'])
    else:
        host = 'no GPU: CPU plan, %.1f GiB of RAM budgeted for models' % (plan.get('memory_budget_gib') or 0)
    lines = [
        'Ollama plan (%s mode) - %s' % (plan['mode'], host),
        'context %d, parallel %d, KV cache %s, flash attention %s, max loaded models %d' % (
            plan['context_length'], plan['num_parallel'], plan['kv_cache_type'],
            'on' if plan['flash_attention'] else 'off', plan['max_loaded_models']),
    ]
    rows = [('purpose', 'model', 'params', 'quant', 'ctx', 'est. GiB', 'placement')]
    for row in plan['models']:
        placement = row['placement']
        if placement == 'gpu' and len(row.get('gpu_indices') or []) > 1:
            placement = 'gpu x%d' % len(row['gpu_indices'])
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
