# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the deploy_history module on a real file system (tmp_path)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from scripted_http import Reply, ScriptedServer  # tests/unit is on sys.path (conftest.py)

from ansible_collections.numberone.owu.plugins.modules import deploy_history

# docker-py's container list with a label filter (APIClient.containers(all=True, filters=...)).
CONTAINERS_PATH = '/v1.45/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.numberone.owu.role%22%5D%7D'


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_add_update_and_query(run_module, tmp_path):
    path = tmp_path / 'lib' / 'deployments.jsonl'
    first = run_module(deploy_history.main, {'path': str(path), 'entry': {'action': 'deploy', 'result': 'ok',
                                                                          'versions': {'openwebui': 'img:1'}}})
    assert first['changed'] and first['entry']['id'] == '1' and first['entry']['when'].endswith('Z')
    second = run_module(deploy_history.main, {'path': str(path), 'entry': {'action': 'upgrade', 'result': 'started'}})
    assert second['entry']['id'] == '2'
    done = run_module(deploy_history.main, {'path': str(path), 'id': '2', 'entry': {'result': 'rolled_back'}})
    assert done['changed'] and done['entry']['result'] == 'rolled_back' and done['entry']['action'] == 'upgrade'
    same = run_module(deploy_history.main, {'path': str(path), 'id': '2', 'entry': {'result': 'rolled_back'}})
    assert not same['changed']
    assert [entry['result'] for entry in _lines(path)] == ['ok', 'rolled_back']
    query = run_module(deploy_history.main, {'path': str(path), 'state': 'query'})
    assert not query['changed'] and [entry['id'] for entry in query['entries']] == ['1', '2']


def test_unknown_id_fails(run_module, tmp_path):
    path = tmp_path / 'deployments.jsonl'
    result = run_module(deploy_history.main, {'path': str(path), 'id': '9', 'entry': {'result': 'ok'}})
    assert result['failed'] and 'No entry with id 9' in result['msg']


def test_unless_last_matches_skips_an_unchanged_deploy(run_module, tmp_path):
    path = tmp_path / 'deployments.jsonl'
    args = {'path': str(path), 'entry': {'action': 'deploy', 'result': 'ok', 'versions': {'a': '1'}},
            'unless_last_matches': ['versions']}
    assert run_module(deploy_history.main, args)['changed']
    again = run_module(deploy_history.main, args)
    assert not again['changed'] and again['entry'] == {}
    args['entry'] = dict(args['entry'], versions={'a': '2'})
    assert run_module(deploy_history.main, args)['entry']['id'] == '2'


def test_check_mode_writes_nothing(run_module, tmp_path):
    path = tmp_path / 'deployments.jsonl'
    result = run_module(deploy_history.main, {'path': str(path), 'entry': {'action': 'deploy'}}, check_mode=True)
    assert result['changed'] and result['entry']['id'] == 'check-mode' and not path.exists()


def test_parse_skips_broken_lines():
    text = '{"id": "1"}\nnot json\n[1]\n\n{"id": "2"}\n'
    assert [entry['id'] for entry in deploy_history.parse(text)] == ['1', '2']
    assert deploy_history.next_id(deploy_history.parse(text)) == '3'
    assert deploy_history.next_id([]) == '1'


def test_images_come_from_the_engine_in_the_same_round_trip(run_module, tmp_path):
    path = tmp_path / 'deployments.jsonl'
    with ScriptedServer() as engine:
        engine.routes[('GET', '/version')] = [Reply(200, {'ApiVersion': '1.45', 'Version': '26.1.5'})]
        # The runtime's pins label on each container (one not JSON: left out).
        listed = [{'Id': 'a1', 'Names': ['/qdrant'], 'Image': 'sha256:feed',
                   'Labels': {'com.numberone.owu.pins': '{"qdrant_image":"qdrant/qdrant","qdrant_version":"v1.16.3"}'}},
                  {'Id': 'b2', 'Names': ['/openwebui'], 'Image': 'x',
                   'Labels': {'com.numberone.owu.pins': '{"openwebui_version":"v0.12.4"}'}},
                  {'Id': 'c3', 'Names': ['/searxng'], 'Image': 'y', 'Labels': {'com.numberone.owu.pins': 'not json'}}]
        engine.routes[('GET', CONTAINERS_PATH)] = [Reply(200, listed)]
        engine.routes[('GET', '/v1.45/containers/a1/json')] = [Reply(200, {'Config': {'Image': 'qdrant/qdrant:v1.16.3'}})]
        engine.routes[('GET', '/v1.45/containers/b2/json')] = [Reply(200, {'Config': {'Image': 'ghcr.io/open-webui/open-webui:v0.12.4'}})]
        engine.routes[('GET', '/v1.45/containers/c3/json')] = [Reply(200, {'Config': {'Image': 'searxng/searxng:1'}})]
        args = {'path': str(path), 'entry': {'action': 'deploy', 'result': 'ok'}, 'unless_last_matches': ['images'],
                'images_label': 'com.numberone.owu.role', 'docker_host': engine.url.replace('http://', 'tcp://')}
        first = run_module(deploy_history.main, args)
        again = run_module(deploy_history.main, args)
    assert first['changed'] and first['engine_answered']
    assert first['entry']['images'] == {'openwebui': 'ghcr.io/open-webui/open-webui:v0.12.4', 'qdrant': 'qdrant/qdrant:v1.16.3',
                                        'searxng': 'searxng/searxng:1'}
    assert first['entry']['pins'] == {'openwebui_version': 'v0.12.4', 'qdrant_image': 'qdrant/qdrant', 'qdrant_version': 'v1.16.3'}
    # The same images again: nothing recorded (a re-run that changed nothing).
    assert not again['changed'] and again['entry'] == {} and len(_lines(path)) == 1


def test_no_engine_records_nothing(run_module, tmp_path):
    path = tmp_path / 'deployments.jsonl'
    result = run_module(deploy_history.main, {'path': str(path), 'entry': {'action': 'deploy', 'result': 'ok'},
                                              'images_label': 'com.numberone.owu.role',
                                              'docker_host': 'unix://%s' % (tmp_path / 'no-engine.sock')})
    assert not result['changed'] and not result['engine_answered'] and not path.exists()
