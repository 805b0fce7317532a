# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record what gpu_facts reads on a real GPU machine, as a unit test fixture, and plan for it.

Run on a machine with an NVIDIA GPU and its driver (the device machines of the test setup):

    python3 tests/gpu/record_gpu_facts.py NAME [OUTDIR]

It runs exactly the nvidia-smi commands numberone.owu.gpu_facts runs (the same argument lists,
imported from plugins/module_utils/_gpu.py), writes them with their exit status and output to
OUTDIR/NAME.yml (default tests/unit/fixtures/nvidia-smi/) in the fixture format the gpu_facts
tests replay, parses them as the module does, and prints the facts and the VRAM plan for them.
Only the standard library and the checkout are needed (no Ansible, no PyYAML: the fixture is
written as JSON, which is YAML). Add the file's name and expected facts to EXPECTED in
tests/unit/plugins/modules/test_gpu_facts.py to keep it, replacing a synthesised fixture.

With Ollama running on the machine (OLLAMA_URL, default http://127.0.0.1:11434) it also records
/api/ps after loading each planned model (size and size_vram per model) next to the plan's
estimates, in OUTDIR/NAME-ollama.json.
"""

import datetime
import json
import os
import subprocess
import sys
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, '.collections'))

from ansible_collections.numberone.owu.plugins.module_utils import _gpu  # noqa: E402
from ansible_collections.numberone.owu.plugins.plugin_utils import _vram_plan  # noqa: E402


def run(args):
    try:
        proc = subprocess.run(['nvidia-smi'] + args, capture_output=True, text=True, check=False,
                              env=dict(os.environ, LC_ALL='C', LANG='C'), timeout=60)
    except OSError as exc:
        return {'args': args, 'rc': 127, 'stdout': '', 'stderr': str(exc)}
    return {'args': args, 'rc': proc.returncode, 'stdout': proc.stdout, 'stderr': proc.stderr}


def record():
    """The calls gpu_facts makes, in its order (retries without optional fields included)."""
    calls = []
    fields = list(_gpu.QUERY_FIELDS)
    while True:
        call = run(_gpu.query_args(fields))
        calls.append(call)
        if call['rc'] == 0:
            break
        rejected = _gpu.invalid_field(call['stdout'] + '\n' + call['stderr'])
        if rejected in _gpu.OPTIONAL_FIELDS and rejected in fields:
            fields.remove(rejected)
            continue
        return calls, [], fields
    gpus = _gpu.parse_query_output(calls[-1]['stdout'], fields)
    if any(gpu['mig_mode'] == 'Enabled' for gpu in gpus):
        call = run(['-L'])
        calls.append(call)
        if call['rc'] == 0:
            gpus = _gpu.attach_mig_devices(gpus, _gpu.parse_mig_listing(call['stdout']))
    if gpus:
        call = run(_gpu.compute_apps_args())
        calls.append(call)
        if call['rc'] == 0:
            gpus = _gpu.attach_ollama_memory(gpus, _gpu.parse_compute_apps(call['stdout']))
    return calls, gpus, fields


def catalog():
    """roles/ollama/vars/catalog.yml without PyYAML: the test images render it to JSON, else try yaml."""
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    with open(os.path.join(REPO, 'roles', 'ollama', 'vars', 'catalog.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)['_ollama_catalog']


def ollama_usage(url, plan):
    """Load each planned model alone and read /api/ps (size, size_vram) next to the estimate."""
    out = []
    for row in plan['models']:
        body = json.dumps({'model': row['tag'], 'prompt': '', 'keep_alive': '1m'}).encode()
        try:
            urllib.request.urlopen(urllib.request.Request(url + '/api/generate', data=body), timeout=600).read()
            ps = json.loads(urllib.request.urlopen(url + '/api/ps', timeout=30).read())
        except OSError as exc:
            out.append({'tag': row['tag'], 'error': str(exc)})
            continue
        loaded = [m for m in ps.get('models', []) if m.get('name', '').startswith(row['tag'].split(':')[0])]
        out.append({'tag': row['tag'], 'estimate_gib': row['estimate_gib'], 'ps': loaded})
        unload = json.dumps({'model': row['tag'], 'keep_alive': 0}).encode()
        urllib.request.urlopen(urllib.request.Request(url + '/api/generate', data=unload), timeout=120).read()
    return out


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    name = argv[0]
    outdir = argv[1] if len(argv) > 1 else os.path.join(REPO, 'tests', 'unit', 'fixtures', 'nvidia-smi')
    os.makedirs(outdir, exist_ok=True)
    calls, gpus, dummy = record()
    fixture = {
        'description': 'Recorded with tests/gpu/record_gpu_facts.py on %s, %s.' % (
            ', '.join(sorted({g['name'] for g in gpus})) or 'a machine without a usable GPU',
            datetime.date.today().isoformat()),
        'calls': calls,
    }
    path = os.path.join(outdir, name + '.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('---\n' + json.dumps(fixture, indent=2) + '\n')
    facts = _gpu.summarize(gpus, '' if gpus else 'no GPU recorded')
    print('fixture: %s' % path)
    print(json.dumps(facts, indent=2))
    cat = catalog()
    if cat is None:
        print('PyYAML missing: no plan printed')
        return 0
    plan = _vram_plan.build_plan(gpus, cat)
    print(plan['table'])
    url = os.environ.get('OLLAMA_URL', 'http://127.0.0.1:11434')
    try:
        urllib.request.urlopen(url + '/api/version', timeout=3).read()
    except OSError:
        return 0
    usage = ollama_usage(url, plan)
    with open(os.path.join(outdir, name + '-ollama.json'), 'w', encoding='utf-8') as handle:
        json.dump({'plan': plan, 'loaded': usage}, handle, indent=2)
    print(json.dumps(usage, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
