# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: playbooks/site.yml (converge and no-change re-run) vs. `docker compose up -d`.

Not a pass/fail test and never collected by pytest. In one run, on the machine's Docker engine:

  1. site.yml: the Molecule `stack` scenario's two hosts (Debian 13 systemd containers, Docker
     inside) are created and prepared, Docker and the test images are put on them (converge.yml
     with --tags owu_test_images, not timed), then `molecule converge -s stack` with
     --skip-tags owu_test_images (site.yml alone) is timed twice: the full converge of site.yml
     on the fresh hosts, and the no-change re-run (which must report changed=0 for every host).
  2. compose: every container site.yml created is read back with `docker inspect` on the stack
     hosts and turned into one compose file (same images, environment, command, volumes, bind
     mounts, network, published ports, health checks, restart policy; depends_on after the
     upstream compose files). The bind-mounted files are read from the stack hosts, the stack
     hosts are stopped, and the files are copied to a fresh host of the same kind (same image
     and run flags, Docker from Debian, the same image tars loaded), and
     `docker compose up -d --wait` is timed twice there: the first up and the no-op re-up.

It prints both pairs of times and the ratio of the no-change re-runs. The Compose used is Compose
v2 from the Debian 13 host's archive (package docker-compose 2.26); the output names its version.

Usage (from the repository root, images built: ./scripts/test.sh --scenario stack builds them):

    .venv/bin/python benchmarks/site_vs_compose.py [--keep] [--json FILE]

Everything stays on this machine's Docker engine and the networks the run creates; every command
has a timeout; the instances are destroyed at the end unless --keep.
"""

from __future__ import absolute_import, division, print_function

import argparse
import collections
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, '.venv', 'bin')
SCENARIO = 'stack'
HOSTS = ('owu-stack-gpu', 'owu-stack-app')
COMPOSE_HOST = 'owu-bench-compose'
BASE_IMAGE = 'numberone-owu/debian13-systemd:latest'
PROJECT = 'owu'
# Run flags of the Molecule platforms (.config/molecule/config.yml): systemd as PID 1 without
# --privileged, a real volume under /var/lib/docker for overlay2.
HOST_RUN_FLAGS = [
    '--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_PTRACE',
    '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined',
    '--cgroupns=host', '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw',
    '--tmpfs', '/run', '--tmpfs', '/run/lock', '--tmpfs', '/tmp',
    '-v', '/var/lib/docker', '--stop-signal', 'SIGRTMIN+3',
]
# Which container waits for which (the upstream compose files' depends_on; only the ones present
# are used). A dependency with a health check is waited for healthy, else started.
DEPENDS_ON = {
    'langfuse-web': ['langfuse-postgres', 'langfuse-redis', 'langfuse-clickhouse', 'langfuse-minio'],
    'langfuse-worker': ['langfuse-postgres', 'langfuse-redis', 'langfuse-clickhouse', 'langfuse-minio'],
    'pipelines': ['qdrant', 'langfuse-web'],
    'openwebui': ['ollama', 'pipelines', 'qdrant'],
    'caddy': ['openwebui'],
    'reverse-proxy': ['openwebui'],
}
TIMEOUT_MOLECULE = 1800
TIMEOUT_COMPOSE = 900


def log(message):
    print('[%s] %s' % (time.strftime('%H:%M:%S'), message), file=sys.stderr)
    sys.stderr.flush()


Result = collections.namedtuple('Result', ['rc', 'out', 'seconds'])


def run(cmd, timeout=600, env=None, stdin=None, check=True, quiet=False):
    """Run ``cmd`` (list); return Result(rc, out, seconds). Output goes to stderr (the tail only when quiet)."""
    log('$ ' + ' '.join(shlex.quote(c) for c in cmd))
    start = time.monotonic()
    proc = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, env=env, check=False)
    seconds = time.monotonic() - start
    out = proc.stdout.decode('utf-8', 'replace') if isinstance(proc.stdout, bytes) else proc.stdout
    if not quiet or proc.returncode != 0:
        sys.stderr.write(out[-4000:] if quiet else out)
    if check and proc.returncode != 0:
        raise SystemExit('command failed (exit %d, %.1f s): %s' % (proc.returncode, seconds, ' '.join(cmd)))
    return Result(proc.returncode, out, seconds)


def molecule_env():
    env = dict(os.environ)
    env['PATH'] = VENV_BIN + os.pathsep + env.get('PATH', '')
    site = os.path.join(ROOT, '.venv', 'lib', 'python%d.%d' % sys.version_info[:2], 'site-packages')
    env.setdefault('OWU_EXTRA_COLLECTIONS_PATH', site)
    env['ANSIBLE_FORCE_COLOR'] = '0'
    env['PY_COLORS'] = '0'
    return env


def molecule(action, *extra, **kwargs):
    cmd = [os.path.join(VENV_BIN, 'molecule'), action, '-s', SCENARIO]
    if extra:
        cmd += ['--'] + list(extra)
    env = molecule_env()
    # The scenario enables ansible.posix.profile_tasks: list every task, in run order.
    env['PROFILE_TASKS_TASK_OUTPUT_LIMIT'] = 'all'
    env['PROFILE_TASKS_SORT_ORDER'] = 'none'
    return run(cmd, timeout=TIMEOUT_MOLECULE, env=env, **kwargs)


def recap_changed(output):
    """{host: changed} from the last PLAY RECAP of an ansible-playbook output."""
    changed = {}
    for match in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', output, re.M):
        changed[match.group(1)] = int(match.group(2))
    return changed


def role_seconds(output):
    """{role: seconds} from the profile_tasks summary (every task, in run order) at the end of an
    ansible-playbook output; tasks outside a role count as "(play tasks)". A task's time is its wall
    time over all hosts, so the sums are where the run's wall time went."""
    marker = output.rfind('\n=====')
    totals = collections.OrderedDict()
    for match in re.finditer(r'^(.*?) -{2,} (\d+\.\d+)s$', output[marker:] if marker >= 0 else '', re.M):
        name, seconds = match.group(1).strip(), float(match.group(2))
        role = name.split(' : ', 1)[0].replace('numberone.owu.', '') if ' : ' in name else '(play tasks)'
        totals[role] = round(totals.get(role, 0.0) + seconds, 1)
    return totals


def docker_exec(host, *cmd, **kwargs):
    return run(['docker', 'exec', '-i', host] + list(cmd), **kwargs)


# --------------------------------------------------------------------------------- compose file

def _duration(ns):
    return '%dms' % (int(ns) // 1000000)


def _escape(value):
    return str(value).replace('$', '$$')


def service_of(c, own_address, host_address):
    """A compose service from one `docker inspect` document."""
    name = c['Name'].lstrip('/')
    config, host = c['Config'], c['HostConfig']
    svc = {'image': config['Image'], 'container_name': name}
    if config.get('Entrypoint'):
        svc['entrypoint'] = [_escape(x) for x in config['Entrypoint']]
    if config.get('Cmd'):
        svc['command'] = [_escape(x) for x in config['Cmd']]
    if config.get('Env'):
        svc['environment'] = dict((e.split('=', 1)[0], _escape(e.split('=', 1)[1]) if '=' in e else '')
                                  for e in config['Env'])
    if config.get('User'):
        svc['user'] = config['User']
    if config.get('WorkingDir'):
        svc['working_dir'] = config['WorkingDir']
    if config.get('Labels'):
        svc['labels'] = dict((k, _escape(v)) for k, v in config['Labels'].items()
                             if not k.startswith('com.docker.compose.'))
    policy = (host.get('RestartPolicy') or {}).get('Name') or 'no'
    svc['restart'] = policy if policy != 'on-failure' else 'on-failure'
    health = config.get('Healthcheck')
    if health and health.get('Test') and health['Test'] != ['NONE']:
        check = {'test': [_escape(x) for x in health['Test']]}
        for key, target in (('Interval', 'interval'), ('Timeout', 'timeout'), ('StartPeriod', 'start_period')):
            if health.get(key):
                check[target] = _duration(health[key])
        if health.get('Retries'):
            check['retries'] = health['Retries']
        svc['healthcheck'] = check
    volumes = []
    for mount in c.get('Mounts') or []:
        suffix = '' if mount.get('RW', True) else ':ro'
        if mount['Type'] == 'volume':
            volumes.append('%s:%s%s' % (mount['Name'], mount['Destination'], suffix))
        elif mount['Type'] == 'bind':
            volumes.append('%s:%s%s' % (mount['Source'], mount['Destination'], suffix))
    if volumes:
        svc['volumes'] = volumes
    if host.get('Tmpfs'):
        svc['tmpfs'] = ['%s:%s' % (k, v) if v else k for k, v in host['Tmpfs'].items()]
    for key, target in (('CapAdd', 'cap_add'), ('CapDrop', 'cap_drop'), ('SecurityOpt', 'security_opt'),
                        ('ExtraHosts', 'extra_hosts')):
        if host.get(key):
            svc[target] = host[key]
    if host.get('ReadonlyRootfs'):
        svc['read_only'] = True
    if host.get('Init'):
        svc['init'] = True
    ports = []
    for container_port, binds in sorted((host.get('PortBindings') or {}).items()):
        port, proto = container_port.split('/')
        for b in binds or []:
            ip = b.get('HostIp') or '0.0.0.0'
            if ip == own_address:  # published on the stack host's own address: the compose host's
                ip = host_address
            ports.append('%s:%s:%s/%s' % (ip, b.get('HostPort') or port, port, proto))
    if ports:
        svc['ports'] = ports
    networks = {}
    for net, settings in (c['NetworkSettings'].get('Networks') or {}).items():
        aliases = [a for a in (settings.get('Aliases') or []) if a not in (name, c['Id'][:12])]
        networks[net] = {'aliases': aliases} if aliases else {}
    if networks:
        svc['networks'] = networks
    return name, svc


def _mounts(containers, kind):
    """Every mount of type ``kind`` of the given `docker inspect` documents."""
    return [m for c in containers for m in c.get('Mounts') or [] if m['Type'] == kind]


def compose_file(inspected, host_address):
    """inspected: {stack host: (its address, [inspect documents])} -> compose dict."""
    services, networks = {}, set()
    volumes = set(m['Name'] for _address, containers in inspected.values() for m in _mounts(containers, 'volume'))
    for address, containers in inspected.values():
        for c in containers:
            name, svc = service_of(c, address, host_address)
            services[name] = svc
            networks.update((c['NetworkSettings'].get('Networks') or {}).keys())
    for name, svc in services.items():
        deps = {}
        for dep in DEPENDS_ON.get(name, []):
            if dep in services:
                deps[dep] = {'condition': 'service_healthy' if 'healthcheck' in services[dep] else 'service_started'}
        if deps:
            svc['depends_on'] = deps
    compose = {
        'name': PROJECT,
        'services': services,
        'volumes': dict((v, {'name': v}) for v in sorted(volumes)),
        'networks': dict((n, {'name': n}) for n in sorted(networks)),
    }
    return compose


# --------------------------------------------------------------------------------- the run

def site_phase(result):
    log('site.yml: fresh stack hosts')
    molecule('destroy')
    molecule('create')
    molecule('prepare')
    log('site.yml: Docker and the test images on the hosts (not timed)')
    molecule('converge', '--tags', 'owu_test_images')
    # Timed: site.yml alone. The scaffolding play (the docker role again, then the image check) is
    # skipped; it is not part of the site and found nothing left to do.
    first = molecule('converge', '--skip-tags', 'owu_test_images')
    result['site_converge_s'] = round(first.seconds, 1)
    result['site_converge_changed'] = recap_changed(first.out)
    again = molecule('converge', '--skip-tags', 'owu_test_images')
    result['site_rerun_s'] = round(again.seconds, 1)
    result['site_rerun_changed'] = recap_changed(again.out)
    result['site_rerun_roles_s'] = role_seconds(again.out)
    result['site_rerun_tasks'] = len(re.findall(r'^TASK \[', again.out, re.M))
    # The same command with no task selected (an unknown tag, and `always` skipped): Molecule's and
    # ansible-playbook's start-up (collection, playbooks, inventory) without any task.
    idle = molecule('converge', '--tags', 'owu_benchmark_no_task', '--skip-tags', 'always')
    result['site_startup_s'] = round(idle.seconds, 1)
    if any(result['site_rerun_changed'].values()):
        log('WARNING: the re-run changed something: %s' % result['site_rerun_changed'])


def read_stack():
    inspected, images_dir = {}, None
    for host in HOSTS:
        doc = json.loads(run(['docker', 'inspect', host], quiet=True).out)[0]
        address = doc['NetworkSettings']['Networks']['owu-stack-net']['IPAddress']
        for mount in doc['Mounts']:
            if mount['Destination'] == '/owu-images':
                images_dir = mount['Source']
        ids = docker_exec(host, 'docker', 'ps', '-aq', quiet=True).out.split()
        inspected[host] = (address, json.loads(docker_exec(host, 'docker', 'inspect', *ids, quiet=True).out))
    return inspected, images_dir


def install_compose(result):
    """Docker and Compose v2 from the Debian 13 host's own archive; returns the command list."""
    script = ('set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; '
              'apt-get install -y -qq --no-install-recommends docker.io docker-cli docker-compose >/dev/null')
    docker_exec(COMPOSE_HOST, 'bash', '-c', script, timeout=900, quiet=True)
    result['compose'] = docker_exec(COMPOSE_HOST, 'docker', 'compose', 'version', quiet=True).out.strip()
    return ['docker', 'compose']


def explain_unhealthy(compose_cmd):
    """After a failed `up --wait`: each container's state, its last health checks and log lines."""
    docker_exec(COMPOSE_HOST, *(compose_cmd + ['-f', '/opt/owu-bench/compose.yaml', 'ps', '-a']), check=False)
    names = docker_exec(COMPOSE_HOST, 'docker', 'ps', '-aq', check=False, quiet=True).out.split()
    for doc in json.loads(docker_exec(COMPOSE_HOST, 'docker', 'inspect', *names, check=False, quiet=True).out or '[]'):
        state = doc['State']
        health = state.get('Health') or {}
        if state.get('Status') == 'running' and health.get('Status', 'healthy') == 'healthy':
            continue
        name = doc['Name'].lstrip('/')
        log('%s: %s, health %s, exit code %s' % (name, state.get('Status'), health.get('Status'), state.get('ExitCode')))
        for probe in health.get('Log') or []:
            log('  check exit %s: %s' % (probe.get('ExitCode'), (probe.get('Output') or '').strip()[-300:]))
        docker_exec(COMPOSE_HOST, 'docker', 'logs', '--tail', '40', name, check=False)


def read_binds(inspected):
    """Tar streams of the files the stack's containers bind-mount (the configuration the roles
    wrote), each read from the host whose containers mount it, while the stack hosts still run."""
    tars = []
    for host, (_address, containers) in sorted(inspected.items()):
        for source in sorted(set(m['Source'] for m in _mounts(containers, 'bind'))):
            tars.append(subprocess.run(['docker', 'exec', host, 'tar', '-C', '/', '-cf', '-', source.lstrip('/')],
                                       stdout=subprocess.PIPE, check=True, timeout=300).stdout)
    if not tars:
        raise SystemExit('the stack hosts\' containers bind-mount no file')
    return tars


def compose_phase(result, inspected, images_dir, bind_tars):
    run(['docker', 'rm', '-f', COMPOSE_HOST], check=False, quiet=True)
    run(['docker', 'run', '-d', '--name', COMPOSE_HOST] + HOST_RUN_FLAGS
        + ['-v', '%s:/owu-images:ro' % images_dir, BASE_IMAGE, '/lib/systemd/systemd'], quiet=True)
    for attempt in range(60):
        state = docker_exec(COMPOSE_HOST, 'systemctl', 'is-system-running', check=False, quiet=True).out
        if state.strip() in ('running', 'degraded'):
            break
        log('waiting for systemd (%d)' % attempt)
        time.sleep(1)
    compose_cmd = install_compose(result)
    for host in HOSTS:
        docker_exec(COMPOSE_HOST, 'docker', 'load', '-i', '/owu-images/%s.tar' % host, timeout=900, quiet=True)
    address = docker_exec(COMPOSE_HOST, 'hostname', '-I', quiet=True).out.split()[0]
    compose = compose_file(inspected, address)
    result['compose_services'] = sorted(compose['services'])
    # The stack hosts' bind-mounted files (configuration the roles wrote), as they were read.
    for tar in bind_tars:
        docker_exec(COMPOSE_HOST, 'tar', '-C', '/', '-xf', '-', stdin=tar, quiet=True)
    docker_exec(COMPOSE_HOST, 'mkdir', '-p', '/opt/owu-bench', quiet=True)
    docker_exec(COMPOSE_HOST, 'tee', '/opt/owu-bench/compose.yaml',
                stdin=json.dumps(compose, indent=2).encode(), quiet=True)
    up = compose_cmd + ['-f', '/opt/owu-bench/compose.yaml', 'up', '-d', '--wait']
    first = docker_exec(COMPOSE_HOST, *up, timeout=TIMEOUT_COMPOSE, check=False)
    if first.rc != 0:
        explain_unhealthy(compose_cmd)
        raise SystemExit('compose up failed (exit %d, %.1f s)' % (first.rc, first.seconds))
    result['compose_up_s'] = round(first.seconds, 1)
    again = docker_exec(COMPOSE_HOST, *up, timeout=TIMEOUT_COMPOSE)
    result['compose_reup_s'] = round(again.seconds, 1)
    result['compose_reup_output'] = again.out.strip()[-500:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--keep', action='store_true', help='keep the instances (stack hosts and compose host)')
    parser.add_argument('--json', help='also write the results to this file')
    args = parser.parse_args()

    result = {
        'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'machine': '%s, %d CPUs, Python %s' % (platform.platform(), os.cpu_count() or 0, platform.python_version()),
    }
    started = time.monotonic()
    try:
        site_phase(result)
        inspected, images_dir = read_stack()
        result['site_containers'] = sorted(c['Name'].lstrip('/') for pair in inspected.values() for c in pair[1])
        bind_tars = read_binds(inspected)
        # The stack hosts stop (their containers with them) so compose has the machine to itself.
        run(['docker', 'stop'] + list(HOSTS), timeout=300, quiet=True)
        compose_phase(result, inspected, images_dir, bind_tars)
    finally:
        if not args.keep:
            run(['docker', 'rm', '-f', '-v', COMPOSE_HOST], check=False, quiet=True)
            molecule('destroy', check=False, quiet=True)
    result['total_s'] = round(time.monotonic() - started, 1)

    ratio = result['site_rerun_s'] / result['compose_reup_s'] if result['compose_reup_s'] else float('inf')
    result['rerun_ratio'] = round(ratio, 2)
    print('site.yml vs docker compose, %s' % result['date'])
    print('machine: %s' % result['machine'])
    print('compose: %s' % result['compose'])
    print('containers (%d): %s' % (len(result['site_containers']), ', '.join(result['site_containers'])))
    print('')
    print('%-44s %8s' % ('', 'seconds'))
    print('%-44s %8.1f' % ('site.yml converge, fresh hosts (molecule)', result['site_converge_s']))
    print('%-44s %8.1f  changed=%s' % (
        'site.yml no-change re-run (molecule)', result['site_rerun_s'], result['site_rerun_changed']))
    print('%-44s %8.1f' % ('  of it: start-up alone (no task selected)', result['site_startup_s']))
    print('%-44s %8.1f' % ('docker compose up -d --wait, first', result['compose_up_s']))
    print('%-44s %8.1f' % ('docker compose up -d --wait, no-op', result['compose_reup_s']))
    print('')
    print('no-change re-run / compose no-op: %.2fx (target: within 6x)' % ratio)
    print('first converge / compose first up: %.2fx' % (result['site_converge_s'] / result['compose_up_s']))
    print('')
    print('where the no-change re-run went (%d task headers; profile_tasks, seconds of wall time per role):'
          % result['site_rerun_tasks'])
    for role, seconds in sorted(result['site_rerun_roles_s'].items(), key=lambda item: -item[1]):
        print('  %-30s %6.1f' % (role, seconds))
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(result, handle, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
