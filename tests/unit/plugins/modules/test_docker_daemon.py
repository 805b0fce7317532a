# -*- coding: utf-8 -*-
# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the docker_daemon module (the docker role's daemon.json writer) on a real file system.

``dockerd`` and ``docker compose`` are scripted (fake_commands); the engine's info comes from the
real Docker SDK talking to a scripted HTTP server. The docker and nvidia_toolkit scenarios run the
module against real engines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

from scripted_http import Reply, ScriptedServer  # tests/unit is on sys.path (conftest.py)

from ansible_collections.numberone.owu.plugins.modules import docker_daemon

DEFAULTS = {'log-driver': 'json-file', 'log-opts': {'max-size': '10m', 'max-file': '3'}, 'live-restore': True}


def _args(tmp_path, **kwargs):
    args = {'path': str(tmp_path / 'etc' / 'docker' / 'daemon.json'), 'fragments_dir': str(tmp_path / 'etc' / 'docker' / 'daemon.json.d'),
            'fragments_readme': '# managed\n', 'settings_before': [DEFAULTS], 'settings_after': [{}, {}],
            'docker_host': 'unix://%s' % (tmp_path / 'no-engine.sock')}
    args.update(kwargs)
    return args


def _dockerd(fake, version='26.1.5', validate_rc=None):
    fake.bin_paths['dockerd'] = '/usr/sbin/dockerd'
    fake.add(['/usr/sbin/dockerd', '--version'], stdout='Docker version %s, build a72d7cd\n' % version)
    if validate_rc is not None:
        fake.add(['--validate'], rc=validate_rc, stderr='unable to configure the Docker daemon with file: bad\n')


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_merge_is_recursive_and_later_wins():
    merged = docker_daemon.merge([DEFAULTS, {'log-opts': {'max-size': '50m'}, 'runtimes': {'nvidia': {'path': 'x'}}},
                                  {'registry-mirrors': ['https://m'], 'live-restore': False}, None])
    assert merged == {'log-driver': 'json-file', 'log-opts': {'max-size': '50m', 'max-file': '3'}, 'live-restore': False,
                      'runtimes': {'nvidia': {'path': 'x'}}, 'registry-mirrors': ['https://m']}
    # Lists are replaced, not appended (Ansible's combine(recursive=true)).
    assert docker_daemon.merge([{'a': [1, 2]}, {'a': [3]}]) == {'a': [3]}


def test_render_matches_to_nice_json():
    # The role wrote the file with to_nice_json(indent=2) + newline before: an upgrade must not
    # rewrite (and restart dockerd for) the same settings.
    assert docker_daemon.render({'b': 1, 'a': {'y': '2', 'x': True}}) == '{\n  "a": {\n    "x": true,\n    "y": "2"\n  },\n  "b": 1\n}\n'


def test_versions():
    assert docker_daemon.parse_version('Docker version 26.1.5+dfsg1, build a72d7cd') == '26.1.5'
    assert docker_daemon.parse_version('nonsense') == ''
    assert docker_daemon.version_at_least('26.1.5', '23.0') and not docker_daemon.version_at_least('20.10.24', '23.0')


def test_writes_the_file_the_directory_and_the_readme_then_changes_nothing(run_module, fake_commands, tmp_path):
    _dockerd(fake_commands, validate_rc=0)
    first = run_module(docker_daemon.main, _args(tmp_path))
    assert first['changed'] and first['file_changed'] and first['validated']
    daemon_json = tmp_path / 'etc' / 'docker' / 'daemon.json'
    assert json.loads(daemon_json.read_text()) == DEFAULTS == first['config']
    assert _mode(daemon_json) == 0o644 and _mode(tmp_path / 'etc' / 'docker' / 'daemon.json.d') == 0o755
    assert (tmp_path / 'etc' / 'docker' / 'daemon.json.d' / 'README').read_text() == '# managed\n'
    assert first['dockerd_version'] == '26.1.5' and first['engine'] is None
    assert fake_commands.calls[-1]['args'][2] == '--validate' and fake_commands.calls[-1]['args'][1].startswith('--config-file=')
    _dockerd(fake_commands)
    again = run_module(docker_daemon.main, _args(tmp_path))
    assert not again['changed'] and not again['file_changed'] and not again['validated']
    assert fake_commands.pending == []


def test_fragments_are_merged_by_name_between_the_settings(run_module, fake_commands, tmp_path):
    fragments = tmp_path / 'etc' / 'docker' / 'daemon.json.d'
    fragments.mkdir(parents=True)
    (fragments / 'b.json').write_text('{"log-opts": {"max-size": "20m"}}')
    (fragments / 'a.json').write_text('{"log-opts": {"max-size": "30m"}, "runtimes": {"r": {}}}')
    (fragments / 'notes.txt').write_text('not a fragment')
    result = run_module(docker_daemon.main, _args(tmp_path, settings_after=[{'debug': True}]))
    assert result['fragments'] == ['a', 'b']
    assert result['config'] == {'log-driver': 'json-file', 'log-opts': {'max-size': '20m', 'max-file': '3'},
                                'live-restore': True, 'runtimes': {'r': {}}, 'debug': True}
    assert not result['validated']  # no dockerd installed: nothing to validate with


def test_a_fragment_written_and_removed_in_the_same_call(run_module, fake_commands, tmp_path):
    args = _args(tmp_path, fragment_name='nvidia_toolkit', fragment={'runtimes': {'nvidia': {'path': 'nvidia-container-runtime'}}})
    result = run_module(docker_daemon.main, args)
    fragment = tmp_path / 'etc' / 'docker' / 'daemon.json.d' / 'nvidia_toolkit.json'
    assert json.loads(fragment.read_text()) == {'runtimes': {'nvidia': {'path': 'nvidia-container-runtime'}}}
    assert result['config']['runtimes'] == {'nvidia': {'path': 'nvidia-container-runtime'}}
    assert not run_module(docker_daemon.main, args)['changed']
    gone = run_module(docker_daemon.main, _args(tmp_path, fragment_name='nvidia_toolkit', fragment_state='absent'))
    assert gone['changed'] and 'runtimes' not in gone['config'] and not fragment.exists()


def test_check_mode_on_a_fresh_host_shows_the_file_and_writes_nothing(run_module, fake_commands, tmp_path):
    args = _args(tmp_path, fragment_name='nvidia_toolkit', fragment={'runtimes': {'nvidia': {}}}, engine=True)
    result = run_module(docker_daemon.main, args, check_mode=True)
    assert result['changed'] and result['file_changed']
    assert result['config']['runtimes'] == {'nvidia': {}}  # the pending fragment is in the diff
    assert json.loads(result['diff']['after']) == result['config'] and result['diff']['before'] == ''
    assert not (tmp_path / 'etc').exists()
    assert result['engine'] is None and result['compose_version'] == '' and 'not installed' in result['compose_error']


def test_check_mode_on_a_configured_host(run_module, fake_commands, tmp_path):
    run_module(docker_daemon.main, _args(tmp_path))
    daemon_json = tmp_path / 'etc' / 'docker' / 'daemon.json'
    before = daemon_json.read_text()
    result = run_module(docker_daemon.main, _args(tmp_path, settings_after=[{'debug': True}]), check_mode=True)
    assert result['changed'] and result['diff']['before'] == before and '"debug": true' in result['diff']['after']
    assert daemon_json.read_text() == before
    assert not run_module(docker_daemon.main, _args(tmp_path), check_mode=True)['changed']


def test_a_file_dockerd_refuses_is_never_written(run_module, fake_commands, tmp_path):
    run_module(docker_daemon.main, _args(tmp_path))
    daemon_json = tmp_path / 'etc' / 'docker' / 'daemon.json'
    before = daemon_json.read_text()
    _dockerd(fake_commands, validate_rc=1)
    result = run_module(docker_daemon.main, _args(tmp_path, settings_after=[{'bogus-option': 1}]))
    assert result['failed'] and 'dockerd 26.1.5 refuses the new' in result['msg'] and 'unable to configure' in result['msg']
    assert daemon_json.read_text() == before
    assert [name for name in os.listdir(str(daemon_json.parent)) if name.startswith('.owu-')] == []


def test_an_old_dockerd_is_not_asked_to_validate(run_module, fake_commands, tmp_path):
    _dockerd(fake_commands, version='20.10.24')
    result = run_module(docker_daemon.main, _args(tmp_path))
    assert result['file_changed'] and not result['validated'] and fake_commands.pending == []


def test_bad_fragments_are_named(run_module, fake_commands, tmp_path):
    fragments = tmp_path / 'etc' / 'docker' / 'daemon.json.d'
    fragments.mkdir(parents=True)
    (fragments / 'list.json').write_text('[1, 2]')
    result = run_module(docker_daemon.main, _args(tmp_path))
    assert result['failed'] and 'must be JSON objects' in result['msg'] and str(fragments / 'list.json') in result['msg']
    (fragments / 'list.json').write_text('{not json')
    result = run_module(docker_daemon.main, _args(tmp_path))
    assert result['failed'] and 'list.json is not valid JSON' in result['msg']
    assert not (tmp_path / 'etc' / 'docker' / 'daemon.json').exists()


def test_bad_fragment_arguments(run_module, fake_commands, tmp_path):
    assert 'fragment_name' in run_module(docker_daemon.main, _args(tmp_path, fragment_name='../x', fragment={}))['msg']
    assert 'needs fragment' in run_module(docker_daemon.main, _args(tmp_path, fragment_name='x'))['msg']


def test_read_only_reports_the_file_and_the_engine(run_module, fake_commands, tmp_path):
    daemon_json = tmp_path / 'daemon.json'
    daemon_json.write_text(json.dumps({'log-driver': 'local'}))
    fake_commands.bin_paths['docker'] = '/usr/bin/docker'
    fake_commands.add(['/usr/bin/docker', 'compose', 'version', '--format', 'json'], stdout='{"version":"2.26.1"}\n')
    with ScriptedServer() as engine:
        engine.routes[('GET', '/version')] = [Reply(200, {'ApiVersion': '1.45', 'Version': '26.1.5'})]
        engine.routes[('GET', '/v1.45/info')] = [Reply(200, {'LoggingDriver': 'local', 'LiveRestoreEnabled': True,
                                                             'RegistryConfig': {'Mirrors': None}, 'Name': 'h1'})]
        result = run_module(docker_daemon.main, {'path': str(daemon_json), 'apply': False, 'engine': True,
                                                 'docker_host': engine.url.replace('http://', 'tcp://')})
    assert not result['changed'] and result['config'] == {'log-driver': 'local'}
    assert result['engine'] == {'LoggingDriver': 'local', 'LiveRestoreEnabled': True, 'RegistryConfig': {'Mirrors': []}}
    assert result['compose_version'] == '2.26.1' and result['compose_error'] == ''


def test_a_compose_plugin_that_fails_is_reported(run_module, fake_commands, tmp_path):
    fake_commands.bin_paths['docker'] = '/usr/bin/docker'
    fake_commands.add(['/usr/bin/docker', 'compose', 'version', '--format', 'json'], rc=1, stderr="docker: 'compose' is not a docker command.\n")
    result = run_module(docker_daemon.main, _args(tmp_path, engine=True))
    assert result['compose_version'] == '' and "'compose' is not a docker command" in result['compose_error']


def test_service_state_is_read_with_one_systemctl_show(run_module, fake_commands, tmp_path):
    fake_commands.bin_paths['systemctl'] = '/usr/bin/systemctl'
    fake_commands.add(['show', 'docker', '--property=UnitFileState,ActiveState'],
                      stdout='ActiveState=active\nUnitFileState=enabled\n')
    result = run_module(docker_daemon.main, _args(tmp_path, service='docker'))
    assert result['service'] == {'UnitFileState': 'enabled', 'ActiveState': 'active'}
    # Without the option, or when systemctl fails, nothing is claimed about the unit.
    assert run_module(docker_daemon.main, _args(tmp_path))['service'] == {}
    fake_commands.add(['show', 'docker', '--property=UnitFileState,ActiveState'], rc=1, stderr='no bus\n')
    assert run_module(docker_daemon.main, _args(tmp_path, service='docker'))['service'] == {}


def test_service_state_without_systemctl_is_empty(run_module, fake_commands, tmp_path):
    assert run_module(docker_daemon.main, _args(tmp_path, service='docker'))['service'] == {}
