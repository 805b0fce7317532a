# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which roles a day-2 backup or restore asks, in which order, and the status tables (docs: the
.yml files next to this file; the logic: plugins/plugin_utils/_operations.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.numberone.owu.plugins.plugin_utils import _operations
from ansible_collections.numberone.owu.plugins.plugin_utils._data import plain as _plain


def owu_backup_plan(asked, component_roles, roles_here, models=False):
    """The components a backup copies on this host (see owu_backup_plan.yml)."""
    try:
        return _operations.backup_plan(_plain(asked), _plain(component_roles), _plain(roles_here), bool(models))
    except _operations.OperationsPlanError as exc:
        raise AnsibleFilterError('owu_backup_plan: %s' % to_native(exc))


def owu_restore_plan(in_backup, asked, component_roles):
    """The components a restore loads (see owu_restore_plan.yml)."""
    try:
        return _operations.restore_plan(_plain(in_backup), _plain(asked), _plain(component_roles))
    except _operations.OperationsPlanError as exc:
        raise AnsibleFilterError('owu_restore_plan: %s' % to_native(exc))


def owu_status_tables(containers, roles, ps_results, disk_usage):
    """The status tables of a host (see owu_status_tables.yml)."""
    return _operations.status_tables(_plain(containers), _plain(roles), _plain(ps_results), _plain(disk_usage))


def owu_unnamed_pin_changes(deployed, requested, inventory):
    """The pins an upgrade would change without naming them (see owu_unnamed_pin_changes.yml)."""
    try:
        return _operations.unnamed_pin_changes(_plain(deployed), _plain(requested), _plain(inventory))
    except _operations.OperationsPlanError as exc:
        raise AnsibleFilterError('owu_unnamed_pin_changes: %s' % to_native(exc))


class FilterModule:
    """Day-2 operations filters."""

    def filters(self):
        return {
            'owu_backup_plan': owu_backup_plan,
            'owu_restore_plan': owu_restore_plan,
            'owu_status_tables': owu_status_tables,
            'owu_unnamed_pin_changes': owu_unnamed_pin_changes,
        }
