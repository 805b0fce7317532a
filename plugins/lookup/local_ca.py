# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: local_ca
author:
  - numberone.owu contributors (@numberone)
version_added: 0.1.0
short_description: Create a local root CA once in the controller's secret store and return its files
description:
  - Returns the controller paths of O(dir)/<O(name)>.crt (the root certificate, to install on devices)
    and O(dir)/<O(name)>.key (its private key).
  - When neither exists, creates them - an ECDSA P-256 key and a self-signed root certificate (CA, path
    length 1, ten years) named O(common_name) - with mode V(0600) (the directory V(0700)). Later runs
    return the same files, so devices trust the CA once.
  - The files live next to the host's generated secrets, so a backup with a key seals them and a
    restore brings them back (numberone.owu.secret_store).
  - Only one of the two files is an error that says how to fix it (restore it, or delete it for a new CA).
options:
  dir:
    description: Controller directory of one host's secrets, for example C(~/.config/numberone-owu/secrets/<host>).
    type: path
    required: true
  name:
    description: File name of the CA without extension.
    type: str
    default: lan-root-ca
  common_name:
    description: Common name of a new root certificate (devices show it).
    type: str
    required: true
notes:
  - Creation happens in check mode too, as with numberone.owu.secret - it changes only the controller's store.
"""

EXAMPLES = r"""
- name: The reverse proxy's local CA
  ansible.builtin.set_fact:
    _ca: "{{ lookup('numberone.owu.local_ca', dir=owu_secrets_dir ~ '/' ~ inventory_hostname, common_name='numberone.owu box') }}"
"""

RETURN = r"""
_raw:
  description: One dict with C(certificate) and C(key) (controller paths) and C(created) (true on the run that made them).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

from ansible_collections.numberone.owu.plugins.plugin_utils._local_ca import LocalCAError, ensure


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            return [ensure(self.get_option('dir'), self.get_option('name'), self.get_option('common_name'))]
        except (LocalCAError, OSError) as exc:
            raise AnsibleLookupError('numberone.owu.local_ca: %s' % to_native(exc))
