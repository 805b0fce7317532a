# -*- coding: utf-8 -*-
# Copyright (c) 2025, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils is internal to the numberone.owu collection. It is shared by the
# ollama_model and service_health modules (on the managed host, Python 3.8+); it is not a public
# API of the collection.

"""HTTP helpers for the collection's API modules, built on ``ansible.module_utils.urls``.

Everything goes through :func:`ansible.module_utils.urls.open_url` (the function ``fetch_url``
wraps), so managed hosts need no ``requests``. ``open_url`` is used directly rather than
``fetch_url`` because the modules call it from worker threads (concurrent model pulls) and must
turn every network failure into data: ``fetch_url`` swaps the process-wide
``tempfile.tempdir`` on every call and calls ``fail_json`` itself on some errors.

:func:`request` never raises for HTTP or network errors; it returns ``(response, info)`` like
``fetch_url`` does, where ``info['status']`` is the HTTP status or ``-1`` when no HTTP answer
came back, and ``info['body']`` holds the body of an error answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import json
import socket
import threading

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit
from ansible.module_utils.urls import Request, open_url

try:
    from ansible.module_utils.urls import make_context
    _REQUEST_TAKES_CONTEXT = 'context' in inspect.signature(Request.open).parameters
except (ImportError, TypeError, ValueError):  # pragma: no cover - older ansible-core
    make_context = None
    _REQUEST_TAKES_CONTEXT = False

OLLAMA_DEFAULT_URL = 'http://127.0.0.1:11434'
OLLAMA_DEFAULT_PORT = 11434

# Longest NDJSON line accepted from a stream. Ollama's progress lines are ~200 bytes; the bound
# keeps a broken or hostile server from making the module buffer an endless line.
MAX_LINE_BYTES = 1024 * 1024

# Bytes of an error body quoted in messages.
MAX_QUOTED_BODY = 300


class ApiError(Exception):
    """An HTTP/API failure, with the HTTP status (-1: no HTTP answer) and whether a retry may help."""

    def __init__(self, msg, status=-1, transient=True):
        super(ApiError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.transient = transient


def api_argument_spec(url_default=None, url_env=None, url_required=False, timeout_default=10):
    """Common options: ``url``, ``validate_certs``, ``use_proxy``, ``timeout``.

    ``url_env`` names an environment variable used when ``url`` is not given (``OLLAMA_HOST``).
    """
    url = dict(type='str')
    if url_required:
        url['required'] = True
    if url_default is not None:
        url['default'] = url_default
    if url_env:
        url['fallback'] = (env_fallback, [url_env])
    return dict(
        url=url,
        validate_certs=dict(type='bool', default=True),
        use_proxy=dict(type='bool', default=True),
        timeout=dict(type='float', default=timeout_default),
    )


def normalize_base_url(value, default_port=OLLAMA_DEFAULT_PORT):
    """Turn ``url``/``OLLAMA_HOST`` into a base URL without a trailing slash.

    Follows the Ollama client's reading of ``OLLAMA_HOST``: no scheme means ``http`` and port
    ``default_port`` when none is given. A wildcard bind address (``0.0.0.0``, ``::``), which is
    what ``OLLAMA_HOST`` holds on a server, is replaced with the matching loopback address.
    Returns ``None`` for an empty value.
    """
    value = (to_text(value) if value is not None else u'').strip()
    if not value:
        return None
    if '://' not in value:
        hostport, sep, path = value.partition('/')
        host, port = _split_host_port(hostport)
        if port is None and default_port:
            port = default_port
        value = u'http://%s%s%s' % (_join_host_port(host or u'127.0.0.1', port), sep, path)
    parts = urlsplit(value)
    host, port = _split_host_port(parts.netloc)
    if host in (u'0.0.0.0', u''):
        host = u'127.0.0.1'
    elif host in (u'::', u'[::]'):
        host = u'::1'
    netloc = _join_host_port(host, port)
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip(u'/'), parts.query, u''))


def _split_host_port(hostport):
    """``host:port`` -> (host, port or None); IPv6 literals keep no brackets."""
    if hostport.startswith(u'['):
        end = hostport.find(u']')
        host = hostport[1:end] if end > 0 else hostport[1:]
        rest = hostport[end + 1:] if end > 0 else u''
        port = rest[1:] if rest.startswith(u':') and rest[1:].isdigit() else None
        return host, port
    if hostport.count(u':') == 1:
        host, port = hostport.split(u':')
        return host, (port if port.isdigit() else None)
    if hostport.count(u':') > 1:
        return hostport, None  # bare IPv6 literal
    return hostport, None


def _join_host_port(host, port):
    if u':' in host:
        host = u'[%s]' % host
    return u'%s:%s' % (host, port) if port else host


def join_url(base, path):
    """``http://h:1/`` + ``/api/tags`` -> ``http://h:1/api/tags``."""
    return base.rstrip('/') + '/' + path.lstrip('/')


def origin_of(url):
    """The scheme and host part of ``url`` (``http://h:1/health`` -> ``http://h:1``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, '', '', ''))


def request(url, method='GET', payload=None, data=None, headers=None, timeout=10,
            validate_certs=True, use_proxy=True, follow_redirects='safe'):
    """Send one request; never raises for HTTP or network errors.

    ``payload`` is sent as JSON; ``data`` as raw bytes. ``timeout`` bounds the connection and
    every later socket read (so it is a "no progress" timeout for streamed bodies).

    Returns ``(response, info)``. ``response`` is the open response (the caller reads and closes
    it) when the server answered with a status below 400, else ``None``. ``info`` has ``status``
    (HTTP status, ``-1`` without an HTTP answer), ``msg``, ``url``, ``headers`` (lower-case keys)
    and, for HTTP errors, ``body`` (bytes). With ``follow_redirects='none'`` a redirect is
    answered as it is (status 301, 302, 307 or 308, its ``location`` in ``headers``).
    """
    headers = dict(headers or {})
    if payload is not None:
        data = json.dumps(payload).encode('utf-8')
        headers.setdefault('Content-Type', 'application/json')
    info = dict(url=url, status=-1, msg='', headers={})
    # Thread note: ansible's Request.open installs its opener process-wide and then calls
    # urllib's urlopen, so concurrent calls may use each other's opener. That is harmless as long
    # as concurrent calls share validate_certs/use_proxy (ollama_model's workers do); per-request
    # headers and data travel on the request object, not the opener.
    try:
        kwargs = dict(data=data, headers=headers, timeout=timeout, validate_certs=validate_certs,
                      use_proxy=use_proxy, http_agent='numberone.owu', follow_redirects=follow_redirects)
        context = _ssl_context(validate_certs)
        if context is not None:
            response = Request().open(method, url, context=context, **kwargs)
        else:
            response = open_url(url, method=method, **kwargs)
    except HTTPError as e:
        try:
            body = e.read() if e.fp is not None else b''
        except Exception:  # pylint: disable=broad-except
            body = b''
        finally:
            try:
                e.close()
            except Exception:  # pylint: disable=broad-except
                pass
        info.update(status=e.code, msg='HTTP %s %s' % (e.code, to_native(e.reason)), body=body,
                    headers=_lower_headers(e.headers))
        return None, info
    except URLError as e:
        info['msg'] = describe_network_error(getattr(e, 'reason', e))
        return None, info
    except (socket.timeout, OSError) as e:
        info['msg'] = describe_network_error(e)
        return None, info
    except Exception as e:  # pylint: disable=broad-except
        # open_url raises plain exceptions for things like a malformed URL or an SSL setup error.
        info['msg'] = to_native(e) or e.__class__.__name__
        return None, info
    info.update(status=response.getcode(), msg='OK', headers=_lower_headers(response.headers),
                url=response.geturl() or url)
    return response, info


_CONTEXTS = {}
_CONTEXTS_LOCK = threading.Lock()


def _ssl_context(validate_certs):
    """One TLS context per ``validate_certs`` value, built once and shared.

    ``open_url`` builds a new context (loading every system CA) for each request, even for plain
    ``http://``, which costs ~60 ms a request; a health check loop and a pull's several requests
    should not pay that each time. ``None`` when this ansible-core cannot take a context.
    """
    if not _REQUEST_TAKES_CONTEXT or make_context is None:
        return None
    with _CONTEXTS_LOCK:
        if validate_certs not in _CONTEXTS:
            _CONTEXTS[validate_certs] = make_context(validate_certs=validate_certs)
        return _CONTEXTS[validate_certs]


def _lower_headers(headers):
    try:
        return dict((k.lower(), v) for k, v in headers.items())
    except Exception:  # pylint: disable=broad-except
        return {}


def describe_network_error(error):
    """A short text for a socket/URL error (``timed out``, ``connection refused`` ...)."""
    if isinstance(error, socket.timeout) or (isinstance(error, OSError) and 'timed out' in to_native(error)):
        return 'timed out'
    if isinstance(error, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(error, ConnectionResetError):
        return 'connection reset by peer'
    text = to_native(error)
    return text or error.__class__.__name__


def read_body(response):
    """Read a whole (small) body and close the response."""
    try:
        return response.read()
    finally:
        response.close()


def error_message(body, default=''):
    """Ollama's ``{"error": "..."}`` message from an error body, else the body text (shortened)."""
    if body is None:
        return default
    text = to_text(body, errors='replace').strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get('error'):
        return to_text(parsed['error'])
    if not text:
        return default
    if len(text) > MAX_QUOTED_BODY:
        text = text[:MAX_QUOTED_BODY] + u'...'
    return text


def parse_ndjson_line(line):
    """Decode one NDJSON line. Blank lines give ``None``; anything but a JSON object raises ValueError."""
    text = to_text(line, errors='strict').strip()
    if not text:
        return None
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError('expected a JSON object, got %s' % type(obj).__name__)
    return obj


def iter_ndjson(response, max_line=MAX_LINE_BYTES):
    """Yield the objects of an NDJSON body, one line at a time, without buffering the body.

    A socket read that exceeds the request's timeout raises ``ApiError('timed out ...')``; a
    connection that breaks raises ``ApiError``; a line that is not JSON raises ``ApiError`` with
    ``transient=False``.
    """
    while True:
        try:
            line = response.readline(max_line + 1)
        except socket.timeout:
            raise ApiError('timed out waiting for progress')
        except OSError as e:
            raise ApiError('stream interrupted: %s' % describe_network_error(e))
        except Exception as e:  # pylint: disable=broad-except
            # http.client raises IncompleteRead (an HTTPException) when the peer drops a chunked
            # stream in the middle.
            raise ApiError('stream interrupted: %s' % (to_native(e) or e.__class__.__name__))
        if not line:
            if _truncated(response):
                raise ApiError('stream interrupted: the connection closed before the end of the body')
            return
        if len(line) > max_line:
            raise ApiError('stream line longer than %d bytes' % max_line, transient=False)
        try:
            obj = parse_ndjson_line(line)
        except ValueError as e:
            raise ApiError('invalid JSON line in stream: %s' % to_native(e), transient=False)
        if obj is not None:
            yield obj


def _truncated(response):
    """Whether an ``http.client`` response hit EOF before its end.

    ``readline`` on ``http.client.HTTPResponse`` returns ``b''`` both at the real end and when the
    peer drops the connection. At a clean end of a chunked body ``chunk_left`` is ``None`` (it
    stays ``0`` when the next chunk header never came); a body with ``Content-Length`` keeps a
    positive ``length``. Callers must not rely on this alone (other response types, such as a
    gzip reader, do not expose it); ollama_model also requires the final ``success`` line.
    """
    if getattr(response, 'chunked', False):
        return getattr(response, 'chunk_left', None) is not None
    length = getattr(response, 'length', None)
    return isinstance(length, int) and length > 0


def get_json(url, timeout=10, validate_certs=True, use_proxy=True, headers=None):
    """GET ``url`` and decode its JSON body; raises ApiError on any failure."""
    response, info = request(url, timeout=timeout, validate_certs=validate_certs,
                             use_proxy=use_proxy, headers=headers)
    if response is None:
        raise ApiError('GET %s failed: %s' % (url, error_message(info.get('body'), info['msg']) or info['msg']),
                       status=info['status'], transient=_transient_status(info['status']))
    try:
        body = read_body(response)
    except socket.timeout:
        raise ApiError('GET %s failed: timed out reading the answer' % url)
    except (OSError, ValueError) as e:
        raise ApiError('GET %s failed: %s' % (url, describe_network_error(e)))
    try:
        return json.loads(to_text(body))
    except ValueError as e:
        raise ApiError('GET %s returned invalid JSON: %s' % (url, to_native(e)),
                       status=info['status'], transient=False)


def _transient_status(status):
    """-1 (no answer), 408, 429 and 5xx may go away on retry; other statuses will not."""
    return status == -1 or status in (408, 429) or status >= 500
