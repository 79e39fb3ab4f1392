"""An admin DMs a file with "ingest" and a kind: it is downloaded with the bot token and indexed.

Files are downloaded only from Slack's file host (or the configured API host, as in tests): the bot
token must never be sent anywhere else. They are kept under the data dir, so a later re-ingest of
the same file is incremental like any other source.
"""

from __future__ import annotations

import logging
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from knowledge.ingest import SUPPORTED_SUFFIXES, Ingestor, IngestSummary
from knowledge.kinds import KINDS

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
SLACK_FILE_HOSTS = frozenset({"files.slack.com", "slack-files.com"})
_INGEST_WORD = re.compile(r"\bingest\b", re.IGNORECASE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class FileRefused(Exception):
    """A file that cannot be ingested; the message is for the admin."""


@dataclass
class IngestRequest:
    kind: str | None
    restricted: bool


@dataclass
class FileResult:
    name: str
    summary: IngestSummary | None = None
    problem: str = ""
    extra: list[str] = field(default_factory=list)


def wants_ingest(text: str) -> bool:
    return bool(_INGEST_WORD.search(text))


def parse_request(text: str) -> IngestRequest:
    words = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", text)}
    kind = next((k for k in KINDS if k in words), None)
    return IngestRequest(kind=kind, restricted="restricted" in words)


class FileIngest:
    def __init__(
        self,
        *,
        client: Any,
        ingestor: Callable[[], Ingestor],
        token: str,
        download_dir: Path,
        api_url: str,
    ) -> None:
        # The Web API client (files.info when an event carries only file ids).
        self.client = client
        # The ingestor, built on first use.
        self.ingestor = ingestor
        # The bot token, sent only to Slack's file hosts.
        self._token = token
        # Where downloaded files are kept (inside the data dir).
        self.download_dir = download_dir
        # SLACK_API_URL: its host is trusted for downloads too (the tests' local server).
        self.allowed_hosts = SLACK_FILE_HOSTS | {urlparse(api_url).hostname or ""}

    def ingest(self, files: list[dict[str, Any]], request: IngestRequest) -> list[FileResult]:
        results: list[FileResult] = []
        for info in files:
            name = str(info.get("name") or info.get("title") or info.get("id") or "file")
            try:
                path = self.download(info)
                kind = request.kind or ("feedback" if path.suffix.lower() in (".csv", ".jsonl", ".ndjson") else None)
                if kind is None:
                    raise FileRefused(f"say which kind it is: `ingest research` (kinds: {', '.join(KINDS)})")
                summary = self.ingestor().ingest(
                    [path], kind=kind, visibility="restricted" if request.restricted else "internal"
                )
                results.append(FileResult(name=name, summary=summary))
            except FileRefused as exc:
                results.append(FileResult(name=name, problem=str(exc)))
            except Exception:
                log.exception("ingesting %s failed", name)
                results.append(FileResult(name=name, problem="could not be ingested (see the app's log)"))
        return results

    def download(self, info: dict[str, Any]) -> Path:
        file_id = _SAFE_NAME.sub("_", str(info.get("id") or "file"))
        if info.get("mode") in ("external", "tombstone") or info.get("is_external"):
            raise FileRefused("is not stored in Slack (an external or deleted file); upload the file itself")
        name = _SAFE_NAME.sub("_", str(info.get("name") or file_id)).strip("._") or file_id
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise FileRefused(f"is a '{suffix or 'no extension'}' file; supported: {', '.join(SUPPORTED_SUFFIXES)}")
        if int(info.get("size") or 0) > MAX_FILE_BYTES:
            raise FileRefused(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        host = urlparse(url).hostname or ""
        if urlparse(url).scheme not in ("https", "http") or host not in self.allowed_hosts:
            raise FileRefused("has no Slack download link")
        target = self.download_dir / file_id / name
        target.parent.mkdir(parents=True, exist_ok=True)
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self._token}"})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (host checked above)
            if "text/html" in response.headers.get("Content-Type", "") and suffix not in (".html", ".htm"):
                # Slack answers a login page, not the file, when the token lacks files:read.
                raise FileRefused("could not be downloaded (is the files:read scope granted?)")
            data = response.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise FileRefused(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(target)  # never a half-written file under the real name
        return target
