# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the owu_secret_problems
# and owu_bad_digests filters in the roles' check entry points); not a public API.

"""Checks of role inputs that several variables share: secrets the user set, image digests.

Pure data in, data out. Every function takes ``{variable name: value}`` and returns variable
names only, never a value, so a failure message may show what it returns."""

from __future__ import annotations

import hashlib
import re

_DIGEST_RE = re.compile(r'^sha256:[0-9a-f]{64}$')
# Characters a secret may hold where it goes into URLs and command lines.
_SAFE_RE = re.compile(r'^[A-Za-z0-9._~-]+$')
MIN_SECRET_LENGTH = 16


def _text(value):
    return '' if value is None else str(value)


def secret_problems(given, upstream_sha256=(), min_length=MIN_SECRET_LENGTH):
    """What is wrong with the secrets the user set (an empty value is generated, never wrong).

    Returns ``{'upstream': [...], 'short': [...], 'unsafe': [...]}``: variables whose value is one
    of upstream's published placeholders (``upstream_sha256``: the SHA-256 hex digests of those
    values), shorter than ``min_length``, or with characters other than letters, digits and
    ``._~-``."""
    known = set(upstream_sha256 or ())
    out = {'upstream': [], 'short': [], 'unsafe': []}
    for name, value in given.items():
        text = _text(value)
        if not text:
            continue
        if hashlib.sha256(text.encode('utf-8')).hexdigest() in known:
            out['upstream'].append(name)
        if len(text) < min_length:
            out['short'].append(name)
        if not _SAFE_RE.match(text):
            out['unsafe'].append(name)
    return out


def bad_digests(values):
    """Variables set to something other than an image digest ``sha256:<64 hex>`` (empty: no pin)."""
    return [name for name, value in values.items() if _text(value) and not _DIGEST_RE.match(_text(value))]
