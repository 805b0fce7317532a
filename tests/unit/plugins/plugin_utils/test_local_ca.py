# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the local CA kept in the controller's secret store (plugins/plugin_utils/_local_ca.py)."""

from __future__ import annotations

import datetime
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.numberone.owu.plugins.plugin_utils import _local_ca


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_a_root_ca_once(tmp_path):
    store = tmp_path / 'secrets' / 'box'
    first = _local_ca.ensure(str(store), 'lan-root-ca', 'numberone.owu box')
    assert first == {'certificate': str(store / 'lan-root-ca.crt'), 'key': str(store / 'lan-root-ca.key'), 'created': True}
    assert _mode(first['certificate']) == _mode(first['key']) == 0o600
    assert _mode(str(store)) == 0o700
    cert = x509.load_pem_x509_certificate((store / 'lan-root-ca.crt').read_bytes())
    assert cert.subject.rfc4514_string() == cert.issuer.rfc4514_string() == 'CN=numberone.owu box'
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 1
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=3650) < lifetime < datetime.timedelta(days=3651)
    # The certificate is signed by its own key, which is the stored one.
    cert.verify_directly_issued_by(cert)
    before = (store / 'lan-root-ca.crt').read_bytes(), (store / 'lan-root-ca.key').read_bytes()
    again = _local_ca.ensure(str(store), 'lan-root-ca', 'another name')
    assert again == dict(first, created=False)
    assert ((store / 'lan-root-ca.crt').read_bytes(), (store / 'lan-root-ca.key').read_bytes()) == before


def test_loose_modes_are_tightened(tmp_path):
    paths = _local_ca.ensure(str(tmp_path), 'ca', 'x')
    os.chmod(paths['certificate'], 0o644)
    _local_ca.ensure(str(tmp_path), 'ca', 'x')
    assert _mode(paths['certificate']) == 0o600


@pytest.mark.parametrize('keep', ['crt', 'key'])
def test_half_a_ca_is_refused_with_the_fix(tmp_path, keep):
    _local_ca.ensure(str(tmp_path), 'ca', 'x')
    os.remove(str(tmp_path / ('ca.key' if keep == 'crt' else 'ca.crt')))
    with pytest.raises(_local_ca.LocalCAError, match='restore it from a backup .* or delete .*ca.%s to make a new CA' % keep):
        _local_ca.ensure(str(tmp_path), 'ca', 'x')


@pytest.mark.parametrize('name, common_name', [('../ca', 'x'), ('', 'x'), ('ca', ''), ('ca', 'x' * 65)])
def test_bad_input(tmp_path, name, common_name):
    with pytest.raises(_local_ca.LocalCAError):
        _local_ca.ensure(str(tmp_path), name, common_name)
