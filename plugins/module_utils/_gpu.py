# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils is internal to the numberone.owu collection. It is shared by the
# gpu_facts module (on the managed host, Python 3.8+) and by controller-side plugins that plan
# VRAM from the facts gpu_facts sets; it is not a public API of the collection.

"""Pure helpers that turn ``nvidia-smi`` answers into the ``owu_gpu*`` facts.

Nothing here runs a command or touches the file system: every function takes text or data
and returns data, so unit tests can feed recorded ``nvidia-smi`` outputs to them, and
controller plugins can import :func:`summarize` to rebuild the same facts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# The nvidia-smi fields gpu_facts asks for, in this order (the order of the CSV columns).
QUERY_FIELDS = (
    'index',
    'uuid',
    'name',
    'memory.total',
    'memory.used',
    'memory.free',
    'driver_version',
    'compute_cap',
    'mig.mode.current',
)

# Fields an older driver may not know. When nvidia-smi rejects one of them
# ('Field "compute_cap" is not a valid field to query.', drivers before about 510), the query is
# retried without it and the matching key is null.
OPTIONAL_FIELDS = ('compute_cap', 'mig.mode.current')

# The CSV format flags. "nounits" drops " MiB" from memory values.
QUERY_FORMAT = 'csv,noheader,nounits'

# The per-process query gpu_facts makes to tell Ollama's own memory from other processes'.
COMPUTE_APPS_FIELDS = ('gpu_uuid', 'pid', 'process_name', 'used_memory')
# Executable names (basenames) of Ollama's processes: the server and its runners (llama-server
# since v0.30, ``ollama runner`` before). Their memory is Ollama's own: a plan made while models
# are loaded must equal the plan made on an idle GPU.
OLLAMA_PROCESS_NAMES = ('ollama', 'llama-server')

# Where nvidia-smi lives when it is not on PATH: distribution packages (/usr/bin), the NVIDIA
# container runtimes and GKE (/usr/local/nvidia/bin), the .run installer (/usr/local/bin),
# Container-Optimized OS (/home/kubernetes/bin/nvidia/bin, /opt/nvidia/bin) and WSL2
# (/usr/lib/wsl/lib).
NVIDIA_SMI_DIRS = (
    '/usr/bin',
    '/usr/local/nvidia/bin',
    '/usr/local/bin',
    '/opt/nvidia/bin',
    '/home/kubernetes/bin/nvidia/bin',
    '/usr/lib/wsl/lib',
)

# nvidia-smi field name -> key in each GPU dict, and how the value is converted.
_FIELD_KEYS = {
    'index': 'index',
    'uuid': 'uuid',
    'name': 'name',
    'memory.total': 'memory_total_mib',
    'memory.used': 'memory_used_mib',
    'memory.free': 'memory_free_mib',
    'driver_version': 'driver_version',
    'compute_cap': 'compute_capability',
    'mig.mode.current': 'mig_mode',
}
_INT_FIELDS = ('index', 'memory.total', 'memory.used', 'memory.free')
_REQUIRED_FIELDS = ('index', 'uuid', 'name')

# The keys of every GPU dict, in the documented order.
GPU_KEYS = (
    'index',
    'uuid',
    'name',
    'memory_total_mib',
    'memory_used_mib',
    'memory_free_mib',
    'memory_ollama_mib',
    'driver_version',
    'compute_capability',
    'mig_mode',
    'mig_devices',
)

# Reason used when nvidia-smi answered successfully but listed no GPU.
NO_GPU_LISTED = 'nvidia-smi ran but listed no GPU'

_INVALID_FIELD_RE = re.compile(r'Field "([^"]+)" is not a valid field to query', re.IGNORECASE)
_MIG_GPU_RE = re.compile(r'^GPU\s+(\d+):\s*(.*?)\s*\(UUID:\s*([^)\s]+)\s*\)')
_MIG_DEVICE_RE = re.compile(r'^\s*MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*([^)\s]+)\s*\)')
_NVML_VERSION_RE = re.compile(r'NVML library version:\s*(\S+)')
_INT_RE = re.compile(r'^\d+$')


class GpuQueryError(ValueError):
    """Raised when ``nvidia-smi`` output does not have the expected shape."""


def query_args(fields=QUERY_FIELDS):
    """Return the nvidia-smi arguments (without the binary) that query ``fields``."""
    return ['--query-gpu=' + ','.join(fields), '--format=' + QUERY_FORMAT]


def compute_apps_args():
    """Return the nvidia-smi arguments that list the processes using each GPU and their memory."""
    return ['--query-compute-apps=' + ','.join(COMPUTE_APPS_FIELDS), '--format=' + QUERY_FORMAT]


def parse_compute_apps(text):
    """Parse ``nvidia-smi --query-compute-apps=gpu_uuid,pid,process_name,used_memory`` output into
    ``[{gpu_uuid, pid, process_name, used_memory_mib}]``; memory nvidia-smi cannot read (MIG mode
    prints ``[N/A]``) is None. ``No running processes found`` and empty output give ``[]``.

    :raises GpuQueryError: when a line does not have four values or a number is not a number.
    """
    apps = []
    for line in (text or '').splitlines():
        if not line.strip() or _is_warning(line) or line.strip().lower().startswith('no running'):
            continue
        cells = line.split(',')
        if len(cells) < 4:
            raise GpuQueryError('expected 4 comma-separated values, got %d in line: %s' % (len(cells), line.strip()))
        # A process name may itself hold commas: the first two and the last cell are fixed.
        uuid, pid, memory = _value(cells[0]), _value(cells[1]), _value(cells[-1])
        name = ','.join(cells[2:-1]).strip()
        apps.append({
            'gpu_uuid': uuid,
            'pid': _to_int('pid', pid, line.strip()),
            'process_name': name,
            'used_memory_mib': _to_int('used_memory', memory, line.strip()),
        })
    return apps


def _process_basename(name):
    return (name or '').replace('\\', '/').rstrip('/').rsplit('/', 1)[-1].split(' ', 1)[0]


def attach_ollama_memory(gpus, apps, names=OLLAMA_PROCESS_NAMES):
    """Return copies of ``gpus`` whose ``memory_ollama_mib`` is the memory the processes named in
    ``names`` (basenames of the executables) hold on that GPU: 0 when none runs, None when one
    runs but nvidia-smi could not read its memory."""
    wanted = set(names or ())
    result = []
    for gpu in gpus:
        gpu = dict(gpu)
        total = 0
        for app in apps:
            if app['gpu_uuid'] != gpu.get('uuid') or _process_basename(app['process_name']) not in wanted:
                continue
            if app['used_memory_mib'] is None:
                total = None
                break
            total += app['used_memory_mib']
        gpu['memory_ollama_mib'] = total
        result.append(gpu)
    return result


def invalid_field(text):
    """Return the field nvidia-smi rejected as 'not a valid field to query', else None."""
    match = _INVALID_FIELD_RE.search(text or '')
    return match.group(1) if match else None


def _is_warning(line):
    return line.lstrip().upper().startswith('WARNING')


def output_warnings(text):
    """Return the ``WARNING...`` lines nvidia-smi mixes into its output (for module.warn)."""
    return [line.strip() for line in (text or '').splitlines() if _is_warning(line)]


def _first_line(text):
    for line in (text or '').splitlines():
        if line.strip():
            return line.strip()
    return ''


def _value(raw):
    """Strip a CSV cell; ``[N/A]``, ``[Not Supported]``, ``[Insufficient Permissions]`` -> None."""
    value = raw.strip()
    if not value or value in ('N/A', 'Not Supported') or (value.startswith('[') and value.endswith(']')):
        return None
    return value


def _to_int(field, value, line):
    if value is None:
        return None
    if value.endswith(' MiB'):
        value = value[:-4].strip()
    if not _INT_RE.match(value):
        raise GpuQueryError('field %s is not a number (%r) in line: %s' % (field, value, line))
    return int(value)


def parse_query_output(text, fields=QUERY_FIELDS):
    """Parse ``nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits`` output.

    :arg text: the command's stdout.
    :arg fields: the fields that were queried, in order (the CSV columns).
    :returns: a list of GPU dicts with the keys in :data:`GPU_KEYS`; keys whose field was not
        queried, or whose value nvidia-smi could not read (``[N/A]``, ``[Not Supported]``...),
        are None; ``mig_devices`` is an empty list (see :func:`attach_mig_devices`) and
        ``memory_ollama_mib`` None (see :func:`attach_ollama_memory`).
        Empty output gives an empty list. Lines starting with ``WARNING`` are skipped.
    :raises GpuQueryError: when a line does not have one value per field, or a required value
        (index, uuid, name) is missing, or a number is not a number.
    """
    fields = tuple(fields)
    gpus = []
    for line in (text or '').splitlines():
        if not line.strip() or _is_warning(line):
            continue
        cells = line.split(',')
        if len(cells) != len(fields):
            raise GpuQueryError('expected %d comma-separated values, got %d in line: %s'
                                % (len(fields), len(cells), line.strip()))
        gpu = dict((key, None) for key in GPU_KEYS)
        gpu['mig_devices'] = []
        for field, cell in zip(fields, cells):
            value = _value(cell)
            if field in _REQUIRED_FIELDS and value is None:
                raise GpuQueryError('field %s is empty in line: %s' % (field, line.strip()))
            if field in _INT_FIELDS:
                value = _to_int(field, value, line.strip())
            key = _FIELD_KEYS.get(field)
            if key is not None:
                gpu[key] = value
        gpus.append(gpu)
    return gpus


def parse_mig_listing(text):
    """Parse ``nvidia-smi -L`` into ``{gpu_uuid: [{index, profile, uuid}, ...]}``.

    GPU lines look like ``GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-...)``; the MIG devices of that
    GPU follow, indented, as ``MIG 3g.40gb     Device  0: (UUID: MIG-...)`` (drivers before 470
    print ``MIG-GPU-<uuid>/<gi>/<ci>`` as the UUID). Every GPU line gets an entry, possibly empty.
    """
    listing = {}
    current = None
    for line in (text or '').splitlines():
        gpu_match = _MIG_GPU_RE.match(line.strip())
        if gpu_match:
            current = gpu_match.group(3)
            listing.setdefault(current, [])
            continue
        dev_match = _MIG_DEVICE_RE.match(line)
        if dev_match and current is not None:
            listing[current].append({
                'index': int(dev_match.group(2)),
                'profile': dev_match.group(1),
                'uuid': dev_match.group(3),
            })
    return listing


def attach_mig_devices(gpus, listing):
    """Return copies of ``gpus`` whose ``mig_devices`` come from a :func:`parse_mig_listing` result."""
    result = []
    for gpu in gpus:
        gpu = dict(gpu)
        gpu['mig_devices'] = [dict(dev) for dev in listing.get(gpu.get('uuid'), [])]
        result.append(gpu)
    return result


def classify_failure(rc, stdout, stderr, timeout=None):
    """Explain in one line why an ``nvidia-smi`` run gave no GPU list.

    :arg rc: the exit status.
    :arg stdout: the standard output (nvidia-smi prints most errors there).
    :arg stderr: the standard error.
    :arg timeout: the limit in seconds when the run was wrapped in coreutils ``timeout``
        (whose exit status 124, or 137 after the follow-up SIGKILL, then means "timed out").
    :returns: the reason string for ``owu_gpu_reason``; never empty.
    """
    text = '\n'.join(part for part in (stdout, stderr) if part)
    lowered = text.lower()
    first = _first_line(text)

    if timeout is not None and rc in (124, 137):
        return 'nvidia-smi did not answer within %s seconds (timeout)' % timeout
    if "couldn't communicate with the nvidia driver" in lowered or rc == 9:
        return ('NVIDIA driver not loaded: nvidia-smi could not communicate with the NVIDIA '
                'driver (rc=%s); install the driver or load its kernel module (a reboot after a '
                'kernel or driver upgrade usually does it)' % rc)
    if 'driver/library version mismatch' in lowered or rc == 18:
        version = _NVML_VERSION_RE.search(text)
        return ('NVIDIA driver/library version mismatch (rc=%s%s): the loaded kernel module and the '
                'user-space NVML library differ; reboot or reload the nvidia kernel modules'
                % (rc, ', NVML library %s' % version.group(1) if version else ''))
    if 'no devices were found' in lowered or rc == 6:
        return 'no NVIDIA GPU found: nvidia-smi reported "No devices were found" (rc=%s)' % rc
    field = invalid_field(text)
    if field:
        return 'nvidia-smi does not know the field %s (rc=%s): %s' % (field, rc, first)
    if rc == 0:
        return 'unparseable nvidia-smi output, first line: %s' % (first or '(empty)')
    return 'nvidia-smi failed (rc=%s): %s' % (rc, first or '(no output)')


def summarize(gpus, reason=''):
    """Build the ``owu_gpu*`` facts from a GPU list.

    :arg gpus: GPU dicts as returned by :func:`parse_query_output`.
    :arg reason: why the list is empty; ignored when it is not.
    :returns: ``owu_gpus`` (the list), ``owu_gpu_count``, ``owu_gpu_vram_total_mib`` (sum of
        ``memory_total_mib``, unknown totals counted as 0), ``owu_gpu_vendor`` (``nvidia`` or
        ``none``) and ``owu_gpu_reason`` (empty string when GPUs were found).
    """
    gpus = list(gpus or [])
    if gpus:
        reason = ''
    elif not reason:
        reason = NO_GPU_LISTED
    return {
        'owu_gpus': gpus,
        'owu_gpu_count': len(gpus),
        'owu_gpu_vram_total_mib': sum(gpu.get('memory_total_mib') or 0 for gpu in gpus),
        'owu_gpu_vendor': 'nvidia' if gpus else 'none',
        'owu_gpu_reason': reason,
    }
