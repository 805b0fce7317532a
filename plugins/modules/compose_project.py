#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: compose_project
short_description: Internal - run a role's services as one Compose project, in one task
version_added: 0.1.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Internal to the collection, the action behind the C(numberone.owu.compose) role, the one
    service path every service role runs its containers through. It refuses to run unless a role
    includes it.
  - Renders O(services) (described as data, fields in C(plugins/plugin_utils/_compose.py)) on the
    controller as C(compose.yaml) (the C(ansible_managed) header, mode 0644) and, for secret
    environment variables and commands only, C(compose.override.yaml) (mode 0600).
  - On the host, M(numberone.owu.compose_host) writes the files and the services' own C(files)
    (configuration files, certificates, Pipelines' filters; a C(secret) one never in an output or
    a diff; their contents hashed into the C(com.numberone.owu.config-hash) label), creates the site network and the
    named volumes (declared C(external), so C(docker compose down -v) never deletes data) and
    removes containers of the services' names that the project does not own, in one round trip.
    In the same round trip it asks Compose whether C(up) would change anything (Compose's own
    configuration hash of each service against the C(com.docker.compose.config-hash) label of its
    container, the image, one running and healthy container per service, no orphan). When it
    would not, that round trip also reads the containers and waits for the HTTP health checks, and
    the task is done. Otherwise M(community.docker.docker_compose_v2) applies the project
    (C(up --wait), orphans removed, images pulled only when missing); then, in one more round
    trip, the project's containers are read and each service with an C(http_health) is asked
    until it answers (the checks of M(numberone.owu.service_health)); then each of the services'
    C(http_checks) is asked once, in the same round trip, its outcome handed back by name in
    C(checks) for the role to judge.
  - In check mode a project whose files stay the same but whose containers Compose would
    create, re-create or start (a stopped container, a changed image) reports changed, with the
    reason in RV(up_reason).
  - Returns RV(compose_out) (project, dir, docker_ready, changed, pending, services with their
    container, ip and url, answers, checks) and RV(volumes) (volume -> its directory on the host).
  - No secret reaches the result; the secret file's text travels as a C(no_log) option.
options:
  step:
    description:
      - V(apply) renders, writes and applies the project, then reads it (V(status)).
      - V(status) reads where the services answer and waits for their HTTP health, changing nothing.
      - V(absent) takes the project down (C(docker compose down), orphans too), removes
        containers of the services' names and the project's directory; the volumes stay.
    type: str
    choices: [apply, status, absent]
    default: apply
  project:
    description: Compose project name (lower-case letters, digits, C(-), C(_)).
    type: str
    required: true
  role:
    description: Value of the C(com.numberone.owu.role) label of every container and volume.
    type: str
    required: true
  services:
    description: The service descriptions.
    type: list
    elements: dict
    required: true
  network:
    description: The site's Docker network; every service joins it.
    type: str
    required: true
  project_dir:
    description: The project's directory on the host.
    type: path
    required: true
  wait_timeout:
    description: Seconds C(docker compose up --wait) waits for running and healthy services.
    type: int
    default: 600
  health_retries:
    description: Tries of each service's C(http_health).
    type: int
    default: 60
  health_delay:
    description: Seconds between those tries.
    type: int
    default: 2
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - Shows the compose file diff and applies nothing. On a fresh host (no engine) only the files
        are compared.
  diff_mode:
    support: partial
    details:
      - The diff of C(compose.yaml); never the secret file.
  platform:
    support: full
    platforms: posix
notes:
  - This file documents the action plugin C(plugins/action/compose_project.py); the module itself
    only refuses to run without it.
"""

EXAMPLES = r"""
- name: Run Qdrant through the service runtime (what roles/compose does)
  numberone.owu.compose_project:
    project: owu-qdrant
    role: qdrant
    services: "{{ _qdrant_services }}"
    network: owu
    project_dir: /opt/numberone-owu/compose/owu-qdrant
"""

RETURN = r"""
compose_out:
  description:
    - The project's state - project, dir, docker_ready, changed (files or containers), pending
      (check mode with files that would change), services (service -> container, running, ip,
      url), answers (service -> whether its http_health answered) and checks (check name -> the
      outcome of that C(http_checks) item - is_available, status, reason, location - for the
      services that run).
  returned: step=apply, step=status or step=absent
  type: dict
volumes:
  description:
    - Each named volume's directory on the host; a volume check mode would create has none.
  returned: step=apply
  type: dict
up_reason:
  description:
    - Why the project was applied (or would be, in check mode) - Compose's configuration hash, the
      image or a container's state differed, or the files changed.
  returned: step=apply, when the project was applied
  type: str
removed:
  description: Containers of the services' names removed because the project did not own them.
  returned: step=apply or step=absent
  type: list
  elements: str
msg:
  description: What the runtime did.
  returned: step=apply or step=absent
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

# The action plugin validates its arguments with this spec too.
ARGUMENT_SPEC = dict(
    step=dict(type='str', default='apply', choices=['apply', 'status', 'absent']),
    project=dict(type='str', required=True),
    role=dict(type='str', required=True),
    services=dict(type='list', elements='dict', required=True),
    network=dict(type='str', required=True),
    project_dir=dict(type='path', required=True),
    wait_timeout=dict(type='int', default=600),
    health_retries=dict(type='int', default=60),
    health_delay=dict(type='int', default=2),
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    module.fail_json(msg='numberone.owu.compose_project runs as an action plugin on the controller; '
                         'this module file only documents it.')


if __name__ == '__main__':
    main()
