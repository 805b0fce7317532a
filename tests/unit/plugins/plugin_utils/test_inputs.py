# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the shared input checks (plugins/plugin_utils/_inputs.py) and their filters."""

from __future__ import annotations

import hashlib

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_inputs
from ansible_collections.numberone.owu.plugins.plugin_utils import _inputs

PLACEHOLDER = 'mysecret'
UPSTREAM = [hashlib.sha256(PLACEHOLDER.encode()).hexdigest()]


def test_secret_problems_name_the_variables_only():
    given = {'a_ok': 'x' * 32, 'b_empty': '', 'c_none': None, 'd_placeholder': PLACEHOLDER,
             'e_short': 'abc', 'f_unsafe': 'a' * 20 + '@/:', 'g_number': 12345678901234567}
    got = _inputs.secret_problems(given, UPSTREAM)
    assert got == {'upstream': ['d_placeholder'], 'short': ['d_placeholder', 'e_short'], 'unsafe': ['f_unsafe']}
    assert PLACEHOLDER not in repr(got)


def test_secret_problems_min_length():
    assert _inputs.secret_problems({'k': 'x' * 10}, (), 8) == {'upstream': [], 'short': [], 'unsafe': []}
    assert _inputs.secret_problems({}, None) == {'upstream': [], 'short': [], 'unsafe': []}


@pytest.mark.parametrize('value,bad', [
    ('', False), (None, False), ('sha256:' + 'a' * 64, False), ('sha256:' + 'A' * 64, True),
    ('sha256:abc', True), ('a' * 64, True),
])
def test_bad_digests(value, bad):
    assert _inputs.bad_digests({'x_digest': value}) == (['x_digest'] if bad else [])


def test_filters_want_a_dict():
    assert owu_inputs.owu_bad_digests({'x': 'sha256:abc'}) == ['x']
    assert owu_inputs.owu_secret_problems({'s': 'short'}, UPSTREAM)['short'] == ['s']
    with pytest.raises(AnsibleFilterError):
        owu_inputs.owu_bad_digests(['x'])
