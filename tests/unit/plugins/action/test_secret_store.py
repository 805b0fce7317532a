# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The secret_store action: seal a store, check a key before any change, bring a store back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.numberone.owu.plugins.action import secret_store as action
from ansible_collections.numberone.owu.plugins.plugin_utils import _secret_store as store


def _params(**kwargs):
    params = {'state': 'checked', 'dir': None, 'key_file': None, 'key_name': 'owu_backup_key_file',
              'content': None, 'host': ''}
    params.update(kwargs)
    return params


@pytest.fixture(name='key_file')
def fixture_key_file(tmp_path):
    path = tmp_path / 'backup.key'
    path.write_text('k1\n')
    return str(path)


def test_seal_then_restore_onto_an_empty_store(tmp_path, key_file):
    old = tmp_path / 'old'
    store.write_store(str(old), {'openwebui_secret_key': 's1', 'langfuse_salt': 's2'})
    sealed = action.run_store(_params(state='sealed', dir=str(old), key_file=key_file, host='app1'), False)
    assert sealed['changed'] is False and sealed['names'] == ['langfuse_salt', 'openwebui_secret_key']
    new = str(tmp_path / 'new')
    opened = action.run_store(_params(state='opened', dir=new, key_file=key_file, content=sealed['content']), False)
    assert opened == {'changed': False, 'names': ['langfuse_salt', 'openwebui_secret_key'], 'host': 'app1',
                      'differ': ['langfuse_salt', 'openwebui_secret_key']}
    checked = action.run_store(_params(state='restored', dir=new, key_file=key_file, content=sealed['content']), True)
    assert checked['changed'] is True and store.read_store(new) == {}
    restored = action.run_store(_params(state='restored', dir=new, key_file=key_file, content=sealed['content']), False)
    assert restored['changed'] is True
    assert store.read_store(new) == {'openwebui_secret_key': 's1', 'langfuse_salt': 's2'}
    again = action.run_store(_params(state='restored', dir=new, key_file=key_file, content=sealed['content']), False)
    assert again['changed'] is False and again['differ'] == []


def test_a_wrong_key_names_the_variable_and_changes_nothing(tmp_path, key_file):
    sealed = store.seal({'a': 'v'}, 'app1', b'another key')
    new = tmp_path / 'new'
    with pytest.raises(store.SecretStoreError) as err:
        action.run_store(_params(state='restored', dir=str(new), key_file=key_file, content=sealed), False)
    assert 'does not open' in str(err.value) and 'owu_backup_key_file' in str(err.value)
    assert not new.exists()


def test_a_relative_key_file_is_refused_naming_the_fix(tmp_path):
    with pytest.raises(store.SecretStoreError) as err:
        action.run_store(_params(state='checked', key_file='keys/backup.key'), False)
    assert 'owu_backup_key_file must be an absolute path' in str(err.value)
    assert 'set owu_backup_key_file to the absolute path' in str(err.value)
