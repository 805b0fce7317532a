# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the reverse proxy's response headers."""

from __future__ import annotations

import pytest

from ansible_collections.numberone.owu.plugins.plugin_utils import _proxy as proxy


def test_hsts_and_the_security_headers():
    out = proxy.headers(True, True, {})
    assert list(out) == ['Strict-Transport-Security', 'X-Content-Type-Options', 'Referrer-Policy',
                         'Content-Security-Policy', 'X-Frame-Options', 'Permissions-Policy']
    assert out['Strict-Transport-Security'] == 'max-age=31536000'
    assert out['Content-Security-Policy'] == "frame-ancestors 'self'"
    # Voice input needs the microphone: allowed for Open WebUI itself, nothing else.
    assert 'microphone=(self)' in out['Permissions-Policy'] and 'geolocation=()' in out['Permissions-Policy']


def test_each_part_can_be_left_out():
    assert proxy.headers(False, True, {}).get('Strict-Transport-Security') is None
    assert proxy.headers(True, False, {}) == {'Strict-Transport-Security': 'max-age=31536000'}
    assert proxy.headers(False, False, {}) == {}


def test_extra_headers_add_replace_and_remove():
    out = proxy.headers(True, True, {'referrer-policy': 'no-referrer', 'X-Robots-Tag': 'noindex',
                                     'X-Frame-Options': ''})
    assert out['referrer-policy'] == 'no-referrer' and 'Referrer-Policy' not in out
    assert out['X-Robots-Tag'] == 'noindex'
    assert 'X-Frame-Options' not in out


@pytest.mark.parametrize('extra, message', [
    ({'Bad Name': 'x'}, 'is not a header name'),
    ({'X-A': 'a"b'}, 'double quote'),
    ({'X-A': 'a\nb'}, 'line break'),
    (['X-A'], 'must be a dict'),
])
def test_bad_extra_headers_are_refused(extra, message):
    with pytest.raises(proxy.ProxyInputError, match=message):
        proxy.headers(True, True, extra)
