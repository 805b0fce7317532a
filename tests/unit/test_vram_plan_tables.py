# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The plan tables in README.md and docs/vram-planning.md are the planner's output."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
SCRIPT = os.path.join(REPO, 'scripts', 'vram_plan_tables.py')


def test_the_documented_plan_tables_are_the_planners():
    proc = subprocess.run([sys.executable, SCRIPT, '--check'], capture_output=True, text=True, check=False,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_tables_cover_the_hosts_the_issue_names():
    proc = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, check=True, timeout=120)
    for label in ('8 GB RTX 3070', '4 x 80 GiB H100', 'MIG', 'desktop holding 3 GiB',
                  'no GPU'):
        assert label in proc.stdout, label
    assert proc.stdout.count('Ollama plan (') >= 14
