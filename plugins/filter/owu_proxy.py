# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The reverse proxy's response headers (docs: owu_proxy_headers.yml next to this file; the
logic: plugins/plugin_utils/_proxy.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _proxy
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def owu_proxy_headers(hsts, security=True, extra=None):
    """The headers Caddy adds to every answer (see owu_proxy_headers.yml)."""
    try:
        return _proxy.headers(bool(hsts), bool(security), _plain(extra) if extra is not None else {})
    except _proxy.ProxyInputError as exc:
        raise AnsibleFilterError('owu_proxy_headers: %s' % to_native(exc))


class FilterModule:
    """Reverse proxy filters."""

    def filters(self):
        return {'owu_proxy_headers': owu_proxy_headers}
