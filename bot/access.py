"""Who may see what: guests and other organisations get nothing internal, shared channels get no briefs,
restricted sources reach only admins and advocates in DMs.

Slack is asked about a person (`users.info`) or a channel (`conversations.info`) once and the answer
kept for a while: a busy channel must not cost an API call per message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0
CACHE_SIZE = 5000

GUEST_REFUSAL = (
    "Sorry — I can only help members of this organisation. Advocate's briefs draw on internal customer "
    "research and feedback, which isn't shared with guests or people from other organisations."
)
SHARED_CHANNEL_REFUSAL = (
    "I don't give briefs in channels shared with other organisations: they quote internal customer "
    "research and feedback. Ask me in an internal channel or in a direct message."
)


@dataclass(frozen=True)
class Person:
    id: str
    internal: bool  # a full member of our own organisation (not a guest, not Slack Connect, not a bot)
    is_admin: bool
    is_advocate: bool
    advocate_function: str | None
    reason: str = ""  # why not internal, for the log


@dataclass(frozen=True)
class Place:
    id: str
    is_dm: bool  # a direct message between the asker and the app
    shared: bool  # shared with another organisation (Slack Connect)
    # A group DM: several people and the app; treated as a channel (masked, no restricted sources),
    # but nobody outside it can be looped in.
    is_group_dm: bool = False


class _TTLCache:
    def __init__(self, *, seconds: float, size: int) -> None:
        self._seconds = seconds
        self._size = size
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and now - hit[0] < self._seconds:
                return hit[1]
        value = load()
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (now, value)
        return value


class AccessPolicy:
    def __init__(
        self,
        *,
        client: WebClient,
        admins: frozenset[str],
        advocate_function: Callable[[str], str | None],
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        # The bot's Web API client, for users.info and conversations.info.
        self.client = client
        # Slack user ids of the admins (from ADVOCATE_ADMINS).
        self.admins = admins
        # The roster's function for a user id (None: not an advocate).
        self.advocate_function = advocate_function
        self._users = _TTLCache(seconds=cache_seconds, size=CACHE_SIZE)
        self._channels = _TTLCache(seconds=cache_seconds, size=CACHE_SIZE)
        self._team_ids: set[str] = set()
        self._enterprise_id: str | None = None

    def know_workspace(self, *, team_id: str | None, enterprise_id: str | None = None) -> None:
        """The installing workspace (from the request's authorisation): members of others are external."""
        if team_id:
            self._team_ids.add(team_id)
        if enterprise_id:
            self._enterprise_id = enterprise_id

    def person(self, user_id: str) -> Person:
        function = self.advocate_function(user_id)
        internal, reason = self._users.get(user_id, lambda: self._look_up_user(user_id))
        return Person(
            id=user_id, internal=internal, is_admin=user_id in self.admins,
            is_advocate=function is not None, advocate_function=function, reason=reason,
        )

    def place(self, channel_id: str, *, event_says_shared: bool | None = None) -> Place:
        if channel_id.startswith(("D", "U", "W")):
            # A DM, or a user id that chat.postMessage turns into the app's DM with that person.
            return Place(id=channel_id, is_dm=True, shared=False)
        if event_says_shared:
            return Place(id=channel_id, is_dm=False, shared=True)
        shared, is_dm, is_group_dm = self._channels.get(channel_id, lambda: self._look_up_channel(channel_id))
        return Place(id=channel_id, is_dm=is_dm, shared=shared, is_group_dm=is_group_dm)

    def restricted_allowed(self, person: Person, place: Place) -> bool:
        """Restricted sources only in a DM, and only to admins and advocates."""
        return place.is_dm and person.internal and (person.is_admin or person.is_advocate)

    def visibilities(self, person: Person, place: Place) -> tuple[str, ...]:
        return ("internal", "restricted") if self.restricted_allowed(person, place) else ("internal",)

    # -- Slack look-ups ------------------------------------------------------------------------------
    def _look_up_user(self, user_id: str) -> tuple[bool, str]:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            # Unknown to our workspace: treat as external rather than leak internal data.
            log.warning("users.info for %s failed (%s); treating the user as external", user_id,
                        exc.response.get("error"))
            return False, "unknown user"
        if user.get("is_bot") or user.get("deleted"):
            return False, "bot or deactivated"
        if user.get("is_restricted") or user.get("is_ultra_restricted"):
            return False, "guest"
        if user.get("is_stranger"):
            return False, "Slack Connect"
        team = user.get("team_id")
        enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
        if self._team_ids and team and team not in self._team_ids:
            if not (self._enterprise_id and enterprise == self._enterprise_id):
                return False, "Slack Connect"
        return True, ""

    def _look_up_channel(self, channel_id: str) -> tuple[bool, bool, bool]:
        """(shared with another organisation, a DM, a group DM)."""
        try:
            channel = self.client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            log.warning("conversations.info for %s failed (%s); treating the channel as shared", channel_id,
                        exc.response.get("error"))
            return True, False, False
        shared = bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))
        return shared, bool(channel.get("is_im")), bool(channel.get("is_mpim"))
