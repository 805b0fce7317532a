# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the ollama_model module.

Whole-module runs talk to a real HTTP server on 127.0.0.1 (``FakeOllama`` below, scripted per
test) through the module's own ``open_url`` calls; nothing in the module's HTTP path is mocked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from scripted_http import Reply, closed_port_url  # tests/unit is on sys.path (conftest.py)


from ansible_collections.numberone.owu.plugins.modules import ollama_model


# ---------------------------------------------------------------- a scripted HTTP server
# (the same small server is in tests/unit/plugins/module_utils/test_api.py and
# test_service_health.py; each test file stays self-contained)

# ---------------------------------------------------------------- a scripted Ollama

UNKNOWN = 'pull model manifest: file does not exist'
MB = 1024 * 1024


def listed_name(name):
    """How the fake lists a pulled name in /api/tags (explicit tag, like Ollama)."""
    return name if ':' in name.rsplit('/', 1)[-1] else name + ':latest'


class FakeOllama(object):
    """Stateful /api/tags, /api/pull, /api/delete on a ScriptedServer.

    ``script(name, *behaviours)`` sets what the next pulls of ``name`` do, one behaviour per
    attempt (then ``ok``): ``ok``, ``unknown`` (error line in a 200 stream), ``http500``/
    ``http400`` (error before the stream), ``midstream`` (error line after half the layer),
    ``drop`` (connection closed after half the layer), ``slow`` (2 s without progress).
    A pull resumes from the bytes an earlier attempt got, as Ollama does.
    """

    layer_size = 40 * MB

    def __init__(self, server):
        self.server = server
        self.models = {}
        self.scripts = {}
        self.digests = {}
        self.completed = {}
        self.first_offsets = {}
        self.step_delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server.routes[('GET', '/api/tags')] = self.tags
        server.routes[('POST', '/api/pull')] = self.pull
        server.routes[('DELETE', '/api/delete')] = self.delete

    def add(self, name, digest='d' * 64, size=123):
        self.models[name] = dict(digest=digest, size=size)

    def script(self, name, *behaviours):
        self.scripts[name] = list(behaviours)

    def requests(self, method, path):
        return [r for r in self.server.requests if r['method'] == method and r['path'] == path]

    def tags(self, request):
        models = [dict(name=name, model=name, modified_at='2025-01-01T00:00:00Z', size=info['size'],
                       digest=info['digest'], details=dict(format='gguf', family='llama'))
                  for name, info in sorted(self.models.items())]
        return Reply(200, {'models': models})

    def delete(self, request):
        name = listed_name(request['body']['model'])
        if self.models.pop(name, None) is None:
            return Reply(404, {'error': "model '%s' not found" % request['body']['model']})
        return Reply(200, b'')

    def _enter(self):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self):
        with self._lock:
            self.in_flight -= 1

    def _progress(self, name, upto):
        """Progress lines for the one layer from where earlier attempts stopped to ``upto``."""
        digest = 'sha256:' + self.digests.get(name, 'a' * 64)
        start = self.completed.get(name, 0)
        self.first_offsets.setdefault(name, []).append(start)
        lines = []
        for done in range(start, upto + 1, 10 * MB):
            lines.append({'status': 'pulling %s' % digest[7:19], 'digest': digest,
                          'total': self.layer_size, 'completed': done})
            if self.step_delay:
                lines.append(('sleep', self.step_delay))
        lines.append(('call', lambda: self.completed.__setitem__(name, upto)))
        return lines

    def pull(self, request):
        name = request['body']['model']
        steps = self.scripts.get(name) or ['ok']
        behaviour = steps.pop(0)
        head = [('call', self._enter), {'status': 'pulling manifest'}]
        tail = [('call', self._leave)]
        half = self.layer_size // 2
        if behaviour == 'unknown':
            return Reply(chunks=head + [{'error': UNKNOWN}] + tail)
        if behaviour == 'http500':
            return Reply(500, {'error': 'an error was encountered while running the model: out of memory'})
        if behaviour == 'http400':
            return Reply(400, {'error': 'invalid model name'})
        if behaviour == 'midstream':
            return Reply(chunks=head + self._progress(name, half)
                         + [{'error': 'max retries exceeded: unexpected EOF'}] + tail)
        if behaviour == 'drop':
            return Reply(chunks=head + self._progress(name, half) + tail, drop=True)
        if behaviour == 'slow':
            return Reply(chunks=head + [('sleep', 2)] + tail + [{'status': 'success'}])
        assert behaviour == 'ok', behaviour

        def install():
            self.models[listed_name(name)] = dict(digest=self.digests.get(name, 'b' * 64), size=self.layer_size)

        return Reply(chunks=head + self._progress(name, self.layer_size)
                     + [{'status': 'verifying sha256 digest'}, {'status': 'writing manifest'},
                        ('call', install), ('call', self._leave), {'status': 'success'}])


@pytest.fixture
def ollama(server):
    return FakeOllama(server)


def args(fake, **kwargs):
    params = dict(url=fake.server.url, retry_delay=0, timeout=5)
    params.update(kwargs)
    return params


# ---------------------------------------------------------------- pure functions

@pytest.mark.parametrize('name, expected', [
    ('llama3.1', 'llama3.1:latest'),
    ('llama3.1:latest', 'llama3.1:latest'),
    ('Llama3.1:LATEST', 'llama3.1:latest'),
    ('llama3.1:8b', 'llama3.1:8b'),
    ('library/llama3.1:8b', 'llama3.1:8b'),
    ('registry.ollama.ai/library/llama3.1', 'llama3.1:latest'),
    ('registry.ollama.ai/someone/model:q4', 'someone/model:q4'),
    ('hf.co/bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M', 'hf.co/bartowski/qwen2.5-0.5b-instruct-gguf:q4_k_m'),
    ('localhost:5000/team/model', 'localhost:5000/team/model:latest'),
    ('  phi3:mini ', 'phi3:mini'),
])
def test_normalize_model_name(name, expected):
    assert ollama_model.normalize_model_name(name) == expected


@pytest.mark.parametrize('name, expected', [
    ('llama3.1', ('llama3.1', None)),
    ('llama3.1:8b', ('llama3.1', '8b')),
    ('localhost:5000/model', ('localhost:5000/model', None)),
    ('localhost:5000/model:tag', ('localhost:5000/model', 'tag')),
])
def test_split_name(name, expected):
    assert ollama_model.split_name(name) == expected


def test_unique_names_keeps_first_spelling_and_order():
    names = ['llama3.1', 'phi3:mini', 'LLAMA3.1:latest', '', 'registry.ollama.ai/library/phi3:mini', 'nomic-embed-text']
    assert ollama_model.unique_names(names) == ['llama3.1', 'phi3:mini', 'nomic-embed-text']


def test_index_models_skips_junk():
    index = ollama_model.index_models({'models': [
        {'name': 'llama3.1:latest', 'digest': 'x', 'size': 1}, {'model': 'Phi3:Mini', 'digest': 'y'}, {}, 'junk']})
    assert index == {'llama3.1:latest': {'name': 'llama3.1:latest', 'digest': 'x', 'size': 1},
                     'phi3:mini': {'name': 'Phi3:Mini', 'digest': 'y', 'size': None}}
    assert ollama_model.index_models({}) == {} and ollama_model.index_models({'models': None}) == {}


def test_plan():
    installed = ollama_model.index_models({'models': [{'name': 'llama3.1:latest'}]})
    assert ollama_model.plan(['llama3.1', 'phi3:mini'], installed, 'present', 'not_present') == [
        ('llama3.1', 'keep'), ('phi3:mini', 'pull')]
    assert ollama_model.plan(['llama3.1', 'phi3:mini'], installed, 'present', 'always') == [
        ('llama3.1', 'pull'), ('phi3:mini', 'pull')]
    assert ollama_model.plan(['LLAMA3.1:latest', 'phi3:mini'], installed, 'absent', 'not_present') == [
        ('LLAMA3.1:latest', 'remove'), ('phi3:mini', 'keep')]


def test_build_diff():
    before = ['nomic-embed-text:latest', 'llama3.1:latest']
    assert ollama_model.build_diff(before, added=['phi3:mini', 'LLAMA3.1'], removed=['nomic-embed-text']) == {
        'before': {'models': ['llama3.1:latest', 'nomic-embed-text:latest']},
        'after': {'models': ['llama3.1:latest', 'phi3:mini']},
    }
    assert ollama_model.build_diff([], added=['qwen2.5']) == {
        'before': {'models': []}, 'after': {'models': ['qwen2.5:latest']}}


@pytest.mark.parametrize('message, status, transient', [
    (UNKNOWN, 200, False),
    (UNKNOWN, 500, False),
    ('invalid model name', 400, False),
    ('something', 404, False),
    ('too many requests', 429, True),
    ('max retries exceeded: unexpected EOF', 200, True),
    ('timed out waiting for progress', -1, True),
    ('pull model manifest: Get "https://registry.ollama.ai/v2/x": dial tcp: i/o timeout', 200, True),
    ('write /root/.ollama/models/blobs/x: no space left on device', 200, False),
    ('server busy', 503, True),
])
def test_is_transient(message, status, transient):
    assert ollama_model.is_transient(message, status) is transient


def test_run_in_parallel_keeps_order_and_bound():
    lock = threading.Lock()
    state = {'now': 0, 'max': 0}

    def work(item):
        with lock:
            state['now'] += 1
            state['max'] = max(state['max'], state['now'])
        time.sleep(0.05 * (5 - item))  # later items finish first
        with lock:
            state['now'] -= 1
        return item * 10

    assert ollama_model.run_in_parallel(work, range(5), 2) == [0, 10, 20, 30, 40]
    assert state['max'] == 2


# ---------------------------------------------------------------- whole module, present

def test_pull_missing_model(run_module, ollama):
    ollama.add('nomic-embed-text:latest')
    ollama.digests['llama3.1:8b'] = 'c' * 64
    result = run_module(ollama_model.main, args(ollama, name=['llama3.1:8b', 'nomic-embed-text']))
    assert result['changed'] is True
    assert result['pulled'] == ['llama3.1:8b'] and result['removed'] == []
    assert result['models'] == [
        {'name': 'llama3.1:8b', 'action': 'pulled', 'digest': 'c' * 64, 'size': ollama.layer_size, 'attempts': 1},
        {'name': 'nomic-embed-text', 'action': 'unchanged', 'digest': 'd' * 64, 'size': 123, 'attempts': 0},
    ]
    assert result['diff'] == {'before': {'models': ['nomic-embed-text:latest']},
                              'after': {'models': ['llama3.1:8b', 'nomic-embed-text:latest']}}
    pulls = ollama.requests('POST', '/api/pull')
    assert [p['body'] for p in pulls] == [{'model': 'llama3.1:8b', 'stream': True}]
    # /api/tags is read before (to decide) and after (for digests and sizes).
    assert [r['path'] for r in ollama.server.requests] == ['/api/tags', '/api/pull', '/api/tags']


def test_second_run_is_unchanged(run_module, ollama):
    first = run_module(ollama_model.main, args(ollama, name='phi3:mini'))
    second = run_module(ollama_model.main, args(ollama, name='phi3:mini'))
    assert first['changed'] is True and second['changed'] is False
    assert second['models'][0]['action'] == 'unchanged'
    assert len(ollama.requests('POST', '/api/pull')) == 1


@pytest.mark.parametrize('listed, requested', [
    ('llama3.1:latest', 'llama3.1'),
    ('llama3.1:latest', 'Llama3.1:LATEST'),
    ('llama3.1:latest', 'registry.ollama.ai/library/llama3.1'),
    ('Llama3.1:Latest', 'llama3.1:latest'),
])
def test_latest_tag_and_case_match(run_module, ollama, listed, requested):
    ollama.add(listed)
    result = run_module(ollama_model.main, args(ollama, name=requested))
    assert result['changed'] is False and result['models'][0]['action'] == 'unchanged'
    assert ollama.requests('POST', '/api/pull') == []


def test_duplicate_names_pull_once(run_module, ollama):
    result = run_module(ollama_model.main, args(ollama, name=['qwen2.5', 'QWEN2.5:latest']))
    assert [m['name'] for m in result['models']] == ['qwen2.5']
    assert len(ollama.requests('POST', '/api/pull')) == 1


def test_check_mode_predicts_with_diff(run_module, ollama):
    ollama.add('llama3.1:latest')
    result = run_module(ollama_model.main, args(ollama, name=['llama3.1', 'phi3:mini']), check_mode=True)
    assert result['changed'] is True
    assert [(m['name'], m['action']) for m in result['models']] == [('llama3.1', 'unchanged'), ('phi3:mini', 'would_pull')]
    assert result['pulled'] == ['phi3:mini']
    assert result['diff'] == {'before': {'models': ['llama3.1:latest']},
                              'after': {'models': ['llama3.1:latest', 'phi3:mini']}}
    assert ollama.requests('POST', '/api/pull') == [] and list(ollama.models) == ['llama3.1:latest']


def test_check_mode_nothing_to_do(run_module, ollama):
    ollama.add('phi3:mini')
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini'), check_mode=True)
    assert result['changed'] is False
    assert result['diff']['before'] == result['diff']['after']


def test_pull_always_same_digest_is_unchanged(run_module, ollama):
    ollama.add('phi3:mini', digest='b' * 64)  # the fake installs digest b*64 by default
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', pull='always'))
    assert len(ollama.requests('POST', '/api/pull')) == 1
    assert result['changed'] is False and result['models'][0]['action'] == 'unchanged'
    assert result['pulled'] == []


def test_pull_always_new_digest_is_changed(run_module, ollama):
    ollama.add('phi3:mini', digest='0' * 64)
    ollama.digests['phi3:mini'] = 'e' * 64
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', pull='always'))
    assert result['changed'] is True and result['models'][0]['action'] == 'pulled'
    assert result['models'][0]['digest'] == 'e' * 64


def test_pull_always_check_mode_predicts_pull(run_module, ollama):
    ollama.add('phi3:mini')
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', pull='always'), check_mode=True)
    assert result['changed'] is True and result['models'][0]['action'] == 'would_pull'
    assert ollama.requests('POST', '/api/pull') == []


# ---------------------------------------------------------------- errors and retries

def test_unknown_model_fails_with_name_and_message_without_retry(run_module, ollama):
    ollama.script('nosuchmodel:7b', 'unknown', 'unknown', 'unknown', 'unknown')
    result = run_module(ollama_model.main, args(ollama, name='nosuchmodel:7b', retries=3))
    assert result['failed'] is True
    assert result['msg'] == "Failed to pull model 'nosuchmodel:7b': " + UNKNOWN
    assert result['models'] == [{'name': 'nosuchmodel:7b', 'action': 'failed', 'digest': None, 'size': None,
                                 'attempts': 1, 'error': UNKNOWN}]
    assert result['changed'] is False
    assert len(ollama.requests('POST', '/api/pull')) == 1


def test_unknown_model_next_to_good_ones(run_module, ollama):
    ollama.script('nosuchmodel', 'unknown')
    result = run_module(ollama_model.main, args(ollama, name=['phi3:mini', 'nosuchmodel']))
    assert result['failed'] is True and result['changed'] is True
    assert "Failed to pull model 'nosuchmodel': " + UNKNOWN == result['msg']
    assert [(m['name'], m['action']) for m in result['models']] == [('phi3:mini', 'pulled'), ('nosuchmodel', 'failed')]
    assert result['pulled'] == ['phi3:mini']


def test_http_error_before_stream_is_retried(run_module, ollama):
    ollama.script('phi3:mini', 'http500')
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', retries=1))
    assert result['changed'] is True
    assert result['models'][0]['action'] == 'pulled' and result['models'][0]['attempts'] == 2


def test_http_error_before_stream_gives_ollama_message(run_module, ollama):
    ollama.script('phi3:mini', 'http500', 'http500')
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', retries=1))
    assert result['failed'] is True
    assert result['msg'] == ("Failed to pull model 'phi3:mini': an error was encountered while running "
                             "the model: out of memory")
    assert result['models'][0]['attempts'] == 2


def test_http_400_is_not_retried(run_module, ollama):
    ollama.script('Bad Name!', 'http400')
    result = run_module(ollama_model.main, args(ollama, name='Bad Name!', retries=3))
    assert result['failed'] is True and result['msg'] == "Failed to pull model 'Bad Name!': invalid model name"
    assert len(ollama.requests('POST', '/api/pull')) == 1


def test_midstream_error_then_resume(run_module, ollama):
    ollama.script('llama3.1:8b', 'midstream')
    result = run_module(ollama_model.main, args(ollama, name='llama3.1:8b', retries=2))
    assert result['changed'] is True
    assert result['models'][0]['action'] == 'pulled' and result['models'][0]['attempts'] == 2
    pulls = ollama.requests('POST', '/api/pull')
    assert [p['body']['model'] for p in pulls] == ['llama3.1:8b', 'llama3.1:8b']
    # The second request continued where the first stream broke off (Ollama keeps partial blobs).
    assert ollama.first_offsets['llama3.1:8b'] == [0, ollama.layer_size // 2]


def test_midstream_error_without_retries_fails(run_module, ollama):
    ollama.script('llama3.1:8b', 'midstream')
    result = run_module(ollama_model.main, args(ollama, name='llama3.1:8b', retries=0))
    assert result['failed'] is True
    assert result['msg'] == "Failed to pull model 'llama3.1:8b': max retries exceeded: unexpected EOF"
    assert 'llama3.1:8b' not in ollama.models


def test_dropped_stream_is_retried(run_module, ollama):
    ollama.script('phi3:mini', 'drop')
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', retries=1))
    assert result['models'][0]['action'] == 'pulled' and result['models'][0]['attempts'] == 2


def test_stream_without_success_is_an_error(run_module, ollama):
    ollama.server.routes[('POST', '/api/pull')] = [Reply(chunks=[{'status': 'pulling manifest'}])]
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', retries=0))
    assert result['failed'] is True
    assert 'ended before "success" (last status: pulling manifest)' in result['msg']


def test_no_progress_timeout_then_retry(run_module, ollama):
    ollama.script('phi3:mini', 'slow')
    started = time.monotonic()
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', timeout=0.3, retries=1))
    assert result['models'][0]['action'] == 'pulled' and result['models'][0]['attempts'] == 2
    assert time.monotonic() - started < 1.8  # did not wait for the 2 s stall


def test_no_progress_timeout_fails(run_module, ollama):
    ollama.script('phi3:mini', 'slow')
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', timeout=0.3, retries=0))
    assert result['failed'] is True
    assert result['msg'] == "Failed to pull model 'phi3:mini': timed out waiting for progress"


def test_retry_delay_is_waited(run_module, ollama):
    ollama.script('phi3:mini', 'http500')
    started = time.monotonic()
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', retries=1, retry_delay=0.4))
    assert result['changed'] is True and time.monotonic() - started >= 0.4


def test_slow_but_steady_pull_does_not_time_out(run_module, ollama):
    # 5 progress lines 0.2 s apart: longer than the timeout in total, never silent for that long.
    ollama.step_delay = 0.2
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', timeout=0.5, retries=0))
    assert result['changed'] is True and result['models'][0]['attempts'] == 1


def test_server_down(run_module):
    url = closed_port_url()
    result = run_module(ollama_model.main, dict(url=url, name='phi3:mini', retries=1, retry_delay=0))
    assert result['failed'] is True
    assert result['msg'] == 'GET %s/api/tags failed: connection refused (Ollama API at %s)' % (url, url)


def test_url_from_ollama_host(run_module, ollama, monkeypatch):
    monkeypatch.setenv('OLLAMA_HOST', '0.0.0.0:%s' % ollama.server.url.rsplit(':', 1)[1])
    result = run_module(ollama_model.main, dict(name='phi3:mini', retry_delay=0))
    assert result['changed'] is True and result['url'] == ollama.server.url


@pytest.mark.parametrize('option, value, message', [
    ('concurrency', 0, 'concurrency must be at least 1, got 0'),
    ('retries', -1, 'retries must be 0 or more, got -1'),
    ('timeout', 0, 'timeout must be more than 0, got 0.0'),
])
def test_invalid_options(run_module, ollama, option, value, message):
    result = run_module(ollama_model.main, args(ollama, name='phi3:mini', **{option: value}))
    assert result['failed'] is True and result['msg'] == message
    assert ollama.server.requests == []


# ---------------------------------------------------------------- concurrency

@pytest.mark.parametrize('concurrency', [1, 2, 4])
def test_concurrent_pulls_are_bounded_and_ordered(run_module, ollama, concurrency):
    names = ['llama3.1:8b', 'phi3:mini', 'deepseek-r1:8b', 'nomic-embed-text']
    ollama.step_delay = 0.05  # each pull takes ~0.25 s, so pulls that may overlap do
    result = run_module(ollama_model.main, args(ollama, name=names, concurrency=concurrency))
    assert [m['name'] for m in result['models']] == names
    assert all(m['action'] == 'pulled' for m in result['models'])
    assert result['pulled'] == names
    assert ollama.max_in_flight == concurrency


# ---------------------------------------------------------------- absent

def test_remove_present_model(run_module, ollama):
    ollama.add('codellama:13b', digest='f' * 64, size=7)
    ollama.add('phi3:mini')
    result = run_module(ollama_model.main, args(ollama, name=['CodeLlama:13b', 'gone:1b'], state='absent'))
    assert result['changed'] is True and result['removed'] == ['CodeLlama:13b']
    assert result['models'] == [
        {'name': 'CodeLlama:13b', 'action': 'removed', 'digest': 'f' * 64, 'size': 7, 'attempts': 0},
        {'name': 'gone:1b', 'action': 'unchanged', 'digest': None, 'size': None, 'attempts': 0},
    ]
    # The DELETE names the model as the server lists it.
    assert [r['body'] for r in ollama.requests('DELETE', '/api/delete')] == [{'model': 'codellama:13b'}]
    assert result['diff'] == {'before': {'models': ['codellama:13b', 'phi3:mini']},
                              'after': {'models': ['phi3:mini']}}
    assert list(ollama.models) == ['phi3:mini']


def test_remove_check_mode(run_module, ollama):
    ollama.add('codellama:13b')
    result = run_module(ollama_model.main, args(ollama, name='codellama:13b', state='absent'), check_mode=True)
    assert result['changed'] is True and result['models'][0]['action'] == 'would_remove'
    assert ollama.requests('DELETE', '/api/delete') == [] and 'codellama:13b' in ollama.models


def test_remove_absent_model_is_unchanged(run_module, ollama):
    result = run_module(ollama_model.main, args(ollama, name='codellama:13b', state='absent'))
    assert result['changed'] is False and ollama.requests('DELETE', '/api/delete') == []


def test_remove_404_race_is_unchanged(run_module, ollama):
    ollama.add('codellama:13b')
    # Listed by /api/tags, but gone by the time the DELETE arrives.
    ollama.server.routes[('DELETE', '/api/delete')] = [Reply(404, {'error': "model 'codellama:13b' not found"})]
    result = run_module(ollama_model.main, args(ollama, name='codellama:13b', state='absent'))
    assert result['changed'] is False and result['models'][0]['action'] == 'unchanged'
    assert len(ollama.requests('DELETE', '/api/delete')) == 1


def test_remove_error_fails_with_name(run_module, ollama):
    ollama.add('codellama:13b')
    ollama.server.routes[('DELETE', '/api/delete')] = [Reply(500, {'error': 'permission denied'})]
    result = run_module(ollama_model.main, args(ollama, name='codellama:13b', state='absent', retries=1))
    assert result['failed'] is True
    assert result['msg'].startswith("Failed to remove model 'codellama:13b': permission denied")
    assert len(ollama.requests('DELETE', '/api/delete')) == 2


def test_report_reads_every_server_after_the_pulls_and_in_check_mode(run_module, ollama):
    ollama.add('nomic-embed-text:latest')
    ollama.server.routes[('GET', '/api/version')] = [Reply(200, {'version': '0.32.15'})]
    ollama.server.routes[('GET', '/api/ps')] = [Reply(200, {'models': [
        {'name': 'phi3:mini', 'size': 100, 'size_vram': 0}]})]
    down = closed_port_url()
    result = run_module(ollama_model.main, args(ollama, name=['phi3:mini'], report=[ollama.server.url, down]))
    assert result['pulled'] == ['phi3:mini']
    here, gone = result['servers']
    # Read after the pull: the new model is listed.
    assert here['is_available'] and here['models'] == ['nomic-embed-text:latest', 'phi3:mini'] and here['reason'] == ''
    assert here['version'] == '0.32.15' and here['cpu_fallback'] == ['phi3:mini']
    assert here['loaded'] == [{'name': 'phi3:mini', 'size': 100, 'size_vram': 0, 'on_gpu_percent': 0}]
    assert not gone['is_available'] and gone['reason'] and gone['models'] == [] and gone['url'] == down
    # Check mode reads too, and pulls nothing (a verify step run alone).
    again = run_module(ollama_model.main, args(ollama, name=[], report=[ollama.server.url]), check_mode=True)
    assert not again['changed'] and again['servers'][0]['models'] == ['nomic-embed-text:latest', 'phi3:mini']
    # Without report nothing more is read.
    assert run_module(ollama_model.main, args(ollama, name=['phi3:mini']))['servers'] == []
