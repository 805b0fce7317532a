# -*- coding: utf-8 -*-
# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted HTTP server on 127.0.0.1 for unit tests of the HTTP modules.

Tests set ``server.routes[(METHOD, PATH)] = [Reply(...), ...]``; each request pops the next
reply for its route (the last one repeats). The ``server`` fixture in conftest.py starts one
per test. Real sockets, real chunked NDJSON: nothing in the modules' HTTP path is mocked.
"""

from __future__ import absolute_import, division, print_function

import json
import socket
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__metaclass__ = type


class Reply(object):
    """One scripted answer: a whole body, or NDJSON ``chunks`` sent with chunked encoding.

    ``chunks`` items are objects (sent as one JSON line), bytes, or ``('sleep', seconds)``,
    ``('wait', threading.Event)`` and ``('call', function)`` steps. ``drop=True`` closes the
    connection without the final empty chunk, like a server that dies in the middle of a stream.
    """

    def __init__(self, status=200, body=b'', chunks=None, headers=None, drop=False, delay=0):
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        self.chunks = chunks
        self.headers = dict(headers or {})
        self.drop = drop
        self.delay = delay
        if isinstance(body, (dict, list)):
            self.headers.setdefault('Content-Type', 'application/json; charset=utf-8')


class ScriptedServer(object):
    """``routes[(METHOD, path)]`` is a list of Replies used in turn (the last one repeats) or a callable."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self._httpd = None

    def __enter__(self):
        script = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between small writes

            def log_message(self, *args):  # keep pytest output clean
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length) if length else b''
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                record = dict(method=self.command, path=self.path, body=body, headers=dict(self.headers))
                script.requests.append(record)
                route = script.routes.get((self.command, self.path))
                if route is None:
                    reply = Reply(404, {'error': 'no route'})
                elif callable(route):
                    reply = route(record)
                else:
                    reply = route.pop(0) if len(route) > 1 else route[0]
                try:
                    script.send(self, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = do_HEAD = _serve

        self._httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.handle_error = lambda request, client_address: None
        threading.Thread(target=self._httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        self.url = 'http://127.0.0.1:%d' % self._httpd.server_address[1]
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()

    @staticmethod
    def send(handler, reply):
        if reply.delay:
            time.sleep(reply.delay)
        handler.send_response(reply.status)
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        if reply.chunks is None:
            handler.send_header('Content-Length', str(len(reply.body)))
            handler.send_header('Connection', 'close')
            handler.end_headers()
            if handler.command != 'HEAD':
                handler.wfile.write(reply.body)
            handler.close_connection = True
            return
        handler.send_header('Content-Type', 'application/x-ndjson')
        handler.send_header('Transfer-Encoding', 'chunked')
        handler.send_header('Connection', 'close')
        handler.end_headers()
        for item in reply.chunks:
            if isinstance(item, tuple) and item[0] == 'call':
                item[1]()
                continue
            if isinstance(item, tuple) and item[0] == 'sleep':
                time.sleep(item[1])
                continue
            if isinstance(item, tuple) and item[0] == 'wait':
                item[1].wait(5)
                continue
            data = item if isinstance(item, bytes) else (json.dumps(item) + '\n').encode()
            handler.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
            handler.wfile.flush()
        if not reply.drop:
            handler.wfile.write(b'0\r\n\r\n')
        handler.wfile.flush()
        handler.close_connection = True


def closed_port_url():
    """A loopback URL where nothing listens."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:%d' % port
