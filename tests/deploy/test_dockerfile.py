"""The Dockerfile, checked without a Docker engine: hadolint finds nothing, the stages do what
docs/deploy.md says, and the build context (.dockerignore) holds exactly what the COPY lines need."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.build_context import DOCKERFILE, REPO, context_files, copy_sources, instructions, is_ignored


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed: it comes with the dev extra (pip install -e '.[dev]', or make install)")
    return found


def lint(dockerfile: Path | str) -> list[dict]:
    """hadolint's findings (every level) with the repo's .hadolint.yaml."""
    source = dockerfile.read_text(encoding="utf-8") if isinstance(dockerfile, Path) else dockerfile
    result = subprocess.run(
        [hadolint(), "--config", str(REPO / ".hadolint.yaml"), "--format", "json", "--no-fail", "-"],
        input=source, capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout or "[]")


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    findings = lint(DOCKERFILE)
    report = "\n".join(f"Dockerfile:{f['line']} {f['code']} {f['level']}: {f['message']}" for f in findings)
    assert findings == [], report


def test_hadolint_does_report_what_it_should() -> None:
    # The clean result above means something only if this same call reports a bad Dockerfile.
    findings = lint("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nUSER root\n")
    assert {"DL3007", "DL3008"} <= {f["code"] for f in findings}


def stage_instructions(stage: str) -> list[tuple[str, str]]:
    return [(i.keyword, i.args) for i in instructions() if i.stage == stage]


def test_two_stages_builder_installs_into_a_venv_runtime_copies_only_it() -> None:
    stages = [i.args for i in instructions() if i.keyword == "FROM"]
    assert [s.split()[-1] for s in stages] == ["builder", "runtime"]
    # Both stages on the same slim Python 3.11 base, so the venv's interpreter links keep working.
    base = next(i.args for i in instructions() if i.keyword == "ARG" and i.args.startswith("PYTHON_IMAGE="))
    assert base.split("=", 1)[1].startswith("python:3.11-slim")
    assert all(s.split()[0] == "${PYTHON_IMAGE}" for s in stages)

    builder = stage_instructions("builder")
    assert ("WORKDIR", "/src") in builder
    runs = [args for keyword, args in builder if keyword == "RUN"]
    assert len(runs) == 1
    words = shlex.split(runs[0])
    # The shared install script (the same one tests/deploy/test_install.py runs), into /opt/venv, with
    # torch from PyTorch's CPU index.
    assert words[-3:] == ["./docker/install.sh", "/opt/venv", "/src"]
    assert 'TORCH_INDEX_URL="$TORCH_INDEX_URL"' in runs[0]
    assert ("ARG", "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu") in builder

    runtime = stage_instructions("runtime")
    copies = [args for keyword, args in runtime if keyword == "COPY"]
    assert "--from=builder /opt/venv /opt/venv" in copies
    assert all(c.startswith(("--from=builder", "docker/healthcheck.py", "manifest.json ")) for c in copies)
    # `advocate doctor` finds manifest.json one folder above the advocate package: site-packages here.
    assert "manifest.json /opt/venv/lib/python3.11/site-packages/manifest.json" in copies
    assert not [args for keyword, args in runtime if keyword == "RUN" and "pip" in args]


def test_runtime_is_non_root_offline_with_a_health_check_and_one_entrypoint() -> None:
    wanted = ("USER", "HEALTHCHECK", "ENTRYPOINT", "CMD")
    runtime = {k: a for k, a in stage_instructions("runtime") if k in wanted}
    user, _, group = runtime["USER"].partition(":")
    assert user.isdigit() and int(user) != 0 and group.isdigit() and int(group) != 0
    assert "CMD" in runtime["HEALTHCHECK"] and "/opt/advocate/healthcheck.py" in runtime["HEALTHCHECK"]
    # Bot, scheduler and CLI: only the command differs. dumb-init is PID 1 so SIGTERM reaches advocate.
    assert json.loads(runtime["ENTRYPOINT"]) == ["dumb-init", "--", "advocate"]
    assert json.loads(runtime["CMD"]) == ["serve"]
    env = " ".join(a for k, a in stage_instructions("runtime") if k == "ENV")
    for setting in ("HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1", "ADVOCATE_DATA_DIR=/data",
                    "PATH=/opt/venv/bin:$PATH"):
        assert setting in env


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    sources = [source for source, _ in copy_sources()]
    rooms = {"advocate", "briefs", "knowledge", "records", "operations", "outbound", "prompts", "bot", "jobs"}
    assert {"pyproject.toml", "docker/install.sh", *rooms} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such file in the repo"
        assert context_files(source), f"COPY {source}: .dockerignore keeps it out of the build context"
        for path in (REPO / source).rglob("*.py") if (REPO / source).is_dir() else []:
            if "__pycache__" not in path.parts:
                assert not is_ignored(path.relative_to(REPO).as_posix()), f"{path} is left out of the image"


@pytest.mark.parametrize(
    "path", [".env", "data/advocate.sqlite", ".venv/bin/python", "tests/conftest.py", "bench/out/x.json",
             ".git/config", "advocate/__pycache__/cli.cpython-311.pyc", "knowledge/.env", "advocate.egg-info/PKG-INFO"]
)
def test_local_data_secrets_and_caches_never_reach_the_build_context(path: str) -> None:
    assert is_ignored(path)


def test_the_install_check_is_part_of_the_build() -> None:
    # check_install.py runs at the end of docker/install.sh; the image build fails when it does.
    script = (REPO / "docker" / "install.sh").read_text(encoding="utf-8")
    assert "HF_HUB_OFFLINE=1" in script and "check_install.py" in script.splitlines()[-1]
    assert ("docker/check_install.py", "./docker/") in copy_sources("builder")
