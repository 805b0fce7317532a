#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deploy_history
short_description: Record and read the deployment history of a host
version_added: 0.2.0
author:
  - numberone.owu contributors (@numberone)
description:
  - The deployment history is a JSON Lines file on the managed host (O(path)), one object per
    deployment, upgrade, rollback or restore, with a sequential C(id) (V("1"), V("2"), ...).
  - V(state=present) without O(id) adds O(entry) as a new entry with the next id and the current
    UTC time (C(when)); with O(id) it updates that entry (the keys of O(entry) replace
    the old ones), for example to set its C(result) once the run ended.
  - With O(unless_last_matches), a new entry is only added when the last entry whose C(result) is
    V(ok) differs in one of those keys (a deploy that changed no version records nothing).
  - V(state=query) only reads. Both return the whole history (RV(entries)), oldest first.
  - The file is rewritten atomically (a temporary file renamed over it), so a killed run never
    leaves half a history.
options:
  path:
    description: The history file. Its directory is created (0755) when missing.
    type: path
    default: /var/lib/numberone-owu/deployments.jsonl
  state:
    description: V(present) adds or updates an entry, V(query) reads.
    type: str
    choices: [present, query]
    default: present
  id:
    description: Id of the entry to update. Empty adds a new entry.
    type: str
    default: ""
  entry:
    description:
      - The fields of the entry, for example C(action), C(who), C(playbook), C(versions),
        C(backup), C(result). C(id) and C(when) are set by the module.
    type: dict
    default: {}
  unless_last_matches:
    description: Keys of O(entry) compared with the last entry whose C(result) is V(ok).
    type: list
    elements: str
    default: []
  images_label:
    description:
      - Fill the entry's C(images) in the same round trip from the host's Docker Engine - container
        name -> the image reference it was created from (C(Config.Image)) of every container that
        has this label (the collection's C(com.numberone.owu.role)).
      - Also fills the entry's C(pins), unless O(entry) has them, from the same containers'
        C(com.numberone.owu.pins) labels - the role variables that made their images (e.g.
        C(openwebui_version)), merged.
      - When no engine answers (no socket - a run whose tags left the docker role out started no
        container), nothing is added or updated and RV(engine_answered) is V(false).
      - Needs the Docker SDK for Python on the host.
    type: str
  docker_host:
    description: The engine's address, for O(images_label).
    type: str
    default: unix:///var/run/docker.sock
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - numberone.owu._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports the entry it would write (id V(check-mode) for a new one) without writing.
  diff_mode:
    support: none
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: partial
    details:
      - Adding an entry is a change each time, unless O(unless_last_matches) finds it already there;
        updating an entry with the values it has reports no change.
notes:
  - The history holds no secret (mode 0644).
seealso:
  - module: numberone.owu.deploy_lock
"""

EXAMPLES = r"""
---
- name: Record an upgrade that starts
  numberone.owu.deploy_history:
    entry:
      action: upgrade
      who: alice@laptop
      versions: {openwebui: "ghcr.io/open-webui/open-webui:v0.12.5"}
      backup: 20260101T120000Z-pre-upgrade
      result: started
  register: __history

- name: Mark it done
  numberone.owu.deploy_history:
    id: "{{ __history.entry.id }}"
    entry:
      result: ok

- name: Read the history
  numberone.owu.deploy_history:
    state: query
  register: __history
"""

RETURN = r"""
entry:
  description: The entry added or updated (V({}) for V(state=query) or when nothing was added).
  returned: always
  type: dict
  sample:
    id: "3"
    when: "2026-01-01T12:00:00Z"
    action: upgrade
    who: alice@laptop
    result: ok
engine_answered:
  description: With O(images_label), whether the Docker Engine answered (else nothing was added); V(true) without it.
  returned: always
  type: bool
entries:
  description: The whole history after the module ran, oldest first.
  returned: always
  type: list
  elements: dict
  sample: []
"""

import errno
import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.module_utils._engine import merged_pins, socket_exists

try:
    import docker
    from docker.errors import DockerException, NotFound
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = exc


def parse(text):
    """Entries of a JSON Lines text; lines that are not JSON objects are skipped."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries


def render(entries):
    """The JSON Lines text of the entries."""
    return ''.join(json.dumps(entry, sort_keys=True) + '\n' for entry in entries)


def next_id(entries):
    """The next sequential id (as a string)."""
    numbers = [int(entry['id']) for entry in entries if str(entry.get('id', '')).isdigit()]
    return str(max(numbers) + 1 if numbers else 1)


def last_ok(entries):
    """The last entry whose result is ok, or None."""
    for entry in reversed(entries):
        if entry.get('result') == 'ok':
            return entry
    return None


def apply(entries, entry_id, fields, unless_last_matches, now):
    """(new entries, the entry written or {}); pure."""
    entries = [dict(item) for item in entries]
    fields = dict((key, value) for key, value in fields.items() if key not in ('id', 'when'))
    if entry_id:
        for item in entries:
            if str(item.get('id')) == entry_id:
                item.update(fields)
                return entries, item
        raise KeyError(entry_id)
    if unless_last_matches:
        last = last_ok(entries)
        if last is not None and all(last.get(key) == fields.get(key) for key in unless_last_matches):
            return entries, {}
    item = dict(fields)
    item['id'] = next_id(entries)
    item['when'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))
    entries.append(item)
    return entries, item


def read(path):
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return ''
        raise


def write_atomic(path, text):
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.deployments-')
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def engine_images(module, label, docker_host):
    """(container name -> Config.Image, merged pins labels) of the containers with ``label``;
    None when no engine answers."""
    if not socket_exists(docker_host):
        return None
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib('docker (the Docker SDK for Python)'), exception=DOCKER_IMPORT_ERROR)
    try:
        api = docker.APIClient(base_url=docker_host, version='auto', timeout=60)
        listed = api.containers(all=True, filters={'label': label})
    except DockerException:
        return None
    images = {}
    pins = merged_pins(item.get('Labels') for item in listed)
    for item in listed:
        name = (item.get('Names') or ['/'])[0].lstrip('/')
        try:
            info = api.inspect_container(item['Id'])
        except NotFound:  # removed since it was listed
            continue
        except DockerException as exc:
            module.fail_json(msg='reading container %s from %s failed: %s' % (name, docker_host, to_native(exc)))
        images[name] = (info.get('Config') or {}).get('Image') or item.get('Image') or ''
    return dict(sorted(images.items())), pins


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/var/lib/numberone-owu/deployments.jsonl'),
            state=dict(type='str', choices=['present', 'query'], default='present'),
            id=dict(type='str', default=''),
            entry=dict(type='dict', default={}),
            unless_last_matches=dict(type='list', elements='str', default=[]),
            images_label=dict(type='str'),
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    text = read(params['path'])
    entries = parse(text)
    if params['state'] == 'query':
        module.exit_json(changed=False, entry={}, entries=entries, engine_answered=True)
    entry_in = dict(params['entry'])
    if params['images_label']:
        read_back = engine_images(module, params['images_label'], params['docker_host'])
        if read_back is None:
            module.exit_json(changed=False, entry={}, entries=entries, engine_answered=False)
        entry_in['images'] = read_back[0]
        entry_in.setdefault('pins', read_back[1])
    try:
        new_entries, entry = apply(entries, params['id'], entry_in, params['unless_last_matches'], time.time())
    except KeyError:
        module.fail_json(msg='No entry with id %s in %s (ids: %s)' % (
            params['id'], params['path'], ', '.join(str(item.get('id')) for item in entries) or 'none'))
    new_text = render(new_entries)
    changed = new_text != render(entries)
    if changed and not module.check_mode:
        write_atomic(params['path'], new_text)
    if changed and module.check_mode and not params['id']:
        entry = dict(entry, id='check-mode')
    module.exit_json(changed=changed, entry=entry, entries=new_entries, engine_answered=True)


if __name__ == '__main__':
    main()
