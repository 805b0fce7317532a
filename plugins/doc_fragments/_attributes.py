# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: attributes shared by the collection's modules. Not a public API of the collection.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Every module of the collection (numberone.owu._attributes).
    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/numberone.owu.owu) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - numberone.owu.owu
  platform:
    support: full
    platforms: posix
"""

    # Modules that only read (numberone.owu._attributes.read_only).
    READ_ONLY = r"""
attributes:
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: full
    details:
      - The module never changes anything.
"""
