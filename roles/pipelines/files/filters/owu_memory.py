"""
title: OWU long-term memory
author: numberone.owu
version: 1.0.0
license: GPL-3.0-or-later
description: Per-user long-term memory shared by every model, kept in Qdrant, embedded by Ollama
"""
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# An Open WebUI Pipelines filter (docs/pipelines-filters.md has the design and the decisions).
#
# The frontmatter above is read by the Pipelines server: every line with a colon becomes a key,
# and a "requirements" key would make the server pip-install packages at every start. It must
# never have one: qdrant-client and httpx are baked into the Pipelines image from
# roles/pipelines/files/requirements.txt, so an air-gapped host works.
#
# inlet:  embeds the user's latest message with Ollama (POST /api/embed), searches the
#         user's memories in Qdrant (payload filter user_id == the chat's user id, top_k,
#         min_score) and adds them to the system prompt, bounded by max_injected_chars.
# outlet: picks durable first-person statements out of the user's latest message (rules in
#         extract_memories), embeds them, skips or replaces near-duplicates (cosine >=
#         dedupe_threshold) and upserts them into the collection, created on first use with the
#         dimension of the first embedding.
# Memories are keyed by user, not by model: every model the user talks to sees the same ones.
# Any failure (Qdrant or Ollama down, a bad answer) is logged and the body passes through
# unchanged: memory must never break a chat.

from __future__ import absolute_import, division, print_function

import asyncio
import logging
import os
import re
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

import httpx
from pydantic import BaseModel, Field
from qdrant_client import QdrantClient, models

__metaclass__ = type

LOG = logging.getLogger("owu_memory")

MEMORY_MARKER = "[owu-memory]"
DEFAULT_HEADER = (
    "Long-term memory: things this user told you in earlier conversations, possibly with other "
    "assistants. Use them when they are relevant; do not recite them unprompted."
)
# Matched (case-insensitive) against each sentence of the user's message, from its start.
# A named group "fact" stores only that part ("remember that X" stores X).
DEFAULT_PATTERNS = [
    r"^(?:please\s+)?(?:remember|note|keep in mind)(?:\s+that)?\s*[:,]?\s+(?P<fact>.{3,})",
    r"^(?:i am|i'm|i\u2019m)\s+(?!(?:not sure|sure|sorry|just|going|trying|wondering|asking|looking|"
    r"curious|confused|here|back|done|fine|ok|okay|good|thinking|able|unable|afraid|glad|happy to|"
    r"ready|interested in your)\b)\S",
    r"^my\s+(?!(?:question|problem|issue|error|code|output|answer|request|prompt|task|query|message|"
    r"point|guess|bad)\b)[\w'\u2019-]+(?:\s+[\w'\u2019-]+){0,3}\s+(?:is|are|was|were|has|have)\b",
    r"^i\s+(?:really\s+|usually\s+|always\s+|never\s+|mostly\s+|don't\s+|do not\s+)?"
    r"(?:like|love|prefer|hate|dislike|enjoy|live|work|study|own|speak|use|eat|drink|"
    r"am allergic|play|believe|grew up|was born)\b",
    r"^i have (?!(?:a|an|another|one more|some|the|this|that)\s+(?:question|problem|issue|error|idea|request)\b)"
    r"(?:a|an|two|three|\d+)\s+\S",
    r"^call me\s+\S",
    r"^(?:ich bin|ich hei\u00dfe|ich wohne|ich arbeite|ich mag|ich liebe|ich bevorzuge|ich esse|"
    r"mein(?:e|en)?\s+\S+(?:\s+\S+){0,2}\s+(?:ist|sind|hei\u00dft))\b",
]
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_NAMESPACE = uuid.UUID("6f1d5c1e-8e0a-4f64-9a55-2b1f5d0c7a11")


# --------------------------------------------------------------------------------------------
# Pure helpers (unit-tested directly)
# --------------------------------------------------------------------------------------------

def message_text(content):
    # type: (Any) -> str
    """Text of an OpenAI-style message content: a string, or a list of parts with text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "") for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str))
    return ""


def last_message(messages, role):
    # type: (List[dict], str) -> Tuple[int, Optional[dict]]
    """Index and object of the last message with ``role`` (-1, None when there is none)."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, dict) and message.get("role") == role:
            return index, message
    return -1, None


def extract_memories(text, patterns, min_chars, max_chars, max_message_chars):
    # type: (str, List[str], int, int, int) -> List[str]
    """Sentences of ``text`` worth keeping as long-term memories, in order, without repeats.

    Rules: the whole message is ignored when it is longer than ``max_message_chars`` (pasted
    documents are not statements about the user) or holds code; each sentence is kept when it
    matches one of ``patterns`` from its start (a named group ``fact`` narrows it), is not a
    question, and its length lies within [min_chars, max_chars].
    """
    if not text or len(text) > max_message_chars or "```" in text:
        return []
    compiled = [re.compile(p, re.IGNORECASE | re.UNICODE) for p in patterns]
    found = []  # type: List[str]
    seen = set()
    for raw in _SENTENCE_SPLIT.split(text):
        sentence = raw.strip().strip("\"'\u201c\u201d").strip()
        sentence = re.sub(r"^(?:also|and|oh|btw|by the way|fyi|so|well|ps)[,:]?\s+", "", sentence,
                          flags=re.IGNORECASE)
        if not sentence or sentence.endswith("?"):
            continue
        for regex in compiled:
            match = regex.search(sentence)
            if not match:
                continue
            fact = match.groupdict().get("fact") or sentence
            fact = re.sub(r"\s+", " ", fact).strip().rstrip(",;:")
            if fact.endswith("?"):
                break
            if fact and fact[-1] not in ".!":
                fact += "."
            key = normalise(fact)
            if min_chars <= len(fact) <= max_chars and key not in seen:
                seen.add(key)
                found.append(fact)
            break
    return found


def normalise(text):
    # type: (str) -> str
    """Case- and whitespace-insensitive form of a memory, for exact-duplicate ids."""
    return re.sub(r"[\s.!]+$", "", re.sub(r"\s+", " ", text.strip().lower()))


def memory_id(user_id, text):
    # type: (str, str) -> str
    """A stable point id: the same user stating the same thing twice gives the same point."""
    return str(uuid.uuid5(_NAMESPACE, "%s\n%s" % (user_id, normalise(text))))


def format_memory_block(memories, max_chars, header=DEFAULT_HEADER):
    # type: (List[str], int, str) -> str
    """The system-prompt block for ``memories`` (best first), never longer than ``max_chars``.

    Whole memories are dropped from the end until it fits; "" when none fits.
    """
    lines = [MEMORY_MARKER + " " + header]
    size = len(lines[0])
    kept = 0
    for memory in memories:
        line = "- " + memory.replace("\n", " ").strip()
        if size + 1 + len(line) > max_chars:
            break
        lines.append(line)
        size += 1 + len(line)
        kept += 1
    return "\n".join(lines) if kept else ""


def inject_memory_block(messages, block):
    # type: (List[dict], str) -> List[dict]
    """Messages with ``block`` added to the system prompt (a new first system message if none).

    A block from an earlier pass of this filter (same marker) is replaced, so the filter is
    idempotent. Merging into the existing system message keeps backends that accept only one
    system message working.
    """
    result = [dict(m) if isinstance(m, dict) else m for m in messages]
    if result and isinstance(result[0], dict) and result[0].get("role") == "system" \
            and isinstance(result[0].get("content"), str):
        content = result[0]["content"]
        marker_at = content.find(MEMORY_MARKER)
        if marker_at != -1:
            content = content[:marker_at].rstrip()
        result[0]["content"] = (content + "\n\n" + block) if content else block
    else:
        result.insert(0, {"role": "system", "content": block})
    return result


# --------------------------------------------------------------------------------------------
# The filter
# --------------------------------------------------------------------------------------------

class MemoryStepError(Exception):
    """A memory step failed for a reason worth one clear log line."""


class Pipeline:
    """Open WebUI Pipelines filter: long-term memory per user, shared across models."""

    class Valves(BaseModel):
        """Settings; the pipelines role writes them to <PIPELINES_DIR>/owu_memory/valves.json."""

        pipelines: List[str] = Field(default_factory=lambda: ["*"])
        priority: int = 0
        enabled: bool = True
        qdrant_url: str = ""
        qdrant_api_key: str = ""
        qdrant_path: str = ""
        collection: str = "owu_memories"
        ollama_url: str = "http://ollama:11434"
        embedding_model: str = "nomic-embed-text:v1.5"
        query_prefix: str = "search_query: "
        document_prefix: str = "search_document: "
        top_k: int = 5
        min_score: float = 0.5
        max_injected_chars: int = 1500
        store_user_messages: bool = True
        remember_patterns: List[str] = Field(default_factory=lambda: list(DEFAULT_PATTERNS))
        min_memory_chars: int = 8
        max_memory_chars: int = 400
        max_message_chars: int = 2000
        dedupe_threshold: float = 0.92
        max_memories_per_user: int = 1000
        timeout_s: float = 10.0
        debug: bool = False

    def __init__(self):
        self.type = "filter"
        self.id = "owu_memory"
        self.name = "OWU memory"
        self.valves = self.Valves()
        self._lock = threading.RLock()
        self._client = None  # type: Optional[QdrantClient]
        self._http = None  # type: Optional[httpx.Client]
        self._built_from = None  # type: Optional[Dict[str, Any]]
        self._dimension = None  # type: Optional[int]

    # ---- lifecycle -------------------------------------------------------------------------

    async def on_startup(self):
        await self._run(self._rebuild)

    async def on_shutdown(self):
        await self._run(self._close)

    async def on_valves_updated(self):
        # Pipelines sets self.valves from valves.json after __init__ and from /valves/update:
        # everything built from the old values is dropped here (the upstream mem0 example built
        # its client in __init__ from the class defaults, so valves never reached it).
        await self._run(self._rebuild)

    def _close(self):
        with self._lock:
            if self._client is not None:
                try:
                    self._client.close()
                except Exception as exc:  # pylint: disable=broad-except
                    LOG.warning("owu_memory: closing the Qdrant client failed: %s", exc)
            if self._http is not None:
                self._http.close()
            self._client = None
            self._http = None
            self._built_from = None
            self._dimension = None

    def _rebuild(self):
        with self._lock:
            self._close()
            valves = self.valves
            self._built_from = valves.model_dump()
            if not valves.enabled:
                LOG.info("owu_memory: disabled by valve 'enabled'; chats pass through")
                return
            self._http = httpx.Client(timeout=valves.timeout_s)
            try:
                if valves.qdrant_url:
                    self._client = QdrantClient(url=valves.qdrant_url, api_key=valves.qdrant_api_key or None,
                                                timeout=int(max(1, valves.timeout_s)), check_compatibility=False)
                    where = valves.qdrant_url
                else:
                    path = valves.qdrant_path or os.path.join(
                        os.path.dirname(os.path.abspath(__file__)), "owu_memory", "qdrant")
                    if path == ":memory:":
                        self._client = QdrantClient(location=":memory:")
                    else:
                        os.makedirs(path, exist_ok=True)
                        self._client = QdrantClient(path=path)
                    where = "local mode at %s" % path
            except Exception as exc:  # pylint: disable=broad-except
                LOG.warning("owu_memory: cannot open Qdrant (%s); chats pass through until the next "
                            "valves update or restart", exc)
                self._client = None
                return
            LOG.info("owu_memory: Qdrant %s, collection %s, embeddings %s at %s",
                     where, valves.collection, valves.embedding_model, valves.ollama_url)

    def _ready(self):
        """The Qdrant client for the current valves (rebuilt when they changed), or None."""
        with self._lock:
            if self._built_from != self.valves.model_dump():
                self._rebuild()
            return self._client

    @staticmethod
    async def _run(func, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, func, *args)

    # ---- Ollama ----------------------------------------------------------------------------

    def _embed(self, texts):
        # type: (List[str]) -> List[List[float]]
        valves = self.valves
        url = valves.ollama_url.rstrip("/") + "/api/embed"
        if self._http is None:
            raise MemoryStepError("the filter is not set up (disabled, or Qdrant could not be opened)")
        response = self._http.post(url, json={"model": valves.embedding_model, "input": texts})
        if response.status_code != 200:
            raise MemoryStepError("Ollama %s answered HTTP %s: %s" % (url, response.status_code, response.text[:200]))
        vectors = response.json().get("embeddings")
        if not isinstance(vectors, list) or len(vectors) != len(texts) or not all(vectors):
            raise MemoryStepError("Ollama %s returned no usable embeddings for %s" % (url, valves.embedding_model))
        return vectors

    # ---- Qdrant ----------------------------------------------------------------------------

    @staticmethod
    def _user_filter(user_id):
        return models.Filter(must=[models.FieldCondition(key="user_id", match=models.MatchValue(value=user_id))])

    def _collection_dimension(self, client):
        # type: (QdrantClient) -> Optional[int]
        if self._dimension is not None:
            return self._dimension
        name = self.valves.collection
        if not client.collection_exists(name):
            return None
        vectors = client.get_collection(name).config.params.vectors
        size = getattr(vectors, "size", None)
        self._dimension = int(size) if size else None
        return self._dimension

    def _ensure_collection(self, client, dimension):
        # type: (QdrantClient, int) -> None
        existing = self._collection_dimension(client)
        if existing is None:
            client.create_collection(
                collection_name=self.valves.collection,
                vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE))
            if self.valves.qdrant_url:  # payload indexes mean nothing in local mode
                client.create_payload_index(self.valves.collection, "user_id",
                                            field_schema=models.PayloadSchemaType.KEYWORD)
            LOG.info("owu_memory: created collection %s (%d dimensions, cosine)", self.valves.collection, dimension)
            self._dimension = dimension
        elif existing != dimension:
            raise MemoryStepError(
                "collection %s holds %d-dimension vectors but %s returns %d; set a new 'collection' valve "
                "after changing the embedding model" % (self.valves.collection, existing,
                                                        self.valves.embedding_model, dimension))

    def search(self, user_id, query):
        # type: (str, str) -> List[Tuple[float, str]]
        """(score, text) of the user's memories closest to ``query``, best first."""
        client = self._ready()
        if client is None:
            return []
        with self._lock:
            dimension = self._collection_dimension(client)
        if dimension is None:
            return []  # nothing stored yet
        vector = self._embed([self.valves.query_prefix + query])[0]
        if len(vector) != dimension:
            raise MemoryStepError("query embedding has %d dimensions, collection %s has %d"
                                  % (len(vector), self.valves.collection, dimension))
        with self._lock:
            hits = client.query_points(
                collection_name=self.valves.collection, query=vector, query_filter=self._user_filter(user_id),
                limit=max(1, self.valves.top_k), score_threshold=self.valves.min_score, with_payload=True).points
        result = []
        for hit in hits:
            payload = hit.payload or {}
            if payload.get("user_id") == user_id and payload.get("text"):  # belt and braces
                result.append((float(hit.score), str(payload["text"])))
        return result

    def store(self, user_id, facts, source):
        # type: (str, List[str], Dict[str, Any]) -> List[Tuple[str, str]]
        """Upsert ``facts`` for ``user_id``; returns (action, text) per fact: added/replaced/kept."""
        client = self._ready()
        if client is None or not facts:
            return []
        vectors = self._embed([self.valves.document_prefix + fact for fact in facts])
        actions = []
        with self._lock:
            self._ensure_collection(client, len(vectors[0]))
            user_filter = self._user_filter(user_id)
            now = time.time()
            for fact, vector in zip(facts, vectors):
                point_id = memory_id(user_id, fact)
                created = now
                action, text = "added", fact
                similar = client.query_points(
                    collection_name=self.valves.collection, query=vector, query_filter=user_filter, limit=1,
                    score_threshold=self.valves.dedupe_threshold, with_payload=True).points
                if similar and (similar[0].payload or {}).get("user_id") == user_id:
                    old = similar[0].payload or {}
                    point_id = str(similar[0].id)
                    created = float(old.get("created_at", now))
                    if normalise(str(old.get("text", ""))) == normalise(fact):
                        action, text = "kept", str(old["text"])  # same words: refresh updated_at only
                    else:
                        # A near duplicate: the newest wording wins ("my favourite colour is
                        # green" after "... blue"), the memory keeps its id and creation time.
                        action = "replaced"
                payload = {"user_id": user_id, "text": text, "created_at": created, "updated_at": now,
                           "embedding_model": self.valves.embedding_model}
                payload.update({k: v for k, v in source.items() if v is not None})
                client.upsert(collection_name=self.valves.collection,
                              points=[models.PointStruct(id=point_id, vector=vector, payload=payload)])
                actions.append((action, text))
            self._prune(client, user_id)
        return actions

    def _prune(self, client, user_id):
        limit = self.valves.max_memories_per_user
        if limit <= 0:
            return
        user_filter = self._user_filter(user_id)
        total = client.count(self.valves.collection, count_filter=user_filter, exact=True).count
        if total <= limit:
            return
        points, offset = [], None
        while True:
            batch, offset = client.scroll(self.valves.collection, scroll_filter=user_filter, limit=256,
                                          offset=offset, with_payload=["updated_at"], with_vectors=False)
            points.extend(batch)
            if offset is None:
                break
        points.sort(key=lambda p: float((p.payload or {}).get("updated_at", 0)))
        doomed = [p.id for p in points[:total - limit]]
        client.delete(self.valves.collection, points_selector=models.PointIdsList(points=doomed))
        LOG.info("owu_memory: dropped the %d oldest memories of a user over max_memories_per_user=%d",
                 len(doomed), limit)

    # ---- filter hooks ----------------------------------------------------------------------

    async def inlet(self, body, user=None):
        # type: (dict, Optional[dict]) -> dict
        try:
            if not self.valves.enabled or not isinstance(body, dict):
                return body
            user_id = (user or {}).get("id")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            if not user_id or metadata.get("task"):
                return body  # anonymous, or a title/tags/follow-up task: no memory
            messages = body.get("messages")
            if not isinstance(messages, list):
                return body
            dummy, message = last_message(messages, "user")
            query = message_text(message.get("content")) if message else ""
            if not query.strip():
                return body
            hits = await self._run(self.search, str(user_id), query)
            block = format_memory_block([text for dummy, text in hits], self.valves.max_injected_chars)
            if self.valves.debug:
                LOG.info("owu_memory: %d memories for user %s: %s", len(hits), user_id, hits)
            if block:
                body = dict(body)
                body["messages"] = inject_memory_block(messages, block)
        except Exception as exc:  # pylint: disable=broad-except
            LOG.warning("owu_memory: memory lookup failed, the chat goes on without memories: %s", exc)
        return body

    async def outlet(self, body, user=None):
        # type: (dict, Optional[dict]) -> dict
        try:
            if not self.valves.enabled or not self.valves.store_user_messages or not isinstance(body, dict):
                return body
            user_id = (user or {}).get("id")
            messages = body.get("messages")
            if not user_id or not isinstance(messages, list):
                return body
            dummy, message = last_message(messages, "user")
            text = message_text(message.get("content")) if message else ""
            valves = self.valves
            facts = extract_memories(text, valves.remember_patterns, valves.min_memory_chars,
                                     valves.max_memory_chars, valves.max_message_chars)
            if not facts:
                return body
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            source = {"model": body.get("model"), "chat_id": body.get("chat_id") or metadata.get("chat_id")}
            actions = await self._run(self.store, str(user_id), facts, source)
            if valves.debug or actions:
                LOG.info("owu_memory: user %s: %s", user_id, ", ".join("%s %d chars" % (a, len(t)) for a, t in actions))
        except Exception as exc:  # pylint: disable=broad-except
            LOG.warning("owu_memory: storing memories failed, the chat is not affected: %s", exc)
        return body
