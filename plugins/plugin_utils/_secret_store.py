# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller's secret store of one host, sealed into a backup and brought back from it.

The store is a directory of files ``<dir>/<name>`` (mode 0600, the directory 0700), one secret
each, written by the ``numberone.owu.secret`` lookup. A backup carries the store sealed with
Ansible Vault (format 1.1, AES256) under a key the user supplies as a vault password file, plain
or executable (a client script), read the way ``ansible-playbook --vault-password-file`` reads it:
``ansible-vault view --vault-password-file KEY secrets.vault`` opens it by hand.
"""

from __future__ import annotations

import json
import os
import re
import stat

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.parsing.vault import VaultLib, VaultSecret, get_file_vault_secret, is_encrypted

NAME_RE_TEXT = r'^[A-Za-z0-9][A-Za-z0-9_.-]*$'
BUNDLE_FORMAT = 1


class SecretStoreError(Exception):
    """A key, a store or a sealed bundle that cannot be used; the message names the fix."""


def _name_ok(name):
    return re.match(NAME_RE_TEXT, name) is not None


def ensure_dir(path):
    """Create ``path`` (and parents) with mode 0700 for the leaf; tighten an existing leaf."""
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700)
    if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        os.chmod(path, 0o700)


def tighten_file(path):
    """Give a store file that others may read mode 0600 again."""
    if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        os.chmod(path, 0o600)


def write_file(directory, name, text):
    """Write ``text`` as ``directory/name``, mode 0600, atomically: through a dot file, which
    ``read_store`` never takes for a secret."""
    final = os.path.join(directory, name)
    tmp = os.path.join(directory, '.%s.tmp' % name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, final)


def read_store(path):
    """The secrets in the store ``path`` as {name: value}; {} when the directory does not exist.

    Only regular files with a secret's name count (a dot file or an editor's backup does not).
    """
    if not os.path.isdir(path):
        return {}
    found = {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if not _name_ok(name) or name.endswith('~') or not os.path.isfile(full) or os.path.islink(full):
            continue
        with open(full, 'r') as handle:
            value = handle.read().strip()
        if value:
            found[name] = value
    return found


def differing(current, wanted):
    """Names whose value in ``wanted`` is missing from, or different in, ``current`` (sorted)."""
    return sorted(name for name, value in wanted.items() if current.get(name) != value)


def write_store(path, secrets, check_mode=False):
    """Write ``secrets`` into the store ``path`` (0600 files, 0700 directory); names not in
    ``secrets`` stay. Returns the names written (those that were missing or different)."""
    names = differing(read_store(path), secrets)
    if check_mode or not names:
        return names
    ensure_dir(path)
    for name in names:
        if not _name_ok(name):
            raise SecretStoreError('the bundle holds a secret named %r, which is not a secret name' % name)
        write_file(path, name, secrets[name] + '\n')
    return names


def load_key(key_file, what='the key file', loader=None):
    """The key in ``key_file`` (a vault password file: plain text, or an executable that prints
    it) as bytes. Refuses a relative path, a missing, unreadable or empty file."""
    if not key_file:
        raise SecretStoreError('%s is not set' % what)
    if not os.path.isabs(key_file):
        raise SecretStoreError('%s must be an absolute path on the controller, got "%s"' % (what, key_file))
    if not os.path.isfile(key_file):
        raise SecretStoreError('%s %s does not exist on the controller' % (what, key_file))
    if not os.access(key_file, os.X_OK):
        with open(key_file, 'rb') as handle:
            if not handle.read().strip():
                raise SecretStoreError('%s %s is empty' % (what, key_file))
    if loader is None:
        from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
        loader = DataLoader()
    try:
        secret = get_file_vault_secret(filename=key_file, loader=loader)
        secret.load()
    except (AnsibleError, OSError) as exc:
        raise SecretStoreError('%s %s cannot be read: %s' % (what, key_file, to_native(exc)))
    key = secret.bytes
    if not key:
        raise SecretStoreError('%s %s is empty' % (what, key_file))
    return key


def seal(secrets, host, key):
    """The store ``secrets`` of ``host`` as Ansible Vault text, encrypted with ``key`` (bytes)."""
    document = json.dumps({'format': BUNDLE_FORMAT, 'host': host, 'secrets': secrets}, sort_keys=True)
    vault_secret = VaultSecret(to_bytes(key))
    vault = VaultLib([('default', vault_secret)])
    return to_text(vault.encrypt(to_bytes(document), secret=vault_secret))


def unseal(text, key):
    """{'host', 'secrets'} from sealed ``text``; SecretStoreError when it is not a sealed bundle
    or ``key`` does not open it."""
    if not is_encrypted(to_bytes(text or '')):
        raise SecretStoreError('the secrets file of the backup is not Ansible Vault text (damaged)')
    vault = VaultLib([('default', VaultSecret(to_bytes(key)))])
    try:
        plain = vault.decrypt(to_bytes(text))
    except AnsibleError:
        raise SecretStoreError('the key does not open the secrets of the backup (a different key made it)')
    try:
        document = json.loads(to_text(plain))
    except ValueError:
        raise SecretStoreError('the secrets of the backup are not a secret bundle (damaged)')
    if not isinstance(document, dict) or document.get('format') != BUNDLE_FORMAT \
            or not isinstance(document.get('secrets'), dict):
        raise SecretStoreError('the secrets of the backup are in a format this collection does not know '
                               '(%r)' % (document.get('format') if isinstance(document, dict) else None,))
    secrets = document['secrets']
    bad = sorted(name for name, value in secrets.items() if not _name_ok(name) or not isinstance(value, str) or not value)
    if bad:
        raise SecretStoreError('the secrets of the backup hold entries that are not secrets: %s' % ', '.join(bad))
    return {'host': document.get('host', ''), 'secrets': secrets}
