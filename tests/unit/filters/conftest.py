# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures for the Pipelines filter tests; the servers are in owu_filter_servers.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable-next=wrong-import-position
from owu_filter_servers import EmbedServer, LangfuseServer, load_filter  # noqa: E402


@pytest.fixture
def embedder():
    server = EmbedServer()
    yield server
    server.stop()


@pytest.fixture
def langfuse_server():
    server = LangfuseServer()
    yield server
    server.stop()


@pytest.fixture
def memory_module():
    pytest.importorskip("qdrant_client", reason="qdrant-client (roles/pipelines/files/requirements.txt) is not installed")
    pytest.importorskip("httpx", reason="httpx is not installed")
    return load_filter("owu_memory")


@pytest.fixture
def langfuse_module():
    pytest.importorskip("langfuse", reason="langfuse (roles/pipelines/files/requirements.txt) is not installed")
    pytest.importorskip("opentelemetry.proto", reason="opentelemetry-proto is not installed")
    return load_filter("owu_langfuse")
