#!/usr/bin/env bash
# Extract public code nobody here wrote into bench/.work/public/<owner+name>/ (git-ignored, never
# committed), from snapshots the session's `fetch` tool brought into /work/.mirror (or $MIRROR):
#   pytorch/examples, huggingface/pytorch-image-models, keras-team/keras-applications,
#   ageron/handson-ml3 (its notebooks become .py files: code cells joined, IPython magics and
#   shell lines masked by the language server's own mask_ipython, as it joins a notebook's cells).
# Other snapshots: name them (owner+name ...) to extract those instead.
# Then: .venv/bin/python bench/public_run.py bench/.work/public
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mirror="${MIRROR:-/work/.mirror}"
out="$here/.work/public"
repos=(pytorch+examples huggingface+pytorch-image-models keras-team+keras-applications ageron+handson-ml3)
if [ "$#" -gt 0 ]; then repos=("$@"); fi
mkdir -p "$out"
for repo in "${repos[@]}"; do
  git_dir="$mirror/$repo/repo"
  if [ ! -d "$git_dir" ]; then
    echo "skip $repo: no snapshot at $git_dir (fetch github:${repo/+//} first)" >&2
    continue
  fi
  rm -rf "${out:?}/$repo"
  mkdir -p "$out/$repo"
  # file by file: a snapshot lacks its large blobs, which would stop `git archive` half-way
  git --git-dir="$git_dir" ls-tree -r -z HEAD | while IFS= read -r -d '' entry; do
    path="${entry#*$'\t'}"
    case "$path" in *.py|*.ipynb) ;; *) continue ;; esac
    mkdir -p "$out/$repo/$(dirname "$path")"
    git --git-dir="$git_dir" cat-file blob "HEAD:$path" > "$out/$repo/$path" 2>/dev/null \
      || rm -f "$out/$repo/$path"
  done
  git --git-dir="$git_dir" log -1 --format="$repo %H %cs" > "$out/$repo/.snapshot"
  find "$out/$repo" -name '*.ipynb' -print0 | while IFS= read -r -d '' nb; do
    "$here/../.venv/bin/python" - "$nb" <<'PY'
import json, sys
from mlsense.analyzers.notebook import mask_ipython  # what the language server does to a cell
path = sys.argv[1]
try:
    cells = json.load(open(path, encoding="utf-8")).get("cells", [])
except (ValueError, OSError):
    sys.exit(0)
parts = []
for cell in cells:
    if cell.get("cell_type") != "code":
        continue
    src = "".join(cell.get("source", []))
    src = mask_ipython(src)
    parts.append(src.rstrip() + "\n")
open(path[:-len(".ipynb")] + "_ipynb.py", "w", encoding="utf-8").write("\n".join(parts))
PY
    rm -f "$nb"
  done
  # a folder of its own, so tools honouring .gitignore do not skip it (the repo ignores bench/.work)
  git -C "$out/$repo" init -q 2>/dev/null || true
  echo "$repo: $(find "$out/$repo" -name '*.py' | wc -l) files"
done
