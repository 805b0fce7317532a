# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection; not a public API.

"""Files owned by root that a module of the collection writes on the host, compared before they
are written (check mode, diffs), written atomically with their mode, shared by the modules that
write them in one round trip (compose_host, docker_daemon, nft_table)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_text


def read_text(path):
    """The text of ``path``, or None when it cannot be read (missing)."""
    try:
        with open(path, 'rb') as handle:
            return to_text(handle.read(), errors='surrogate_or_strict')
    except (IOError, OSError):
        return None


class RootFiles(object):
    """Mixin for a module's worker: needs ``self.module`` (the AnsibleModule), ``self.check``
    (check mode) and ``self.changed``, which every method sets when it changes (or would change)
    something. Owner and group are always root; modes are octal strings ('0644')."""

    def _ensure_dir(self, path, mode='0750'):
        """Creates ``path`` (and its parents, 0755) with ``mode``; True when it would not exist yet (check mode)."""
        if not os.path.isdir(path):
            self.changed = True
            if self.check:
                return True
            parent = os.path.dirname(path.rstrip('/'))
            if parent and not os.path.isdir(parent):
                self._ensure_dir(parent, '0755')
            os.mkdir(path, int(mode, 8))
        args = self.module.load_file_common_arguments({'path': path, 'mode': mode, 'owner': 'root', 'group': 'root'})
        self.changed = self.module.set_fs_attributes_if_different(args, self.changed)
        return False

    def _write(self, path, text, mode, validate=None):
        """Write ``text`` to ``path`` with ``mode`` when it differs; returns (changed, before).

        ``validate(tmp)`` is called with the new file written beside ``path`` before it replaces
        the old one (it fails the module to refuse it); the directory must exist unless in check mode.
        """
        before = read_text(path)
        changed = before != text
        if changed and not self.check:
            fd, tmp = tempfile.mkstemp(prefix='.owu-', dir=os.path.dirname(path))
            try:
                with os.fdopen(fd, 'wb') as handle:
                    handle.write(to_bytes(text))
                os.chmod(tmp, int(mode, 8))
                if validate:
                    validate(tmp)
                self.module.atomic_move(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        if os.path.exists(path):
            args = self.module.load_file_common_arguments({'path': path, 'mode': mode, 'owner': 'root', 'group': 'root'})
            changed = self.module.set_fs_attributes_if_different(args, changed)
        self.changed = self.changed or changed
        return changed, before

    def _remove(self, path):
        """Removes ``path`` (a file, link or directory tree); True when it existed."""
        if not os.path.lexists(path):
            return False
        self.changed = True
        if not self.check:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        return True
