# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the compose_host module (the host side of the service runtime) on a real file system.

The engine's side (network, volumes, containers) runs against real Docker engines in every
Molecule scenario; here the engine's socket is a path that does not exist, which is check mode on
a fresh host, and the module must still compare and write the project's files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import stat

from scripted_http import Reply, ScriptedServer  # tests/unit is on sys.path (conftest.py)

from ansible_collections.numberone.owu.plugins.modules import compose_host

COMPOSE = '# Ansible managed\nname: owu-demo\nservices: {}\n'
OLD_ENGINE = '# Ansible managed\nname: owu-demo\nservices: {old: true}\n'


def _prepare(tmp_path, **kwargs):
    args = {'step': 'prepare', 'project': 'owu-demo', 'project_dir': str(tmp_path / 'owu-demo'),
            'network': 'owu', 'role': 'demo', 'compose': COMPOSE,
            'docker_host': 'unix://%s' % (tmp_path / 'no-engine.sock')}
    args.update(kwargs)
    return args


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_prepare_writes_the_files_with_their_modes_then_changes_nothing(run_module, tmp_path):
    first = run_module(compose_host.main, _prepare(tmp_path, override='services:\n  x:\n    environment: {K: v}\n'))
    assert first['changed'] and first['files_changed'] and not first['docker_ready']
    project = tmp_path / 'owu-demo'
    assert (project / 'compose.yaml').read_text() == COMPOSE
    assert _mode(project) == 0o750 and _mode(project / 'compose.yaml') == 0o644
    assert _mode(project / 'compose.override.yaml') == 0o600
    assert first['diff'] == {'before_header': str(project / 'compose.yaml'), 'after_header': str(project / 'compose.yaml'),
                             'before': '', 'after': COMPOSE}
    again = run_module(compose_host.main, _prepare(tmp_path, override='services:\n  x:\n    environment: {K: v}\n'))
    assert not again['changed'] and not again['files_changed']
    assert again['diff']['before'] == again['diff']['after']


def test_the_secret_file_is_removed_when_no_service_has_a_secret(run_module, tmp_path):
    run_module(compose_host.main, _prepare(tmp_path, override='secret: 1\n'))
    result = run_module(compose_host.main, _prepare(tmp_path))
    assert result['changed'] and not (tmp_path / 'owu-demo' / 'compose.override.yaml').exists()


def test_the_secret_never_reaches_the_result(run_module, tmp_path):
    result = run_module(compose_host.main, _prepare(tmp_path, override='TOKEN: s3cret-value\n'))
    assert 's3cret-value' not in repr(result)


def test_a_changed_mode_is_put_back(run_module, tmp_path):
    run_module(compose_host.main, _prepare(tmp_path))
    os.chmod(str(tmp_path / 'owu-demo' / 'compose.yaml'), 0o666)
    result = run_module(compose_host.main, _prepare(tmp_path))
    assert result['changed'] and result['files_changed']
    assert _mode(tmp_path / 'owu-demo' / 'compose.yaml') == 0o644


def test_check_mode_shows_the_diff_and_writes_nothing(run_module, tmp_path):
    run_module(compose_host.main, _prepare(tmp_path))
    result = run_module(compose_host.main, _prepare(tmp_path, compose=COMPOSE + 'x: 1\n'), check_mode=True)
    assert result['changed'] and result['files_changed']
    assert result['diff']['before'] == COMPOSE and result['diff']['after'] == COMPOSE + 'x: 1\n'
    assert (tmp_path / 'owu-demo' / 'compose.yaml').read_text() == COMPOSE
    fresh = run_module(compose_host.main, _prepare(tmp_path, project_dir=str(tmp_path / 'new')), check_mode=True)
    assert fresh['changed'] and not (tmp_path / 'new').exists()


def test_without_an_engine_the_new_engine_file_is_written(run_module, tmp_path):
    # The older-engine text is picked only when an engine answers with a version before 25.
    run_module(compose_host.main, _prepare(tmp_path, compose_before_engine_25=OLD_ENGINE))
    assert (tmp_path / 'owu-demo' / 'compose.yaml').read_text() == COMPOSE


def test_probe_and_remove(run_module, tmp_path):
    base = {'project': 'owu-demo', 'project_dir': str(tmp_path / 'owu-demo'),
            'docker_host': 'unix://%s' % (tmp_path / 'no-engine.sock')}
    assert not run_module(compose_host.main, dict(base, step='probe'))['compose_exists']
    run_module(compose_host.main, _prepare(tmp_path))
    assert run_module(compose_host.main, dict(base, step='probe'))['compose_exists']
    assert run_module(compose_host.main, dict(base, step='remove'), check_mode=True)['changed']
    assert (tmp_path / 'owu-demo').exists()
    assert run_module(compose_host.main, dict(base, step='remove'))['changed']
    assert not (tmp_path / 'owu-demo').exists()
    assert not run_module(compose_host.main, dict(base, step='remove'))['changed']


def test_prepare_without_compose_text_leaves_the_files(run_module, tmp_path):
    base = {'step': 'prepare', 'project': 'owu-demo', 'project_dir': str(tmp_path / 'owu-demo'), 'network': 'owu',
            'docker_host': 'unix://%s' % (tmp_path / 'no-engine.sock')}
    result = run_module(compose_host.main, base)
    assert not result['changed'] and not result['files_changed'] and not (tmp_path / 'owu-demo').exists()
    assert run_module(compose_host.main, {'step': 'prepare', 'project': 'p', 'project_dir': str(tmp_path)})['failed']


def _container(name, project=None):
    labels = {'com.docker.compose.project': project} if project else {}
    return {'Names': ['/' + name], 'Labels': labels}


def test_foreign_containers_are_those_of_the_same_name_outside_the_project():
    mine = _container('qdrant', 'owu-qdrant')
    legacy = _container('qdrant')
    unrelated = _container('qdrant-2')  # Docker's name filter matches parts of names
    assert compose_host.foreign([mine, unrelated], ['qdrant'], 'owu-qdrant') == []
    assert compose_host.foreign([legacy, unrelated], ['qdrant'], 'owu-qdrant') == ['qdrant']
    assert compose_host.foreign([_container('qdrant', 'other')], ['qdrant'], 'owu-qdrant') == ['qdrant']


def _dead_socket(tmp_path):
    """A unix socket file with nothing listening: an engine that is installed but stopped."""
    path = str(tmp_path / 'dead.sock')
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    sock.close()
    return 'unix://' + path


def test_inspect_reports_an_engine_that_does_not_answer_only_when_told_to(run_module, tmp_path):
    args = {'step': 'inspect', 'network': 'owu', 'docker_host': _dead_socket(tmp_path)}
    tolerated = run_module(compose_host.main, dict(args, tolerate_down=True))
    assert not tolerated.get('failed') and tolerated['can_talk_to_docker'] is False
    assert tolerated['docker_ready'] and tolerated['containers'] == {}
    failed = run_module(compose_host.main, args)
    assert failed['failed'] and 'does not answer' in failed['msg']


def test_inspect_without_an_engine_finds_nothing(run_module, tmp_path):
    result = run_module(compose_host.main, {'step': 'inspect', 'docker_host': 'unix://%s' % (tmp_path / 'none.sock')})
    assert not result.get('failed') and result['can_talk_to_docker'] is False and result['containers'] == {}


def test_every_step_but_inspect_needs_the_project(run_module, tmp_path):
    for step in ('prepare', 'status', 'probe', 'remove'):
        assert run_module(compose_host.main, {'step': step, 'network': 'owu'})['failed'], step


class _Module(object):
    """What Host._ask reads of AnsibleModule."""
    check_mode = False

    def __init__(self, **params):
        self.params = dict({'wait': True, 'retries': 3, 'delay': 0}, **params)


def test_a_health_check_waits_until_the_service_answers_with_its_headers():
    with ScriptedServer() as server:
        server.routes[('GET', '/readyz')] = [Reply(503, b'starting'), Reply(200, {'status': 'ok'})]
        host = compose_host.Host(_Module(), None)
        got = host._ask(server.url + '/readyz', {'json_field': 'status', 'json_value': 'ok'}, {'api-key': 'k'}, True)
        assert got['is_available'] and got['attempts'] == 2 and 'json' not in got
        assert {k.lower(): v for k, v in server.requests[-1]['headers'].items()}.get('api-key') == 'k'
        server.routes[('GET', '/down')] = [Reply(503, b'no')]
        down = compose_host.Host(_Module(retries=1), None)._ask(server.url + '/down', {}, {}, True)
        assert not down['is_available'] and down['attempts'] == 2 and '503' in down['reason']


def test_the_services_http_checks_are_asked_once_each_after_the_health_checks():
    with ScriptedServer() as server:
        port = int(server.url.rsplit(':', 1)[1])
        server.routes[('GET', '/readyz')] = [Reply(200, {'status': 'ok'})]
        server.routes[('GET', '/collections')] = [Reply(401, b'no key'), Reply(200, {'status': 'ok'})]
        server.routes[('GET', '/')] = [Reply(308, b'', headers={'Location': 'https://chat.example.org/'})]
        params = {
            'services': [{'name': 'web', 'container_name': 'web', 'port': port}, {'name': 'db', 'container_name': 'db', 'port': 1}],
            'network': 'owu', 'health': [{'service': 'web', 'path': '/readyz', 'json_field': 'status', 'json_value': 'ok'}],
            'health_headers': {},
            'checks': [{'name': 'keyless', 'service': 'web', 'path': '/collections', 'status_code': [401]},
                       {'name': 'with_key', 'service': 'web', 'path': '/collections', 'json_field': 'status', 'json_value': 'ok',
                        'json': True},
                       {'name': 'redirect', 'service': 'caddy', 'url': server.url + '/', 'status_code': [301, 308],
                        'follow_redirects': False, 'public_headers': {'Host': 'chat.example.org'}},
                       {'name': 'db_down', 'service': 'db', 'path': '/x'}],
            'check_headers': {'with_key': {'api-key': 'k'}}}
        listed = [{'Names': ['/web'], 'State': 'running', 'NetworkSettings': {'Networks': {'owu': {'IPAddress': '127.0.0.1'}}}}]
        got = compose_host.Host(_Module(**params), None).status(listed)
        assert got['answers']['web']['is_available']
        checks = got['checks']
        # A service that does not run has no address: its path checks are left out, not failed.
        assert sorted(checks) == ['keyless', 'redirect', 'with_key']
        assert checks['keyless']['is_available'] and checks['keyless']['status'] == 401 and checks['keyless']['attempts'] == 1
        assert checks['with_key']['is_available'] and checks['with_key']['json'] == {'status': 'ok'}
        assert 'json' not in checks['keyless'] and 'json' not in got['answers']['web']
        assert checks['redirect']['is_available'] and checks['redirect']['status'] == 308
        assert checks['redirect']['location'] == 'https://chat.example.org/'
        sent = [dict((k.lower(), v) for k, v in r['headers'].items()) for r in server.requests if r['path'] == '/collections']
        assert [h.get('api-key') for h in sent] == [None, 'k']
        assert [dict((k.lower(), v) for k, v in r['headers'].items()).get('host') for r in server.requests
                if r['path'] == '/'] == ['chat.example.org']


def test_status_without_an_engine_has_no_address_and_asks_nothing(run_module, tmp_path):
    result = run_module(compose_host.main, {
        'step': 'status', 'project': 'owu-demo', 'project_dir': str(tmp_path), 'network': 'owu',
        'services': [{'name': 'qdrant', 'container_name': 'qdrant', 'port': 6333}],
        'health': [{'service': 'qdrant', 'path': '/readyz'}], 'health_headers': {'qdrant': {'api-key': 's3cret-key'}},
        'docker_host': 'unix://%s' % (tmp_path / 'none.sock')})
    assert result['services'] == {'qdrant': {'container': 'qdrant', 'running': False, 'ip': '', 'url': ''}}
    assert result['answers'] == {} and result['checks'] == {} and 's3cret-key' not in repr(result)


def test_environment_and_port_of_a_container():
    info = {'Config': {'Env': ['A=1', 'URL=http://x/?a=b', 'EMPTY=', 'BARE']}}
    assert compose_host.environment(info) == {'A': '1', 'URL': 'http://x/?a=b', 'EMPTY': '', 'BARE': ''}
    assert compose_host.environment({}) == {}
    assert compose_host.service_port({'com.numberone.owu.port': '6333'}, {'PORT': '1'}) == '6333'
    assert compose_host.service_port({}, {'PORT': '8080'}) == '8080'
    assert compose_host.service_port({}, {'OLLAMA_HOST': '0.0.0.0:11435'}) == '11435'
    assert compose_host.service_port({}, {}) == ''


# ----------------------------------------------------------------- would `docker compose up` change anything?
# The real engine and Compose answer in every Molecule scenario (the idempotence step takes this path;
# the qdrant scenario stops the container and sees it started again).

HASHES = {'web': 'h-web', 'db': 'h-db'}
IMAGES = {'web': 'sha256:web', 'db': 'sha256:db'}


def _info(service, name=None, config_hash=None, image=None, status='running', health='healthy', networks=('owu',),
          oneoff='False'):
    labels = {'com.docker.compose.service': service, 'com.docker.compose.oneoff': oneoff,
              'com.docker.compose.config-hash': config_hash or HASHES[service],
              'com.docker.compose.image': image or IMAGES[service]}
    state = {'Status': status, 'Running': status == 'running', 'Restarting': False, 'Paused': False}
    if health:
        state['Health'] = {'Status': health}
    return {'Name': '/' + (name or service), 'Image': image or IMAGES[service], 'Config': {'Labels': labels},
            'State': state, 'NetworkSettings': {'Networks': dict((n, {}) for n in networks)}}


def test_parse_hashes():
    assert compose_host.parse_hashes('web abc\ndb  def\n\n') == {'web': 'abc', 'db': 'def'}
    assert compose_host.parse_hashes('') == {}


def test_no_drift_when_every_service_runs_healthy_from_its_definition_and_image():
    assert compose_host.drift(HASHES, [_info('web'), _info('db', health=None)], IMAGES, 'owu') == ''


def test_every_difference_compose_acts_on_is_a_reason():
    cases = [
        ([_info('web')], IMAGES, 'no container of service(s) db'),
        ([_info('web', config_hash='old'), _info('db')], IMAGES, 'web: container web was created from another definition'),
        ([_info('web'), _info('db')], dict(IMAGES, db='sha256:new'), 'db: container db runs another image'),
        ([_info('web'), _info('db')], dict(IMAGES, db=None), 'db: its image is not on the host'),
        ([_info('web', status='exited'), _info('db')], IMAGES, 'web: container web is exited'),
        ([_info('web', health='unhealthy'), _info('db')], IMAGES, 'web: container web is unhealthy'),
        ([_info('web', health='starting'), _info('db')], IMAGES, 'web: container web is starting'),
        ([_info('web', networks=('bridge',)), _info('db')], IMAGES, 'web: container web is not on network owu'),
        ([_info('web'), _info('db'), _info('web', name='web-2')], IMAGES, 'service web has more than one container'),
        ([_info('web'), _info('db'), dict(_info('db', name='x'), Config={'Labels': {'com.docker.compose.service': 'old'}})],
         IMAGES, 'container x is of no service in compose.yaml'),
        ([_info('web'), _info('db'), _info('db', name='db-run', oneoff='True')], IMAGES, 'container db-run is a one-off'),
    ]
    for infos, images, reason in cases:
        assert reason in compose_host.drift(HASHES, infos, images, 'owu'), reason
    assert compose_host.drift({}, [], {}, 'owu') == 'Compose reported no service'


class _Api(object):
    """The Docker SDK calls why_up makes, answered from fixed data."""

    def __init__(self, infos, images):
        self.infos = dict((i['Name'].lstrip('/'), i) for i in infos)
        self.images = images

    def containers(self, all=False, filters=None):  # pylint: disable=redefined-builtin
        assert all and filters == {'label': 'com.docker.compose.project=owu-demo'}
        return [{'Id': name} for name in self.infos]

    def inspect_container(self, cid):
        return self.infos[cid]

    def inspect_image(self, ref):
        if ref not in self.images:
            raise compose_host.NotFound('no such image')
        return {'Id': self.images[ref]}


class _DecideModule(object):
    check_mode = False

    def __init__(self, rc=0, out='web h-web\ndb h-db\n', err=''):
        self.params = {'project': 'owu-demo', 'project_dir': '/opt/c/owu-demo', 'network': 'owu',
                       'services': [{'name': 'web', 'image': 'web:1'}, {'name': 'db', 'image': 'db:1'}]}
        self.answer = (rc, out, err)
        self.commands = []

    def get_bin_path(self, name):
        return '/usr/bin/' + name

    def run_command(self, args, cwd=None):
        self.commands.append((args, cwd))
        return self.answer


def test_why_up_asks_compose_for_its_hashes_and_the_engine_for_the_rest():
    module = _DecideModule()
    host = compose_host.Host(module, _Api([_info('web'), _info('db')], {'web:1': 'sha256:web', 'db:1': 'sha256:db'}))
    assert host.why_up() == ('', [{'Id': 'web'}, {'Id': 'db'}])
    assert module.commands == [(['/usr/bin/docker', 'compose', '--project-directory', '/opt/c/owu-demo',
                                 '--project-name', 'owu-demo', 'config', '--hash', '*'], '/opt/c/owu-demo')]
    retagged = compose_host.Host(module, _Api([_info('web'), _info('db')], {'web:1': 'sha256:web', 'db:1': 'sha256:db2'}))
    assert 'db: container db runs another image' in retagged.why_up()[0]
    missing = compose_host.Host(module, _Api([_info('web'), _info('db')], {'web:1': 'sha256:web'}))
    assert 'db: its image is not on the host' in missing.why_up()[0]


def test_why_up_when_it_cannot_tell():
    api = _Api([_info('web'), _info('db')], {'web:1': 'sha256:web', 'db:1': 'sha256:db'})
    failing = compose_host.Host(_DecideModule(rc=1, err='unknown flag: --hash'), api)
    assert failing.why_up() == ('docker compose config --hash failed: unknown flag: --hash', [])
    changed = compose_host.Host(_DecideModule(), api)
    changed.changed = True
    assert changed.why_up() == ('its files, network, volumes or containers changed', [])
    assert compose_host.Host(_DecideModule(), None).why_up() == ('no Docker engine answers', [])


def test_prepare_without_an_engine_needs_up(run_module, tmp_path):
    result = run_module(compose_host.main, _prepare(tmp_path, decide=True))
    assert result['up_needed'] and result['up_reason'] == 'no Docker engine answers' and 'services' not in result


def test_prepare_writes_the_services_files_with_their_modes_and_diffs_only_public_ones(run_module, tmp_path):
    conf = tmp_path / 'caddy'
    args = _prepare(tmp_path, directories=[{'path': str(conf), 'mode': '0700'}],
                    files=[{'path': str(conf / 'Caddyfile'), 'content': ':80 {}\n', 'mode': '0644'},
                           {'path': str(conf / 'old.pem'), 'state': 'absent'}],
                    secret_files=[{'path': str(conf / 'tls' / 'key.pem'), 'content': 's3cret-key', 'mode': '0600'}])
    fresh = run_module(compose_host.main, args, check_mode=True)
    assert fresh['changed'] and fresh['files_changed'] and not conf.exists()
    first = run_module(compose_host.main, args)
    assert first['changed'] and first['files_changed']
    assert _mode(conf) == 0o700 and _mode(conf / 'tls') == 0o755 and _mode(conf / 'tls' / 'key.pem') == 0o600
    assert (conf / 'Caddyfile').read_text() == ':80 {}\n' and (conf / 'tls' / 'key.pem').read_text() == 's3cret-key'
    assert [d['after_header'] for d in first['file_diffs']] == [str(conf / 'Caddyfile')]
    assert 's3cret-key' not in repr(first)
    again = run_module(compose_host.main, args)
    assert not again['changed'] and not again['files_changed'] and again['file_diffs'] == []
    (conf / 'old.pem').write_text('old')
    (conf / 'tls' / 'key.pem').write_text('tampered')
    fixed = run_module(compose_host.main, args)
    assert fixed['changed'] and fixed['files_changed'] and fixed['file_diffs'] == []
    assert not (conf / 'old.pem').exists() and (conf / 'tls' / 'key.pem').read_text() == 's3cret-key'


def test_a_file_in_a_volume_that_does_not_exist_yet_is_a_change(run_module, tmp_path):
    result = run_module(compose_host.main, _prepare(tmp_path, files=[{'volume': 'data', 'path': 'x.py', 'content': 'x'}]),
                        check_mode=True)
    assert result['changed'] and result['files_changed']
