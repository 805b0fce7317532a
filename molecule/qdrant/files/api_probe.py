# Copyright: (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper for molecule/qdrant (runs on the Molecule host through ansible.builtin.script).

Sends the HTTP requests of the plan in $OWU_PROBE_PLAN to the Qdrant API at $OWU_PROBE_BASE, in
order, and prints one JSON list with each answer: {"status", "json" (parsed body or null), "text"}.
One script call instead of one `uri` task per request keeps the scenario fast; the assertions stay
in the playbook. A plan entry is {"method", "path", "key": "rw" | "ro" | "wrong" | null, "body"};
the keys come from $OWU_PROBE_KEY and $OWU_PROBE_RO_KEY and are never printed.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def main():
    base = os.environ["OWU_PROBE_BASE"].rstrip("/")
    keys = {"rw": os.environ.get("OWU_PROBE_KEY", ""), "ro": os.environ.get("OWU_PROBE_RO_KEY", ""), "wrong": "not-the-key"}
    answers = []
    for step in json.loads(os.environ["OWU_PROBE_PLAN"]):
        data = json.dumps(step["body"]).encode() if step.get("body") is not None else None
        request = urllib.request.Request(base + step["path"], data=data, method=step.get("method", "GET"))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if step.get("key"):
            request.add_header("api-key", keys[step["key"]])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        answers.append({"status": status, "json": parsed, "text": text[:2000]})
    json.dump(answers, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
