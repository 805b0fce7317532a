#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ollama_model
short_description: Pull or remove models on an Ollama server
version_added: 0.1.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Makes sure models are present on (pulled into) or absent from an Ollama server, through
    Ollama's HTTP API.
  - Reads the server's model list (C(GET /api/tags)) first and reports a change only when a model
    was pulled or removed, or when O(pull=always) brought a new digest.
  - Pulls stream C(POST /api/pull) line by line. Both ways Ollama reports an error are handled, an
    HTTP error before the stream starts and an C(error) line inside a stream that started with
    HTTP 200. A model the registry does not know fails with the model name and Ollama's message.
  - Network errors, timeouts and server-side errors are retried (O(retries), O(retry_delay)).
    Ollama keeps the layers it already downloaded, so a retried pull resumes where the failed one
    stopped.
  - Several models are pulled at the same time, at most O(concurrency) at once. Results are
    always in the order of O(name).
options:
  name:
    description:
      - Name of the model, or a list of names, as C(ollama pull) takes them, for example
        V(llama3.1:8b), V(nomic-embed-text) or V(hf.co/bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M).
      - A name without a tag means the V(latest) tag, so V(llama3.1) and V(llama3.1:latest) are
        the same model. Names are compared without regard to case, as Ollama does, and
        V(registry.ollama.ai/library/) in front of a name is ignored.
      - The same model named twice is handled once.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) pulls the models that are missing (see O(pull)).
      - V(absent) removes the models that are there (C(DELETE /api/delete)). A model that is
        already gone is not an error.
    type: str
    choices: [present, absent]
    default: present
  pull:
    description:
      - When to pull with O(state=present).
      - V(not_present) pulls only models the server does not have.
      - V(always) pulls every model, which updates a tag whose content changed upstream. The module
        reports a change only for models whose digest changed.
    type: str
    choices: [not_present, always]
    default: not_present
  timeout:
    description:
      - Seconds to wait without progress, that is for a connection or for the next piece of a
        pull's progress stream. It is not a limit on the whole pull, which can take hours for a
        large model on a slow line.
      - A pull that makes no progress for this long is aborted and retried (see O(retries)).
    type: float
    default: 600
  retries:
    description:
      - How many more times a failed pull (or model list read) is tried after the first attempt.
      - Only failures that may go away are retried. These are network errors, timeouts, HTTP 5xx
        and errors in the progress stream. An unknown model, an invalid name or another HTTP 4xx fails at once.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds to wait before each retry.
    type: float
    default: 5
  concurrency:
    description:
      - How many pulls may run at the same time. V(1) pulls one model after the other.
      - Must be at least V(1).
    type: int
    default: 3
  report:
    description:
      - Ollama servers whose model list (C(/api/tags)), version and loaded models (C(/api/ps)) to read
        after the pulls, in the same run - for example every per-GPU instance that shares the model
        store with O(url), O(url) included. Results in RV(servers), one per URL, in order.
      - A server that does not answer is reported (C(is_available) V(false) with the C(reason)), not
        a failure; judge it in the play. Each read waits at most O(timeout) or 30 seconds, whichever
        is less.
      - Also in check mode (reads only).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - numberone.owu._api
  - numberone.owu._api.ollama
  - ansible.builtin.action_common_attributes
  - numberone.owu._attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the model list and predicts the result with a before/after diff.
      - With O(pull=always) it cannot know whether the registry has a newer digest, so every model
        is predicted as V(would_pull) (changed).
  diff_mode:
    support: full
    details:
      - The diff lists the names of the models on the server before and after.
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: full
    details:
      - With O(pull=always), a second run reports a change only if the registry published a new
        digest for a tag in between.
notes:
  - The module talks to the API only. It works against an Ollama in a container, on the host, or on
    another machine, as long as the managed host can reach O(url).
  - Ollama has no authentication. Keep its API on loopback or a private network.
seealso:
  - module: numberone.owu.service_health
  - name: Ollama API
    description: The HTTP API this module uses.
    link: https://github.com/ollama/ollama/blob/main/docs/api.md
"""

EXAMPLES = r"""
---
- name: Pull the models of the plan, three at a time
  numberone.owu.ollama_model:
    name:
      - llama3.1:8b
      - phi3:mini
      - deepseek-r1:8b
      - nomic-embed-text
    url: http://127.0.0.1:11434

- name: Pull one model, allowing one hour without progress on a slow line
  numberone.owu.ollama_model:
    name: qwen2.5:14b
    timeout: 3600
    retries: 5

- name: Update a model to the newest digest of its tag
  numberone.owu.ollama_model:
    name: llama3.1:8b
    pull: always

- name: Remove a model
  numberone.owu.ollama_model:
    name: codellama:13b
    state: absent
"""

RETURN = r"""
servers:
  description:
    - With O(report), what each of those servers has after the run, in the order of O(report).
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The server's base URL.
      type: str
    is_available:
      description: Whether C(/api/tags) answered.
      type: bool
    reason:
      description: Why it did not answer (empty when it did).
      type: str
    models:
      description: The names C(/api/tags) lists (C(llama3.1:8b), C(nomic-embed-text:latest)).
      type: list
      elements: str
    version:
      description: The server's version (C(/api/version)), null when unknown.
      type: str
    loaded:
      description: The loaded models (C(/api/ps)) - name, size, size_vram, on_gpu_percent.
      type: list
      elements: dict
    cpu_fallback:
      description: Loaded models that run on the CPU (size_vram 0).
      type: list
      elements: str
models:
  description:
    - One entry per model in O(name) (duplicates removed), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name as given in O(name).
      type: str
      sample: llama3.1:8b
    action:
      description:
        - What was done. V(pulled) and V(removed) are changes; V(would_pull) and V(would_remove) are
          the check mode predictions; V(unchanged) means the model was already in the wanted state
          (or, with O(pull=always), the pull brought the same digest); V(failed) means its pull
          failed (the module then fails).
      type: str
      sample: pulled
    digest:
      description:
        - The model's digest as C(/api/tags) lists it, after the pull (for a removed model, before).
        - V(null) when unknown (check mode prediction, failed pull).
      type: str
      sample: 46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e
    size:
      description: The model's size in bytes as C(/api/tags) lists it, or V(null) when unknown.
      type: int
      sample: 4920753328
    attempts:
      description: How many times the model was requested from C(/api/pull) (0 without a pull).
      type: int
      sample: 1
    error:
      description: Why the pull failed, only for V(failed) models.
      type: str
      sample: "pull model manifest: file does not exist"
pulled:
  description: Names from O(name) that were pulled and changed (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [llama3.1:8b]
removed:
  description: Names from O(name) that were removed (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
url:
  description: The base URL of the Ollama API that was used, after reading O(url) or E(OLLAMA_HOST).
  returned: always
  type: str
  sample: http://127.0.0.1:11434
diff:
  description: Names of the models on the server before and after (predicted in check mode).
  returned: always
  type: dict
  contains:
    before:
      description: Before the change.
      type: dict
      sample: {models: [nomic-embed-text:latest]}
    after:
      description: After the change.
      type: dict
      sample: {models: ['llama3.1:8b', nomic-embed-text:latest]}
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.numberone.owu.plugins.module_utils._api import (
    OLLAMA_DEFAULT_URL,
    ApiError,
    api_argument_spec,
    error_message,
    get_json,
    iter_ndjson,
    join_url,
    normalize_base_url,
    request,
)
from ansible_collections.numberone.owu.plugins.module_utils._health import ollama_report

try:
    from concurrent.futures import ThreadPoolExecutor
except ImportError:  # pragma: no cover - always there on Python 3
    ThreadPoolExecutor = None

DEFAULT_REGISTRY_PREFIXES = ('registry.ollama.ai/library/', 'registry.ollama.ai/', 'library/')

# Error texts that a retry cannot fix (checked in lower case).
PERMANENT_ERRORS = (
    'file does not exist',
    'not found',
    'invalid model name',
    'manifest unknown',
    'unauthorized',
    'requires a newer version',
    'no space left on device',
)


# ---------------------------------------------------------------- pure helpers

def split_name(name):
    """``[host/][namespace/]model[:tag]`` -> (everything before the tag, tag or None)."""
    name = to_text(name).strip()
    slash = name.rfind('/')
    colon = name.rfind(':')
    if colon > slash:
        return name[:colon], name[colon + 1:]
    return name, None


def display_name(name):
    """The name with ``:latest`` added when it has no tag (case kept)."""
    repo, tag = split_name(name)
    return '%s:%s' % (repo, tag or 'latest')


def normalize_model_name(name):
    """The key Ollama would treat as the same model: lower case, explicit tag, no default registry.

    ``llama3.1``, ``Llama3.1:LATEST`` and ``registry.ollama.ai/library/llama3.1:latest`` all give
    ``llama3.1:latest``.
    """
    key = display_name(name).lower()
    for prefix in DEFAULT_REGISTRY_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return key


def index_models(tags):
    """``/api/tags`` answer -> {normalized name: {name, digest, size}}."""
    index = {}
    for entry in (tags or {}).get('models') or []:
        if not isinstance(entry, dict):
            continue
        name = entry.get('name') or entry.get('model')
        if not name:
            continue
        index[normalize_model_name(name)] = dict(
            name=to_text(name), digest=entry.get('digest'), size=entry.get('size'))
    return index


def unique_names(names):
    """Drop blanks and names that normalize to an earlier one; keep the order."""
    seen = set()
    result = []
    for name in names:
        name = to_text(name).strip()
        if not name:
            continue
        key = normalize_model_name(name)
        if key in seen:
            continue
        seen.add(key)
        result.append(name)
    return result


def plan(names, installed, state, pull_mode):
    """What to do per name: list of (name, 'pull'|'remove'|'keep')."""
    steps = []
    for name in names:
        present = normalize_model_name(name) in installed
        if state == 'absent':
            steps.append((name, 'remove' if present else 'keep'))
        elif pull_mode == 'always' or not present:
            steps.append((name, 'pull'))
        else:
            steps.append((name, 'keep'))
    return steps


def build_diff(before_names, added=(), removed=()):
    """Before/after lists of model names; ``added``/``removed`` are compared by normalized name."""
    before = {}
    for name in before_names:
        before.setdefault(normalize_model_name(name), to_text(name))
    after = dict(before)
    for name in added:
        after.setdefault(normalize_model_name(name), display_name(name))
    for name in removed:
        after.pop(normalize_model_name(name), None)
    return dict(before=dict(models=sorted(before.values())), after=dict(models=sorted(after.values())))


def is_transient(message, status=-1):
    """Whether a failed pull may succeed when tried again."""
    text = to_text(message).lower()
    if any(marker in text for marker in PERMANENT_ERRORS):
        return False
    if 400 <= status < 500 and status not in (408, 429):
        return False
    return True


def run_in_parallel(func, items, concurrency):
    """``[func(item) for item in items]`` with at most ``concurrency`` at a time, results in order.

    ``func`` must not raise.
    """
    items = list(items)
    if concurrency <= 1 or len(items) <= 1 or ThreadPoolExecutor is None:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as executor:
        return list(executor.map(func, items))


# ---------------------------------------------------------------- HTTP

class OllamaClient(object):
    """The few Ollama API calls this module needs; no AnsibleModule inside, so threads can use it."""

    def __init__(self, base_url, timeout, validate_certs=True, use_proxy=True,
                 retries=0, retry_delay=0.0, sleep=time.sleep):
        self.base_url = base_url
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.use_proxy = use_proxy
        self.retries = retries
        self.retry_delay = retry_delay
        self.sleep = sleep

    def _url(self, path):
        return join_url(self.base_url, path)

    def with_retries(self, func):
        """Call ``func()`` until it does not raise a transient ApiError; returns (result, attempts)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return func(), attempt
            except ApiError as e:
                e.attempts = attempt
                if not e.transient or attempt > self.retries:
                    raise
            if self.retry_delay > 0:
                self.sleep(self.retry_delay)

    def tags(self):
        return get_json(self._url('/api/tags'), timeout=self.timeout,
                        validate_certs=self.validate_certs, use_proxy=self.use_proxy)

    def pull_once(self, name):
        """One ``POST /api/pull``, reading the NDJSON stream to its end; raises ApiError."""
        response, info = request(self._url('/api/pull'), method='POST',
                                 payload=dict(model=name, stream=True), timeout=self.timeout,
                                 validate_certs=self.validate_certs, use_proxy=self.use_proxy)
        if response is None:
            # The error form before the stream: an HTTP status with {"error": "..."}.
            message = error_message(info.get('body'), info['msg']) or info['msg']
            raise ApiError(message, status=info['status'], transient=is_transient(message, info['status']))
        last = None
        try:
            for line in iter_ndjson(response):
                if line.get('error'):
                    # The error form inside a stream that started with HTTP 200.
                    message = to_text(line['error'])
                    raise ApiError(message, status=info['status'], transient=is_transient(message))
                last = line.get('status', last)
        finally:
            response.close()
        if last != 'success':
            raise ApiError('the progress stream ended before "success" (last status: %s)' % (last or 'none'))
        return last

    def pull(self, name):
        """Pull with retries; never raises. Returns dict(name, ok, attempts, error)."""
        try:
            dummy, attempts = self.with_retries(lambda: self.pull_once(name))
            return dict(name=name, ok=True, attempts=attempts, error=None)
        except ApiError as e:
            return dict(name=name, ok=False, attempts=getattr(e, 'attempts', 1), error=e.msg)
        except Exception as e:  # pylint: disable=broad-except
            # A bug or an unexpected library error in a worker thread must become a result.
            return dict(name=name, ok=False, attempts=1, error='%s: %s' % (e.__class__.__name__, to_native(e)))

    def delete(self, name):
        """``DELETE /api/delete``; True when removed, False when Ollama says it is not there."""
        response, info = request(self._url('/api/delete'), method='DELETE', payload=dict(model=name),
                                 timeout=self.timeout, validate_certs=self.validate_certs,
                                 use_proxy=self.use_proxy)
        if response is not None:
            response.close()
            return True
        if info['status'] == 404:
            return False
        message = error_message(info.get('body'), info['msg']) or info['msg']
        raise ApiError(message, status=info['status'], transient=is_transient(message, info['status']))


# ---------------------------------------------------------------- module logic

def model_result(name, action, entry=None, attempts=0, error=None):
    result = dict(name=name, action=action,
                  digest=(entry or {}).get('digest'), size=(entry or {}).get('size'),
                  attempts=attempts)
    if error is not None:
        result['error'] = error
    return result


def ensure(client, names, state, pull_mode, concurrency, check_mode):
    """Do the work; returns (result dict, failure message or None). Raises ApiError on list reads."""
    names = unique_names(names)
    before_tags, dummy = client.with_retries(client.tags)
    before = index_models(before_tags)
    before_names = [entry['name'] for entry in before.values()]
    steps = plan(names, before, state, pull_mode)

    models = []
    failures = []
    if state == 'absent':
        removed = []
        for name, step in steps:
            entry = before.get(normalize_model_name(name))
            if step == 'keep':
                models.append(model_result(name, 'unchanged'))
            elif check_mode:
                models.append(model_result(name, 'would_remove', entry))
                removed.append(name)
            else:
                try:
                    gone = client.with_retries(lambda ollama_name=entry['name']: client.delete(ollama_name))[0]
                except ApiError as e:
                    e.msg = "Failed to remove model '%s': %s" % (name, e.msg)
                    raise
                models.append(model_result(name, 'removed' if gone else 'unchanged', entry))
                if gone:
                    removed.append(name)
        result = dict(changed=bool(removed), models=models, pulled=[], removed=removed,
                      diff=build_diff(before_names, removed=removed))
        return result, None

    to_pull = [name for name, step in steps if step == 'pull']
    if check_mode:
        for name, step in steps:
            entry = before.get(normalize_model_name(name))
            models.append(model_result(name, 'would_pull' if step == 'pull' else 'unchanged',
                                       None if step == 'pull' else entry))
        result = dict(changed=bool(to_pull), models=models, pulled=to_pull, removed=[],
                      diff=build_diff(before_names, added=to_pull))
        return result, None

    outcomes = dict(zip([normalize_model_name(n) for n in to_pull],
                        run_in_parallel(client.pull, to_pull, concurrency)))
    after = before
    if to_pull:
        after = index_models(client.with_retries(client.tags)[0])
    pulled = []
    for name, step in steps:
        key = normalize_model_name(name)
        entry = after.get(key)
        if step == 'keep':
            models.append(model_result(name, 'unchanged', entry))
            continue
        outcome = outcomes[key]
        if not outcome['ok']:
            models.append(model_result(name, 'failed', before.get(key), outcome['attempts'], outcome['error']))
            failures.append("Failed to pull model '%s': %s" % (name, outcome['error']))
            continue
        old = before.get(key)
        changed = old is None or entry is None or old.get('digest') != entry.get('digest')
        models.append(model_result(name, 'pulled' if changed else 'unchanged', entry, outcome['attempts']))
        if changed:
            pulled.append(name)
    diff = build_diff(before_names)
    diff['after'] = dict(models=sorted(entry['name'] for entry in after.values()))
    result = dict(changed=bool(pulled), models=models, pulled=pulled, removed=[], diff=diff)
    return result, ('; '.join(failures) if failures else None)


def report_servers(urls, timeout, validate_certs, use_proxy):
    """Model list, version and loaded models of each server in ``urls`` (never raises)."""
    servers = []
    for url in urls:
        base = normalize_base_url(url) or url
        entry = dict(url=base, is_available=False, reason='', models=[], version=None, loaded=[], cpu_fallback=[])
        try:
            tags = get_json(join_url(base, '/api/tags'), timeout=timeout, validate_certs=validate_certs,
                            use_proxy=use_proxy)
        except ApiError as e:
            entry['reason'] = e.msg
            servers.append(entry)
            continue
        entry['is_available'] = True
        entry['models'] = [entry_['name'] for entry_ in index_models(tags).values()]
        report = ollama_report(dict(url=base, timeout=timeout, validate_certs=validate_certs, use_proxy=use_proxy,
                                    headers={}))
        entry.update(version=report.get('version'), loaded=report.get('loaded') or [],
                     cpu_fallback=report.get('cpu_fallback') or [])
        if report.get('error'):
            entry['reason'] = report['error']
        servers.append(entry)
    return servers


def main():
    argument_spec = api_argument_spec(url_default=OLLAMA_DEFAULT_URL, url_env='OLLAMA_HOST', timeout_default=600)
    argument_spec.update(
        name=dict(type='list', elements='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        pull=dict(type='str', default='not_present', choices=['not_present', 'always']),
        retries=dict(type='int', default=3),
        retry_delay=dict(type='float', default=5),
        concurrency=dict(type='int', default=3),
        report=dict(type='list', elements='str', default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    base_url = normalize_base_url(params['url']) or OLLAMA_DEFAULT_URL
    for option in ('retries', 'retry_delay'):
        if params[option] < 0:
            module.fail_json(msg='%s must be 0 or more, got %s' % (option, params[option]))
    if params['concurrency'] < 1:
        module.fail_json(msg='concurrency must be at least 1, got %s' % params['concurrency'])
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be more than 0, got %s' % params['timeout'])

    client = OllamaClient(base_url, timeout=params['timeout'], validate_certs=params['validate_certs'],
                          use_proxy=params['use_proxy'], retries=params['retries'],
                          retry_delay=params['retry_delay'])
    try:
        result, failure = ensure(client, params['name'], params['state'], params['pull'],
                                 params['concurrency'], module.check_mode)
    except ApiError as e:
        module.fail_json(msg='%s (Ollama API at %s)' % (e.msg, base_url), url=base_url, status=e.status)
    if failure:
        module.fail_json(msg=failure, url=base_url, **result)
    result['servers'] = report_servers(params['report'], min(params['timeout'], 30.0), params['validate_certs'],
                                       params['use_proxy'])
    module.exit_json(url=base_url, **result)


if __name__ == '__main__':
    main()
