# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: shared option documentation of the collection's HTTP API modules
# (plugins/module_utils/_api.py). Not a public API of the collection.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Options every API module has (numberone.owu._api).
    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Whether to check the server's TLS certificate for V(https://) URLs.
      - Set to V(false) only for a server with a self-signed certificate you trust.
    type: bool
    default: true
  use_proxy:
    description:
      - Whether to use a proxy from the E(http_proxy), E(https_proxy) and E(no_proxy)
        environment variables of the managed host.
      - Python does not bypass the proxy for loopback addresses unless E(no_proxy) says so; set
        this to V(false) when the host has a proxy and the service listens on C(127.0.0.1).
    type: bool
    default: true
notes:
  - HTTP goes through C(ansible.module_utils.urls), so the managed host needs no extra Python
    library.
"""

    # The Ollama server's address (numberone.owu._api.ollama).
    OLLAMA = r"""
options:
  url:
    description:
      - Base URL of the Ollama server's API.
      - When not set, the value of the E(OLLAMA_HOST) environment variable of the managed host is
        used, read the way the C(ollama) client reads it (V(127.0.0.1:11434),
        V(0.0.0.0:11434) and V(http://ollama:11434) all work; a wildcard address such as
        C(0.0.0.0) means loopback), then V(http://127.0.0.1:11434).
    type: str
    default: http://127.0.0.1:11434
"""
