# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from ansible.errors import AnsibleLookupError

from ansible_collections.numberone.owu.plugins.lookup import secret

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class Lookup(object):
    """Calls the plugin's logic with LookupModule.run's arguments, without a plugin loader."""

    @staticmethod
    def run(terms, variables=None, dir=None, length=32, chars='alnum'):  # pylint: disable=redefined-builtin
        del variables
        return secret.lookup_secrets(terms, dir, length, chars)


@pytest.fixture
def lookup():
    return Lookup()


def test_generates_once_and_returns_the_same_value(lookup, tmp_path):
    store = str(tmp_path / 'secrets' / 'host1')
    first = lookup.run(['api_key'], variables={}, dir=store)
    second = lookup.run(['api_key'], variables={}, dir=store)
    assert first == second
    assert len(first[0]) == 32
    assert re.match(r'^[A-Za-z0-9]{32}$', first[0])
    assert mode(store) == 0o700
    assert mode(os.path.join(store, 'api_key')) == 0o600


@pytest.mark.parametrize('chars, pattern', [
    ('hex', r'^[0-9a-f]{64}$'),
    ('urlsafe', r'^[A-Za-z0-9_-]{64}$'),
    ('alnum', r'^[A-Za-z0-9]{64}$'),
])
def test_alphabets_and_length(lookup, tmp_path, chars, pattern):
    value = lookup.run(['k'], variables={}, dir=str(tmp_path), length=64, chars=chars)[0]
    assert re.match(pattern, value)


def test_distinct_names_get_distinct_values(lookup, tmp_path):
    one, two = lookup.run(['a', 'b'], variables={}, dir=str(tmp_path))
    assert one != two


def test_user_provided_file_is_respected_and_tightened(lookup, tmp_path):
    path = tmp_path / 'given'
    path.write_text('from-the-vault\n')
    os.chmod(str(path), 0o644)
    assert lookup.run(['given'], variables={}, dir=str(tmp_path)) == ['from-the-vault']
    assert mode(str(path)) == 0o600


def test_empty_file_is_an_error_not_a_new_secret(lookup, tmp_path):
    (tmp_path / 'empty').write_text('')
    with pytest.raises(AnsibleLookupError, match='empty'):
        lookup.run(['empty'], variables={}, dir=str(tmp_path))


@pytest.mark.parametrize('name', ['../escape', '', '.hidden', 'a/b'])
def test_names_cannot_leave_the_directory(lookup, tmp_path, name):
    with pytest.raises(AnsibleLookupError, match='invalid secret name'):
        lookup.run([name], variables={}, dir=str(tmp_path))


def test_short_secrets_are_refused(lookup, tmp_path):
    with pytest.raises(AnsibleLookupError, match='at least 16'):
        lookup.run(['x'], variables={}, dir=str(tmp_path), length=8)


def test_generate_uses_only_the_alphabet():
    for chars, alphabet in secret.ALPHABETS.items():
        assert set(secret.generate(200, chars)) <= set(alphabet)


def test_uuid_with_prefix_is_a_langfuse_key_and_stable(tmp_path):
    store = str(tmp_path)
    first = secret.lookup_secrets(['langfuse_public_key'], store, 32, 'uuid', 'pk-lf-')[0]
    assert re.match(r'^pk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', first)
    # An existing secret is returned as stored, whatever the options of the later call.
    assert secret.lookup_secrets(['langfuse_public_key'], store, 64, 'hex')[0] == first
    assert (tmp_path / 'langfuse_public_key').read_text() == first + '\n'
    assert mode(str(tmp_path / 'langfuse_public_key')) == 0o600
    other = secret.lookup_secrets(['langfuse_secret_key'], store, 32, 'uuid', 'sk-lf-')[0]
    assert other.startswith('sk-lf-') and other[6:] != first[6:]


def test_uuid_ignores_length_and_prefix_applies_to_alphabets(tmp_path):
    assert len(secret.generate(4, 'uuid')) == 36
    value = secret.lookup_secrets(['k'], str(tmp_path), 16, 'hex', 'x-')[0]
    assert re.match(r'^x-[0-9a-f]{16}$', value)


@pytest.mark.parametrize('prefix', ['a/b', 'pk lf', '../'])
def test_prefix_cannot_hold_odd_characters(tmp_path, prefix):
    with pytest.raises(AnsibleLookupError, match='prefix'):
        secret.lookup_secrets(['k'], str(tmp_path), 32, 'alnum', prefix)
    assert not os.path.exists(str(tmp_path / 'k'))


def _ansible_cli():
    candidate = os.path.join(os.path.dirname(sys.executable), 'ansible')
    return candidate if os.path.exists(candidate) else shutil.which('ansible')


@pytest.mark.skipif(_ansible_cli() is None, reason='ansible CLI not installed next to this Python')
def test_through_a_real_ansible_run(tmp_path):
    """The FQCN lookup resolves from the checkout, validates options and is stable across runs."""
    store = str(tmp_path / 'host1')
    expr = "{{ query('numberone.owu.secret', 'k1', 'k2', dir='%s', length=64, chars='hex') | to_json }}" % store
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_NOCOLOR='1')
    values = []
    for dummy in range(2):
        proc = subprocess.run(
            [_ansible_cli(), 'localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.debug',
             '-a', 'msg=' + expr], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        msg = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
        values.append(json.loads(msg) if isinstance(msg, str) else msg)
    assert values[0] == values[1]
    assert all(re.match(r'^[0-9a-f]{64}$', v) for v in values[0])
    assert mode(os.path.join(store, 'k1')) == 0o600
    bad = subprocess.run(
        [_ansible_cli(), 'localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.debug',
         '-a', "msg={{ lookup('numberone.owu.secret', 'k3', dir='%s', chars='emoji') }}" % store],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode != 0
    assert not os.path.exists(os.path.join(store, 'k3'))
