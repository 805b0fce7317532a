# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The real ``ansible-playbook site.yml`` refuses a bad inventory before it changes anything.

Each case writes a temporary inventory of hosts with ``ansible_connection: local`` and runs the
whole-site playbook with the repository's ansible.cfg and the JSON callback (the
``run_playbook`` fixture of conftest.py). A bad inventory must
fail (rc != 0) in the first play (validation, ``any_errors_fatal``) with a message that names the
variable to fix, and no later play may have started: no task of the docker role (or any other
role) appears in the output. Needs neither root nor Docker: only facts are gathered on localhost.
The positive cases run the validation and wiring (``--tags topology``), which changes nothing, and
the always-run end of the playbook (deploy history, lock release), once with no Docker daemon
answering on the socket (made by the test as root when there is none).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import sys

import pytest
import yaml

VALIDATION_PLAY = 'Validate the inventory and compute the wiring between the hosts'


def _host(**extra):
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    host.update(extra)
    return host


def _inventory(gpu=None, app=None, data=None, only_owu=None, group_vars=None):
    """An inventory dict: owu with the children owu_gpu/owu_app/owu_data (host name -> vars)."""
    children = {}
    for group, hosts in (('owu_gpu', gpu), ('owu_app', app), ('owu_data', data)):
        if hosts is not None:
            children[group] = {'hosts': hosts}
    owu = {'children': children}
    if only_owu:
        owu['hosts'] = only_owu
    if group_vars:
        owu['vars'] = group_vars
    return {'owu': owu}


def _run(tmp_path, run_playbook, inventory, *args):
    """(completed process, JSON report, failed (task, msg) list) of site.yml on ``inventory``."""
    path = tmp_path / 'hosts.yml'
    path.write_text(yaml.safe_dump(inventory), encoding='utf-8')
    return run_playbook('-i', path, 'site.yml', *args)


def _topology_only(tmp_path):
    """Arguments for a run of the validation and wiring only (``--tags topology``); the deploy lock
    and the history (always-tagged plays) stay in ``<tmp_path>/state``."""
    return ('--tags', 'topology', '-e', 'deploy_lock_path=%s' % (tmp_path / 'state' / 'deploy.lock'),
            '-e', 'operations_state_dir=%s' % (tmp_path / 'state'))


def _assert_refused(run, *needles):
    result, report, failed = run
    messages = '\n'.join(msg for _task, msg in failed)
    assert result.returncode != 0, 'site.yml accepted a bad inventory:\n%s' % result.stdout[-3000:]
    plays = [play['play']['name'] for play in report['plays']]
    assert plays == [VALIDATION_PLAY], 'plays after the validation ran: %s' % plays
    tasks = [task['task']['name'] for task in report['plays'][0]['tasks']]
    assert not [t for t in tasks if 'docker' in t.lower()], tasks
    for needle in needles:
        assert needle in messages, '%r not in the failure message:\n%s' % (needle, messages)
    assert 'nothing was changed' in messages or 'is not in the groups' in messages, messages


def test_host_in_no_service_group(tmp_path, run_playbook):
    inventory = _inventory(app={'h1': _host()}, only_owu={'h2': _host(owu_internal_address='192.0.2.12')},
                           group_vars=None)
    inventory['owu']['children']['owu_app']['hosts']['h1']['owu_internal_address'] = '192.0.2.11'
    run = _run(tmp_path, run_playbook, inventory)
    _assert_refused(run, 'h2: in group owu but in none of owu_gpu, owu_app, owu_data')


def test_two_services_on_one_port(tmp_path, run_playbook):
    # Each role publishes its bindings in its check; the topology compares them after the checks,
    # still in the first play and before any change.
    host = _host(openwebui_port=3001)
    result, report, failed = _run(tmp_path, run_playbook, _inventory(gpu={'h1': host}, app={'h1': {}}, data={'h1': {}}),
                                  '--check', '-e', 'deploy_lock_path=%s' % (tmp_path / 'state' / 'deploy.lock'),
                                  '-e', 'operations_state_dir=%s' % (tmp_path / 'state'))
    assert result.returncode != 0, result.stdout[-3000:]
    assert [play['play']['name'] for play in report['plays']] == [VALIDATION_PLAY]
    assert [name for name, _msg in failed] == ['numberone.owu.topology : Refuse two services on one port'], failed
    message = failed[0][1]
    for needle in ('h1: langfuse_stack (langfuse_stack_web_port) and openwebui (openwebui_port) both publish port 3001',
                   'nothing was changed'):
        assert needle in message, message
    assert all(stats['changed'] == 0 for stats in report['stats'].values()), report['stats']
    assert not (tmp_path / 'state').exists(), 'the deploy lock or the history was written'


def test_public_without_domain(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host()}, app={'h1': {}}, group_vars={'owu_exposure': 'public', 'owu_acme_email': 'ops@example.org'}))
    _assert_refused(run, 'owu_domain is empty')


def test_public_without_certificate_source(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host()}, app={'h1': {}}, group_vars={'owu_exposure': 'public', 'owu_domain': 'chat.example.org'}))
    _assert_refused(run, 'owu_acme_email', 'owu_tls_certificate + owu_tls_key')


def test_public_certificate_without_key(tmp_path, run_playbook):
    cert = tmp_path / 'cert.pem'
    cert.write_text('not checked here\n', encoding='utf-8')
    run = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host()}, app={'h1': {}},
        group_vars={'owu_exposure': 'public', 'owu_domain': 'chat.example.org', 'owu_tls_certificate': str(cert)}))
    _assert_refused(run, 'owu_tls_certificate and owu_tls_key must be set together')


def test_unknown_exposure(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(gpu={'h1': _host()}, app={'h1': {}}, group_vars={'owu_exposure': 'internet'}))
    _assert_refused(run, "owu_exposure is 'internet'")


def test_lan_subnet_that_is_not_a_network(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host()}, app={'h1': {}}, group_vars={'owu_exposure': 'lan', 'owu_lan_subnets': ['192.168.1.5/24']}))
    _assert_refused(run, "owu_lan_subnets has '192.168.1.5/24', which is not a network: did you mean 192.168.1.0/24?")


def test_lan_hostname_with_a_scheme(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host()}, app={'h1': {}}, group_vars={'owu_exposure': 'lan', 'owu_lan_hostname': 'https://llm.home.arpa'}))
    _assert_refused(run, 'owu_lan_hostname', 'is not a host name: use the name LAN devices open')


def test_two_data_hosts(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(
        app={'h1': _host(owu_internal_address='192.0.2.11')},
        data={'h2': _host(owu_internal_address='192.0.2.12'), 'h3': _host(owu_internal_address='192.0.2.13')}))
    _assert_refused(run, 'owu_data has 2 hosts')


def test_hosts_sharing_an_internal_address(tmp_path, run_playbook):
    run = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host(owu_internal_address='192.0.2.11')}, app={'h2': _host(owu_internal_address='192.0.2.11')}))
    _assert_refused(run, 'owu_internal_address 192.0.2.11')


def test_valid_multi_host_inventory_is_wired(tmp_path, run_playbook):
    result, report, _failed = _run(tmp_path, run_playbook, _inventory(
        gpu={'gpu1': _host(owu_internal_address='192.0.2.11')},
        app={'app1': _host(owu_internal_address='192.0.2.12')},
        # Every host is this machine, so 192.0.2.13 is none of its addresses: the qdrant check (first
        # play) would refuse to publish on it. The wiring below still says it is to be published.
        data={'data1': _host(owu_internal_address='192.0.2.13', qdrant_publish_addresses=[])},
        group_vars={'ollama_models': ['qwen2.5:0.5b-instruct-q4_K_M', 'nomic-embed-text:v1.5']}),
        *_topology_only(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:]
    wiring = {}
    for task in report['plays'][0]['tasks']:
        if task['task']['name'].endswith("Keep this host's wiring"):
            wiring = {host: res['ansible_facts']['owu_wiring'] for host, res in task['hosts'].items()}
    assert wiring['gpu1']['publish'] == {'ollama': ['192.0.2.11'], 'qdrant': [], 'langfuse': []}
    assert wiring['data1']['publish'] == {'ollama': [], 'qdrant': ['192.0.2.13'], 'langfuse': ['192.0.2.13']}
    assert wiring['app1']['publish'] == {'ollama': [], 'qdrant': [], 'langfuse': []}
    assert sorted(wiring['app1']['peers']) == ['192.0.2.11', '192.0.2.13']
    # The ports the firewall opens to the other stack hosts are the ones the roles really bind on
    # the internal address (their <role>_bindings): qdrant_publish_addresses=[] keeps Qdrant off it.
    ports = {}
    for task in report['plays'][0]['tasks']:
        if task['task']['name'].endswith("Add the ports for the other stack hosts to this host's wiring"):
            ports = {host: res['ansible_facts']['owu_wiring']['internal_ports'] for host, res in task['hosts'].items()}
    assert ports == {'gpu1': [11434], 'app1': [], 'data1': [3001]}, ports
    # The Ollama servers and the one embedding model of the app host, computed once (owu_ollama).
    ollama = {}
    for task in report['plays'][0]['tasks']:
        if task['task']['name'].endswith('Work out the Ollama servers and the embedding model of this app host'):
            ollama = {host: res.get('ansible_facts', {}).get('owu_ollama') for host, res in task['hosts'].items()}
    # Each server's models become Open WebUI's model list for that connection (OLLAMA_API_CONFIGS).
    served = {'model_ids': ['qwen2.5:0.5b-instruct-q4_K_M', 'nomic-embed-text:v1.5']}
    assert ollama['app1'] == {'urls': ['http://192.0.2.11:11434'], 'configs': [served], 'api_configs': {'0': served},
                              'unreachable': [],
                              'embedding': {'model': 'nomic-embed-text:v1.5', 'url': 'http://192.0.2.11:11434'}}
    assert ollama['gpu1'] is None and ollama['data1'] is None
    # Nothing but the argument-spec checks, the connection step and the always-tagged deploy lock /
    # history plays ran in the later plays; the lock was taken and released again.
    later = [task['task']['name'] for play in report['plays'][1:] for task in play['tasks']]
    allowed = ("Validating arguments", "data host", "data services", "deploy_lock", "deploy lock",
               "operations", "deployment")
    assert all(any(word in name for word in allowed) for name in later), later
    assert any('deploy_lock' in name for name in later), later
    assert not (tmp_path / 'state' / 'deploy.lock').exists()


@pytest.fixture
def dead_docker_socket():
    """/var/run/docker.sock as a socket file with no daemon behind it (as on a host whose engine is
    stopped, or a CI machine before the engine starts); made here when absent, removed afterwards."""
    path = '/var/run/docker.sock'
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.connect(path)
    except FileNotFoundError:
        if os.geteuid() != 0:
            pytest.skip('making %s needs root' % path)
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)  # bound, never listening: a connect is refused like a stopped daemon's
        stale.close()
        yield path
        os.unlink(path)
        return
    except ConnectionRefusedError:
        yield path  # already a socket without a daemon
        return
    finally:
        probe.close()
    pytest.skip('a Docker daemon answers on %s; this case needs it stopped' % path)


def test_site_end_with_the_docker_daemon_stopped(tmp_path, run_playbook, dead_docker_socket):
    """The always-run end of site.yml (history, lock release) on a run whose tags left the docker
    role out, on a host with a socket file but no daemon: nothing to record, and no error."""
    result, report, failed = _run(tmp_path, run_playbook, _inventory(
        gpu={'h1': _host()}, app={'h1': {}}, data={'h1': {}}), *_topology_only(tmp_path))
    assert result.returncode == 0 and not failed, (failed, result.stdout[-3000:])
    results = {task['task']['name'].split(' : ')[-1]: task['hosts']['h1']
               for task in report['plays'][-1]['tasks']}
    # The history module read the engine itself: it did not answer, so nothing was recorded and
    # nothing failed.
    recorded = results["Record the deployment in the host's history"]
    assert not recorded.get('failed') and not recorded.get('changed') and recorded.get('engine_answered') is False, recorded
    assert not (tmp_path / 'state' / 'deployments.jsonl').exists()
    assert not (tmp_path / 'state' / 'deploy.lock').exists()


def test_an_app_host_uses_the_data_hosts_inventory_keys(tmp_path, run_playbook):
    """Keys the data host's inventory sets are never written to the secret store: the topology step
    must still connect a separate app host to that host's Qdrant and Langfuse (it used to find no
    key file and leave Open WebUI and the filters without them)."""
    data = _host(owu_internal_address='127.0.0.1', qdrant_api_key='inventory-qdrant-key-0123',
                 langfuse_stack_public_key='pk-lf-inventory-1', langfuse_stack_secret_key='sk-lf-inventory-1')
    result, report, failed = _run(tmp_path, run_playbook, _inventory(
        gpu={'a1': _host()}, app={'a1': {}}, data={'d1': data},
        group_vars={'owu_secrets_dir': str(tmp_path / 'secrets')}), *_topology_only(tmp_path))
    assert result.returncode == 0 and not failed, (failed, result.stdout[-3000:])
    said = [task['hosts']['a1']['msg'] for play in report['plays'] for task in play['tasks']
            if task['task']['name'].endswith('Say which data services this host uses') and 'a1' in task['hosts']]
    assert said == ['Qdrant: http://127.0.0.1:6333; Langfuse: http://127.0.0.1:3001'], said
    assert not (tmp_path / 'secrets').exists() or not any((tmp_path / 'secrets').rglob('*key*'))


def test_an_app_host_run_without_its_data_host_still_connects(tmp_path, run_playbook):
    """`--limit a1` (a rollback of one host) leaves the data host out of the run: its Qdrant and
    Langfuse endpoints must still reach the app host, from the data host's inventory key and the
    controller's store, or Open WebUI would be re-created without Qdrant."""
    secrets = tmp_path / 'secrets' / 'd1'
    secrets.mkdir(parents=True)
    for name, value in (('langfuse_public_key', 'pk-lf-stored-1'), ('langfuse_secret_key', 'sk-lf-stored-1')):
        (secrets / name).write_text(value, encoding='utf-8')
        os.chmod(str(secrets / name), 0o600)
    data = _host(owu_internal_address='127.0.0.1', qdrant_api_key='inventory-qdrant-key-0123', langfuse_stack_web_port=3100)
    result, report, failed = _run(tmp_path, run_playbook, _inventory(
        gpu={'a1': _host()}, app={'a1': {}}, data={'d1': data},
        group_vars={'owu_secrets_dir': str(tmp_path / 'secrets')}), '--limit', 'a1', *_topology_only(tmp_path))
    assert result.returncode == 0 and not failed, (failed, result.stdout[-3000:])
    said = [task['hosts']['a1']['msg'] for play in report['plays'] for task in play['tasks']
            if task['task']['name'].endswith('Say which data services this host uses') and 'a1' in task['hosts']]
    assert said == ['Qdrant: http://127.0.0.1:6333; Langfuse: http://127.0.0.1:3100'], said
    # Nothing was generated for the data host.
    assert sorted(p.name for p in secrets.iterdir()) == ['langfuse_public_key', 'langfuse_secret_key']


def test_an_app_host_run_without_its_gpu_host_is_refused(tmp_path, run_playbook):
    """Without the GPU host in the run (and no fact cache), its model plan is unknown and its
    Ollama would drop out of Open WebUI's backends: refused in the first play, naming the fix."""
    result, report, failed = _run(tmp_path, run_playbook, _inventory(
        gpu={'g1': _host(owu_internal_address='192.0.2.11')}, app={'a1': _host(owu_internal_address='192.0.2.12')}),
        '--limit', 'a1', *_topology_only(tmp_path))
    assert result.returncode != 0
    assert [play['play']['name'] for play in report['plays']] == [VALIDATION_PLAY]
    assert [name for name, _msg in failed] == ['numberone.owu.topology : Refuse to wire an app host without the model plans of its GPU hosts']
    assert 'a1 uses the Ollama of g1' in failed[0][1] and 'Add g1 to --limit' in failed[0][1] and 'Nothing was changed' in failed[0][1]


# One bad value per role (several for the roles the issue named): site.yml --check on one local
# host in every service group must stop in the first play, in the named role's `check` entry point,
# with a message that names the variable, before the lock and with nothing changed on any host.
ROLE_CASES = [
    ('docker', {'docker_install_source': 'snap'}, 'docker_install_source'),
    ('docker', {'docker_daemon_fragments_dir': 'etc/fragments'}, 'docker_daemon_fragments_dir'),
    ('nvidia_toolkit', {'nvidia_toolkit_required': True}, 'nvidia_toolkit_required is true'),
    ('ollama', {'ollama_models': ['llama3.1:8b', 123]}, 'each a string'),
    ('ollama', {'ollama_models': ['nomic-embed-text']}, 'ollama_models lists only embedding models'),
    ('ollama', {'ollama_num_parallel': 0}, 'ollama_num_parallel'),
    ('ollama', {'ollama_data_path': 'models'}, 'ollama_data_path'),
    ('qdrant', {'qdrant_version': 'latest'}, 'qdrant_version'),
    ('qdrant', {'qdrant_publish_addresses': ['127.0.0.1', '127.0.0.1']}, "repeated: ['127.0.0.1']"),
    ('langfuse_stack', {'langfuse_stack_encryption_key': 'a' * 63}, 'langfuse_stack_encryption_key'),
    ('langfuse_stack', {'langfuse_stack_web_digest': 'sha256:abc'}, 'langfuse_stack_web_digest'),
    ('langfuse_stack', {'langfuse_stack_salt': 'short-salt'}, 'langfuse_stack_salt'),
    ('pipelines', {'pipelines_api_key': '0p3n-w3bu!'}, 'pipelines_api_key'),
    ('openwebui', {'openwebui_admin_email': 'admin'}, 'openwebui_admin_email'),
    ('openwebui', {'openwebui_database': 'mysql'}, 'value of openwebui_database must be one of: sqlite, postgres'),
    ('openwebui', {'openwebui_database_url': 'postgresql://u:long-enough-password@db.example.org/owu'},
     'is used only with openwebui_database: postgres'),
    ('openwebui', {'openwebui_database': 'postgres', 'openwebui_postgres_password': 'short'}, 'openwebui_postgres_password'),
    # Ollama embeddings asked for, but no reachable Ollama plan has an embedding model (the wiring
    # numberone.owu.topology computes in the first play, before this check).
    ('openwebui', {'openwebui_rag_embedding_engine': 'ollama', 'ollama_models': ['qwen2.5:0.5b-instruct-q4_K_M']},
     'openwebui_rag_embedding_engine'),
    ('reverse_proxy', {'reverse_proxy_config_dir': 'caddy'}, 'reverse_proxy_config_dir'),
    ('firewall', {'firewall_extra_ports': ['http']}, 'firewall_extra_ports'),
]


@pytest.mark.parametrize('role, bad, needle', ROLE_CASES, ids=['%s-%s' % (c[0], '-'.join(c[1])) for c in ROLE_CASES])
def test_every_role_refuses_bad_input_in_the_first_play(tmp_path, run_playbook, role, bad, needle):
    host = _host(**bad)
    result, report, failed = _run(tmp_path, run_playbook, _inventory(gpu={'h1': host}, app={'h1': {}}, data={'h1': {}}),
                                  '--check', '-e', 'deploy_lock_path=%s' % (tmp_path / 'state' / 'deploy.lock'),
                                  '-e', 'operations_state_dir=%s' % (tmp_path / 'state'))
    assert result.returncode != 0, 'site.yml accepted %r:\n%s' % (bad, result.stdout[-3000:])
    assert [play['play']['name'] for play in report['plays']] == [VALIDATION_PLAY]
    assert failed and all(name.startswith('numberone.owu.%s : ' % role) for name, _msg in failed), failed
    assert any(needle in msg for _name, msg in failed), failed
    assert all(stats['changed'] == 0 for stats in report['stats'].values()), report['stats']
    assert not (tmp_path / 'state').exists(), 'the deploy lock or the history was written'


@pytest.mark.parametrize('playbook', ['backup.yml', 'restore.yml', 'status.yml'])
def test_day2_playbooks_refuse_a_relative_backup_dir_before_the_lock(tmp_path, run_playbook, playbook):
    inventory = tmp_path / 'hosts.yml'
    inventory.write_text(yaml.safe_dump(_inventory(gpu={'h1': _host()}, app={'h1': {}}, data={'h1': {}})),
                         encoding='utf-8')
    result, report, failed = run_playbook(
        '-i', inventory, os.path.join('playbooks', playbook), '--check',
        '-e', 'operations_backup_dir=backups', '-e', 'deploy_lock_path=%s' % (tmp_path / 'state' / 'deploy.lock'),
        '-e', 'operations_state_dir=%s' % (tmp_path / 'state'))
    assert result.returncode != 0, result.stdout[-3000:]
    plays = [play['play']['name'] for play in report['plays']]
    assert plays[-1] == 'Check the day-2 inputs of every host (changes nothing)', plays
    assert any('operations_backup_dir (got "backups")' in msg for _name, msg in failed), failed
    assert all(stats['changed'] == 0 for stats in report['stats'].values()), report['stats']
    assert not (tmp_path / 'state').exists()
