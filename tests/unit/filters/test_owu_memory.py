# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the memory filter (roles/pipelines/files/filters/owu_memory.py).

Real qdrant-client in local mode (on disk under tmp_path, or ``:memory:``) and real HTTP to an
embedding server on 127.0.0.1 (conftest.EmbedServer, deterministic); test_real_standin_* go
through the Ollama stand-in with its real tiny model.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import copy
import logging
import os

import pytest

from owu_filter_servers import FILTERS_DIR, EmbedServer, bag_of_words, free_port  # pylint: disable=import-error

ALICE = {"id": "user-alice", "email": "alice@example.org", "name": "Alice", "role": "user"}
BOB = {"id": "user-bob", "email": "bob@example.org", "name": "Bob", "role": "user"}


def run(coro):
    return asyncio.run(coro)


def chat(*turns, **extra):
    """An Open WebUI body: turns are (role, content) pairs."""
    body = {"model": "llama3.1:8b", "messages": [{"role": r, "content": c} for r, c in turns],
            "metadata": {"chat_id": "chat-1", "message_id": "m-1"}}
    body.update(extra)
    return body


def remember(pipeline, user, text):
    """One full turn in which the user says ``text`` (outlet stores what is worth it)."""
    return run(pipeline.outlet(chat(("user", text), ("assistant", "Noted.")), user))


def ask(pipeline, user, question):
    """The messages the model would get for ``question`` after the inlet."""
    return run(pipeline.inlet(chat(("user", question)), user))["messages"]


def memory_lines(messages):
    """The memory lines injected into the system message ("" when none)."""
    if not messages or messages[0]["role"] != "system" or "[owu-memory]" not in messages[0]["content"]:
        return []
    block = messages[0]["content"][messages[0]["content"].index("[owu-memory]"):]
    return [line[2:] for line in block.splitlines()[1:]]


@pytest.fixture
def make_pipeline(memory_module, embedder, tmp_path):
    made = []

    def make(**valves):
        pipeline = memory_module.Pipeline()
        settings = {"ollama_url": embedder.url, "qdrant_path": str(tmp_path / "qdrant"), "min_score": 0.3}
        settings.update(valves)
        # the way the Pipelines server applies valves.json: a new Valves object after __init__,
        # then on_startup
        pipeline.valves = pipeline.Valves(**dict(pipeline.valves.model_dump(), **settings))
        run(pipeline.on_startup())
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        run(pipeline.on_shutdown())


def stored(pipeline, user_id=None):
    """(user_id, text) of every point in the collection."""
    client = pipeline._client  # pylint: disable=protected-access
    name = pipeline.valves.collection
    if not client.collection_exists(name):
        return []
    points, dummy = client.scroll(name, limit=10000, with_payload=True)
    result = sorted((p.payload["user_id"], p.payload["text"]) for p in points)
    return [r for r in result if user_id is None or r[0] == user_id]


# ---------------------------------------------------------------------------------------------
# frontmatter: no runtime pip installs
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["owu_memory", "owu_langfuse"])
def test_frontmatter_has_no_requirements(name):
    """Parse the file the way the Pipelines server does (main.py parse_frontmatter)."""
    with open(os.path.join(FILTERS_DIR, name + ".py"), encoding="utf-8") as handle:
        content = handle.read()
    assert content.startswith('"""')
    end = content.find('"""', 3)
    keys = {line.split(":", 1)[0].strip().lower() for line in content[3:end].split("\n") if ":" in line}
    assert "title" in keys
    assert "requirements" not in keys


# ---------------------------------------------------------------------------------------------
# pure rules
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("My daughter's name is Mia.", ["My daughter's name is Mia."]),
    ("I live in Hamburg and I work as a nurse", ["I live in Hamburg and I work as a nurse."]),
    ("Please remember that the wifi password is in the kitchen drawer.", ["the wifi password is in the kitchen drawer."]),
    ("Remember: I take my coffee black.", ["I take my coffee black."]),
    ("I'm vegetarian. Can you suggest a dinner?", ["I'm vegetarian."]),
    ("I am allergic to peanuts", ["I am allergic to peanuts."]),
    ("Call me Sam", ["Call me Sam."]),
    ("I prefer short answers! Thanks.", ["I prefer short answers!"]),
    ("btw I have two cats.", ["I have two cats."]),
    ("Ich wohne in Köln.", ["Ich wohne in Köln."]),
    ("Meine Tochter heißt Mia.", ["Meine Tochter heißt Mia."]),
    ("My favourite colour is blue. My favourite colour is blue.", ["My favourite colour is blue."]),
    # not durable facts about the user
    ("What is my daughter's name?", []),
    ("I'm not sure what you mean.", []),
    ("I am wondering how tides work.", []),
    ("I have a question about Python.", []),
    ("My question is about Rust.", []),
    ("Explain quantum computing.", []),
    ("Do I like pizza?", []),
    ("Im Garten ist es schön.", []),
    ("I like this:\n```python\nprint(1)\n```", []),
    ("I live in " + "a very long place name " * 100, []),
    ("I am.", []),
])
def test_extract_memories(memory_module, text, expected):
    valves = memory_module.Pipeline.Valves()
    found = memory_module.extract_memories(text, valves.remember_patterns, valves.min_memory_chars,
                                           valves.max_memory_chars, valves.max_message_chars)
    assert found == expected


def test_extract_memories_length_bounds(memory_module):
    patterns = memory_module.DEFAULT_PATTERNS
    long_fact = "I like " + "very " * 30 + "long walks."
    assert memory_module.extract_memories(long_fact, patterns, 8, 400, 2000) == [long_fact]
    assert memory_module.extract_memories(long_fact, patterns, 8, 100, 2000) == []
    assert memory_module.extract_memories("I use vim.", patterns, 20, 400, 2000) == []


def test_format_memory_block_is_bounded(memory_module):
    memories = ["fact number %d is quite a long sentence about the user" % i for i in range(50)]
    block = memory_module.format_memory_block(memories, 400)
    assert len(block) <= 400
    assert block.startswith("[owu-memory] ")
    lines = block.splitlines()[1:]
    assert lines and all(line.startswith("- fact number") for line in lines)
    assert lines[0] == "- " + memories[0]  # best first, whole memories only
    assert memory_module.format_memory_block(memories, 50) == ""  # not even one fits
    assert memory_module.format_memory_block([], 400) == ""


def test_inject_memory_block(memory_module):
    block = memory_module.format_memory_block(["I live in Hamburg."], 500)
    plain = [{"role": "user", "content": "hi"}]
    injected = memory_module.inject_memory_block(plain, block)
    assert injected == [{"role": "system", "content": block}, {"role": "user", "content": "hi"}]
    assert plain == [{"role": "user", "content": "hi"}]  # input untouched

    with_system = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "hi"}]
    once = memory_module.inject_memory_block(with_system, block)
    assert once[0]["content"] == "You are terse.\n\n" + block
    assert len(once) == 2
    newer = memory_module.format_memory_block(["I live in Berlin."], 500)
    twice = memory_module.inject_memory_block(once, newer)  # idempotent: the old block is replaced
    assert twice[0]["content"] == "You are terse.\n\n" + newer


def test_message_text_handles_parts(memory_module):
    content = [{"type": "text", "text": "I live in Rome."}, {"type": "image_url", "image_url": {"url": "x"}}]
    assert memory_module.message_text(content) == "I live in Rome."
    assert memory_module.message_text(None) == ""


# ---------------------------------------------------------------------------------------------
# store and retrieve through real qdrant-client local mode
# ---------------------------------------------------------------------------------------------

def test_outlet_stores_and_inlet_injects(make_pipeline, embedder):
    pipeline = make_pipeline()
    body = chat(("user", "My daughter's name is Mia and she is seven."), ("assistant", "Nice!"))
    returned = run(pipeline.outlet(copy.deepcopy(body), ALICE))
    assert returned == body  # the outlet never changes the chat
    assert stored(pipeline) == [("user-alice", "My daughter's name is Mia and she is seven.")]
    # the stored vector came from the embedder, with the document task prefix
    assert embedder.requests[-1] == {"model": "nomic-embed-text:v1.5",
                                     "input": ["search_document: My daughter's name is Mia and she is seven."]}

    messages = ask(pipeline, ALICE, "How old is my daughter Mia?")
    assert memory_lines(messages) == ["My daughter's name is Mia and she is seven."]
    assert messages[-1] == {"role": "user", "content": "How old is my daughter Mia?"}
    assert embedder.requests[-1]["input"] == ["search_query: How old is my daughter Mia?"]


def test_inlet_keeps_system_prompt_and_bounds_length(make_pipeline):
    pipeline = make_pipeline(max_injected_chars=300, top_k=10, min_score=0.0)
    for i in range(8):
        remember(pipeline, ALICE, "I like dish number %d with extra cheese on top." % i)
    assert len(stored(pipeline)) == 8
    body = chat(("system", "You are a chef."), ("user", "Which dish with cheese do I like?"))
    messages = run(pipeline.inlet(body, ALICE))["messages"]
    assert messages[0]["content"].startswith("You are a chef.\n\n[owu-memory] ")
    assert len(messages[0]["content"]) <= len("You are a chef.\n\n") + 300
    lines = memory_lines(messages)
    assert 1 <= len(lines) < 8


def test_users_never_see_each_others_memories(make_pipeline):
    # min_score -1 lets every point through the threshold: only the user filter separates users
    pipeline = make_pipeline(min_score=-1.0, top_k=10)
    remember(pipeline, ALICE, "My daughter's name is Mia.")
    question = "What is my daughter's name?"
    assert memory_lines(ask(pipeline, BOB, question)) == []  # Bob has no memories at all

    remember(pipeline, BOB, "My daughter's name is Zoe.")
    remember(pipeline, BOB, "I live in Oslo.")
    assert memory_lines(ask(pipeline, ALICE, question)) == ["My daughter's name is Mia."]
    assert sorted(memory_lines(ask(pipeline, BOB, question))) == ["I live in Oslo.", "My daughter's name is Zoe."]
    # the same statement by two users is two points, each private
    remember(pipeline, ALICE, "I live in Oslo.")
    assert stored(pipeline, "user-alice") == [("user-alice", "I live in Oslo."), ("user-alice", "My daughter's name is Mia.")]
    assert [t for dummy, t in pipeline.search("user-carol", question)] == []


def test_user_filter_applies_at_query_time(make_pipeline):
    """Bob's closer memories must not crowd Alice's out of her top_k (a post-filter would)."""
    pipeline = make_pipeline(min_score=-1.0, top_k=2)
    remember(pipeline, ALICE, "I like green tea.")
    for flavour in ("jasmine", "mint", "black", "chai", "oolong"):
        remember(pipeline, BOB, "I like %s tea very much." % flavour)
    assert memory_lines(ask(pipeline, ALICE, "What tea do I like very much?")) == ["I like green tea."]
    assert len(memory_lines(ask(pipeline, BOB, "What tea do I like very much?"))) == 2


def test_memories_are_shared_across_models(make_pipeline):
    pipeline = make_pipeline()
    run(pipeline.outlet(chat(("user", "I prefer answers in German."), ("assistant", "Ok"), model="llama3.1:8b"), ALICE))
    body = chat(("user", "Which language do I prefer for answers?"), model="gpt-4o")
    assert memory_lines(run(pipeline.inlet(body, ALICE))["messages"]) == ["I prefer answers in German."]


def test_dedupe(make_pipeline):
    pipeline = make_pipeline(dedupe_threshold=0.75)
    remember(pipeline, ALICE, "My favourite colour is blue.")
    remember(pipeline, ALICE, "my favourite colour is  blue")  # exact duplicate after normalising
    assert stored(pipeline) == [("user-alice", "My favourite colour is blue.")]
    remember(pipeline, ALICE, "My favourite colour is green.")  # near duplicate: newest wording wins
    assert stored(pipeline) == [("user-alice", "My favourite colour is green.")]
    remember(pipeline, ALICE, "I live in Hamburg.")  # unrelated: a new memory
    assert len(stored(pipeline)) == 2
    remember(pipeline, BOB, "My favourite colour is green.")  # another user's copy is not a duplicate
    assert len(stored(pipeline)) == 3


def test_prunes_oldest_over_the_per_user_cap(make_pipeline):
    pipeline = make_pipeline(max_memories_per_user=3)
    for city in ("Rome", "Paris", "Lisbon", "Vienna", "Madrid"):
        remember(pipeline, ALICE, "I like the city of %s." % city)
    remember(pipeline, BOB, "I like the city of Bergen.")
    alice = [t for dummy, t in stored(pipeline, "user-alice")]
    assert sorted(alice) == sorted(["I like the city of Lisbon.", "I like the city of Vienna.", "I like the city of Madrid."])
    assert stored(pipeline, "user-bob") == [("user-bob", "I like the city of Bergen.")]


def test_collection_created_on_first_store_with_detected_dimension(memory_module, embedder, make_pipeline):
    embedder.dimensions = 48
    pipeline = make_pipeline(collection="dim_probe", qdrant_path=":memory:")
    client = pipeline._client  # pylint: disable=protected-access
    assert not client.collection_exists("dim_probe")
    ask(pipeline, ALICE, "What do I like?")  # a search alone creates nothing
    assert not client.collection_exists("dim_probe")
    remember(pipeline, ALICE, "I like tea.")
    info = client.get_collection("dim_probe")
    assert info.config.params.vectors.size == 48
    assert str(info.config.params.vectors.distance).lower().endswith("cosine")


def test_dimension_mismatch_is_logged_and_passes_through(make_pipeline, embedder, caplog):
    pipeline = make_pipeline()
    remember(pipeline, ALICE, "I like tea.")
    embedder.dimensions = 32  # "the embedding model changed"
    body = chat(("user", "I like coffee."), ("assistant", "ok"))
    with caplog.at_level(logging.WARNING, logger="owu_memory"):
        assert run(pipeline.outlet(copy.deepcopy(body), ALICE)) == body
        assert run(pipeline.inlet(chat(("user", "What do I like?")), ALICE)) == chat(("user", "What do I like?"))
    assert "set a new 'collection' valve" in caplog.text
    assert stored(pipeline) == [("user-alice", "I like tea.")]


def test_task_requests_and_anonymous_users_are_left_alone(make_pipeline, embedder):
    pipeline = make_pipeline()
    remember(pipeline, ALICE, "I like tea.")
    count = len(embedder.requests)
    task = chat(("user", "Generate a title for: what do I like?"))
    task["metadata"]["task"] = "title_generation"
    assert run(pipeline.inlet(copy.deepcopy(task), ALICE)) == task
    assert run(pipeline.inlet(chat(("user", "What do I like?")), None)) == chat(("user", "What do I like?"))
    assert run(pipeline.outlet(chat(("user", "I like coffee."), ("assistant", "ok")), {"name": "x"})) \
        == chat(("user", "I like coffee."), ("assistant", "ok"))
    assert len(embedder.requests) == count


def test_nothing_worth_remembering_stores_nothing(make_pipeline, embedder):
    pipeline = make_pipeline()
    remember(pipeline, ALICE, "Explain how rainbows form.")
    remember(pipeline, ALICE, "What is my name?")
    assert embedder.requests == []
    assert stored(pipeline) == []


def test_disabled_by_valve(make_pipeline, embedder):
    pipeline = make_pipeline(enabled=False)
    body = chat(("user", "I live in Hamburg."), ("assistant", "ok"))
    assert run(pipeline.outlet(copy.deepcopy(body), ALICE)) == body
    assert run(pipeline.inlet(chat(("user", "Where do I live?")), ALICE)) == chat(("user", "Where do I live?"))
    assert embedder.requests == []
    assert pipeline._client is None  # pylint: disable=protected-access


# ---------------------------------------------------------------------------------------------
# valves: what on_valves_updated (and valves.json) changes must reach the clients
# ---------------------------------------------------------------------------------------------

def test_valves_update_rebuilds_clients(make_pipeline, embedder, tmp_path):
    pipeline = make_pipeline()
    remember(pipeline, ALICE, "I like tea.")
    first_count = len(embedder.requests)
    second = EmbedServer()
    try:
        # exactly what POST /owu_memory/valves/update does: a new Valves object, then the hook
        pipeline.valves = pipeline.Valves(**dict(pipeline.valves.model_dump(), ollama_url=second.url,
                                                 qdrant_path=str(tmp_path / "other"), collection="second"))
        run(pipeline.on_valves_updated())
        # a new, empty store: nothing found, and no query embedding needed for an absent collection
        assert memory_lines(ask(pipeline, ALICE, "What do I like?")) == []
        remember(pipeline, ALICE, "I like coffee.")
        assert second.requests == [{"model": "nomic-embed-text:v1.5", "input": ["search_document: I like coffee."]}]
        assert len(embedder.requests) == first_count  # the old Ollama URL is not used any more
        assert stored(pipeline) == [("user-alice", "I like coffee.")]
        assert (tmp_path / "other").is_dir()
    finally:
        second.stop()


def test_changed_valves_apply_even_without_the_hook(make_pipeline, embedder):
    pipeline = make_pipeline()
    pipeline.valves = pipeline.Valves(**dict(pipeline.valves.model_dump(), embedding_model="bge-m3"))
    remember(pipeline, ALICE, "I like tea.")
    assert embedder.requests[-1]["model"] == "bge-m3"


def test_valves_default_from_class(memory_module):
    valves = memory_module.Pipeline().valves
    assert valves.pipelines == ["*"]
    assert valves.collection == "owu_memories"
    assert valves.embedding_model == "nomic-embed-text:v1.5"
    assert valves.qdrant_url == ""
    pipeline = memory_module.Pipeline()
    assert pipeline.type == "filter" and pipeline.id == "owu_memory"


# ---------------------------------------------------------------------------------------------
# failures never break the chat
# ---------------------------------------------------------------------------------------------

def test_ollama_down_passes_through(make_pipeline, caplog):
    pipeline = make_pipeline(ollama_url="http://127.0.0.1:%d" % free_port(), timeout_s=2)
    body = chat(("user", "I live in Hamburg."), ("assistant", "ok"))
    with caplog.at_level(logging.WARNING, logger="owu_memory"):
        assert run(pipeline.outlet(copy.deepcopy(body), ALICE)) == body
    assert "storing memories failed" in caplog.text


def test_ollama_error_passes_through(make_pipeline, embedder, caplog):
    pipeline = make_pipeline()
    remember(pipeline, ALICE, "I live in Hamburg.")
    embedder.fail_with = 500
    question = chat(("user", "Where do I live?"))
    with caplog.at_level(logging.WARNING, logger="owu_memory"):
        assert run(pipeline.inlet(copy.deepcopy(question), ALICE)) == question
    assert "HTTP 500" in caplog.text


def test_qdrant_server_down_passes_through(make_pipeline, embedder, caplog):
    pipeline = make_pipeline(qdrant_url="http://127.0.0.1:%d" % free_port(), timeout_s=2)
    body = chat(("user", "I live in Hamburg."), ("assistant", "ok"))
    question = chat(("user", "Where do I live?"))
    with caplog.at_level(logging.WARNING, logger="owu_memory"):
        assert run(pipeline.outlet(copy.deepcopy(body), ALICE)) == body
        assert run(pipeline.inlet(copy.deepcopy(question), ALICE)) == question
    assert "memory lookup failed" in caplog.text and "storing memories failed" in caplog.text


def test_locked_local_store_passes_through(make_pipeline, tmp_path, caplog):
    first = make_pipeline()
    remember(first, ALICE, "I live in Hamburg.")
    with caplog.at_level(logging.WARNING, logger="owu_memory"):
        second = make_pipeline()  # same path: qdrant local mode allows one client per folder
        question = chat(("user", "Where do I live?"))
        assert run(second.inlet(copy.deepcopy(question), ALICE)) == question
    assert "cannot open Qdrant" in caplog.text


def test_bag_of_words_is_deterministic():
    assert bag_of_words("search_query: I like tea", 64) == bag_of_words("I like tea", 64)
    assert bag_of_words("a", 64) != bag_of_words("b", 64)
