"""
title: OWU Langfuse tracing
author: numberone.owu
version: 1.1.0
license: GPL-3.0-or-later
description: Traces every Open WebUI chat into a self-hosted Langfuse with the Langfuse Python SDK v4
"""
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# An Open WebUI Pipelines filter (docs/pipelines-filters.md has the design and the decisions).
#
# No "requirements" key in the frontmatter above: the Pipelines server would pip-install it at
# every start. The SDK (langfuse==4.x, OpenTelemetry based: spans go as OTLP/HTTP protobuf to
# <host>/api/public/otel/v1/traces, which Langfuse v3 >= 3.63 and v4 both accept) is baked into
# the Pipelines image from roles/pipelines/files/requirements.txt.
#
# One trace per chat: the trace id is derived from the chat id (Langfuse.create_trace_id(seed=
# chat_id)), so every turn of a chat lands in the same trace; session_id = chat_id, user_id =
# the user's e-mail (or id), tags "open-webui" (+ the task name for title/tag/follow-up tasks).
# inlet opens a "generation" observation with the model and the messages as sent to the model;
# outlet ends it with the answer and the token usage when Open WebUI reports one.
# Without host, public_key and secret_key the filter stays idle (one log line) and every body
# passes through; a Langfuse failure never breaks a chat.
# Media: images in the messages (base64 data URIs) are replaced by a short placeholder in what goes
# to Langfuse (valve media = false, the default): the SDK would upload them to Langfuse's media
# bucket through presigned URLs that browsers cannot reach in this collection's deployment, and
# the chat's images stay in Open WebUI only. The chat itself is never changed.

from __future__ import absolute_import, division, print_function

import asyncio
import collections
import logging
import re
import threading
import uuid
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Field

try:  # the filter must load (and stay idle) even where the SDK is missing
    from langfuse import Langfuse, propagate_attributes
    from opentelemetry.sdk.trace import TracerProvider
    HAS_LANGFUSE = True
    LANGFUSE_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - the image always has it
    HAS_LANGFUSE = False
    LANGFUSE_IMPORT_ERROR = str(_exc)

__metaclass__ = type

LOG = logging.getLogger("owu_langfuse")

GENERATION_NAME = "llm_response"
MAX_OPEN_GENERATIONS = 1000


# --------------------------------------------------------------------------------------------
# Pure helpers (unit-tested directly)
# --------------------------------------------------------------------------------------------

def chat_id_of(body):
    # type: (dict) -> Optional[str]
    """The chat id of an inlet body (metadata.chat_id) or an outlet body (chat_id).

    Temporary chats have the chat id "local": they are traced per Open WebUI session instead.
    """
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    chat_id = metadata.get("chat_id") or body.get("chat_id")
    if chat_id == "local":
        session = metadata.get("session_id") or body.get("session_id")
        chat_id = "temporary-session-%s" % session if session else None
    return str(chat_id) if chat_id else None


def user_id_of(user):
    # type: (Optional[dict]) -> Optional[str]
    """The Langfuse user id: the e-mail when it is plain ASCII (Langfuse's rule), else the user id."""
    if not isinstance(user, dict):
        return None
    email = user.get("email")
    if isinstance(email, str) and email and email.isascii() and len(email) <= 200:
        return email
    return str(user["id"]) if user.get("id") else None


def usage_of(message):
    # type: (Optional[dict]) -> Optional[Dict[str, int]]
    """Token usage of an assistant message as Langfuse usage_details, or None.

    Open WebUI puts OpenAI-style usage (prompt_tokens/completion_tokens) on the message; Ollama
    answers carry prompt_eval_count/eval_count; older versions used an "info" key.
    """
    if not isinstance(message, dict):
        return None
    for key in ("usage", "info"):
        info = message.get(key)
        if not isinstance(info, dict):
            continue
        prompt = _first_int(info, ("prompt_tokens", "input_tokens", "prompt_eval_count"))
        completion = _first_int(info, ("completion_tokens", "output_tokens", "eval_count"))
        if prompt is None and completion is None:
            continue
        usage = {"input": prompt or 0, "output": completion or 0}
        total = _first_int(info, ("total_tokens",))
        usage["total"] = total if total is not None else usage["input"] + usage["output"]
        return usage
    return None


def _first_int(info, keys):
    for key in keys:
        value = info.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            return int(value)
    return None


_DATA_URI = re.compile(r"^data:([^;,]*);base64,", re.I)


def _placeholder(mime, data):
    # type: (str, str) -> str
    return "[%s, about %d bytes: not sent to Langfuse]" % (mime or "media", len(data) * 3 // 4)


def without_media(value, level=0):
    # type: (Any, int) -> Any
    """A copy of ``value`` with every base64 medium replaced by a placeholder string.

    Covers what the Langfuse SDK would upload (``_task_manager/media_manager.py``): data URIs
    (OpenAI/Open WebUI ``image_url``), Anthropic ``{"type": "base64", "media_type", "data"}``,
    Vertex ``{"type": "media", "mime_type", "data"}`` and Gemini ``inline_data``/``inlineData``.
    """
    if level > 20:
        return value
    if isinstance(value, str):
        match = _DATA_URI.match(value)
        return _placeholder(match.group(1), value[match.end():]) if match else value
    if isinstance(value, list):
        return [without_media(item, level + 1) for item in value]
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "base64" and "media_type" in value and isinstance(value.get("data"), str):
            return dict(value, data=_placeholder(value["media_type"], value["data"]))
        if kind == "media" and "mime_type" in value and isinstance(value.get("data"), str):
            return dict(value, data=_placeholder(value["mime_type"], value["data"]))
        out = {}
        for key, item in value.items():
            if key in ("inline_data", "inlineData") and isinstance(item, dict) and isinstance(item.get("data"), str):
                mime = item.get("mime_type") or item.get("mimeType") or ""
                out[key] = dict(item, data=_placeholder(mime, item["data"]))
            else:
                out[key] = without_media(item, level + 1)
        return out
    return value


def last_assistant(messages):
    # type: (Any) -> Optional[dict]
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "assistant":
                return message
    return None


def content_text(content):
    # type: (Any) -> Any
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content


def build_tags(task, insert_tags):
    # type: (Optional[str], bool) -> List[str]
    if not insert_tags:
        return []
    tags = ["open-webui"]
    if task and task not in ("user_response", GENERATION_NAME):
        tags.append(str(task))
    return tags


# --------------------------------------------------------------------------------------------
# The filter
# --------------------------------------------------------------------------------------------

class Pipeline:
    """Open WebUI Pipelines filter: one Langfuse trace per chat."""

    class Valves(BaseModel):
        """Settings; langfuse_stack fills host and keys through the pipelines role's valves.json."""

        pipelines: List[str] = Field(default_factory=lambda: ["*"])
        priority: int = 10  # after owu_memory (0), so traces show the memory the model got
        host: str = ""
        public_key: str = ""
        secret_key: str = ""
        insert_tags: bool = True
        environment: str = ""
        timeout_s: int = 5
        flush_interval_s: float = 1.0
        debug: bool = False
        # true: images go to Langfuse's media storage (viewable only where browsers reach MinIO).
        media: bool = False

    def __init__(self):
        self.type = "filter"
        self.id = "owu_langfuse"
        self.name = "OWU Langfuse"
        self.valves = self.Valves()
        self._lock = threading.RLock()
        self._client = None  # type: Optional[Any]
        self._provider = None  # type: Optional[Any]
        self._built_from = None  # type: Optional[Dict[str, Any]]
        self._open = collections.OrderedDict()  # chat id -> open generation

    # ---- lifecycle -------------------------------------------------------------------------

    async def on_startup(self):
        await self._run(self._rebuild)

    async def on_shutdown(self):
        await self._run(self._close)

    async def on_valves_updated(self):
        await self._run(self._rebuild)

    @property
    def active(self):
        # type: () -> bool
        return self._ready() is not None

    def flush(self):
        """Send every finished observation now; waits at most 2 x timeout_s + 1 seconds."""
        with self._lock:
            client = self._client
        if client is not None:
            _bounded(client.flush, 2 * self.valves.timeout_s + 1, "flush")

    def _close(self):
        with self._lock:
            client, provider = self._client, self._provider
            self._client = self._provider = None
            self._built_from = None
            pending = list(self._open.values())
            self._open.clear()
        for generation in pending:  # never lose a started generation on shutdown/reconfigure
            try:
                generation.end()
            except Exception:  # pylint: disable=broad-except
                pass
        if client is not None:
            _bounded(client.shutdown, 2 * self.valves.timeout_s + 1, "shutdown")  # flushes
            _forget_sdk_instance(client)
        if provider is not None:
            _bounded(provider.shutdown, 2 * self.valves.timeout_s + 1, "exporter shutdown")

    def _rebuild(self):
        with self._lock:
            self._close()
            valves = self.valves
            self._built_from = valves.model_dump()
            missing = [name for name in ("host", "public_key", "secret_key") if not getattr(valves, name)]
            if missing:
                LOG.info("owu_langfuse: idle, valve(s) %s not set; chats pass through untraced", ", ".join(missing))
                return
            if not HAS_LANGFUSE:
                LOG.warning("owu_langfuse: idle, the langfuse SDK is not importable: %s", LANGFUSE_IMPORT_ERROR)
                return
            # A TracerProvider of our own: the SDK would otherwise install one as the process-wide
            # global, and a reconfiguration could not shut the old exporter down.
            self._provider = TracerProvider()
            kwargs = dict(public_key=valves.public_key, secret_key=valves.secret_key,
                          base_url=valves.host.rstrip("/"), timeout=valves.timeout_s,
                          flush_interval=valves.flush_interval_s, debug=valves.debug,
                          tracer_provider=self._provider)
            if valves.environment:
                kwargs["environment"] = valves.environment
            try:
                self._client = Langfuse(**kwargs)
            except Exception as exc:  # pylint: disable=broad-except
                LOG.warning("owu_langfuse: idle, the Langfuse client could not be created: %s", exc)
                self._client = None
                return
            LOG.info("owu_langfuse: tracing to %s (public key %s)", valves.host, valves.public_key)

    def _ready(self):
        with self._lock:
            if self._built_from != self.valves.model_dump():
                self._rebuild()
            return self._client

    @staticmethod
    async def _run(func, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, func, *args)

    # ---- tracing ---------------------------------------------------------------------------

    def _attributes(self, body, user, task):
        chat_id = chat_id_of(body) or "request-%s" % uuid.uuid4()
        attributes = dict(session_id=chat_id, trace_name="chat:%s" % chat_id)
        user_id = user_id_of(user)
        if user_id:
            attributes["user_id"] = user_id
        tags = build_tags(task, self.valves.insert_tags)
        if tags:
            attributes["tags"] = tags
        return chat_id, attributes

    def _observation_metadata(self, body, user, task):
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        data = {"interface": "open-webui", "type": task or GENERATION_NAME,
                "message_id": body.get("id") or metadata.get("message_id") or metadata.get("assistant_message_id")}
        if isinstance(user, dict):
            data.update({"user_name": user.get("name"), "user_role": user.get("role"), "owui_user_id": user.get("id")})
        return {k: v for k, v in data.items() if v is not None}

    def _traced(self, messages):
        """The messages as Langfuse gets them: without their media unless the media valve is on."""
        return messages if self.valves.media else without_media(messages)

    def trace_inlet(self, body, user):
        client = self._ready()
        if client is None:
            return
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        task = metadata.get("task")
        chat_id, attributes = self._attributes(body, user, task)
        trace_context = {"trace_id": client.create_trace_id(seed=chat_id)}
        with propagate_attributes(**attributes):
            if task:  # title, tags, follow-ups, ...: a short span, no generation
                span = client.start_observation(
                    trace_context=trace_context, name="task:%s" % task, as_type="span",
                    input=self._traced(body.get("messages")), metadata=self._observation_metadata(body, user, task))
                span.end()
                return
            generation = client.start_observation(
                trace_context=trace_context, name=GENERATION_NAME, as_type="generation",
                model=str(body.get("model") or ""), input=self._traced(body.get("messages")),
                metadata=self._observation_metadata(body, user, None))
        with self._lock:
            previous = self._open.pop(chat_id, None)
            self._open[chat_id] = generation
            while len(self._open) > MAX_OPEN_GENERATIONS:
                dummy, stale = self._open.popitem(last=False)
                stale.end()
        if previous is not None:  # an inlet without its outlet (stopped generation)
            previous.end()

    def trace_outlet(self, body, user):
        client = self._ready()
        if client is None:
            return
        chat_id, attributes = self._attributes(body, user, None)
        answer = last_assistant(body.get("messages"))
        output = content_text(answer.get("content")) if answer else None
        usage = usage_of(answer)
        with self._lock:
            generation = self._open.pop(chat_id, None)
        if generation is None:
            # No inlet seen (filter restarted in between, or outlet-only traffic): one complete
            # generation from the outlet body alone.
            with propagate_attributes(**attributes):
                generation = client.start_observation(
                    trace_context={"trace_id": client.create_trace_id(seed=chat_id)}, name=GENERATION_NAME,
                    as_type="generation", model=str(body.get("model") or ""), input=self._traced(body.get("messages")),
                    metadata=self._observation_metadata(body, user, None))
        update = {"output": output}
        if usage:
            update["usage_details"] = usage
        generation.update(**update)
        generation.end()

    # ---- filter hooks ----------------------------------------------------------------------

    async def inlet(self, body, user=None):
        # type: (dict, Optional[dict]) -> dict
        try:
            if isinstance(body, dict):
                await self._run(self.trace_inlet, body, user)
        except Exception as exc:  # pylint: disable=broad-except
            LOG.warning("owu_langfuse: tracing the request failed, the chat is not affected: %s", exc)
        return body

    async def outlet(self, body, user=None):
        # type: (dict, Optional[dict]) -> dict
        try:
            if isinstance(body, dict):
                await self._run(self.trace_outlet, body, user)
        except Exception as exc:  # pylint: disable=broad-except
            LOG.warning("owu_langfuse: tracing the answer failed, the chat is not affected: %s", exc)
        return body


def _bounded(func, seconds, what):
    """Run ``func`` in a daemon thread and wait at most ``seconds``: the SDK's flush joins queues
    without a deadline, and a stuck exporter must not hang the Pipelines server (or its reload)."""
    errors = []

    def target():
        try:
            func()
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)

    worker = threading.Thread(target=target, name="owu-langfuse-%s" % what.replace(" ", "-"), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        LOG.warning("owu_langfuse: %s did not finish within %.0f s; going on without waiting", what, seconds)
        return False
    if errors:
        LOG.warning("owu_langfuse: %s failed: %s", what, errors[0])
        return False
    return True


def _forget_sdk_instance(client):
    """Drop the SDK's per-public-key singleton so the next client really uses the new valves.

    langfuse 4.x keeps one resource manager per public key for the process lifetime
    (LangfuseResourceManager._instances); a client created later with the same key but another
    host would silently reuse the old exporter. Private API, pinned SDK, covered by a unit test.
    """
    try:
        from langfuse._client.resource_manager import LangfuseResourceManager  # pylint: disable=import-outside-toplevel
        resources = getattr(client, "_resources", None)
        with LangfuseResourceManager._lock:  # pylint: disable=protected-access
            for key, value in list(LangfuseResourceManager._instances.items()):  # pylint: disable=protected-access
                if value is resources:
                    del LangfuseResourceManager._instances[key]  # pylint: disable=protected-access
    except Exception as exc:  # pylint: disable=broad-except
        LOG.debug("owu_langfuse: could not reset the SDK client cache: %s", exc)
