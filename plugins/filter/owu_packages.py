# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the roles that install apt packages: the local fact that reports them and what apt
still has to do (docs: the owu_package_fact_*.yml and owu_packages_to_*.yml files next to this
file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.numberone.owu.plugins.plugin_utils import _packages
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def _specs(value, name):
    value = _plain(value)
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError('%s: the input must be a list of package names (or name=version)' % name)
    return [str(v) for v in value]


def owu_package_fact_script(specs, name, header='Managed by numberone.owu'):
    """The executable local fact reporting these packages (see owu_package_fact_script.yml)."""
    return _packages.fact_script(_specs(specs, 'owu_package_fact_script'), str(name), str(header))


def owu_packages_to_install(specs, fact=None):
    """The specs apt still has to act on (see owu_packages_to_install.yml)."""
    return _packages.to_install(_specs(specs, 'owu_packages_to_install'), _plain(fact))


def owu_packages_to_remove(names, fact=None):
    """The packages that may be installed (see owu_packages_to_remove.yml)."""
    return _packages.to_remove(_specs(names, 'owu_packages_to_remove'), _plain(fact))


def owu_package_fact_current(specs, fact=None):
    """Whether the fact reports on exactly these packages (see owu_package_fact_current.yml)."""
    return _packages.fact_is_current(_specs(specs, 'owu_package_fact_current'), _plain(fact))


class FilterModule:
    """Package filters."""

    def filters(self):
        return {
            'owu_package_fact_script': owu_package_fact_script,
            'owu_packages_to_install': owu_packages_to_install,
            'owu_packages_to_remove': owu_packages_to_remove,
            'owu_package_fact_current': owu_package_fact_current,
        }
