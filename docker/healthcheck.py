"""The container's health check: exit 0 when healthy, 1 when not, one line on stdout.

The image runs one process per container (PID 1 is `dumb-init -- advocate …`), so the check reads PID 1's
command line:

- `advocate serve --http [--port N]`: GET http://127.0.0.1:N/readyz, the app's readiness: warmed up (model
  loaded, what a crash left unanswered taken up) and the records database and the knowledge store answer
  (200 healthy, 503 not). Docker's "healthy" is what `depends_on: service_healthy` and load balancers
  wait for, so it means "able to answer"; the start period covers the warm-up. (`/healthz` is the
  liveness probe of orchestrators that restart a process that stops answering: Kubernetes.)
- anything else (`advocate serve` in Socket Mode, `advocate jobs`, a CLI command): Socket Mode and the
  scheduler listen on no port, so the check reaches the same stores the process depends on, cheaply —
  the records database answers `SELECT 1`, a Chroma server (CHROMA_URL) answers its heartbeat; with the
  embedded defaults the data directory must be writable.

It loads no model and opens no embedded Chroma (a second process must not open it beside the first), so
it costs a fraction of a second. Database URLs are never printed: they may carry a password.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

TIMEOUT_SECONDS = 5.0
DEFAULT_HTTP_PORT = 3000  # `advocate serve --http` without --port


def health_url(cmdline: Sequence[str]) -> str | None:
    """The /readyz URL when the command line is `advocate serve --http …`, else None."""
    args = list(cmdline)
    for index, arg in enumerate(args):  # skip the interpreter and the script: look from `serve` on
        if arg == "serve" and Path(args[index - 1] if index else "").name.startswith("advocate"):
            options = args[index + 1:]
            break
    else:
        return None
    if "--http" not in options:
        return None
    port, host = DEFAULT_HTTP_PORT, "0.0.0.0"
    for index, option in enumerate(options):
        name, sep, value = option.partition("=")
        if not sep and index + 1 < len(options):
            value = options[index + 1]
        if name == "--port" and value.isdigit():
            port = int(value)
        elif name == "--host" and value:
            host = value
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}/readyz"


def pid1_cmdline() -> list[str]:
    try:
        raw = Path("/proc/1/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def check_url(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status == 200, f"{url} answered {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered {exc.code}"
    except OSError as exc:
        return False, f"{url} did not answer ({type(exc).__name__})"


def check_stores() -> tuple[bool, str]:
    """The records database and the knowledge store the process uses, from the same settings it reads."""
    from advocate.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        return False, str(exc)
    results: list[tuple[str, bool, str]] = []
    if settings.records_url.startswith("sqlite"):
        writable = os.access(settings.data_dir, os.W_OK)
        results.append(("records", writable, "SQLite in the data dir" if writable else "data dir not writable"))
    else:
        results.append(("records", *_select_one(settings.records_url)))
    if settings.chroma_url:
        ok, detail = check_url(settings.chroma_url.rstrip("/") + "/api/v2/heartbeat")
        results.append(("knowledge", ok, "Chroma server heartbeat" if ok else "Chroma server: " + detail))
    else:
        writable = os.access(settings.data_dir, os.W_OK)
        results.append(("knowledge", writable, "embedded Chroma" if writable else "data dir not writable"))
    healthy = all(ok for _, ok, _ in results)
    return healthy, ", ".join(f"{part} {'ok' if ok else 'failed'} ({detail})" for part, ok, detail in results)


def _select_one(url: str) -> tuple[bool, str]:
    from sqlalchemy import create_engine, text

    connect_args = {"connect_timeout": int(TIMEOUT_SECONDS)} if url.startswith("postgresql") else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, f"{engine.dialect.name} answers"
    except Exception as exc:  # a health check reports, it does not raise; the URL is never shown
        return False, f"{engine.dialect.name}: {type(exc).__name__}"
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="probe this /readyz URL instead of reading PID 1's command line")
    parser.add_argument("--stores", action="store_true", help="check the stores, whatever PID 1 runs")
    args = parser.parse_args(argv)
    url = args.url or (None if args.stores else health_url(pid1_cmdline()))
    healthy, detail = check_url(url) if url else check_stores()
    print(f"{'healthy' if healthy else 'unhealthy'}: {detail}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
