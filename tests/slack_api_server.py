"""A local stand-in for Slack's Web API, for tests: a threaded HTTP server on 127.0.0.1 and a free port.

It answers the methods Advocate calls the way Slack does (`auth.test`, `conversations.open`,
`chat.postMessage`, `chat.update`, `conversations.history`, `files.getUploadURLExternal`, the upload URL
itself, `files.completeUploadExternal`, `files.info`, `files.delete`), records every request with its
parsed body, keeps the messages posted per channel (with their metadata, so `conversations.history` can
return them), and can be told to fail the next calls of each method: 429 with Retry-After, 500, a dropped
connection (closed with no answer), or either of the last two *after* posting (Slack took the message but
the client never heard back). The upload URL fails as the method `upload`. Like Slack, a message whose
image block names a `slack_file` that was not uploaded and completed (or was deleted since) is refused
(`invalid_blocks`), and `files.info` can be made to report an upload as still processing
(`processing_looks`).

    server = SlackApiServer().start()
    client = WebClient(token="xoxb-test", base_url=server.url)
    server.fail_next("chat.postMessage", status=429, retry_after=1)
    server.fail_next("chat.update", drop=True)  # the connection closes with no answer
    ...
    server.posted("D0123")  # messages that reached the channel
    server.stop()

Extra methods can be added per test: `server.handlers["users.info"] = lambda params: {"ok": True, ...}`.
`server.scopes = ["chat:write", ...]` makes every successful answer carry Slack's `x-oauth-scopes` header
(what `advocate doctor` compares with manifest.json).

For the Slack app (bot/) it also answers `users.info`, `conversations.info`, `conversations.replies`,
`chat.postEphemeral`, `chat.getPermalink`, `views.open`, `views.publish` and `views.update`; people's
messages are seeded with `add_message`, guests and shared channels with `set_user` / `set_channel`,
private files with `add_file` (downloaded from `{base}/files/...` with the bot token), and each
request's `response_url` can be `server.response_url()` (posts land in `server.app_state.responses`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    authorization: str | None
    at: float
    status: int = 200


@dataclass
class Failure:
    method: str | None  # None: whatever is called next
    status: int
    retry_after: int | None
    after_posting: bool
    error: str
    drop: bool = False  # close the connection without answering


DROPPED = 0  # Call.status of a call whose connection was closed without an answer


@dataclass
class Upload:
    file_id: str
    filename: str
    data: bytes = b""
    channel: str | None = None
    thread_ts: str | None = None
    title: str = ""
    shared_ts: str | None = None  # the ts of the file's message in the channel (conversations.replies shows it)
    completed: bool = False  # files.completeUploadExternal was called for it (with a channel or not)
    deleted: bool = False  # files.delete was called for it


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)


class SlackApiServer:
    def __init__(self, *, bot_user_id: str = "UBOT0001", team_id: str = "T0001") -> None:
        # The bot's own user id, returned by auth.test and set on posted messages.
        self.bot_user_id = bot_user_id
        # The workspace id returned by auth.test.
        self.team_id = team_id
        # Methods added or overridden by a test: method name → params → JSON answer.
        self.handlers: dict[str, Handler] = {}
        # Scopes the token was granted, sent as the x-oauth-scopes header (as Slack does); None: no header.
        self.scopes: list[str] | None = None
        # files.info answers without a mimetype this many times first, as Slack does while it processes an upload.
        self.processing_looks = 0
        self.file_info_looks = 0
        self._state = _State()
        self._lock = threading.Lock()
        self._last_ts = 0.0
        self._files = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # People, channels, files, ephemeral notes, views and response_url posts (the Slack app's methods).
        self.app_state = AppState()

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> SlackApiServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        server.daemon_threads = True
        self._server = server
        # A short poll interval: stop() waits for one, and every test using the server stops it.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-api-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The base URL for WebClient / SLACK_API_URL."""
        return self.base + "/api/"

    # -- what tests look at -----------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages that reached Slack (in one channel, or all), oldest first."""
        with self._lock:
            if channel is not None:
                return list(self._state.messages.get(channel, []))
            return [m for messages in self._state.messages.values() for m in messages]

    @property
    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._state.uploads.values())

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        after_posting: bool = False,
        error: str | None = None,
        drop: bool = False,
    ) -> None:
        """Make the next `times` calls (to `method`, or any) fail with `status`, or, `drop`, by closing the
        connection without an answer.

        429 answers carry Retry-After (default 1 s). `after_posting` does what the method does first (stores
        the message, shares the file) and then answers with the error, like a Slack that acted but never
        replied.
        """
        default_error = {429: "ratelimited"}.get(status, "internal_error" if status >= 500 else "invalid_request")
        with self._lock:
            for _ in range(times):
                self._state.failures.append(Failure(
                    method, status, retry_after if retry_after is not None or status != 429 else 1,
                    after_posting, error or default_error, drop,
                ))

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    # -- serving ----------------------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
                return

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                server._dispatch(self, parsed.path, params, b"")

            def do_POST(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                content_type = self.headers.get("Content-Type", "")
                if parsed.path.startswith("/upload/"):
                    pass
                elif "application/json" in content_type and raw:
                    params.update(json.loads(raw.decode("utf-8")))
                elif raw:
                    params.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
                server._dispatch(self, parsed.path, params, raw)

        return RequestHandler

    def _dispatch(self, request: BaseHTTPRequestHandler, path: str, params: dict[str, Any], raw: bytes) -> None:
        if path.startswith("/upload/"):
            file_id = path.rsplit("/", 1)[-1]
            failure = self._take_failure("upload")
            with self._lock:
                upload = self._state.uploads.get(file_id)
                if upload is not None and (failure is None or failure.after_posting):
                    upload.data = raw
                self._state.calls.append(Call("upload", {"file_id": file_id, "bytes": len(raw)}, None, time.time(),
                                              _status(failure)))
            if failure is not None:
                self._fail(request, failure)
                return
            self._reply(request, 200 if upload else 404, f"OK - {len(raw)}", content_type="text/plain")
            return
        if path.startswith(("/files/", "/response/")):
            self._extra_path(request, path, params, raw)
            return
        method = path.removeprefix("/api/").strip("/")
        authorization = request.headers.get("Authorization")
        failure = self._take_failure(method)
        call = Call(method, params, authorization, time.time(), _status(failure))
        with self._lock:
            self._state.calls.append(call)
        if failure and not failure.after_posting:
            self._fail(request, failure)
            return
        if not authorization or not authorization.startswith("Bearer "):
            self._reply(request, 200, {"ok": False, "error": "not_authed"})
            return
        answer = self._answer(method, params)
        if failure:  # posted, but the client hears an error or nothing
            self._fail(request, failure)
            return
        headers = {}
        if self.scopes is not None and answer.get("ok"):
            # Like Slack: every answer to a token's call says what that token was granted.
            headers["x-oauth-scopes"] = ",".join(self.scopes)
        self._reply(request, 200, answer, headers=headers)

    def _fail(self, request: BaseHTTPRequestHandler, failure: Failure) -> None:
        if failure.drop:
            request.close_connection = True  # nothing written: the client sees the connection close
            return
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        self._reply(request, failure.status, {"ok": False, "error": failure.error}, headers=headers)

    def _take_failure(self, method: str) -> Failure | None:
        with self._lock:
            for index, failure in enumerate(self._state.failures):
                if failure.method is None or failure.method == method:
                    return self._state.failures.pop(index)
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self.handlers:
            return self.handlers[method](params)
        if method == "auth.test":
            return {"ok": True, "user_id": self.bot_user_id, "bot_id": "B0001", "team_id": self.team_id,
                    "url": "https://example.slack.com/"}
        if method == "conversations.open":
            users = str(params.get("users", ""))
            if not users:
                return {"ok": False, "error": "users_list_not_supplied"}
            first = users.split(",")[0]
            if not first.startswith(("U", "W")):
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": "D" + first[1:]}}
        if method == "chat.postMessage":
            return self._post(params)
        if method == "chat.update":
            return self._update(params)
        if method == "conversations.history":
            return self._history(params)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):07d}"
            with self._lock:
                self._state.uploads[file_id] = Upload(file_id, str(params.get("filename", "")))
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        uploaded_file = {"files.completeUploadExternal": self._complete_upload, "files.info": self._file_info,
                         "files.delete": self._delete_file}.get(method)
        if uploaded_file is not None:
            return uploaded_file(params)
        extra = self._answer_app_method(method, params)
        if extra is not None:
            return extra
        return {"ok": False, "error": "unknown_method"}

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        refused = self._unknown_slack_files(blocks or [])
        if refused:  # like Slack: an image block may only show a file uploaded and completed by then
            return {"ok": False, "error": "invalid_blocks", "errors": refused}
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        with self._lock:
            # Like Slack: the time of posting, unique within the channel.
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            ts = f"{self._last_ts:.6f}"
        message = {
            "type": "message", "ts": ts, "user": self.bot_user_id, "bot_id": "B0001", "text": params.get("text", ""),
            "blocks": blocks or [], "metadata": metadata, "thread_ts": params.get("thread_ts"), "channel": channel,
        }
        with self._lock:
            self._state.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        with self._lock:
            for message in self._state.messages.get(channel, []):
                if message["ts"] == ts:
                    if "text" in params:
                        message["text"] = params["text"]
                    if "blocks" in params:
                        blocks = params["blocks"]
                        message["blocks"] = json.loads(blocks) if isinstance(blocks, str) else blocks
                    return {"ok": True, "channel": channel, "ts": ts}
        return {"ok": False, "error": "message_not_found"}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            messages = [dict(m) for m in self._state.messages.get(channel, []) if float(m["ts"]) >= oldest]
        for message in messages:
            if not with_metadata or message.get("metadata") is None:
                message.pop("metadata", None)
        messages.reverse()  # newest first, as Slack returns them
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _unknown_slack_files(self, blocks: list[dict[str, Any]]) -> list[str]:
        with self._lock:
            completed = {u.file_id for u in self._state.uploads.values() if u.completed and u.data and not u.deleted}
        return [f"invalid slack file [json-pointer:/blocks/{index}/slack_file]" for index, block in enumerate(blocks)
                if block.get("type") == "image" and "slack_file" in block
                and block["slack_file"].get("id") not in completed]

    def _live_upload(self, params: dict[str, Any]) -> tuple[Upload | None, dict[str, Any] | None]:
        """The completed, undeleted upload `params` names, or Slack's error for it (call under the lock)."""
        upload = self._state.uploads.get(str(params.get("file", "")))
        if upload is None or not upload.completed:
            return None, {"ok": False, "error": "file_not_found"}
        if upload.deleted:
            return None, {"ok": False, "error": "file_deleted"}
        return upload, None

    def _file_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            upload, error = self._live_upload(params)
            if upload is None:
                return error or {"ok": False, "error": "file_not_found"}
            self.file_info_looks += 1
            # Slack processes an upload after completing it: the first `processing_looks` answers lack a mimetype.
            ready = self.file_info_looks > self.processing_looks
            kind = "image/png" if upload.data.startswith(b"\x89PNG") else "application/octet-stream"
            mimetype = kind if ready else ""
            return {"ok": True, "file": {"id": upload.file_id, "name": upload.filename, "title": upload.title,
                                         "mimetype": mimetype}}

    def _delete_file(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            upload, error = self._live_upload(params)
            if upload is None:
                return error or {"ok": False, "error": "file_not_found"}
            upload.deleted = True
            return {"ok": True}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        answered = []
        shared_ts = self._app_ts() if params.get("channel_id") else None
        with self._lock:
            for item in files or []:
                upload = self._state.uploads.get(str(item.get("id")))
                if upload is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.channel = params.get("channel_id")
                upload.thread_ts = params.get("thread_ts")
                upload.title = str(item.get("title") or "")
                upload.shared_ts = shared_ts
                upload.completed = True
                answered.append({"id": upload.file_id, "title": upload.title, "name": upload.filename})
        return {"ok": True, "files": answered}

    def _reply(
        self, request: BaseHTTPRequestHandler, status: int, body: Any, *, headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    # -- the Slack app's methods (issue 4) ----------------------------------------------------------------
    def add_message(self, channel: str, text: str, *, user: str, ts: str | None = None,
                    thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
        """A message by a person, as if posted in Slack (conversations.replies/history return it)."""
        ts = ts or self._app_ts()
        message = {"type": "message", "ts": ts, "user": user, "text": text, "thread_ts": thread_ts,
                   "channel": channel, **extra}
        with self._lock:
            self._state.messages.setdefault(channel, []).append(message)
        return message

    def _app_ts(self) -> str:
        with self._lock:  # the same clock as chat.postMessage: later messages have later ts
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def set_user(self, user_id: str, **fields: Any) -> None:
        """users.info for this person: e.g. is_restricted=True (a guest), team_id="T0OTHER" (Slack Connect)."""
        self.app_state.users[user_id] = fields

    def set_channel(self, channel_id: str, **fields: Any) -> None:
        """conversations.info for this channel: e.g. is_ext_shared=True, name="support-feedback"."""
        self.app_state.channels[channel_id] = fields

    def add_file(self, name: str, data: bytes) -> str:
        """A private file; returns its url_private_download (needs the bot token to download)."""
        file_id = f"F{next(self._files):07d}"
        self.app_state.files[file_id] = data
        return f"{self.base}/files/{file_id}/{name}"

    def response_url(self) -> str:
        return f"{self.base}/response/{next(self._files)}"

    def ephemeral(self, user: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.app_state.ephemeral if user is None or e.get("user") == user]

    def _extra_path(self, request: BaseHTTPRequestHandler, path: str, params: dict[str, Any], raw: bytes) -> None:
        if path.startswith("/response/"):
            body = json.loads(raw.decode("utf-8")) if raw else dict(params)
            with self._lock:
                self.app_state.responses.append(body)
                self._state.calls.append(Call("response_url", body, None, time.time()))
            self._reply(request, 200, "ok", content_type="text/plain")
            return
        authorization = request.headers.get("Authorization") or ""
        file_id = path.split("/")[2] if path.count("/") >= 2 else ""
        with self._lock:
            self._state.calls.append(Call("file_download", {"path": path}, authorization or None, time.time()))
        data = self.app_state.files.get(file_id)
        if data is None or not authorization.startswith("Bearer xoxb-"):
            # Slack answers a login page (HTML) when the token is missing.
            self._reply(request, 200 if data else 404, "<html>sign in</html>", content_type="text/html")
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _answer_app_method(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        state = self.app_state
        if method == "users.info":
            user = str(params.get("user", ""))
            fields = {"id": user, "team_id": self.team_id, "name": user.lower(), "deleted": False, "is_bot": False,
                      "is_restricted": False, "is_ultra_restricted": False, "tz": "Europe/London"}
            fields.update(state.users.get(user, {}))
            if fields.get("missing"):
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": fields}
        if method == "conversations.info":
            channel = str(params.get("channel", ""))
            fields = {"id": channel, "name": channel.lower(), "is_channel": channel.startswith("C"),
                      "is_im": channel.startswith("D"), "is_ext_shared": False, "is_shared": False}
            fields.update(state.channels.get(channel, {}))
            return {"ok": True, "channel": fields}
        if method == "conversations.replies":
            channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
            with self._lock:
                found = [dict(m) for m in self._state.messages.get(channel, [])
                         if m["ts"] == ts or m.get("thread_ts") == ts]
                # A file shared into the thread is a message in it, as in Slack.
                found += [{"type": "message", "ts": u.shared_ts, "user": self.bot_user_id, "bot_id": "B0001",
                           "text": "", "thread_ts": ts, "channel": channel, "upload": True,
                           "files": [{"id": u.file_id, "name": u.filename, "title": u.title}]}
                          for u in self._state.uploads.values()
                          if u.channel == channel and u.thread_ts == ts and u.shared_ts]
            found.sort(key=lambda m: float(m["ts"]))
            if not found:
                return {"ok": False, "error": "thread_not_found"}
            return {"ok": True, "messages": found, "has_more": False}
        if method == "chat.postEphemeral":
            note = {"channel": params.get("channel"), "user": params.get("user"), "text": params.get("text", ""),
                    "thread_ts": params.get("thread_ts"), "blocks": params.get("blocks")}
            with self._lock:
                state.ephemeral.append(note)
            return {"ok": True, "message_ts": self._app_ts()}
        if method == "chat.getPermalink":
            channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
            return {"ok": True, "channel": channel,
                    "permalink": f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if method in ("views.open", "views.publish", "views.update"):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            if not isinstance(view, dict) or "type" not in view or "blocks" not in view:
                return {"ok": False, "error": "invalid_arguments"}
            if method == "views.open" and not params.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            with self._lock:
                state.views.append({"method": method, "user_id": params.get("user_id"), "view": view})
            return {"ok": True, "view": {"id": f"V{next(self._files):07d}", **view}}
        return None


def _status(failure: Failure | None) -> int:
    if failure is None:
        return 200
    return DROPPED if failure.drop else failure.status


@dataclass
class AppState:
    """What the Slack app's methods read and leave behind."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
