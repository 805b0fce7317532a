# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the package fact (plugins/plugin_utils/_packages.py) and its filters: the script
is run for real, with a dpkg-query on PATH that answers like Debian's."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.filter import owu_packages
from ansible_collections.numberone.owu.plugins.plugin_utils import _packages

# What Debian's dpkg-query -W -f '${Package}\t${db:Status-Status}\t${Version}\n' prints: known
# packages on stdout (removed-but-configured ones as config-files), unknown ones on stderr, exit 1.
FAKE_DPKG_QUERY = r'''#!/bin/sh
echo "$@" > "${0%/*}/args"
rc=0
shift 3
for p in "$@"; do
  case "$p" in
    docker.io) printf 'docker.io\tinstalled\t26.1.5+dfsg1-9+b9\n' ;;
    docker-cli) printf 'docker-cli\tinstalled\t26.1.5+dfsg1-9+b9\n' ;;
    nftables) printf 'nftables\tconfig-files\t1.1.3-1\n' ;;
    *) echo "dpkg-query: no packages found matching $p" >&2; rc=1 ;;
  esac
done
exit $rc
'''


def _run(tmp_path, script, dpkg=FAKE_DPKG_QUERY):
    path = tmp_path / 'owu_test.fact'
    path.write_text(script.replace('#!/usr/bin/python3', '#!' + sys.executable, 1))
    path.chmod(0o755)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    if dpkg is not None:
        fake = bin_dir / 'dpkg-query'
        fake.write_text(dpkg)
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=str(bin_dir))
    out = subprocess.run([str(path)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_script_reports_installed_packages_only(tmp_path):
    script = _packages.fact_script(['docker.io=26.1.5*', 'docker-cli', 'nftables', 'python3-docker'],
                                   'owu_test', 'Managed by a test')
    assert script.startswith('#!/usr/bin/python3\n# Managed by a test\n')
    answer = _run(tmp_path, script)
    assert answer == {'format': 1, 'wanted': ['docker-cli', 'docker.io', 'nftables', 'python3-docker'],
                      'installed': {'docker.io': '26.1.5+dfsg1-9+b9', 'docker-cli': '26.1.5+dfsg1-9+b9'}}
    # Names only, never the pins, go to dpkg-query.
    assert (tmp_path / 'bin' / 'args').read_text().split()[-4:] == answer['wanted']


def test_the_script_answers_when_dpkg_query_is_missing(tmp_path):
    answer = _run(tmp_path, _packages.fact_script(['nftables'], 'owu_test', 'x'), dpkg=None)
    assert answer['installed'] == {}
    assert 'dpkg-query' in answer['error']
    # An answer with an error is not trusted: apt runs.
    assert _packages.to_install(['nftables'], answer) == ['nftables']


def test_to_install_trusts_only_a_fact_that_reports_on_every_package():
    fact = {'format': 1, 'wanted': ['docker-cli', 'docker.io'], 'installed': {'docker.io': '26.1.5', 'docker-cli': '26.1.5'}}
    assert _packages.to_install(['docker.io', 'docker-cli'], fact) == []
    assert _packages.to_install(['docker.io'], fact) == []
    assert _packages.fact_is_current(['docker.io', 'docker-cli=26*'], fact)
    assert not _packages.fact_is_current(['docker.io'], fact)
    # The role's list grew (a new release), or the fact is from another format, or missing.
    assert not _packages.fact_is_current(['docker.io', 'docker-cli', 'docker-compose'], fact)
    assert _packages.to_install(['docker.io', 'docker-cli', 'docker-compose'], fact) == ['docker.io', 'docker-cli', 'docker-compose']
    assert _packages.to_install(['docker.io', 'docker-cli'], dict(fact, format=2)) == ['docker.io', 'docker-cli']
    assert _packages.to_install(['docker.io'], None) == ['docker.io']
    assert _packages.to_install(['docker.io'], 'not a dict') == ['docker.io']


def test_to_install_lists_missing_packages_and_unmatched_pins():
    fact = {'format': 1, 'wanted': ['a', 'b', 'c'], 'installed': {'a': '26.1.5+dfsg1-9', 'b': '1.0'}}
    assert _packages.to_install(['a=26.1.5*', 'b', 'c'], fact) == ['c']
    assert _packages.to_install(['a=26.1.4*', 'b=1.0', 'c'], fact) == ['a=26.1.4*', 'c']
    assert _packages.to_install(['a=26.1.5+dfsg1-9', 'b=1.0'], dict(fact, wanted=['a', 'b'])) == []
    # A pin without a wildcard is the exact version.
    assert _packages.to_install(['a=26.1.5'], dict(fact, wanted=['a'])) == ['a=26.1.5']


def test_to_remove_lists_what_may_be_installed():
    fact = {'format': 1, 'wanted': ['a', 'b', 'c'], 'installed': {'a': '1'}}
    assert _packages.to_remove(['a', 'b'], fact) == ['a']
    assert _packages.to_remove(['b', 'c'], fact) == []
    # Unknown: everything may be installed.
    assert _packages.to_remove(['b', 'x'], fact) == ['b', 'x']
    assert _packages.to_remove(['b'], None) == ['b']


def test_filters_check_their_input_and_call_the_helpers():
    assert owu_packages.owu_packages_to_remove(['x'], None) == ['x']
    assert owu_packages.owu_package_fact_current(['x'], {'format': 1, 'wanted': ['x'], 'installed': {}}) is True
    assert owu_packages.owu_packages_to_install(['x'], None) == ['x']
    assert 'WANTED = ["x"]' in owu_packages.owu_package_fact_script(['x=1'], 'owu_x')
    with pytest.raises(AnsibleFilterError, match='list of package names'):
        owu_packages.owu_packages_to_install('nftables')
    with pytest.raises(AnsibleFilterError, match='list of package names'):
        owu_packages.owu_package_fact_script({'a': 1}, 'owu_x')
