# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the file helpers the host modules share (plugins/module_utils/_files.py), on a real
file system with a real AnsibleModule (compose_host, docker_daemon and nft_table test them in use)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.numberone.owu.plugins.module_utils._files import RootFiles, read_text


class Worker(RootFiles):
    def __init__(self, check=False):
        with patch_module_args({'_ansible_check_mode': check}):
            self.module = basic.AnsibleModule(argument_spec={}, supports_check_mode=True)
        self.check = self.module.check_mode
        self.changed = False


class Refused(Exception):
    pass


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_read_text(tmp_path):
    (tmp_path / 'f').write_text('x\n')
    assert read_text(str(tmp_path / 'f')) == 'x\n' and read_text(str(tmp_path / 'none')) is None


def test_ensure_dir_write_and_remove(tmp_path):
    worker = Worker()
    target = tmp_path / 'a' / 'b'
    assert worker._ensure_dir(str(target), '0750') is False and worker.changed
    assert _mode(target) == 0o750 and _mode(tmp_path / 'a') == 0o755
    worker.changed = False
    assert worker._write(str(target / 'f'), 'one\n', '0600') == (True, None)
    assert _mode(target / 'f') == 0o600 and worker.changed
    worker.changed = False
    assert worker._write(str(target / 'f'), 'one\n', '0600') == (False, 'one\n') and not worker.changed
    assert worker._remove(str(tmp_path / 'a')) and not (tmp_path / 'a').exists()
    assert worker._remove(str(tmp_path / 'a')) is False


def test_a_refused_file_replaces_nothing_and_leaves_no_temporary_file(tmp_path):
    worker = Worker()
    (tmp_path / 'f').write_text('old\n')
    seen = []

    def refuse(tmp):
        seen.append(open(tmp).read())
        raise Refused()

    with pytest.raises(Refused):
        worker._write(str(tmp_path / 'f'), 'new\n', '0644', validate=refuse)
    assert seen == ['new\n'] and (tmp_path / 'f').read_text() == 'old\n'
    assert sorted(os.listdir(str(tmp_path))) == ['f']


def test_check_mode_changes_nothing(tmp_path):
    worker = Worker(check=True)
    assert worker._ensure_dir(str(tmp_path / 'new'), '0755') is True
    assert worker._write(str(tmp_path / 'new' / 'f'), 'x', '0644') == (True, None)
    (tmp_path / 'old').write_text('x')
    assert worker._remove(str(tmp_path / 'old')) and worker.changed
    assert sorted(os.listdir(str(tmp_path))) == ['old']
