# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate the VRAM plan tables of README.md and docs/vram-planning.md from the planner.

The tables sit between ``<!-- vram-plans:<name>:begin -->`` and ``<!-- vram-plans:<name>:end -->``
markers. ``--check`` (what the unit tests run) exits 1 when a file is not what the planner
gives; ``--write`` rewrites the blocks. Run from anywhere inside the checkout with a Python that
has ansible-core and PyYAML (``.venv/bin/python scripts/vram_plan_tables.py --write``).
"""

import argparse
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The checkout's .collections link, or the collection tree ansible-test copied it into.
for _root in (os.path.join(REPO, '.collections'), os.path.dirname(os.path.dirname(os.path.dirname(REPO)))):
    if os.path.isdir(os.path.join(_root, 'ansible_collections', 'numberone', 'owu')):
        sys.path.insert(0, _root)
        break

import yaml  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.numberone.owu.plugins.plugin_utils import _vram_plan as vp  # noqa: E402  pylint: disable=wrong-import-position


def gpus(mib, count=1, name='GPU', cc='8.6', used=0):
    return [{'index': i, 'uuid': 'GPU-%d' % i, 'name': name, 'memory_total_mib': mib, 'memory_used_mib': used,
             'memory_free_mib': mib - used, 'compute_capability': cc, 'mig_mode': None} for i in range(count)]


MIG_H100 = [{'index': 0, 'uuid': 'GPU-0', 'name': 'NVIDIA H100 80GB HBM3', 'memory_total_mib': 81559,
             'memory_used_mib': 0, 'memory_free_mib': 81559, 'compute_capability': '9.0', 'mig_mode': 'Enabled',
             'mig_devices': [{'index': 0, 'profile': '3g.40gb', 'uuid': 'MIG-0'},
                             {'index': 1, 'profile': '1g.10gb', 'uuid': 'MIG-1'}]}]

# (label, GPU facts, planner arguments); the README shows the first column of each.
HOSTS = [
    ('8 GB RTX 3070', gpus(8192, name='NVIDIA GeForce RTX 3070'), {}),
    ('8 GB RTX 3070, a desktop holding 3 GiB', gpus(8192, name='NVIDIA GeForce RTX 3070', used=3072), {}),
    ('4 GiB GTX 1650', gpus(4096, name='NVIDIA GeForce GTX 1650', cc='7.5'), {}),
    ('6 GiB RTX 2060', gpus(6144, name='NVIDIA GeForce RTX 2060', cc='7.5'), {}),
    ('12 GiB RTX 3060', gpus(12288, name='NVIDIA GeForce RTX 3060'), {}),
    ('16 GiB RTX 4060 Ti', gpus(16376, name='NVIDIA GeForce RTX 4060 Ti', cc='8.9'), {}),
    ('24 GiB RTX 4090', gpus(24564, name='NVIDIA GeForce RTX 4090', cc='8.9'), {}),
    ('48 GiB RTX A6000', gpus(49140, name='NVIDIA RTX A6000'), {}),
    ('80 GiB H100', gpus(81559, name='NVIDIA H100 80GB HBM3', cc='9.0'), {}),
    ('2 x 16 GiB RTX 4060 Ti', gpus(16376, count=2, name='NVIDIA GeForce RTX 4060 Ti', cc='8.9'), {}),
    ('2 x 24 GiB RTX 3090', gpus(24576, count=2, name='NVIDIA GeForce RTX 3090'), {}),
    ('4 x 80 GiB H100', gpus(81559, count=4, name='NVIDIA H100 80GB HBM3', cc='9.0'), {}),
    ('H100 MIG 1g.10gb slice (per_gpu)', MIG_H100, {'single_device': True}),
    ('no GPU (RAM unknown)', [], {}),
]


def catalog():
    with open(os.path.join(REPO, 'roles', 'ollama', 'vars', 'catalog.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)['_ollama_catalog']


def _short(tag):
    return tag.replace('-instruct', '').replace('-it-', '-').replace(':v1.5', '')


def plans():
    cat = catalog()
    return [(label, vp.build_plan(facts, cat, **kwargs)) for label, facts, kwargs in HOSTS]


def readme_block(all_plans):
    rows = ['| host | chat | fast | reasoning | code | embedding | context x slots | keep alive |',
            '|---|---|---|---|---|---|---|---|']
    for label, plan in all_plans:
        cells = []
        for purpose in ('chat', 'fast', 'reasoning', 'code', 'embedding'):
            tag = plan['by_purpose'].get(purpose)
            if tag is None:
                cells.append('-')
                continue
            row = next(r for r in plan['models'] if r['tag'] == tag)
            text = _short(tag)
            if purpose == 'fast' and tag == plan['by_purpose'].get('chat'):
                text = '(chat)'
            elif purpose == 'chat':
                where = 'CPU' if row['placement'] == 'cpu' else 'GPU ' + '+'.join(str(i) for i in row['gpu_indices'])
                text += ' (%.1f GiB, %s)' % (row['estimate_gib'], where)
            cells.append(text)
        rows.append('| %s | %s | %d x %d | %s |' % (
            label, ' | '.join(cells), plan['context_length'], plan['num_parallel'], plan['keep_alive']))
    return '\n'.join(rows)


def docs_block(all_plans):
    parts = []
    for label, plan in all_plans:
        parts.append('### %s\n\n```text\n%s\n```' % (label, plan['table']))
    return '\n\n'.join(parts)


BLOCKS = {
    'README.md': ('summary', readme_block),
    os.path.join('docs', 'vram-planning.md'): ('tables', docs_block),
}


def _replace(text, name, body):
    pattern = re.compile(r'(<!-- vram-plans:%s:begin -->\n)(?:.*?\n)?(<!-- vram-plans:%s:end -->)' % (name, name), re.S)
    if not pattern.search(text):
        raise SystemExit('no vram-plans:%s markers' % name)
    return pattern.sub(lambda m: m.group(1) + body + '\n' + m.group(2), text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--write', action='store_true', help='rewrite the blocks')
    parser.add_argument('--check', action='store_true', help='exit 1 when a block differs')
    args = parser.parse_args(argv)
    all_plans = plans()
    stale = []
    for path, (name, render) in sorted(BLOCKS.items()):
        full = os.path.join(REPO, path)
        with open(full, encoding='utf-8') as handle:
            text = handle.read()
        new = _replace(text, name, render(all_plans))
        if new != text:
            stale.append(path)
            if args.write:
                with open(full, 'w', encoding='utf-8') as handle:
                    handle.write(new)
    if not args.write and not args.check:
        print(readme_block(all_plans))
        print()
        print(docs_block(all_plans))
    if stale and args.check:
        print('stale VRAM plan tables in %s: run scripts/vram_plan_tables.py --write' % ', '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
