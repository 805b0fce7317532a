# Copyright (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test scaffolding for molecule/openwebui (never part of the collection's roles).

A recording reverse proxy that Open WebUI uses as an OpenAI-compatible "cloud" connection: it
checks the Bearer key Open WebUI sends (the key the role wired from openwebui_openai_connections),
keeps every chat-completion request body Open WebUI sends (after the Pipelines inlet filters ran,
so the injected memories are visible), and forwards each request unchanged to the Ollama
stand-in's OpenAI-compatible API, which answers with its real tiny model.

    RECORDER_KEY=... RECORDER_UPSTREAM=http://ollama:11434 python3 recorder.py [port]

GET /_recorded (no key; the container is reachable only on the test's Docker network) returns
{"requests": [{"path", "body"}...], "unauthorized": N}; DELETE /_recorded empties it.
"""

import json
import os
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ["RECORDER_KEY"]
UPSTREAM = os.environ.get("RECORDER_UPSTREAM", "http://ollama:11434").rstrip("/")
LOCK = threading.Lock()
STATE = {"requests": [], "unauthorized": 0}
MAX_KEPT = 50


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        sys.stderr.write("recorder: %s %s\n" % (self.command, self.path))

    def _send(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _recorded(self):
        if self.command == "DELETE":
            with LOCK:
                STATE["requests"] = []
                STATE["unauthorized"] = 0
        with LOCK:
            self._send(200, json.dumps(STATE).encode())

    def _proxy(self):
        if self.path.startswith("/_recorded"):
            self._recorded()
            return
        data = self._body()
        if self.headers.get("Authorization", "") != "Bearer " + KEY:
            with LOCK:
                STATE["unauthorized"] += 1
            self._send(401, b'{"error": {"message": "invalid API key"}}')
            return
        if self.command == "POST" and self.path.rstrip("/").endswith("/chat/completions"):
            try:
                body = json.loads(data.decode() or "null")
            except ValueError:
                body = data.decode(errors="replace")
            with LOCK:
                STATE["requests"] = (STATE["requests"] + [{"path": self.path, "body": body}])[-MAX_KEPT:]
        request = urllib.request.Request(UPSTREAM + self.path, data=data or None, method=self.command,
                                         headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:  # nosec B310 - fixed http upstream
                self._send(response.status, response.read(), response.headers.get("Content-Type", "application/json"))
        except urllib.error.HTTPError as exc:
            self._send(exc.code, exc.read(), exc.headers.get("Content-Type", "application/json"))
        except (urllib.error.URLError, OSError) as exc:
            self._send(502, json.dumps({"error": {"message": "upstream: %s" % exc}}).encode())

    do_GET = _proxy
    do_POST = _proxy
    do_DELETE = _proxy


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()  # nosec B104 - test network only


if __name__ == "__main__":
    main()
