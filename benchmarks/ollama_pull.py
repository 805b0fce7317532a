# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: pulling N models through numberone.owu.ollama_model vs. plain HTTP streaming.

Not a pass/fail test and never collected by pytest. It starts the Ollama stand-in
(tests/standins/ollama/server.py) as a subprocess on 127.0.0.1, with an empty model store and
a simulated download speed, then times, in the same run:

  (a) module, sequential   ollama_model with concurrency=1
  (b) module, concurrent   ollama_model with concurrency=N
  (c) plain, sequential    a urllib loop streaming /api/pull for one model after the other
  (d) plain, concurrent    the same loop in N threads

Every run starts with the models deleted (checked through /api/tags) and must end with all of
them listed. The module runs in this process with its arguments patched in (as the unit tests
do), so the timings compare the module's HTTP and streaming code with a minimal client, without
Ansible's own start-up cost.

Usage (from the repository root):

    .venv/bin/python benchmarks/ollama_pull.py [--models a,b,c] [--bytes-per-sec N] [--repeat R]

Everything is bounded: loopback only, a fixed number of runs, timeouts on every request.
"""

from __future__ import absolute_import, division, print_function

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDIN = os.path.join(ROOT, 'tests', 'standins', 'ollama', 'server.py')
CATALOG = os.path.join(ROOT, 'roles', 'ollama', 'vars', 'catalog.yml')
sys.path.insert(0, os.path.join(ROOT, '.collections'))

# The 8 GB plan's models (chat, fast, reasoning, embedding), as catalog tags.
DEFAULT_MODELS = [
    'llama3.1:8b-instruct-q4_K_M',
    'phi3:3.8b-mini-128k-instruct-q4_0',
    'deepseek-r1:8b-0528-qwen3-q4_K_M',
    'nomic-embed-text:v1.5',
]
REQUEST_TIMEOUT = 60
MAX_REPEAT = 5


def free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def http(base, method, path, body=None, timeout=REQUEST_TIMEOUT):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={'Content-Type': 'application/json'} if data else {})
    return urllib.request.urlopen(req, timeout=timeout)  # loopback only


def listed(base):
    with http(base, 'GET', '/api/tags') as resp:
        return [m['name'] for m in json.loads(resp.read())['models']]


def catalog_sizes():
    """tag -> download bytes from the catalog (for the 'ideal' column); {} if unreadable."""
    try:
        import yaml
        with open(CATALOG) as handle:
            data = yaml.safe_load(handle)
    except Exception:  # pylint: disable=broad-except
        return {}
    sizes = {}
    for entry in data.get('_ollama_catalog', []):
        size = entry.get('download_size_bytes') or int(float(entry.get('download_size_gb', 0)) * 1e9)
        sizes[entry['tag']] = int(size)
    return sizes


@contextlib.contextmanager
def standin(bytes_per_sec):
    port = free_port()
    store = tempfile.mkdtemp(prefix='owu-bench-models-')
    env = dict(os.environ, OLLAMA_HOST='127.0.0.1:%d' % port, OLLAMA_MODELS=store,
               OWU_STANDIN_PULL_BYTES_PER_SEC=str(int(bytes_per_sec)),
               OWU_STANDIN_GGUF=os.path.join(store, 'no-model.gguf'))  # no inference needed
    log = open(os.path.join(store, 'standin.log'), 'w')
    proc = subprocess.Popen([sys.executable, STANDIN, 'serve'], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = 'http://127.0.0.1:%d' % port
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with http(base, 'GET', '/api/version', timeout=2) as resp:
                    version = json.loads(resp.read())['version']
                break
            except (OSError, ValueError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit('the Ollama stand-in did not start; see %s' % log.name)
                time.sleep(0.2)
        yield base, version
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        subprocess.call(['rm', '-rf', store])


def delete_all(base, models):
    for model in models:
        try:
            http(base, 'DELETE', '/api/delete', {'model': model}).close()
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
    left = set(listed(base)) & set(models)
    if left:
        raise SystemExit('models still listed after delete: %s' % sorted(left))


# ---------------------------------------------------------------- the four ways to pull

def run_module(base, models, concurrency):
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.numberone.owu.plugins.modules import ollama_model

    args = dict(name=models, url=base, concurrency=concurrency, retries=0, timeout=REQUEST_TIMEOUT)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            ollama_model.main()
        except SystemExit:
            pass
    result = json.loads(out.getvalue())
    if result.get('failed') or result.get('pulled') != models:
        raise SystemExit('module run failed: %s' % result.get('msg', result))


def plain_pull(base, model):
    with http(base, 'POST', '/api/pull', {'model': model}) as resp:
        last = None
        for line in resp:
            event = json.loads(line)
            if 'error' in event:
                raise SystemExit('plain pull of %s failed: %s' % (model, event['error']))
            last = event.get('status')
    if last != 'success':
        raise SystemExit('plain pull of %s ended with %r' % (model, last))


def run_plain_sequential(base, models):
    for model in models:
        plain_pull(base, model)


def run_plain_concurrent(base, models):
    errors = []

    def worker(model):
        try:
            plain_pull(base, model)
        except BaseException as e:  # pylint: disable=broad-except
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(m,)) for m in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * 10)
    if errors:
        raise errors[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--models', default=','.join(DEFAULT_MODELS),
                        help='comma-separated model tags (default: the 8 GB plan, %(default)s)')
    parser.add_argument('--bytes-per-sec', type=float, default=2e9,
                        help='simulated download speed of the stand-in, per blob (default: %(default).0f)')
    parser.add_argument('--repeat', type=int, default=1, help='runs per way, at most %d (default: 1)' % MAX_REPEAT)
    opts = parser.parse_args(argv)
    models = [m.strip() for m in opts.models.split(',') if m.strip()]
    repeat = max(1, min(opts.repeat, MAX_REPEAT))
    n = len(models)

    ways = [
        ('module, sequential (concurrency 1)', lambda base: run_module(base, models, 1)),
        ('module, concurrent (concurrency %d)' % n, lambda base: run_module(base, models, n)),
        ('plain HTTP, sequential', lambda base: run_plain_sequential(base, models)),
        ('plain HTTP, concurrent (%d threads)' % n, lambda base: run_plain_concurrent(base, models)),
    ]
    times = dict((label, []) for label, dummy in ways)
    with standin(opts.bytes_per_sec) as (base, version):
        for rnd in range(repeat):
            order = ways[rnd % len(ways):] + ways[:rnd % len(ways)]  # rotate to spread drift
            for label, func in order:
                delete_all(base, models)
                started = time.monotonic()
                func(base)
                times[label].append(time.monotonic() - started)
                missing = set(m.lower() for m in models) - set(m.lower() for m in listed(base))
                if missing:
                    raise SystemExit('%s: not listed after the run: %s' % (label, sorted(missing)))
        delete_all(base, models)

    sizes = catalog_sizes()
    known = [sizes[m] for m in models if m in sizes]
    best = dict((label, min(values)) for label, values in times.items())
    print('Ollama pull benchmark, %s' % datetime.datetime.now().strftime('%Y-%m-%d %H:%M'))
    print('machine: %s, %d CPUs, Python %s; stand-in Ollama %s on loopback, %.2f GB/s per blob'
          % (platform.platform(), os.cpu_count() or 0, platform.python_version(), version, opts.bytes_per_sec / 1e9))
    print('models (%d): %s' % (n, ', '.join(models)))
    if len(known) == n:
        print('download size %.2f GB; ideal sequential %.2f s, ideal concurrent %.2f s (largest blob)'
              % (sum(known) / 1e9, sum(known) / opts.bytes_per_sec, max(known) / opts.bytes_per_sec))
    print('runs per way: %d (table shows the best, all runs in brackets)' % repeat)
    print()
    width = max(len(label) for label in times)
    print('%-*s  %9s  %s' % (width, 'way', 'seconds', 'runs'))
    for label, dummy in ways:
        print('%-*s  %9.2f  [%s]' % (width, label, best[label], ', '.join('%.2f' % t for t in times[label])))
    labels = [label for label, dummy in ways]
    print()
    print('module / plain, sequential:    %.3f' % (best[labels[0]] / best[labels[2]]))
    print('module / plain, concurrent:    %.3f' % (best[labels[1]] / best[labels[3]]))
    print('sequential / concurrent, module: %.2fx' % (best[labels[0]] / best[labels[1]]))
    print('sequential / concurrent, plain:  %.2fx' % (best[labels[2]] / best[labels[3]]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
