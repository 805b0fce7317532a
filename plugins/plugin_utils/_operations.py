# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which roles a day-2 backup or restore asks on a host, in which order (roles/operations).

A backup is made of components (a folder each: openwebui, qdrant, langfuse, pipelines, and the
models under ollama); each belongs to one role, whose ``backup`` and ``restore`` entry points
copy and load it. The operations role only orders them.
"""

from __future__ import annotations

MODELS = 'ollama'


class OperationsPlanError(Exception):
    """An input the plan cannot use; the message names it."""


def _names(value, what):
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise OperationsPlanError('%s must be a list of names, got %r' % (what, value))
    return list(value)


def backup_plan(asked, component_roles, roles_here, models=False):
    """``[{'component', 'role'}]``: the components in ``asked`` (in that order) whose role runs on
    the host (``roles_here``: the role labels of its containers), then the models when ``models``
    and Ollama runs there. An unknown component is refused."""
    asked = _names(asked, 'the components')
    unknown = [name for name in asked if name not in component_roles or name == MODELS]
    if unknown:
        raise OperationsPlanError('unknown components %s (known: %s)' % (
            ', '.join(unknown), ', '.join(sorted(name for name in component_roles if name != MODELS))))
    here = set(_names(list(roles_here), 'the roles on the host'))
    plan = [{'component': name, 'role': component_roles[name]} for name in asked if component_roles[name] in here]
    if models and MODELS in component_roles and component_roles[MODELS] in here:
        plan.append({'component': MODELS, 'role': component_roles[MODELS]})
    return plan


def restore_plan(in_backup, asked, component_roles):
    """``[{'component', 'role'}]``: the components of the backup (its manifest's ``components``, in
    that order) that ``asked`` names; the models are never restored (they are re-downloaded). A
    component of the backup that this collection does not know is refused (a newer backup)."""
    in_backup = _names(in_backup, "the backup's components")
    asked = set(_names(asked, 'the components to restore'))
    unknown = [name for name in in_backup if name not in component_roles]
    if unknown:
        raise OperationsPlanError('the backup holds components this collection does not know: %s' % ', '.join(unknown))
    return [{'component': name, 'role': component_roles[name]}
            for name in in_backup if name in asked and name != MODELS]
