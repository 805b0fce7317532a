# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the
# owu_proxy_headers filter of the reverse_proxy role); not a public API.

"""The response headers the reverse proxy adds in front of Open WebUI. Pure data in, data out."""

from __future__ import annotations

import re

# Browsers keep refusing plain HTTP for this long after one HTTPS answer (one year).
HSTS = 'max-age=31536000'
# The security headers: no MIME sniffing; the full URL only to the same origin; nothing else may
# frame Open WebUI (CSP frame-ancestors, and X-Frame-Options for older browsers); powerful
# features off except the microphone and camera for Open WebUI itself (voice input, calls).
SECURITY = (
    ('X-Content-Type-Options', 'nosniff'),
    ('Referrer-Policy', 'strict-origin-when-cross-origin'),
    ('Content-Security-Policy', "frame-ancestors 'self'"),
    ('X-Frame-Options', 'SAMEORIGIN'),
    ('Permissions-Policy', 'microphone=(self), camera=(self), geolocation=(), payment=(), usb=(), '
                           'interest-cohort=()'),
)
_NAME_RE = re.compile(r'^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$')


class ProxyInputError(ValueError):
    """Input the header builder refuses."""


def headers(hsts, security, extra):
    """The headers, name -> value, in a stable order: HSTS when ``hsts``, the security headers when
    ``security``, then ``extra`` (name -> value; a value of "" removes that header).

    Raises ProxyInputError for a header name that is not an HTTP token or a value with a line
    break or a double quote (the Caddyfile quotes values)."""
    out = {}
    if hsts:
        out['Strict-Transport-Security'] = HSTS
    if security:
        out.update(SECURITY)
    if not isinstance(extra, dict):
        raise ProxyInputError('reverse_proxy_extra_headers must be a dict of header name to value, got %s'
                              % type(extra).__name__)
    for name, value in extra.items():
        name, value = str(name), '' if value is None else str(value)
        if not _NAME_RE.match(name):
            raise ProxyInputError('reverse_proxy_extra_headers: %r is not a header name' % name)
        if any(c in value for c in '\r\n"'):
            raise ProxyInputError('reverse_proxy_extra_headers: the value of %s may not hold a line break or '
                                  'a double quote' % name)
        match = next((key for key in out if key.lower() == name.lower()), None)
        if match:
            del out[match]
        if value:
            out[name] = value
    return out
