# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the collection's YAML files (roles, playbooks, Molecule) in unit tests without Ansible:
a SafeLoader that also accepts Ansible's ``!unsafe`` and ``!vault`` tags (as plain strings).
tests/unit is on sys.path (conftest.py), so tests ``from ansible_yaml import load, load_file``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml


class Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader that reads Ansible's ``!unsafe`` and ``!vault`` tags as plain strings."""


Loader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))
Loader.add_constructor('!vault', lambda loader, node: '!vault')


def load(text_or_stream):
    """Parse YAML text or an open file with :class:`Loader`."""
    return yaml.load(text_or_stream, Loader=Loader)  # nosec B506 - a SafeLoader subclass


def load_file(path):
    """Parse the YAML file at ``path`` (UTF-8)."""
    with open(path, encoding='utf-8') as handle:
        return load(handle)
