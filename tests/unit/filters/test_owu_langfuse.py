# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the Langfuse filter (roles/pipelines/files/filters/owu_langfuse.py).

The real Langfuse Python SDK (pinned in roles/pipelines/files/requirements.txt) exports
OTLP/HTTP protobuf to a recording server on 127.0.0.1 (owu_filter_servers.LangfuseServer), which
decodes every span: the assertions are on what a Langfuse server would receive.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import base64
import copy
import json
import logging

import pytest

from owu_filter_servers import LangfuseServer, free_port  # pylint: disable=import-error

ALICE = {"id": "user-alice", "email": "alice@example.org", "name": "Alice", "role": "user"}
BOB = {"id": "user-bob", "email": "bob@example.org", "name": "Bob", "role": "admin"}


def run(coro):
    return asyncio.run(coro)


def inlet_body(chat_id, question, model="llama3.1:8b", **metadata):
    meta = {"chat_id": chat_id, "message_id": "m-%s" % question[:3], "session_id": "sess-1"}
    meta.update(metadata)
    return {"model": model, "stream": True, "messages": [{"role": "user", "content": question}], "metadata": meta}


def outlet_body(chat_id, question, answer, usage=None, model="llama3.1:8b"):
    assistant = {"id": "a-1", "role": "assistant", "content": answer}
    if usage is not None:
        assistant["usage"] = usage
    return {"model": model, "messages": [{"id": "u-1", "role": "user", "content": question}, assistant],
            "chat_id": chat_id, "session_id": "sess-1", "id": "a-1"}


@pytest.fixture
def make_pipeline(langfuse_module, langfuse_server):
    made = []

    def make(**valves):
        pipeline = langfuse_module.Pipeline()
        settings = {"host": langfuse_server.url, "public_key": "pk-lf-test", "secret_key": "sk-lf-test",
                    "flush_interval_s": 60.0}  # nothing leaves before an explicit flush
        settings.update(valves)
        pipeline.valves = pipeline.Valves(**dict(pipeline.valves.model_dump(), **settings))
        run(pipeline.on_startup())
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        run(pipeline.on_shutdown())


def turn(pipeline, user, chat_id, question, answer, usage=None, model="llama3.1:8b"):
    body = inlet_body(chat_id, question, model=model)
    assert run(pipeline.inlet(copy.deepcopy(body), user)) == body
    out = outlet_body(chat_id, question, answer, usage, model=model)
    assert run(pipeline.outlet(copy.deepcopy(out), user)) == out


# ---------------------------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("message, expected", [
    ({"usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}, {"input": 11, "output": 7, "total": 18}),
    ({"usage": {"prompt_eval_count": 5, "eval_count": 9}}, {"input": 5, "output": 9, "total": 14}),
    ({"usage": {"input_tokens": 3, "output_tokens": 4}}, {"input": 3, "output": 4, "total": 7}),
    ({"info": {"prompt_tokens": 2, "completion_tokens": 1}}, {"input": 2, "output": 1, "total": 3}),
    ({"usage": {}}, None),
    ({"usage": "n/a"}, None),
    ({}, None),
    (None, None),
])
def test_usage_of(langfuse_module, message, expected):
    assert langfuse_module.usage_of(message) == expected


@pytest.mark.parametrize("body, expected", [
    ({"metadata": {"chat_id": "c-1"}}, "c-1"),
    ({"chat_id": "c-2"}, "c-2"),
    ({"chat_id": "local", "session_id": "s-9"}, "temporary-session-s-9"),
    ({"metadata": {"chat_id": "local", "session_id": "s-8"}}, "temporary-session-s-8"),
    ({"chat_id": "local"}, None),
    ({}, None),
])
def test_chat_id_of(langfuse_module, body, expected):
    assert langfuse_module.chat_id_of(body) == expected


def test_user_id_of(langfuse_module):
    assert langfuse_module.user_id_of(ALICE) == "alice@example.org"
    assert langfuse_module.user_id_of({"id": "u-7", "email": "jürgen@example.org"}) == "u-7"
    assert langfuse_module.user_id_of({"id": "u-8"}) == "u-8"
    assert langfuse_module.user_id_of(None) is None


# ---------------------------------------------------------------------------------------------
# idle without keys
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["public_key", "secret_key", "host"])
def test_idle_without_keys(make_pipeline, langfuse_server, caplog, missing):
    with caplog.at_level(logging.INFO, logger="owu_langfuse"):
        pipeline = make_pipeline(**{missing: ""})
    assert "idle" in caplog.text and missing in caplog.text
    assert not pipeline.active
    turn(pipeline, ALICE, "chat-1", "Hello?", "Hi!")
    pipeline.flush()
    run(pipeline.on_shutdown())
    assert langfuse_server.spans == [] and langfuse_server.headers == []


def test_class_defaults_are_idle(langfuse_module, langfuse_server):
    pipeline = langfuse_module.Pipeline()
    assert pipeline.type == "filter" and pipeline.id == "owu_langfuse"
    assert pipeline.valves.pipelines == ["*"] and pipeline.valves.priority == 10
    run(pipeline.on_startup())
    body = inlet_body("c", "hi")
    assert run(pipeline.inlet(copy.deepcopy(body), ALICE)) == body
    assert not pipeline.active


# ---------------------------------------------------------------------------------------------
# what Langfuse receives
# ---------------------------------------------------------------------------------------------

def test_one_trace_per_chat_with_ids_usage_and_tags(make_pipeline, langfuse_server, langfuse_module):
    pipeline = make_pipeline()
    turn(pipeline, ALICE, "chat-A", "What is 2+2?", "4",
         usage={"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13})
    turn(pipeline, ALICE, "chat-A", "And 3+3?", "6", usage={"prompt_eval_count": 20, "eval_count": 2})
    turn(pipeline, BOB, "chat-B", "Hi", "Hello", model="phi4:14b")
    pipeline.flush()

    generations = langfuse_server.generations()
    assert len(generations) == 3
    by_chat = {}
    for span in generations:
        by_chat.setdefault(span["attributes"]["session.id"], []).append(span)
    assert sorted(by_chat) == ["chat-A", "chat-B"]

    chat_a = by_chat["chat-A"]
    assert {s["trace_id"] for s in chat_a} == {langfuse_module.Langfuse.create_trace_id(seed="chat-A")}
    assert by_chat["chat-B"][0]["trace_id"] == langfuse_module.Langfuse.create_trace_id(seed="chat-B")
    for span in chat_a:
        attrs = span["attributes"]
        assert span["name"] == "llm_response"
        assert attrs["user.id"] == "alice@example.org"
        assert attrs["langfuse.trace.name"] == "chat:chat-A"
        assert attrs["langfuse.trace.tags"] == ["open-webui"]
        assert attrs["langfuse.observation.model.name"] == "llama3.1:8b"
        assert attrs["langfuse.observation.metadata.interface"] == "open-webui"
        assert attrs["langfuse.observation.metadata.owui_user_id"] == "user-alice"
    usages = sorted(json.loads(s["attributes"]["langfuse.observation.usage_details"])["total"] for s in chat_a)
    assert usages == [13, 22]
    first = [s for s in chat_a if json.loads(s["attributes"]["langfuse.observation.usage_details"])["total"] == 13][0]
    assert json.loads(first["attributes"]["langfuse.observation.usage_details"]) == {"input": 12, "output": 1, "total": 13}
    assert first["attributes"]["langfuse.observation.output"] == "4"
    assert json.loads(first["attributes"]["langfuse.observation.input"]) == [{"role": "user", "content": "What is 2+2?"}]

    bob = by_chat["chat-B"][0]["attributes"]
    assert bob["user.id"] == "bob@example.org"
    assert bob["langfuse.observation.model.name"] == "phi4:14b"
    assert "langfuse.observation.usage_details" not in bob  # no usage reported: none invented

    expected_auth = "Basic " + base64.b64encode(b"pk-lf-test:sk-lf-test").decode()
    assert langfuse_server.headers and all(h["authorization"] == expected_auth for h in langfuse_server.headers)
    assert all(h["content-type"] == "application/x-protobuf" for h in langfuse_server.headers)


def test_task_requests_become_tagged_spans(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    body = inlet_body("chat-T", "Create a title", task="title_generation")
    assert run(pipeline.inlet(copy.deepcopy(body), ALICE)) == body
    pipeline.flush()
    assert langfuse_server.generations() == []
    [span] = langfuse_server.spans
    assert span["name"] == "task:title_generation"
    assert span["attributes"]["langfuse.trace.tags"] == ["open-webui", "title_generation"]
    assert span["attributes"]["session.id"] == "chat-T"


def test_insert_tags_off(make_pipeline, langfuse_server):
    pipeline = make_pipeline(insert_tags=False)
    turn(pipeline, ALICE, "chat-1", "Hi", "Hello")
    pipeline.flush()
    [span] = langfuse_server.generations()
    assert "langfuse.trace.tags" not in span["attributes"]


def test_outlet_without_inlet_still_traces(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    out = outlet_body("chat-O", "Hi", "Hello", usage={"prompt_tokens": 1, "completion_tokens": 2})
    assert run(pipeline.outlet(copy.deepcopy(out), ALICE)) == out
    pipeline.flush()
    [span] = langfuse_server.generations()
    assert span["attributes"]["session.id"] == "chat-O"
    assert span["attributes"]["langfuse.observation.output"] == "Hello"


def test_temporary_chat(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    turn(pipeline, ALICE, "local", "Hi", "Hello")
    pipeline.flush()
    [span] = langfuse_server.generations()
    assert span["attributes"]["session.id"] == "temporary-session-sess-1"


# ---------------------------------------------------------------------------------------------
# flush and lifecycle
# ---------------------------------------------------------------------------------------------

def test_nothing_sent_before_flush_and_everything_after(make_pipeline, langfuse_server):
    pipeline = make_pipeline()  # flush interval 60 s
    turn(pipeline, ALICE, "chat-F", "Hi", "Hello")
    assert langfuse_server.spans == []
    pipeline.flush()
    assert len(langfuse_server.generations()) == 1


def test_shutdown_ends_open_generations_and_flushes(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    body = inlet_body("chat-S", "Tell me a long story")
    run(pipeline.inlet(body, ALICE))  # the answer never finished
    run(pipeline.on_shutdown())
    [span] = langfuse_server.generations()
    assert span["attributes"]["session.id"] == "chat-S"
    assert "langfuse.observation.output" not in span["attributes"]


def test_flush_interval_sends_without_explicit_flush(make_pipeline, langfuse_server):
    import time  # pylint: disable=import-outside-toplevel
    pipeline = make_pipeline(flush_interval_s=0.2)
    turn(pipeline, ALICE, "chat-I", "Hi", "Hello")
    deadline = time.monotonic() + 10
    while not langfuse_server.generations() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(langfuse_server.generations()) == 1


# ---------------------------------------------------------------------------------------------
# valves updates reach the SDK (including its per-public-key singleton)
# ---------------------------------------------------------------------------------------------

def test_valves_update_switches_host_with_same_keys(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    turn(pipeline, ALICE, "chat-1", "Hi", "Hello")
    second = LangfuseServer()
    try:
        pipeline.valves = pipeline.Valves(**dict(pipeline.valves.model_dump(), host=second.url))
        run(pipeline.on_valves_updated())  # flushes the old client on the way out
        assert len(langfuse_server.generations()) == 1
        turn(pipeline, BOB, "chat-2", "Hi", "Hello")
        pipeline.flush()
        assert [s["attributes"]["session.id"] for s in second.generations()] == ["chat-2"]
        assert len(langfuse_server.generations()) == 1
    finally:
        second.stop()


def test_valves_update_from_idle_to_active(make_pipeline, langfuse_server):
    pipeline = make_pipeline(public_key="", secret_key="")
    assert not pipeline.active
    pipeline.valves = pipeline.Valves(**dict(pipeline.valves.model_dump(), public_key="pk-lf-2", secret_key="sk-lf-2"))
    run(pipeline.on_valves_updated())
    assert pipeline.active
    turn(pipeline, ALICE, "chat-1", "Hi", "Hello")
    pipeline.flush()
    assert len(langfuse_server.generations()) == 1
    assert langfuse_server.headers[-1]["authorization"] == "Basic " + base64.b64encode(b"pk-lf-2:sk-lf-2").decode()


# ---------------------------------------------------------------------------------------------
# failures never break the chat
# ---------------------------------------------------------------------------------------------

def test_langfuse_down_passes_through(make_pipeline):
    pipeline = make_pipeline(host="http://127.0.0.1:%d" % free_port(), timeout_s=1)
    turn(pipeline, ALICE, "chat-1", "Hi", "Hello")  # asserts the bodies come back unchanged
    pipeline.flush()  # the exporter logs the failure; nothing raises
    run(pipeline.on_shutdown())


def test_unexpected_bodies_pass_through(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    for body in ({}, {"messages": "not a list"}, {"model": None, "messages": [None, 3]}):
        assert run(pipeline.inlet(copy.deepcopy(body), None)) == body
        assert run(pipeline.outlet(copy.deepcopy(body), "not a dict")) == body
    assert run(pipeline.inlet("not a dict", ALICE)) == "not a dict"


# ---------------------------------------------------------------------------------------------
# media: images stay out of Langfuse unless the media valve is on
# ---------------------------------------------------------------------------------------------

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake image bytes" * 40).decode()


def image_body(chat_id):
    body = inlet_body(chat_id, "What is in this picture?")
    body["messages"][0]["content"] = [{"type": "text", "text": "What is in this picture?"},
                                      {"type": "image_url", "image_url": {"url": PNG}}]
    return body


def test_without_media_replaces_every_kind_the_sdk_would_upload(langfuse_module):
    strip = langfuse_module.without_media
    anthropic = {"type": "base64", "media_type": "image/jpeg", "data": "QUJD" * 10}
    vertex = {"type": "media", "mime_type": "audio/wav", "data": "QUJD" * 10}
    gemini = {"inline_data": {"mime_type": "image/webp", "data": "QUJD" * 10}, "text": "hi"}
    value = [{"role": "user", "content": [PNG, anthropic, vertex, gemini, "data:text/plain,not base64"]}]
    out = strip(value)
    content = out[0]["content"]
    assert content[0].startswith("[image/png, about ") and content[0].endswith(" bytes: not sent to Langfuse]")
    assert content[1]["data"] == "[image/jpeg, about 30 bytes: not sent to Langfuse]"
    assert content[2]["data"].startswith("[audio/wav,") and content[3]["inline_data"]["data"].startswith("[image/webp,")
    assert content[3]["text"] == "hi" and content[4] == "data:text/plain,not base64"
    assert value[0]["content"][0] == PNG and anthropic["data"] == "QUJD" * 10  # the input is not changed


def test_images_are_not_sent_by_default_and_the_chat_keeps_them(make_pipeline, langfuse_server):
    pipeline = make_pipeline()
    body = image_body("chat-img")
    assert run(pipeline.inlet(copy.deepcopy(body), ALICE)) == body  # Open WebUI gets the image back
    out = outlet_body("chat-img", "What is in this picture?", "A cat.")
    run(pipeline.outlet(copy.deepcopy(out), ALICE))
    pipeline.flush()
    traced = langfuse_server.generations()[0]["attributes"]["langfuse.observation.input"]
    assert "base64" not in traced and "not sent to Langfuse" in traced
    assert not [r for r in langfuse_server.requests if r[1].startswith("/api/public/media")]


def test_media_valve_hands_images_to_the_sdk(make_pipeline, langfuse_server):
    pipeline = make_pipeline(media=True)
    run(pipeline.inlet(image_body("chat-img2"), ALICE))
    run(pipeline.outlet(outlet_body("chat-img2", "What is in this picture?", "A cat."), ALICE))
    pipeline.flush()
    # The SDK asks Langfuse for an upload URL (this test server has none to give).
    assert [r for r in langfuse_server.requests if r == ("POST", "/api/public/media")]
    traced = langfuse_server.generations()[0]["attributes"]["langfuse.observation.input"]
    assert "not sent to Langfuse" not in traced
