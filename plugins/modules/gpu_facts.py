#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Discover NVIDIA GPUs through nvidia-smi and set VRAM facts
version_added: 0.1.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Runs C(nvidia-smi --query-gpu=... --format=csv,noheader,nounits) on the managed host and sets
    the C(owu_gpu*) facts that the roles of this collection use to decide whether to install the
    NVIDIA Container Toolkit and how much VRAM models may use.
  - A host without a GPU, without the NVIDIA driver or without C(nvidia-smi) is a normal answer,
    not an error. The module then returns an empty GPU list and says why in RV(reason) and
    RV(ansible_facts.owu_gpu_reason). The module fails only on invalid options.
  - The module only reads. It never reports a change.
  - If the driver is too old to know the C(compute_cap) or C(mig.mode.current) query fields, the
    query is retried without them and the matching keys are V(null).
  - GPUs in MIG mode get their MIG devices listed from C(nvidia-smi -L).
  - The memory Ollama's own processes hold on each GPU (C(nvidia-smi --query-compute-apps)) is
    reported apart, so that the VRAM planner counts only other processes' memory as taken and
    plans the same whether or not models are loaded.
options:
  nvidia_smi_path:
    description:
      - Full path of the C(nvidia-smi) binary.
      - When not set, C(nvidia-smi) is searched on E(PATH) and then in C(/usr/bin),
        C(/usr/local/nvidia/bin), C(/usr/local/bin), C(/opt/nvidia/bin),
        C(/home/kubernetes/bin/nvidia/bin) and C(/usr/lib/wsl/lib).
      - A path that does not exist or is not executable is reported in RV(reason) like a missing
        binary, so one value can be set for a whole group that mixes GPU and CPU-only hosts.
    type: path
  ollama_process_names:
    description:
      - Executable names (without their directory) of Ollama's processes, whose GPU memory is
        reported in C(memory_ollama_mib) instead of counting as taken by other processes.
      - The default names Ollama's server and its runners (C(llama-server) since Ollama 0.30).
    type: list
    elements: str
    default: [ollama, llama-server]
  timeout:
    description:
      - Seconds each C(nvidia-smi) run may take before it is stopped. A hung driver makes
        C(nvidia-smi) block; a run that is stopped gives an empty list and a RV(reason).
      - Enforced with coreutils C(timeout) when it is installed (it is on Debian and Ubuntu);
        without it, runs are not limited.
      - Must be at least V(1).
    type: int
    default: 30
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - numberone.owu._attributes
  - numberone.owu._attributes.read_only
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it runs and returns the same facts in check mode.
  diff_mode:
    support: none
  facts:
    support: full
requirements:
  - The NVIDIA driver and its C(nvidia-smi) on the managed host for GPUs to be found. Without them
    the module still succeeds, with an empty list.
notes:
  - NVIDIA GPUs only. RV(ansible_facts.owu_gpu_vendor) is V(none) when no NVIDIA GPU is usable,
    even if a GPU of another vendor is present.
  - For a GPU in MIG mode the memory values are the whole GPU's, and
    RV(ansible_facts.owu_gpu_vram_total_mib) counts the whole GPU. Its MIG devices (profile and
    UUID, from C(nvidia-smi -L)) are in the C(mig_devices) key; the memory of each is the one in
    its profile name (for example C(3g.40gb)).
  - Inside a container that sees only a MIG device, C(nvidia-smi) may not read the GPU's memory
    (C([Insufficient Permissions])); such values are V(null) and count as 0 in the sum.
  - Free and used memory are a snapshot taken when the module ran.
seealso:
  - name: nvidia-smi documentation
    description: The NVIDIA System Management Interface and its C(--query-gpu) fields.
    link: https://docs.nvidia.com/deploy/nvidia-smi/index.html
"""

EXAMPLES = r"""
- name: Discover GPUs
  numberone.owu.gpu_facts:

- name: Show what was found
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.owu_gpu_count }} GPU(s), {{ ansible_facts.owu_gpu_vram_total_mib }} MiB VRAM
      {{ ansible_facts.owu_gpu_reason }}

- name: Discover GPUs with a driver from the .run installer and a short timeout
  numberone.owu.gpu_facts:
    nvidia_smi_path: /usr/local/bin/nvidia-smi
    timeout: 10
  register: gpu_result

- name: Require a GPU on the inference hosts
  ansible.builtin.assert:
    that:
      - ansible_facts.owu_gpu_vendor == 'nvidia'
    fail_msg: "No usable NVIDIA GPU: {{ ansible_facts.owu_gpu_reason }}"
  when: inventory_hostname in groups['gpu']
"""

RETURN = r"""
gpus:
  description: The GPUs found, same as RV(ansible_facts.owu_gpus).
  returned: always
  type: list
  elements: dict
  sample:
    - index: 0
      uuid: GPU-3b1f5c0e-7d2a-4e6b-9c51-8a0f2d4e6b13
      name: NVIDIA GeForce RTX 3070
      memory_total_mib: 8192
      memory_used_mib: 412
      memory_free_mib: 7574
      memory_ollama_mib: 0
      driver_version: "550.120"
      compute_capability: "8.6"
      mig_mode: null
      mig_devices: []
reason:
  description:
    - Why no GPU was found, same as RV(ansible_facts.owu_gpu_reason).
    - Empty string when GPUs were found.
  returned: always
  type: str
  sample: "no NVIDIA GPU found: nvidia-smi reported \"No devices were found\" (rc=6)"
nvidia_smi_path:
  description: The C(nvidia-smi) that was run, V(null) when none was found.
  returned: always
  type: str
  sample: /usr/bin/nvidia-smi
driver_version:
  description: The NVIDIA driver version reported for the GPUs, V(null) when no GPU was found.
  returned: always
  type: str
  sample: "550.120"
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    owu_gpus:
      description:
        - One entry per GPU, in C(nvidia-smi) index order.
        - Values C(nvidia-smi) cannot read (C([N/A]), C([Not Supported])) are V(null).
      returned: always
      type: list
      elements: dict
      contains:
        index:
          description: The C(nvidia-smi) index of the GPU.
          type: int
          sample: 0
        uuid:
          description: The GPU UUID.
          type: str
          sample: GPU-3b1f5c0e-7d2a-4e6b-9c51-8a0f2d4e6b13
        name:
          description: The product name.
          type: str
          sample: NVIDIA GeForce RTX 3070
        memory_total_mib:
          description: Total memory in MiB (the whole GPU's in MIG mode).
          type: int
          sample: 8192
        memory_used_mib:
          description: Used memory in MiB when the module ran, V(null) if unknown.
          type: int
          sample: 412
        memory_free_mib:
          description: Free memory in MiB when the module ran, V(null) if unknown.
          type: int
          sample: 7574
        memory_ollama_mib:
          description:
            - Memory the processes named in O(ollama_process_names) hold on this GPU, in MiB; V(0)
              when none runs.
            - V(null) when it could not be read (the process query failed, or a GPU in MIG mode
              does not report per-process memory).
          type: int
          sample: 0
        driver_version:
          description: The NVIDIA driver version.
          type: str
          sample: "550.120"
        compute_capability:
          description: The CUDA compute capability, V(null) on drivers too old to report it.
          type: str
          sample: "8.6"
        mig_mode:
          description: The current MIG mode, V(Enabled) or V(Disabled); V(null) on GPUs without MIG.
          type: str
          sample: Disabled
        mig_devices:
          description: The MIG devices of a GPU in MIG mode, empty otherwise.
          type: list
          elements: dict
          contains:
            index:
              description: The MIG device index on its GPU.
              type: int
              sample: 0
            profile:
              description: The MIG profile, compute slices and memory.
              type: str
              sample: 3g.40gb
            uuid:
              description: The MIG device UUID, usable in E(CUDA_VISIBLE_DEVICES).
              type: str
              sample: MIG-8f3c2a1e-5b7d-5e9f-a1c3-2d4e6f8a0b1c
    owu_gpu_count:
      description: Number of GPUs found.
      returned: always
      type: int
      sample: 2
    owu_gpu_vram_total_mib:
      description: Sum of RV(ansible_facts.owu_gpus[].memory_total_mib) in MiB, V(0) without GPU.
      returned: always
      type: int
      sample: 49128
    owu_gpu_vendor:
      description: V(nvidia) when at least one NVIDIA GPU was found, else V(none).
      returned: always
      type: str
      sample: nvidia
    owu_gpu_reason:
      description: Why no GPU was found; empty string when GPUs were found.
      returned: always
      type: str
      sample: ""
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.numberone.owu.plugins.module_utils._gpu import (
    GpuQueryError,
    NVIDIA_SMI_DIRS,
    OPTIONAL_FIELDS,
    QUERY_FIELDS,
    OLLAMA_PROCESS_NAMES,
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

# Seconds between the SIGTERM sent by coreutils timeout and its SIGKILL.
KILL_AFTER = 5


def find_nvidia_smi(module):
    """Return (path, reason): the nvidia-smi to run, or None and why none was found."""
    path = module.params['nvidia_smi_path']
    if path:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path, ''
        return None, 'nvidia_smi_path %s is not an executable file: no NVIDIA driver here?' % path
    found = module.get_bin_path('nvidia-smi', opt_dirs=list(NVIDIA_SMI_DIRS))
    if found:
        return found, ''
    return None, ('nvidia-smi not found on PATH or in %s: the NVIDIA driver is not installed'
                  % ', '.join(NVIDIA_SMI_DIRS))


class NvidiaSmi(object):
    """Runs nvidia-smi through module.run_command, bounded by coreutils timeout when present."""

    def __init__(self, module, path, timeout, ollama_names=OLLAMA_PROCESS_NAMES):
        self.module = module
        self.path = path
        self.timeout = timeout
        self.ollama_names = ollama_names
        self.timeout_bin = module.get_bin_path('timeout')

    def run(self, args):
        """Return (rc, stdout, stderr) of ``nvidia-smi <args>``."""
        cmd = [self.path] + list(args)
        if self.timeout_bin:
            cmd = [self.timeout_bin, '-k', str(KILL_AFTER), str(self.timeout)] + cmd
        try:
            return self.module.run_command(cmd, environ_update={'LC_ALL': 'C', 'LANG': 'C'},
                                           handle_exceptions=False)
        except (OSError, IOError) as exc:
            return 127, '', 'could not run %s: %s' % (self.path, exc)

    def failure(self, rc, stdout, stderr):
        return classify_failure(rc, stdout, stderr, timeout=self.timeout if self.timeout_bin else None)

    def discover(self):
        """Return (gpus, reason, warnings)."""
        fields = list(QUERY_FIELDS)
        while True:
            rc, out, err = self.run(query_args(fields))
            if rc == 0:
                try:
                    gpus = parse_query_output(out, fields)
                except GpuQueryError:
                    return [], self.failure(rc, out, err), []
                warnings = output_warnings(out)
                break
            rejected = invalid_field('%s\n%s' % (out, err))
            if rejected in OPTIONAL_FIELDS and rejected in fields:
                fields.remove(rejected)
                continue
            return [], self.failure(rc, out, err), []

        if any(gpu['mig_mode'] == 'Enabled' for gpu in gpus):
            rc, out, err = self.run(['-L'])
            if rc == 0:
                gpus = attach_mig_devices(gpus, parse_mig_listing(out))
            else:
                warnings.append('MIG devices not listed, nvidia-smi -L: %s' % self.failure(rc, out, err))
        if gpus:
            rc, out, err = self.run(compute_apps_args())
            apps = None
            if rc == 0:
                try:
                    apps = parse_compute_apps(out)
                except GpuQueryError as exc:
                    warnings.append('GPU processes not read: %s' % exc)
            else:
                warnings.append('GPU processes not read, nvidia-smi --query-compute-apps: %s'
                                % self.failure(rc, out, err))
            if apps is not None:
                gpus = attach_ollama_memory(gpus, apps, self.ollama_names)
        return gpus, '', warnings


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nvidia_smi_path=dict(type='path'),
            ollama_process_names=dict(type='list', elements='str', default=list(OLLAMA_PROCESS_NAMES)),
            timeout=dict(type='int', default=30),
        ),
        supports_check_mode=True,
    )
    if module.params['timeout'] < 1:
        module.fail_json(msg='timeout must be at least 1 (seconds), got %s' % module.params['timeout'])

    path, reason = find_nvidia_smi(module)
    gpus = []
    if path:
        gpus, reason, warnings = NvidiaSmi(module, path, module.params['timeout'],
                                           module.params['ollama_process_names']).discover()
        for warning in warnings:
            module.warn(warning)

    facts = summarize(gpus, reason)
    driver_versions = [gpu['driver_version'] for gpu in gpus if gpu['driver_version']]
    module.exit_json(
        changed=False,
        gpus=facts['owu_gpus'],
        reason=facts['owu_gpu_reason'],
        nvidia_smi_path=path,
        driver_version=driver_versions[0] if driver_versions else None,
        ansible_facts=facts,
    )


if __name__ == '__main__':
    main()
