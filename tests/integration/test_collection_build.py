# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection as users get it: built with ansible-galaxy, installed from the tarball, used.

The tarball is built once per test session from the working tree (``ansible-galaxy collection
build``, honouring galaxy.yml's ``build_ignore``) and installed with ``--no-deps`` into an empty
directory. The commands run with that directory as the only ``ANSIBLE_COLLECTIONS_PATH`` entry and
from a directory without ``ansible.cfg``, so they see the installed copy and not the checkout
(the dependency collections come from the ``ansible`` package on ``sys.path``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))
with open(os.path.join(REPO, 'galaxy.yml'), encoding='utf-8') as _handle:
    GALAXY = yaml.safe_load(_handle)
FQCN = '%s.%s' % (GALAXY['namespace'], GALAXY['name'])
# Development-only content that must never ship in the tarball.
NOT_SHIPPED = ('tests', 'molecule', '.ci', '.collections', 'benchmarks', 'scripts', '.venv', '.build', '.cache')


def _tool(name):
    """The Ansible command next to this Python (the test venv), else the one on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    assert found, '%s is not installed next to %s nor on PATH' % (name, sys.executable)
    return found


def _run(argv, cwd, collections_path=None):
    env = dict(os.environ)
    env.pop('ANSIBLE_CONFIG', None)
    env['ANSIBLE_NOCOLOR'] = '1'
    if collections_path:
        env['ANSIBLE_COLLECTIONS_PATH'] = collections_path
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, '%s failed (exit %d)\nstdout:\n%s\nstderr:\n%s' % (
        ' '.join(argv), result.returncode, result.stdout[-4000:], result.stderr[-4000:])
    return result


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp('build')
    _run([_tool('ansible-galaxy'), 'collection', 'build', REPO, '--output-path', str(out)], cwd=str(out))
    built = sorted(out.glob('*.tar.gz'))
    assert [path.name for path in built] == ['%s-%s-%s.tar.gz' % (GALAXY['namespace'], GALAXY['name'], GALAXY['version'])]
    return built[0]


@pytest.fixture(scope='module')
def installed(tarball, tmp_path_factory):
    """(collections path, empty working directory) with the tarball installed."""
    root = tmp_path_factory.mktemp('installed')
    collections = root / 'collections'
    workdir = root / 'work'
    collections.mkdir()
    workdir.mkdir()
    _run([_tool('ansible-galaxy'), 'collection', 'install', '--no-deps', str(tarball), '-p', str(collections)], cwd=str(workdir))
    return str(collections), str(workdir)


def test_tarball_ships_no_development_content(tarball):
    with tarfile.open(str(tarball)) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile('MANIFEST.json'))
    tops = set(name.split('/', 1)[0] for name in names)
    shipped = sorted(tops & set(NOT_SHIPPED))
    assert not shipped, 'development-only content in %s: %s' % (tarball.name, shipped)
    for required in ('MANIFEST.json', 'FILES.json', 'meta/runtime.yml', 'playbooks/site.yml', 'plugins/modules/gpu_facts.py'):
        assert required in names, '%s is missing from %s' % (required, tarball.name)
    assert any(name.startswith('roles/docker/') for name in names), 'roles/docker is missing from %s' % tarball.name
    info = manifest['collection_info']
    assert (info['namespace'], info['name'], info['version']) == (GALAXY['namespace'], GALAXY['name'], GALAXY['version'])


def test_installed_module_doc_renders(installed):
    collections, workdir = installed
    module = '%s.gpu_facts' % FQCN
    text = _run([_tool('ansible-doc'), '-t', 'module', module], cwd=workdir, collections_path=collections).stdout
    assert module in text and 'EXAMPLES' in text and 'RETURN VALUES' in text, text[:2000]
    data = json.loads(_run([_tool('ansible-doc'), '-t', 'module', '--json', module], cwd=workdir, collections_path=collections).stdout)
    doc = data[module]['doc']
    assert doc['short_description'].strip()
    assert doc['collection'] == FQCN
    assert os.path.realpath(doc['filename']).startswith(os.path.realpath(collections) + os.sep), (
        'ansible-doc read %s, not the installed copy under %s' % (doc['filename'], collections))
    assert data[module]['examples'].strip() and data[module]['return']


def test_site_syntax_from_checkout():
    _run([_tool('ansible-playbook'), '--syntax-check', 'site.yml'], cwd=REPO)


def test_site_syntax_from_installed_collection(installed):
    collections, workdir = installed
    result = _run([_tool('ansible-playbook'), '%s.site' % FQCN, '--syntax-check', '-i', os.path.join(REPO, 'inventories', 'local')],
                  cwd=workdir, collections_path=collections)
    assert 'playbook: ' in result.stdout, result.stdout
