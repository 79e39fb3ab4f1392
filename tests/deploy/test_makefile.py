"""The Makefile's install asks for the CPU build of torch wherever it runs, not only where a wheel is on disk."""

import subprocess

from tests.deploy.build_context import REPO


def test_install_takes_torch_from_the_cpu_index_and_falls_back_to_pips_sources() -> None:
    # -n prints the commands without running them; -B as if nothing were installed yet.
    plan = subprocess.run(["make", "-n", "-B", "install", "VENV=/nonexistent-venv"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout.replace("\\\n", " ")
    install_lines = [line for line in plan.splitlines() if "pip install" in line]
    torch_line = next(line for line in install_lines if "torch==2.13.0" in line)
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in torch_line
    assert "||" in torch_line, "an unreachable CPU index falls back to pip's configured sources"
    assert install_lines.index(torch_line) < next(
        i for i, line in enumerate(install_lines) if "-e '.[dev]'" in line
    ), "torch is installed before the project, so the project's own install finds it satisfied"
