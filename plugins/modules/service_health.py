#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service_health
short_description: Check that an HTTP(S) service answers as expected, optionally waiting for it
version_added: 0.1.0
author:
  - numberone.owu contributors (@numberone)
description:
  - Sends one HTTP(S) request to O(url) and checks the status code, optionally a field of the
    JSON answer and a piece of the body.
  - Like C(community.postgresql.postgresql_ping), it does not fail when the service is down or
    answers wrongly. It returns RV(is_available), RV(status), RV(latency_ms) and a short
    RV(reason); add C(failed_when) or C(until) to the task, or use O(wait).
  - With O(wait=true) it tries again every O(delay) seconds, up to O(retries) more times, until
    the check passes.
  - With O(ollama=true) it also reads Ollama's C(/api/version) and C(/api/ps) from the same
    server and lists the loaded models that run on the CPU because they did not fit in VRAM
    (RV(ollama.cpu_fallback)).
  - The module only reads. It never reports a change.
options:
  url:
    description:
      - The URL to check, V(http://) or V(https://).
    type: str
    required: true
  method:
    description:
      - HTTP method of the request.
      - Redirects are followed for V(GET) and V(HEAD), so RV(status) is the status of the final
        answer.
    type: str
    choices: [GET, HEAD, POST]
    default: GET
  status_code:
    description:
      - HTTP status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  json_field:
    description:
      - Dotted path of a field in the JSON answer that must exist, for example V(status) or
        V(data.0.name) (a number selects a list item).
      - Without O(json_value), the field must exist and not be V(null), V(false), empty or zero.
    type: str
  json_value:
    description:
      - The value O(json_field) must have. Compared as JSON values; a string also matches a
        number or boolean with the same text (V("true") matches V(true), V("1") matches V(1)).
      - Needs O(json_field).
    type: raw
  body_contains:
    description:
      - Text the answer's body must contain.
    type: str
  headers:
    description:
      - Extra request headers, for example an C(Authorization) header. Not logged.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds one request may take (connecting and each read).
    type: float
    default: 5
  wait:
    description:
      - Whether to try again until the check passes, at most O(retries) more times.
    type: bool
    default: false
  retries:
    description:
      - With O(wait=true), how many more times to try after the first failed check.
    type: int
    default: 60
  delay:
    description:
      - With O(wait=true), seconds between two tries.
    type: float
    default: 2
  ollama:
    description:
      - Whether the server is Ollama. When the check passes, the module then also reads
        C(/api/version) and C(/api/ps) from the server of O(url) and returns RV(ollama).
    type: bool
    default: false
  also:
    description:
      - More checks made in the same run, once each, after the check of O(url) (and its waiting)
        whatever its result - one round trip to the host for a service's whole verify step.
      - Each item takes O(url) (required), O(method), O(status_code), O(json_field),
        O(json_value), O(body_contains) and O(headers) (not logged); O(timeout),
        O(validate_certs) and O(use_proxy) are the task's. Their results are RV(also), in order.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - numberone.owu._api
  - ansible.builtin.action_common_attributes
  - numberone.owu._attributes
  - numberone.owu._attributes.read_only
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it checks the service in check mode too.
  diff_mode:
    support: none
notes:
  - The request runs on the managed host, so O(url) is resolved there (C(127.0.0.1) is the
    managed host).
seealso:
  - module: numberone.owu.ollama_model
  - module: ansible.builtin.uri
"""

EXAMPLES = r"""
---
- name: Wait for the Ollama API and show models that fell back to the CPU
  numberone.owu.service_health:
    url: http://127.0.0.1:11434/api/version
    json_field: version
    ollama: true
    wait: true
    retries: 30
    delay: 2
  register: __ollama_health
  failed_when: not __ollama_health.is_available

- name: Warn about models running on the CPU
  ansible.builtin.debug:
    msg: "On CPU: {{ __ollama_health.ollama.cpu_fallback | join(', ') }}"
  when: __ollama_health.ollama.cpu_fallback | length > 0

- name: Check Open WebUI's health answer
  numberone.owu.service_health:
    url: http://127.0.0.1:8080/health
    json_field: status
    json_value: true
  register: __openwebui_health

- name: Accept an authentication challenge as a sign of life
  numberone.owu.service_health:
    url: https://qdrant.example.internal:6333/collections
    status_code: [200, 401]
    validate_certs: false
"""

RETURN = r"""
is_available:
  description: Whether the last check passed.
  returned: always
  type: bool
  sample: true
status:
  description: HTTP status code of the last answer, V(-1) when no HTTP answer came (refused, timed out).
  returned: always
  type: int
  sample: 200
latency_ms:
  description: Milliseconds the last request took, until the whole body was read.
  returned: always
  type: float
  sample: 3.2
reason:
  description: Why the last check failed, or V(OK).
  returned: always
  type: str
  sample: "HTTP 503 is not one of the expected status codes [200]"
attempts:
  description: How many checks were made.
  returned: always
  type: int
  sample: 1
url:
  description: The URL that was checked.
  returned: always
  type: str
  sample: http://127.0.0.1:11434/api/version
json:
  description: The answer's body, parsed, when it is JSON.
  returned: when the last answer was JSON
  type: raw
  sample: {version: 0.32.15}
also:
  description:
    - The results of the O(also) checks, in order, each with RV(is_available), RV(status),
      RV(latency_ms), RV(reason), RV(url) and RV(json) (when JSON).
  returned: always
  type: list
  elements: dict
  sample: [{url: http://127.0.0.1:6333/collections, is_available: true, status: 401, reason: OK}]
ollama:
  description: What the Ollama server reports.
  returned: when O(ollama=true) and the check passed
  type: dict
  contains:
    version:
      description: The server's version from C(/api/version), V(null) if it could not be read.
      type: str
      sample: 0.32.15
    loaded:
      description: The models loaded in memory (C(/api/ps)).
      type: list
      elements: dict
      contains:
        name:
          description: Model name.
          type: str
          sample: llama3.1:8b
        size:
          description: Bytes the loaded model uses in total.
          type: int
          sample: 6654289920
        size_vram:
          description: Of that, bytes in GPU memory.
          type: int
          sample: 6654289920
        on_gpu_percent:
          description: Share of the model in GPU memory, 0 to 100.
          type: int
          sample: 100
    cpu_fallback:
      description: Names of loaded models with nothing in GPU memory (C(size_vram) 0), which run on the CPU.
      type: list
      elements: str
      sample: []
    error:
      description: Why C(/api/version) or C(/api/ps) could not be read. Only present then.
      type: str
      sample: "GET http://127.0.0.1:11434/api/ps failed: HTTP 500 Internal Server Error"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.numberone.owu.plugins.module_utils._api import api_argument_spec
from ansible_collections.numberone.owu.plugins.module_utils._health import check_once, run

# What an O(also) item may set; the rest comes from the task.
ALSO_KEYS = ('url', 'method', 'status_code', 'json_field', 'json_value', 'body_contains', 'headers')


def main():
    argument_spec = api_argument_spec(url_required=True, timeout_default=5)
    argument_spec.update(
        method=dict(type='str', default='GET', choices=['GET', 'HEAD', 'POST']),
        status_code=dict(type='list', elements='int', default=[200]),
        json_field=dict(type='str'),
        json_value=dict(type='raw'),
        body_contains=dict(type='str'),
        headers=dict(type='dict', default={}, no_log=True),
        wait=dict(type='bool', default=False),
        retries=dict(type='int', default=60),
        delay=dict(type='float', default=2),
        ollama=dict(type='bool', default=False),
        also=dict(type='list', elements='dict', default=[], no_log=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_by=dict(json_value='json_field'))
    params = module.params
    if not params['url'].lower().startswith(('http://', 'https://')):
        module.fail_json(msg='url must start with http:// or https://, got %s' % params['url'])
    if params['retries'] < 0 or params['delay'] < 0:
        module.fail_json(msg='retries and delay must be 0 or more')
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be more than 0, got %s' % params['timeout'])
    extra = []
    for pos, item in enumerate(params['also']):
        unknown = sorted(set(item) - set(ALSO_KEYS))
        url = str(item.get('url') or '')
        if unknown or not url.lower().startswith(('http://', 'https://')):
            module.fail_json(msg='also[%d] needs an http(s) url and takes only %s (got %s)' % (
                pos, ', '.join(ALSO_KEYS), ', '.join(unknown) or 'url %r' % url))
        check = dict(params, method='GET', status_code=[200], json_field=None, json_value=None, body_contains=None,
                     headers={}, wait=False, ollama=False)
        check.update(item)
        extra.append(check)
    for item in extra:
        module.no_log_values.update(str(v) for v in (item['headers'] or {}).values())
    result = run(params)
    result['also'] = []
    for item in extra:
        answer = check_once(item)
        answer['url'] = item['url']
        result['also'].append(answer)
    module.exit_json(changed=False, url=params['url'], **result)


if __name__ == '__main__':
    main()
