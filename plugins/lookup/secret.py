# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret
author:
  - numberone.owu contributors (@numberone)
version_added: 0.1.0
short_description: Generate a secret once on the controller and return the same value ever after
description:
  - Returns the content of the file O(dir)/<name> on the controller.
  - When the file does not exist, generates a random secret with Python's C(secrets) module, writes it
    with mode V(0600) (its directory V(0700)) and returns it. Later runs read the same value, so a
    secret stays stable across runs and container re-creations.
  - An existing file with looser permissions is tightened to V(0600).
  - Nothing is ever printed; callers must still mark tasks that use the value with C(no_log).
options:
  _terms:
    description: Names of the secrets (file names inside O(dir)).
    type: list
    elements: str
    required: true
  dir:
    description:
      - Controller directory that holds the secrets of one host, for example
        C(~/.config/numberone-owu/secrets/<inventory_hostname>).
    type: path
    required: true
  length:
    description: Length of a generated secret (characters).
    type: int
    default: 32
  chars:
    description:
      - Alphabet of a generated secret.
      - V(alnum) letters and digits; V(hex) lowercase hex digits (for example a 64-character
        encryption key with O(length=64)); V(urlsafe) letters, digits, C(-) and C(_).
      - V(uuid) a random (version 4) UUID in its canonical lowercase form, 36 characters; O(length)
        is not used then (for example Langfuse's C(pk-lf-<uuid>) API keys, with O(prefix)).
    type: str
    default: alnum
    choices: [alnum, hex, urlsafe, uuid]
  prefix:
    description:
      - Text put in front of a generated secret and stored with it (for example V(pk-lf-)). It is
        not counted in O(length). A secret that already exists is returned as stored.
    type: str
    default: ''
    version_added: 0.1.0
notes:
  - Generation happens in check mode too. It changes only the controller's secret store, never a host,
    and it lets check mode render the same configuration as a real run.
"""

EXAMPLES = r"""
- name: Use a generated Open WebUI secret key
  ansible.builtin.set_fact:
    _openwebui_secret_key: >-
      {{ lookup('numberone.owu.secret', 'openwebui_secret_key',
                dir=owu_secrets_dir ~ '/' ~ inventory_hostname, length=48) }}
  no_log: true

- name: A Langfuse public key (pk-lf-<uuid>)
  ansible.builtin.set_fact:
    _langfuse_public_key: >-
      {{ lookup('numberone.owu.secret', 'langfuse_public_key', dir='/tmp/s', chars='uuid', prefix='pk-lf-') }}
  no_log: true

- name: A 64-hex-character encryption key
  ansible.builtin.debug:
    msg: "{{ lookup('numberone.owu.secret', 'langfuse_encryption_key', dir='/tmp/s', length=64, chars='hex') | length }}"
"""

RETURN = r"""
_raw:
  description: The secrets, one per name, in the order given.
  type: list
  elements: str
"""

import os
import re
import secrets
import string
import uuid

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.lookup import LookupBase

from ansible_collections.numberone.owu.plugins.plugin_utils._secret_store import NAME_RE_TEXT, ensure_dir, tighten_file

ALPHABETS = {
    'alnum': string.ascii_letters + string.digits,
    'hex': '0123456789abcdef',
    'urlsafe': string.ascii_letters + string.digits + '-_',
}
NAME_RE = re.compile(NAME_RE_TEXT)


PREFIX_RE = re.compile(r'^[A-Za-z0-9_.-]*$')


def generate(length, chars, prefix=''):
    """A random secret: ``prefix`` + ``length`` characters from the named alphabet, or a UUID4."""
    if chars == 'uuid':
        return prefix + str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
    alphabet = ALPHABETS[chars]
    return prefix + ''.join(secrets.choice(alphabet) for dummy in range(length))


def read_or_create(directory, name, length, chars, prefix=''):
    """Return the secret stored in ``directory/name``, creating it atomically when absent."""
    if not NAME_RE.match(name):
        raise ValueError('invalid secret name %r: use letters, digits, ".", "_" and "-"' % name)
    ensure_dir(directory)
    path = os.path.join(directory, name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        tighten_file(path)
        with open(path, 'r') as handle:
            value = handle.read().strip()
        if not value:
            raise ValueError('secret file %s is empty: delete it to generate a new secret' % path)
        return value
    value = generate(length, chars, prefix)
    with os.fdopen(fd, 'w') as handle:
        handle.write(value + '\n')
    return value


def lookup_secrets(terms, directory, length, chars, prefix=''):
    """The secrets for ``terms`` in ``directory``; AnsibleLookupError names what is wrong."""
    if length < 16 and chars != 'uuid':
        raise AnsibleLookupError('numberone.owu.secret: length must be at least 16, got %d' % length)
    if chars != 'uuid' and chars not in ALPHABETS:
        raise AnsibleLookupError('numberone.owu.secret: unknown chars %r' % chars)
    if not PREFIX_RE.match(prefix or ''):
        raise AnsibleLookupError('numberone.owu.secret: prefix may only hold letters, digits, ".", "_" and "-"')
    result = []
    for term in terms:
        name = to_text(term)
        try:
            result.append(read_or_create(os.path.expanduser(directory), name, length, chars, prefix or ''))
        except (OSError, ValueError) as exc:
            raise AnsibleLookupError('numberone.owu.secret: %s: %s' % (name, to_native(exc)))
    return result


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return lookup_secrets(terms, self.get_option('dir'), self.get_option('length'), self.get_option('chars'),
                              self.get_option('prefix'))
