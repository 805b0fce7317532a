# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller's secret store sealed into a backup: read, seal, unseal, write, the key file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat
import subprocess
import sys

import pytest

from ansible_collections.numberone.owu.plugins.plugin_utils import _secret_store as store


def _store(tmp_path, secrets):
    path = tmp_path / 'secrets' / 'app1'
    path.mkdir(parents=True)
    for name, value in secrets.items():
        (path / name).write_text(value + '\n')
    return str(path)


def _key(tmp_path, text='correct horse battery staple\n', name='backup.key'):
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


def test_read_store_takes_secret_files_only(tmp_path):
    path = _store(tmp_path, {'openwebui_secret_key': 'abc', 'langfuse_salt': 'xyz'})
    (tmp_path / 'secrets' / 'app1' / '.qdrant_api_key.restore').write_text('half-written')
    (tmp_path / 'secrets' / 'app1' / 'langfuse_salt~').write_text('editor backup')
    (tmp_path / 'secrets' / 'app1' / 'empty').write_text('\n')
    os.mkdir(os.path.join(path, 'subdir'))
    assert store.read_store(path) == {'langfuse_salt': 'xyz', 'openwebui_secret_key': 'abc'}
    assert store.read_store(str(tmp_path / 'missing')) == {}


def test_seal_unseal_round_trip_is_ansible_vault_text(tmp_path):
    key = store.load_key(_key(tmp_path))
    assert key == b'correct horse battery staple'
    sealed = store.seal({'a_secret': 'v1', 'b_secret': 'v2'}, 'app1', key)
    assert sealed.startswith('$ANSIBLE_VAULT;1.1;AES256')
    assert 'v1' not in sealed and 'app1' not in sealed
    assert store.unseal(sealed, key) == {'host': 'app1', 'secrets': {'a_secret': 'v1', 'b_secret': 'v2'}}


def test_ansible_vault_opens_a_sealed_store(tmp_path):
    """The user's way in without the collection: ansible-vault view with the same key file."""
    key_file = _key(tmp_path)
    sealed = tmp_path / 'secrets.vault'
    sealed.write_text(store.seal({'openwebui_secret_key': 'the-value'}, 'app1', store.load_key(key_file)))
    vault = shutil.which('ansible-vault', path=os.path.dirname(sys.executable))
    assert vault, 'ansible-vault is installed next to the test interpreter'
    out = subprocess.run([vault, 'view', '--vault-password-file', key_file, str(sealed)],
                         capture_output=True, text=True, check=True).stdout
    assert '"openwebui_secret_key": "the-value"' in out


def test_unseal_with_another_key_names_it(tmp_path):
    sealed = store.seal({'a_secret': 'v1'}, 'app1', b'key-one')
    with pytest.raises(store.SecretStoreError, match='does not open'):
        store.unseal(sealed, b'key-two')


@pytest.mark.parametrize('text, message', [
    ('', 'not Ansible Vault text'),
    ('{"format": 1}', 'not Ansible Vault text'),
])
def test_unseal_refuses_what_is_not_a_sealed_store(text, message):
    with pytest.raises(store.SecretStoreError, match=message):
        store.unseal(text, b'k')


def test_unseal_refuses_an_unknown_format_and_bad_names():
    from ansible.parsing.vault import VaultLib, VaultSecret
    secret = VaultSecret(b'k')
    vault = VaultLib([('default', secret)])
    other = vault.encrypt(b'{"format": 9, "secrets": {}}', secret=secret).decode()
    with pytest.raises(store.SecretStoreError, match='format'):
        store.unseal(other, b'k')
    bad = vault.encrypt(b'{"format": 1, "secrets": {"../etc/passwd": "x"}}', secret=secret).decode()
    with pytest.raises(store.SecretStoreError, match='not secrets: ../etc/passwd'):
        store.unseal(bad, b'k')
    text = vault.encrypt(b'not json', secret=secret).decode()
    with pytest.raises(store.SecretStoreError, match='damaged'):
        store.unseal(text, b'k')


def test_write_store_writes_what_differs_0600_in_a_0700_dir(tmp_path):
    path = str(tmp_path / 'fresh' / 'app1')
    assert store.write_store(path, {'a': '1', 'b': '2'}, check_mode=True) == ['a', 'b']
    assert not os.path.exists(path)
    assert store.write_store(path, {'a': '1', 'b': '2'}) == ['a', 'b']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    for name in ('a', 'b'):
        assert stat.S_IMODE(os.stat(os.path.join(path, name)).st_mode) == 0o600
    assert store.read_store(path) == {'a': '1', 'b': '2'}
    (tmp_path / 'fresh' / 'app1' / 'c').write_text('kept\n')
    assert store.write_store(path, {'a': '1', 'b': 'changed'}) == ['b']
    assert store.read_store(path) == {'a': '1', 'b': 'changed', 'c': 'kept'}
    assert store.write_store(path, {'a': '1', 'b': 'changed'}) == []
    assert sorted(os.listdir(path)) == ['a', 'b', 'c']


@pytest.mark.parametrize('make, message', [
    (lambda tmp: '', 'is not set'),
    (lambda tmp: 'relative/backup.key', 'must be an absolute path'),
    (lambda tmp: str(tmp / 'missing.key'), 'does not exist'),
    (lambda tmp: _key(tmp, text='\n'), 'empty'),
])
def test_load_key_refuses_bad_key_files(tmp_path, make, message):
    with pytest.raises(store.SecretStoreError, match=message):
        store.load_key(make(tmp_path), what='owu_backup_key_file')


def test_load_key_runs_an_executable_key_file(tmp_path):
    script = tmp_path / 'key-client.sh'
    script.write_text('#!/bin/sh\necho from-a-password-manager\n')
    script.chmod(0o700)
    assert store.load_key(str(script)) == b'from-a-password-manager'
