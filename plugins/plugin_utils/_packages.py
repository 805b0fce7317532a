# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by the
# owu_package_fact_script and owu_packages_to_install filters of the docker and firewall roles);
# not a public API.

"""Apt packages a role installs, answered by fact gathering instead of an apt round trip.

A role that installs packages writes an executable local fact (``/etc/ansible/facts.d/<name>.fact``)
whose script asks ``dpkg-query`` for just those packages. ``setup`` runs it on every fact gathering
(site.yml's first play gathers facts anyway), so on a re-run the role knows what is installed
without an ``apt`` call, and calls ``apt`` only for what is missing or at another version than the
pin. The script reports the list it was written for: a role whose list changed does not trust it.
"""

from __future__ import annotations

import fnmatch
import json

FACT_FORMAT = 1

_SCRIPT = '''#!/usr/bin/python3
# {header}
# An Ansible local fact: `setup` runs it and reads the JSON it prints (ansible_local.{name}).
# It only reads the dpkg database and always prints an answer, even when dpkg-query fails.
import json
import subprocess

WANTED = {wanted}
answer = {{"format": {format}, "wanted": WANTED, "installed": {{}}}}
try:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${{Package}}\\t${{db:Status-Status}}\\t${{Version}}\\n"] + WANTED,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, timeout=30,
    ).stdout
    for line in out.splitlines():
        fields = line.split("\\t")
        if len(fields) == 3 and fields[1] == "installed":
            answer["installed"][fields[0]] = fields[2]
except Exception as exc:  # noqa: BLE001 - a fact script must answer, never fail
    answer["error"] = str(exc)
print(json.dumps(answer, sort_keys=True))
'''


def package_name(spec):
    """``docker.io=26.1.5*`` -> ``docker.io``; ``docker.io`` -> ``docker.io``."""
    return str(spec).split('=', 1)[0].strip()


def fact_script(specs, name, header):
    """The text of the executable local fact that reports the packages of ``specs`` (names or
    ``name=version`` pins; only the names go into the script)."""
    names = sorted({package_name(s) for s in specs})
    return _SCRIPT.format(header=header.replace('\n', ' '), name=name, wanted=json.dumps(names),
                          format=FACT_FORMAT)


def _wanted(fact):
    """The names ``fact`` (the script's answer) reports on, or None when it cannot be trusted."""
    if not isinstance(fact, dict) or fact.get('format') != FACT_FORMAT or 'error' in fact:
        return None
    return set(fact.get('wanted') or [])


def fact_is_current(specs, fact):
    """Whether ``fact`` was written for exactly the packages of ``specs`` (else: write it again)."""
    return _wanted(fact) == {package_name(s) for s in specs}


def _covers(names, fact):
    wanted = _wanted(fact)
    return wanted is not None and set(names) <= wanted


def to_install(specs, fact):
    """The specs ``apt`` still has to act on: all of them when ``fact`` is missing or does not
    report on all of them; else the packages not installed and the pins (``name=version``, ``*``
    wildcards as apt reads them) the installed version does not match."""
    specs = [str(s) for s in specs]
    if not _covers([package_name(s) for s in specs], fact):
        return specs
    installed = fact.get('installed') or {}
    out = []
    for spec in specs:
        name = package_name(spec)
        if name not in installed:
            out.append(spec)
        elif '=' in spec and not fnmatch.fnmatchcase(str(installed[name]), spec.split('=', 1)[1].strip()):
            out.append(spec)
    return out


def to_remove(names, fact):
    """The packages of ``names`` that may be installed: all of them when ``fact`` does not report
    on all of them, else the ones it shows installed."""
    names = [package_name(n) for n in names]
    if not _covers(names, fact):
        return names
    installed = fact.get('installed') or {}
    return [n for n in names if n in installed]
