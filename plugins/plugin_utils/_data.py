# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: internal to the numberone.owu collection (controller side, used by its filter
# plugins); not a public API.

"""Plain Python data from what Ansible hands a filter."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_native


def plain(value):
    """Turn Ansible's lazy/tagged containers into plain Python ones (they compare the same)."""
    if isinstance(value, dict):
        return {to_native(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return to_native(value)
    return value
