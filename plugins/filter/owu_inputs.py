# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the roles' input checks: secrets the user set and image digests (docs: the
owu_secret_problems.yml and owu_bad_digests.yml files next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.plugin_utils import _inputs
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def _mapping(value, name):
    value = _plain(value)
    if not isinstance(value, dict):
        raise AnsibleFilterError('%s: the input must be a dict of variable name to value' % name)
    return value


def owu_secret_problems(given, upstream_sha256=None, min_length=_inputs.MIN_SECRET_LENGTH):
    """Secrets set to a placeholder, too short or with unsafe characters (see owu_secret_problems.yml)."""
    return _inputs.secret_problems(_mapping(given, 'owu_secret_problems'), _plain(upstream_sha256) or (), int(min_length))


def owu_bad_digests(values):
    """Variables that are neither empty nor an image digest (see owu_bad_digests.yml)."""
    return _inputs.bad_digests(_mapping(values, 'owu_bad_digests'))


class FilterModule:
    """Input check filters."""

    def filters(self):
        return {
            'owu_secret_problems': owu_secret_problems,
            'owu_bad_digests': owu_bad_digests,
        }
