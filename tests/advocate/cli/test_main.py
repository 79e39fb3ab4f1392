"""The root of the CLI: each command gets its services through the context, built on first use and
closed when it ends; `--help` and the records commands import only what they use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advocate.cli import app
from advocate.cli.context import LazyServices
from advocate.services import Services
from tests.conftest import REPO, SAMPLE_PACK, run_cli

# Libraries only the knowledge base, the Slack app or the scheduler need.
HEAVY = ("chromadb", "langchain", "langchain_core", "langchain_classic", "torch", "sentence_transformers",
         "slack_bolt", "numpy", "matplotlib")


def imported_by(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, object]:
    """The top-level packages a fresh `advocate ARGS` process imported, and how it ended."""
    code = (
        "import json, sys\n"
        "from advocate.cli import main\n"
        f"sys.argv = ['advocate', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        "print(json.dumps({'code': code, 'packages': sorted({m.split('.')[0] for m in sys.modules})}), "
        "file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_imports_no_library_a_command_would_need(tmp_path: Path) -> None:
    found = imported_by(["--help"], {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}, tmp_path)
    assert found["code"] == 0
    assert not set(HEAVY) & set(found["packages"])  # type: ignore[arg-type]
    assert "sqlalchemy" not in found["packages"] and "pydantic" not in found["packages"]  # type: ignore[operator]


def test_a_records_command_leaves_the_knowledge_base_alone(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "ADVOCATE_DATA_DIR": str(tmp_path / "data")}
    found = imported_by(["staff", "import", str(SAMPLE_PACK / "staff.csv")], env, tmp_path)
    assert found["code"] == 0
    assert "sqlalchemy" in found["packages"]  # type: ignore[operator]
    assert not set(HEAVY) & set(found["packages"])  # type: ignore[arg-type]


def test_services_built_for_a_command_are_closed_when_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVOCATE_DATA_DIR", str(tmp_path / "data"))
    holder = LazyServices()
    result = CliRunner().invoke(app, ["staff", "import", str(SAMPLE_PACK / "staff.csv")], obj=holder)
    assert result.exit_code == 0, result.stderr
    assert holder.built is not None
    assert holder.built.engine.pool.checkedin() == 0  # the records database's connections were closed


def test_services_a_caller_gives_stay_open(fake_services: Services) -> None:
    result = run_cli("staff", "import", str(SAMPLE_PACK / "staff.csv"), services=fake_services)
    assert result.exit_code == 0, result.stderr
    assert fake_services.engine.pool.checkedin() >= 1  # still pooled: the caller closes them


def test_a_refused_argument_builds_nothing(tmp_path: Path) -> None:
    holder = LazyServices()
    result = CliRunner().invoke(app, ["keep-rate", "--by", "planet"], obj=holder)
    assert result.exit_code == 2 and result.stderr.startswith("error: --by 'planet'")
    assert holder.built is None
