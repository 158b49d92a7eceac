#!/usr/bin/env bash
# Create bench/.work/venv-anchors: the tools mlsense is compared against, isolated from the
# project venv because TorchFix 0.7 pins libcst < 1.6 (the project uses libcst 1.9).
#   torchfix==0.7.0            TorchFix CLI (flake8 plugin + standalone `torchfix`)
#   fixit[lsp]==2.2.1          Fixit CLI and `fixit lsp` (pygls ~= 2.0)
#   python-lsp-server          pylsp with its default plugins (pyflakes, pycodestyle, ...)
# None of them needs torch. Idempotent: re-running only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.work/venv-anchors"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
mkdir -p "$here/.work"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
if "$venv/bin/python" -c "import torchfix, fixit, pylsp, pygls" 2>/dev/null; then
    echo "anchors already installed in $venv"
    exit 0
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet \
    "torchfix==0.7.0" "fixit[lsp]==2.2.1" "python-lsp-server[pyflakes,pycodestyle,mccabe]"
# torchfix must not have pulled torch (it does not need it); fail loudly if it ever does.
if "$venv/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"; then
    echo "warning: torch got installed into $venv (unexpected; re-run pip with -c constraints.txt)" >&2
fi
"$venv/bin/pip" list 2>/dev/null | grep -iE "^(torchfix|fixit|libcst|python-lsp-server|pygls|pyflakes) "
