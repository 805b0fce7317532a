# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Structure checks run over every role under ``roles/`` (docs/CONVENTIONS.md, "Roles").

* ``meta/argument_specs.yml`` exists and has a ``main`` entry point; every option has a
  description.
* The keys of ``defaults/main.yml`` are exactly the options of ``main`` that are not
  ``required: true`` (a required option has no default, so it must not be in defaults/); where an
  option declares ``default``, it equals the value in ``defaults/main.yml``; a literal (not
  templated) default value matches the option's ``type``, ``elements`` and ``choices``.
* Every handler has a capitalised ``name`` and a lowercase ``listen`` topic.
* Every template's first line (after a ``#!`` line, if any) carries ``ansible_managed``. JSON
  templates (``*.json.j2``) cannot carry a comment: they must not mention ``ansible_managed``
  and must be documented instead, by a README next to them that names them or by a file name
  that says "managed".
* ``tasks/main.yml`` is an index: each entry is one ``ansible.builtin.include_tasks`` or
  ``ansible.builtin.import_tasks`` of a file that exists under ``tasks/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible.playbook.task import Task

from ansible_yaml import load_file  # tests/unit is on sys.path (conftest.py)

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))
ROLES_DIR = os.path.join(REPO, 'roles')
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name))) if os.path.isdir(ROLES_DIR) else []
INCLUDE_ACTIONS = ('ansible.builtin.include_tasks', 'ansible.builtin.import_tasks')
TEMPLATED = re.compile(r'{{|{%')
TYPE_CHECKS = {
    'str': lambda value: isinstance(value, str),
    'path': lambda value: isinstance(value, str),
    'int': lambda value: isinstance(value, int) and not isinstance(value, bool),
    'float': lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    'bool': lambda value: isinstance(value, bool),
    'list': lambda value: isinstance(value, list),
    'dict': lambda value: isinstance(value, dict),
}


def _load(role, *parts):
    path = os.path.join(ROLES_DIR, role, *parts)
    if not os.path.isfile(path):
        return None
    return load_file(path)


def _main_spec(role):
    data = _load(role, 'meta', 'argument_specs.yml')
    assert isinstance(data, dict) and isinstance(data.get('argument_specs'), dict), (
        'roles/%s/meta/argument_specs.yml is missing or has no argument_specs mapping' % role)
    main = data['argument_specs'].get('main')
    assert isinstance(main, dict), 'roles/%s/meta/argument_specs.yml has no "main" entry point' % role
    return main


def _templated(value):
    if isinstance(value, str):
        return bool(TEMPLATED.search(value))
    if isinstance(value, list):
        return any(_templated(item) for item in value)
    if isinstance(value, dict):
        return any(_templated(item) for item in value.values())
    return False


def _task_files(role, subdir):
    base = os.path.join(ROLES_DIR, role, subdir)
    for dirpath, dummy, filenames in os.walk(base):
        for filename in sorted(filenames):
            yield os.path.join(dirpath, filename)


def test_roles_exist():
    assert ROLES, 'no role under roles/'


@pytest.mark.parametrize('role', ROLES)
def test_argument_specs_document_every_option(role):
    options = _main_spec(role).get('options') or {}
    undocumented = sorted(name for name, spec in options.items() if not (spec or {}).get('description'))
    assert not undocumented, 'roles/%s/meta/argument_specs.yml: options without description: %s' % (role, undocumented)


@pytest.mark.parametrize('role', ROLES)
def test_defaults_match_argument_specs(role):
    options = _main_spec(role).get('options') or {}
    defaults = _load(role, 'defaults', 'main.yml') or {}
    assert isinstance(defaults, dict), 'roles/%s/defaults/main.yml is not a mapping' % role

    required = set(name for name, spec in options.items() if (spec or {}).get('required'))
    expected = set(options) - required
    missing = sorted(expected - set(defaults))
    undeclared = sorted(set(defaults) - set(options))
    required_with_default = sorted(required & set(defaults))
    assert not missing, 'roles/%s: options of meta/argument_specs.yml (main) with no value in defaults/main.yml: %s' % (role, missing)
    assert not undeclared, 'roles/%s: defaults/main.yml keys not declared in meta/argument_specs.yml (main): %s' % (role, undeclared)
    assert not required_with_default, 'roles/%s: required options must not have a value in defaults/main.yml: %s' % (role, required_with_default)

    problems = []
    for name in sorted(expected):
        spec = options[name] or {}
        value = defaults[name]
        if 'default' in spec and spec['default'] != value:
            problems.append('%s: argument_specs default %r != defaults/main.yml %r' % (name, spec['default'], value))
        if value is None or _templated(value):
            continue
        check = TYPE_CHECKS.get(spec.get('type', 'str'))
        if check and not check(value):
            problems.append('%s: %r is not of type %s' % (name, value, spec.get('type', 'str')))
        elements = TYPE_CHECKS.get(spec.get('elements'))
        if elements and isinstance(value, list) and not all(elements(item) for item in value):
            problems.append('%s: not every element of %r is of type %s' % (name, value, spec['elements']))
        choices = spec.get('choices')
        if choices:
            chosen = value if isinstance(value, list) else [value]
            if any(item not in choices for item in chosen):
                problems.append('%s: %r is not one of %r' % (name, value, choices))
    assert not problems, 'roles/%s: defaults/main.yml and meta/argument_specs.yml disagree:\n  %s' % (role, '\n  '.join(problems))


@pytest.mark.parametrize('role', ROLES)
def test_handlers_listen(role):
    problems = []
    for path in _task_files(role, 'handlers'):
        if not path.endswith(('.yml', '.yaml')):
            continue
        handlers = load_file(path) or []
        rel = os.path.relpath(path, REPO)
        for handler in handlers:
            name = handler.get('name', '')
            listen = handler.get('listen')
            if not name or not name[0].isupper():
                problems.append('%s: handler %r: name must start with a capital letter' % (rel, name))
            topics = listen if isinstance(listen, list) else [listen]
            if not listen or any(not isinstance(topic, str) or topic != topic.lower() for topic in topics):
                problems.append('%s: handler %r: needs a lowercase `listen` topic (got %r)' % (rel, name, listen))
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('role', ROLES)
def test_templates_carry_ansible_managed(role):
    problems = []
    for path in _task_files(role, 'templates'):
        rel = os.path.relpath(path, REPO)
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        name = os.path.basename(path)
        if re.search(r'\.json(\.j2)?$', name):
            if 'ansible_managed' in text:
                problems.append('%s: a JSON template cannot carry ansible_managed (it would not be JSON)' % rel)
            folder = os.path.dirname(path)
            readmes = [os.path.join(folder, other) for other in os.listdir(folder) if 'readme' in other.lower()]
            documented = 'managed' in name.lower()
            for readme in readmes:
                with open(readme, encoding='utf-8') as handle:
                    documented = documented or name.replace('.j2', '') in handle.read()
            if not documented:
                problems.append('%s: a JSON template must be named in a README beside it (or say "managed" in its name)' % rel)
            continue
        lines = text.splitlines()
        if lines and lines[0].startswith('#!'):
            lines = lines[1:]
        if not lines or 'ansible_managed' not in lines[0]:
            problems.append('%s: the first line must be {{ ansible_managed | comment }}' % rel)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('role', ROLES)
def test_tasks_main_only_includes(role):
    tasks = _load(role, 'tasks', 'main.yml')
    assert isinstance(tasks, list) and tasks, 'roles/%s/tasks/main.yml is missing or empty' % role
    keywords = set(Task.fattributes)
    problems = []
    for index, task in enumerate(tasks):
        actions = sorted(key for key in task if key not in keywords)
        label = '%s (#%d)' % (task.get('name', '?'), index + 1)
        if len(actions) != 1 or actions[0] not in INCLUDE_ACTIONS:
            problems.append('%s: must be one of %s, found %s' % (label, INCLUDE_ACTIONS, actions))
            continue
        arg = task[actions[0]]
        target = arg.get('file') if isinstance(arg, dict) else arg
        if not isinstance(target, str) or _templated(target):
            continue
        if not os.path.isfile(os.path.join(ROLES_DIR, role, 'tasks', target)):
            problems.append('%s: includes %s, which is not in roles/%s/tasks/' % (label, target, role))
    assert not problems, 'roles/%s/tasks/main.yml:\n  %s' % (role, '\n  '.join(problems))
