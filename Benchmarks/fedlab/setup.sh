#!/usr/bin/env bash
# Creates Benchmarks/fedlab/.venv: Debian's torch (system site packages) + FedLab 1.3.0 from PyPI.
# Idempotent: rerunning only checks what is there. Never pip-installs torch.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY=/usr/bin/python3

have_mod() { "$1" -c "import $2" >/dev/null 2>&1; }

# 1. Debian's torch and torchvision (CPU builds), never a pip wheel.
if ! have_mod "$PY" torch || ! have_mod "$PY" torchvision || ! have_mod "$PY" numpy; then
    echo "setup: installing Debian's python3-torch python3-torchvision" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y python3-torch python3-torchvision python3-numpy python3-venv >/dev/null \
        || { apt-get update >/dev/null && apt-get install -y python3-torch python3-torchvision python3-numpy python3-venv >/dev/null; }
fi

# 2. The venv, seeing the system site packages.
if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV" >&2
    "$PY" -m venv --system-site-packages "$VENV"
fi

# 3. FedLab 1.3.0 and the modules its imports pull in (--no-deps so pip never touches torch).
PKGS=(fedlab==1.3.0 pynvml==11.5.0 tqdm pandas==1.5.3 pytz scikit-learn==1.2.2 scipy==1.10.1
      joblib==1.3.2 threadpoolctl)
if ! "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import importlib.metadata as md, sys
assert md.version("fedlab") == "1.3.0"
import torch, torchvision
from fedlab.contrib.algorithm.basic_server import SyncServerHandler
from fedlab.contrib.algorithm.basic_client import SGDSerialClientTrainer
from fedlab.utils.dataset.functional import hetero_dir_partition, homo_partition
PY
then
    echo "setup: pip install --no-deps ${PKGS[*]}" >&2
    "$VENV/bin/pip" install --quiet --no-deps "${PKGS[@]}"
fi

"$VENV/bin/python" - <<'PY'
import importlib.metadata as md, torch, numpy
import fedlab.contrib.algorithm.basic_server  # noqa: F401  (fails loudly if an import is missing)
print(f"setup: ok: fedlab {md.version('fedlab')}, torch {torch.__version__}, numpy {numpy.__version__}")
PY
