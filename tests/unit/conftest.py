# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared helpers for the unit tests of the numberone.owu collection.

Import path
    Plain ``pytest tests/unit`` from a clone: this file puts ``<repo>/.collections`` (where
    ``ansible_collections/numberone/owu`` links to the checkout) on ``sys.path`` when
    ``ansible_collections.numberone.owu`` is not importable already. Under ``ansible-test units``
    or with the collection installed, nothing is changed.

Fixtures for whole-module tests (any module of the collection can use them)
    ``run_module``
        ``run_module(main, args=None, check_mode=False)`` runs a module's ``main()`` in-process the
        way Ansible would: the arguments are passed with
        ``ansible.module_utils.testing.patch_module_args`` (ansible-core 2.19; on older cores the
        same is done by patching ``basic._ANSIBLE_ARGS``), ``exit_json``/``fail_json`` run
        unmodified, and the helper catches their ``SystemExit`` and decodes the JSON result the
        module printed. It returns that result as a dict: ``failed`` is true after ``fail_json``,
        ``warnings``/``invocation`` are there as Ansible would see them. A module that prints
        anything else on stdout, or never exits, fails the test. Warnings and deprecations
        collected by a previous run are cleared first, and module_utils is told it runs on a
        managed host even when another test imported controller code.

    ``load_fixture``
        ``load_fixture('nvidia-smi', 'one-gpu.yml')`` returns a file under ``tests/unit/fixtures/``:
        parsed for ``.yml``/``.yaml``/``.json``, text otherwise.

    ``fake_commands``
        A :class:`FakeCommands` installed over ``AnsibleModule.run_command`` and
        ``AnsibleModule.get_bin_path`` for the test. Script answers with
        ``fake_commands.add(argv_tail, rc=0, stdout='', stderr='')`` (a command matches when its
        argv ends with ``argv_tail``, so wrappers such as ``timeout -k 5 30`` in front do not
        matter; answers are used once each, in order) and say which binaries exist with
        ``fake_commands.bin_paths['name'] = '/path'`` (any other name is "not found").
        ``fake_commands.calls`` records every argv and its keyword arguments. A command with no
        scripted answer raises ``AssertionError`` inside the module, which fails the test.

Example::

    from ansible_collections.numberone.owu.plugins.modules import my_module

    def test_absent(run_module, fake_commands):
        fake_commands.bin_paths['tool'] = '/usr/bin/tool'
        fake_commands.add(['tool', 'list'], rc=0, stdout='')
        result = run_module(my_module.main, {'name': 'x'}, check_mode=True)
        assert result['changed'] is False
        assert fake_commands.calls[0]['args'][-1] == 'list'
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib.util
import io
import json
import os
import sys

import pytest

_COLLECTIONS_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, '.collections'))


def _collection_importable():
    try:
        return importlib.util.find_spec('ansible_collections.numberone.owu') is not None
    except ImportError:
        return False


if os.path.isdir(_COLLECTIONS_DIR) and not _collection_importable():
    sys.path.insert(0, _COLLECTIONS_DIR)

# pylint: disable=wrong-import-position
from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.common import warnings as _warnings  # noqa: E402

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
except ImportError:  # pragma: no cover - ansible-core 2.18
    from unittest import mock as _mock

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Same as ansible-core 2.19's helper, for older cores."""
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode('utf-8')
        with _mock.patch.object(basic, '_ANSIBLE_ARGS', payload):
            yield


def _clear_module_messages():
    for name in ('_global_warnings', '_global_deprecations'):
        collected = getattr(_warnings, name, None)
        if collected is not None:
            collected.clear()


@contextlib.contextmanager
def _as_managed_host():
    """Make module_utils behave as on a managed host while the module runs.

    ansible-core 2.19 flags the process as "controller" as soon as controller code is imported
    (``ansible.playbook``, ``ansible.template``..., which other tests do); module_utils then
    sends ``module.warn()`` to the controller display instead of the result. Undo that for the run.
    """
    try:
        from ansible.module_utils import _internal as internal
    except ImportError:  # pragma: no cover - ansible-core 2.18
        yield
        return
    if not hasattr(internal, 'is_controller'):  # pragma: no cover
        yield
        return
    saved = internal.is_controller
    internal.is_controller = False
    try:
        yield
    finally:
        internal.is_controller = saved


def _run_module(main, args=None, check_mode=False):
    """Run ``main`` (a function, or a module object with ``main``) and return its result dict."""
    if not callable(main):
        main = main.main
    module_args = dict(args or {})
    if check_mode:
        module_args['_ansible_check_mode'] = True
    _clear_module_messages()
    stdout = io.StringIO()
    exit_code = None
    with patch_module_args(module_args), _as_managed_host(), contextlib.redirect_stdout(stdout):
        try:
            main()
        except SystemExit as exc:
            exit_code = exc.code
    printed = stdout.getvalue().strip()
    if exit_code is None:
        pytest.fail('the module returned without calling exit_json or fail_json; stdout: %r' % printed)
    try:
        result = json.loads(printed)
    except ValueError:
        pytest.fail('the module printed something that is not one JSON result (exit %r): %r' % (exit_code, printed))
    if bool(result.get('failed')) != (exit_code not in (0, None)):
        pytest.fail('exit code %r does not match failed=%r' % (exit_code, result.get('failed')))
    return result


FIXTURES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')


def _load_fixture(topic, name):
    path = os.path.join(FIXTURES_DIR, topic, name)
    with open(path, encoding='utf-8') as handle:
        if name.endswith(('.yml', '.yaml')):
            import yaml  # ansible-core depends on PyYAML
            return yaml.safe_load(handle)
        if name.endswith('.json'):
            return json.load(handle)
        return handle.read()


@pytest.fixture
def load_fixture():
    """Return ``load_fixture(topic, name)`` reading ``tests/unit/fixtures/<topic>/<name>``."""
    return _load_fixture


@pytest.fixture
def run_module():
    """Return ``run_module(main, args=None, check_mode=False) -> result dict`` (see the file docstring)."""
    return _run_module


class FakeCommands:
    """Scripted stand-in for ``AnsibleModule.run_command`` and ``AnsibleModule.get_bin_path``."""

    def __init__(self):
        self.bin_paths = {}
        self.bin_lookups = []
        self.calls = []
        self._answers = []

    def add(self, argv_tail, rc=0, stdout='', stderr=''):
        """Answer the next command whose argv ends with ``argv_tail`` with (rc, stdout, stderr)."""
        self._answers.append((list(argv_tail), (rc, stdout, stderr)))
        return self

    @property
    def pending(self):
        """The argv tails scripted but not used yet."""
        return [tail for tail, dummy in self._answers]

    def run_command(self, module, args, **kwargs):  # pylint: disable=unused-argument
        argv = [str(arg) for arg in (args if isinstance(args, (list, tuple)) else args.split())]
        self.calls.append({'args': argv, 'kwargs': kwargs})
        for pos, (tail, answer) in enumerate(self._answers):
            if tail and argv[-len(tail):] == tail:
                del self._answers[pos]
                return answer
        raise AssertionError('unexpected command %r; scripted: %r' % (argv, self.pending))

    def get_bin_path(self, module, arg, required=False, opt_dirs=None):  # pylint: disable=unused-argument
        self.bin_lookups.append({'arg': arg, 'required': required, 'opt_dirs': opt_dirs})
        path = self.bin_paths.get(arg)
        if path is None and required:
            module.fail_json(msg='Failed to find required executable "%s"' % arg)
        return path


@pytest.fixture
def fake_commands(monkeypatch):
    """Install a :class:`FakeCommands` over ``AnsibleModule.run_command``/``get_bin_path``."""
    fake = FakeCommands()

    def run_command(module, args, **kwargs):
        return fake.run_command(module, args, **kwargs)

    def get_bin_path(module, arg, required=False, opt_dirs=None):
        return fake.get_bin_path(module, arg, required=required, opt_dirs=opt_dirs)

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', get_bin_path)
    return fake


# The scripted HTTP server shared by the HTTP module tests (tests/unit/scripted_http.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scripted_http import ScriptedServer  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def server():
    """A fresh ScriptedServer on 127.0.0.1:0 for one test."""
    with ScriptedServer() as srv:
        yield srv
