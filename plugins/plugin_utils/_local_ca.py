# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the
# numberone.owu.local_ca lookup); not a public API.

"""A local certificate authority kept in the controller's secret store.

``ensure(directory, name, common_name)`` returns the paths of ``<directory>/<name>.crt`` and
``<directory>/<name>.key``, creating them once: an ECDSA P-256 key and a self-signed root
certificate (CA, path length 1: the reverse proxy signs an intermediate with it, the
intermediate the sites' certificates) valid for ten years. Both files are written 0600 next to the
host's other secrets, so a backup seals them with the rest (``numberone.owu.secret_store``) and a
restore brings the same root back: devices that trust it keep trusting the rebuilt host.
"""

from __future__ import annotations

import datetime
import os
import re

from ansible_collections.numberone.owu.plugins.plugin_utils._secret_store import NAME_RE_TEXT, ensure_dir, tighten_file, write_file

VALID_DAYS = 3650
NAME_RE = re.compile(NAME_RE_TEXT)


class LocalCAError(ValueError):
    """The store holds half a CA, or an input is not usable (the message names the fix)."""


def create(common_name, now=None):
    """``(certificate PEM, key PEM)`` of a new root: ECDSA P-256, CA with path length 1, ten years."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = now or datetime.datetime.now(datetime.timezone.utc)
    public = key.public_key()
    cert = (x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def ensure(directory, name, common_name):
    """``{'certificate': path, 'key': path, 'created': bool}`` of the CA ``name`` in ``directory``."""
    if not NAME_RE.match(name or ''):
        raise LocalCAError('invalid CA name %r: use letters, digits, ".", "_" and "-"' % (name,))
    if not common_name or len(common_name) > 64:
        raise LocalCAError('the CA common name must be 1 to 64 characters, got %r' % (common_name,))
    ensure_dir(directory)
    cert_path = os.path.join(directory, name + '.crt')
    key_path = os.path.join(directory, name + '.key')
    have = [os.path.isfile(p) for p in (cert_path, key_path)]
    if all(have):
        for path in (cert_path, key_path):
            tighten_file(path)
        return {'certificate': cert_path, 'key': key_path, 'created': False}
    if any(have):
        present, missing = (cert_path, key_path) if have[0] else (key_path, cert_path)
        raise LocalCAError('%s exists but %s does not: restore it from a backup (playbooks/restore.yml brings the '
                           'secret store back), or delete %s to make a new CA (every device must then install the '
                           'new root certificate)' % (present, missing, present))
    cert_pem, key_pem = create(common_name)
    write_file(directory, name + '.key', key_pem.decode('ascii'))
    write_file(directory, name + '.crt', cert_pem.decode('ascii'))
    return {'certificate': cert_path, 'key': key_path, 'created': True}
