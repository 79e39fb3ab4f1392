"""A real Chroma server for the tests: `chroma run` from the installed chromadb package, on a free
loopback port, stopped afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    def __init__(self, *, path: Path) -> None:
        # Where the server keeps its data (a temp dir).
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # What the server printed (beside its data, not inside it), for the reason when it fails.
        self.log_path = path.with_name(path.name + ".log")
        self._process: subprocess.Popen[bytes] | None = None

    def last_words(self) -> str:
        try:
            lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "(no output)"
        return lines[-1][:300] if lines else "(no output)"

    def start(self, timeout: float = 60.0) -> None:
        executable = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
        if executable is None:
            raise RuntimeError("the chroma command is not installed (chromadb package)")
        with open(self.log_path, "wb") as log:  # the child keeps its own handle
            self._process = subprocess.Popen(
                [executable, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with code {self._process.returncode}: {self.last_words()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer on {self.url} within {timeout:.0f}s")

    @property
    def pid(self) -> int:
        """The server's process id (it must be running)."""
        assert self._process is not None, "the Chroma server is not started"
        return self._process.pid

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
