#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deploy_lock
short_description: Take, read or release the deploy lock of a host
version_added: 0.2.0
author:
  - numberone.owu contributors (@numberone)
description:
  - A deploy lock is one JSON file on the managed host (O(path)) that names who holds it (the
    controller user and host, the playbook, the controller process id, the run id and since when).
  - V(state=present) takes the lock atomically (the file is created with C(O_CREAT|O_EXCL), so of
    two runs that try at once exactly one wins). When the lock is already held by the same run
    (same O(holder.run_id)) it succeeds without a change (playbooks that import other playbooks
    take it more than once).
  - When another run holds it, the module fails with a message naming the holder and since when,
    unless the lock is older than O(stale_after) seconds, O(force=true), or O(take_over) names the
    id of the lock (the caller checked that its controller process is gone). The old lock is then
    moved aside atomically (of two runs breaking the same lock only one succeeds) and returned as
    RV(broken).
  - V(state=absent) removes the lock when O(holder.run_id) holds it (or with O(force=true)); a lock
    of another run is left alone and reported.
  - V(state=query) only reads the lock.
options:
  path:
    description: The lock file on the managed host. Its directory is created (0755) when missing.
    type: path
    default: /var/lib/numberone-owu/deploy.lock
  state:
    description: V(present) takes the lock, V(absent) releases it, V(query) reads it.
    type: str
    choices: [present, absent, query]
    default: present
  holder:
    description:
      - Who takes or releases the lock. O(holder.run_id) is required with V(present) and V(absent).
    type: dict
    default: {}
    suboptions:
      run_id:
        description: Unique id of the playbook run (the same for every host of one run).
        type: str
      user:
        description: User name on the controller.
        type: str
      controller:
        description: Host name of the controller.
        type: str
      pid:
        description: Process id of C(ansible-playbook) on the controller.
        type: int
      playbook:
        description: Name of the playbook that takes the lock.
        type: str
  stale_after:
    description:
      - Age in seconds after which a lock of another run counts as stale and is taken over with a
        warning. V(0) never treats a lock as stale.
    type: int
    default: 7200
  force:
    description: Take over (V(present)) or remove (V(absent)) a lock held by another run.
    type: bool
    default: false
  take_over:
    description:
      - Id (C(id) in RV(holder)) of a lock the caller knows to be dead; it is taken over when the current
        lock still has this id.
    type: str
    default: ""
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - numberone.owu._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reports whether it would take or release the lock (and fails
        when another run holds it), without writing.
  diff_mode:
    support: none
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: full
    details:
      - Taking a lock the same run already holds, or releasing a lock that is not there, reports
        no change.
notes:
  - The lock file holds no secret (mode 0644).
seealso:
  - module: numberone.owu.deploy_history
"""

EXAMPLES = r"""
---
- name: Take the deploy lock
  numberone.owu.deploy_lock:
    holder:
      run_id: "{{ _run_id }}"
      user: alice
      controller: laptop
      pid: 4242
      playbook: site.yml
    stale_after: 7200

- name: Release it at the end of the run
  numberone.owu.deploy_lock:
    state: absent
    holder:
      run_id: "{{ _run_id }}"

- name: Who holds the lock?
  numberone.owu.deploy_lock:
    state: query
  register: __lock
"""

RETURN = r"""
held:
  description: Whether a lock file exists after the module ran (the would-be state in check mode).
  returned: always
  type: bool
  sample: true
acquired:
  description: Whether this run holds the lock now (V(state=present)).
  returned: always
  type: bool
  sample: true
released:
  description: Whether the module removed the lock (V(state=absent)).
  returned: always
  type: bool
  sample: false
holder:
  description:
    - The lock as it is after the module ran (V({}) when there is none); for a lock held by another
      run, the holder that blocked this one.
  returned: always
  type: dict
  sample:
    id: 7f0c4f8d2b6a4a35a1d2f0a8f6f7d9c1
    run_id: 20260101T120000Z-4242
    user: alice
    controller: laptop
    pid: 4242
    playbook: site.yml
    since: "2026-01-01T12:00:00Z"
    since_epoch: 1767268800
    age_seconds: 12
broken:
  description: The previous lock when it was taken over (stale, forced or dead), else V({}).
  returned: always
  type: dict
  sample: {}
reason:
  description: Why the lock was taken over, or why it was not released.
  returned: always
  type: str
  sample: "stale: older than 7200 s"
"""

import errno
import json
import os
import time
import uuid

from ansible.module_utils.basic import AnsibleModule

HOLDER_KEYS = ('run_id', 'user', 'controller', 'pid', 'playbook')


def iso(epoch):
    """UTC ISO 8601 time of an epoch second."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def new_lock(holder, now, lock_id=None):
    """The JSON document of a new lock."""
    lock = dict((key, holder.get(key)) for key in HOLDER_KEYS)
    lock['id'] = lock_id or uuid.uuid4().hex
    lock['since'] = iso(now)
    lock['since_epoch'] = int(now)
    return lock


def read_lock(path):
    """The lock at path: a dict, None when there is none; an unreadable file is a lock of nobody."""
    try:
        with open(path, 'r') as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    try:
        lock = json.loads(text)
        if not isinstance(lock, dict):
            raise ValueError('not an object')
    except ValueError:
        # A run killed while writing leaves an empty or partial file: it still blocks, but it
        # names nobody, and its age comes from the file.
        lock = {'id': 'unreadable', 'user': None, 'controller': None, 'playbook': None, 'pid': None,
                'run_id': None}
        try:
            mtime = int(os.stat(path).st_mtime)
        except OSError:
            mtime = int(time.time())
        lock.update(since=iso(mtime), since_epoch=mtime)
    return lock


def with_age(lock, now):
    """A copy of the lock with its age in seconds."""
    if not lock:
        return {}
    out = dict(lock)
    out['age_seconds'] = max(0, int(now) - int(lock.get('since_epoch') or now))
    return out


def describe(lock):
    """One line naming the holder of a lock."""
    who = '%s@%s' % (lock.get('user') or '?', lock.get('controller') or '?')
    return '%s (playbook %s, controller pid %s, run %s) since %s, %s s ago' % (
        who, lock.get('playbook') or '?', lock.get('pid') or '?', lock.get('run_id') or '?',
        lock.get('since') or '?', lock.get('age_seconds', '?'))


def takeover_reason(lock, holder, now, stale_after, force, take_over):
    """Why a lock of another run may be taken over, or '' when it may not."""
    if force:
        return 'forced (owu_deploy_lock_force)'
    if take_over and take_over == lock.get('id'):
        return 'its run is gone (controller process %s no longer runs)' % lock.get('pid')
    age = int(now) - int(lock.get('since_epoch') or now)
    if stale_after > 0 and age > stale_after:
        return 'stale: older than %d s' % stale_after
    return ''


def create_exclusive(path, lock):
    """Write the lock with O_CREAT|O_EXCL; False when the file exists already."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            return False
        raise
    with os.fdopen(fd, 'w') as handle:
        handle.write(json.dumps(lock, sort_keys=True) + '\n')
        handle.flush()
        os.fsync(handle.fileno())
    return True


def move_aside(path, lock_id):
    """Rename the current lock out of the way; False when another run did it first."""
    try:
        os.rename(path, '%s.broken-%s' % (path, lock_id))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise
    return True


def acquire(module, path, holder, stale_after, force, take_over, now):
    """state=present; returns the result dict or fails."""
    result = dict(changed=False, held=True, acquired=False, released=False, broken={}, reason='')
    for _attempt in range(3):
        current = read_lock(path)
        if current is not None and current.get('run_id') == holder['run_id']:
            result.update(acquired=True, holder=with_age(current, now))
            return result
        if current is not None:
            reason = takeover_reason(current, holder, now, stale_after, force, take_over)
            if not reason:
                module.fail_json(
                    msg='The deploy lock of this host (%s) is held by %s. Wait for that run to end; if it '
                        'is dead, run again with -e owu_deploy_lock_force=true to break the lock.'
                        % (path, describe(with_age(current, now))),
                    held=True, acquired=False, released=False, holder=with_age(current, now), broken={},
                    reason='held by another run')
            result.update(broken=with_age(current, now), reason=reason)
            if module.check_mode:
                result.update(changed=True, acquired=True, holder=new_lock(holder, now, 'check-mode'))
                return result
            if not move_aside(path, current.get('id') or 'unknown'):
                continue  # somebody else moved it: read again
        elif module.check_mode:
            result.update(changed=True, acquired=True, holder=new_lock(holder, now, 'check-mode'))
            return result
        lock = new_lock(holder, now)
        if create_exclusive(path, lock):
            result.update(changed=True, acquired=True, holder=with_age(lock, now))
            return result
        # Lost a race with another run: read the winner and decide again.
    current = with_age(read_lock(path) or {}, now)
    module.fail_json(msg='The deploy lock of this host (%s) is held by %s.' % (path, describe(current)),
                     held=True, acquired=False, released=False, holder=current, broken={}, reason='lost a race')


def release(module, path, holder, force, now):
    """state=absent; returns the result dict."""
    result = dict(changed=False, held=False, acquired=False, released=False, broken={}, reason='', holder={})
    current = read_lock(path)
    if current is None:
        return result
    if current.get('run_id') != holder.get('run_id') and not force:
        result.update(held=True, holder=with_age(current, now),
                      reason='held by another run, left in place: %s' % describe(with_age(current, now)))
        return result
    result.update(changed=True, released=True)
    if not module.check_mode:
        try:
            os.unlink(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/var/lib/numberone-owu/deploy.lock'),
            state=dict(type='str', choices=['present', 'absent', 'query'], default='present'),
            holder=dict(type='dict', default={}, options=dict(
                run_id=dict(type='str'),
                user=dict(type='str'),
                controller=dict(type='str'),
                pid=dict(type='int'),
                playbook=dict(type='str'),
            )),
            stale_after=dict(type='int', default=7200),
            force=dict(type='bool', default=False),
            take_over=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path, state = params['path'], params['state']
    holder = params['holder'] or {}
    now = time.time()
    if state != 'query' and not holder.get('run_id'):
        module.fail_json(msg='holder.run_id is required with state=%s' % state)
    if params['stale_after'] < 0:
        module.fail_json(msg='stale_after must be 0 (never stale) or a number of seconds, got %s' % params['stale_after'])

    if state == 'query':
        current = with_age(read_lock(path) or {}, now)
        module.exit_json(changed=False, held=bool(current), acquired=False, released=False, holder=current,
                         broken={}, reason='')

    directory = os.path.dirname(path)
    if state == 'present' and not os.path.isdir(directory) and not module.check_mode:
        os.makedirs(directory, 0o755)
    if state == 'present':
        result = acquire(module, path, holder, params['stale_after'], params['force'], params['take_over'], now)
        if result['broken']:
            module.warn('Took over the deploy lock of %s: %s' % (describe(result['broken']), result['reason']))
    else:
        result = release(module, path, holder, params['force'], now)
        if result['reason']:
            module.warn('Deploy lock not released: %s' % result['reason'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
