"""Rasa's REST and socket.io channels with the customer's message checked first (credentials.yml).

- A message longer than MAX_MESSAGE_CHARS (2,000 by default, as the widget's own limit) is answered
  at once with a clear reply and never reaches the NLU: a 1 MB paste would otherwise keep the Rasa
  process busy for half a minute while every other conversation waits.
- Control characters are removed and the text is normalised to NFC before anything reads it.
- The length limit applies before anything else reads the text, button payloads included.
- Rasa reads any message starting with "/" as a button payload, in a grammar wider than the
  buttons use ("/intent", "@confidence", spaces, entities as JSON). Such a message is rebuilt: it
  keeps only a domain intent and the few entity values the bot's own buttons send
  (`PAYLOAD_ENTITIES`), parsed from a small, flat JSON object; anything else loses its "/" and is
  read as plain text. So a typed "/password_reset{"email": "someone@else"}" or
  "/request_human@1.0{"plan": "business"}" cannot set slots, and no nesting reaches a JSON parser.
- Lone UTF-16 surrogates (valid in JSON, not in UTF-8: no store could write them) are replaced
  with U+FFFD in the text; a conversation id holding one is refused.
- A blank message is answered "What can I help with?" without a turn.
- Too many messages from one conversation or one client in a minute get a "slow down" reply
  (counted in RATE_LIMIT_URL, so every Rasa process sees the same counts).
- The client's address is put into the message metadata (`tier0_client`) for the action server's
  own limits; whatever metadata the client sent under that name is replaced.
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.core.lock_store import LockError
from sanic import Request, response

from common.event_metadata import AGENT, NOTICE
from common.rate_limits import DEFAULT_URL, LimiterUnavailableError, RateLimiter

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 2000
TOO_LONG = (
    "That message is too long for me ({length:,} characters; I read up to {limit:,}). Please send the key "
    "part, or I can pass it to a person."
)
TOO_FAST = "You're sending messages faster than I can read them. Please wait a moment, then go on."
# The conversation lock could not be had (its store is down, or an earlier turn never ended): the
# turn does not run, so the customer's message is not lost in a half-done turn.
NOT_NOW = (
    "Sorry, I can't answer right now: part of our service is briefly unavailable. "
    "Please send your message again in a minute."
)
BLANK = "What can I help with?"
BAD_SENDER = "This chat's id is not valid. Please reload the page to start a new chat."
TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}
CLIENT = "tier0_client"
# Metadata a client may send: the widget's title of a tapped button.
CLIENT_METADATA = frozenset({"button_title"})
# Entities the bot's own buttons put into payloads, and their values.
PAYLOAD_ENTITIES = {"detail_level": {"plain", "technical"}, "plan": {"free", "plus", "business"}}
# Rasa's payload grammar, as wide as Rasa reads it: "/intent", then "@confidence" and entities,
# with spaces anywhere between.
PAYLOAD = re.compile(
    r"^\s*/(?P<intent>[A-Za-z0-9_]+)\s*(?:@\s*[-+0-9.eE]*)?\s*(?P<entities>\{.*\})?\s*$", re.DOTALL
)
# The buttons' entities are one flat object of short strings: anything longer or nested is not theirs.
MAX_PAYLOAD_ENTITIES_CHARS = 200
DOMAIN = Path(__file__).resolve().parents[1] / "domain.yml"
# C0/C1 control characters except tab and newline, and the Unicode "non-characters" of no meaning.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_SENDER_CHARS = 128
TYPING_TIMEOUT_SECONDS = 2.0

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def _int_setting(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def max_message_chars() -> int:
    return _int_setting("MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS)


@lru_cache(maxsize=1)
def limiter() -> RateLimiter:
    return RateLimiter.from_url(os.environ.get("RATE_LIMIT_URL") or DEFAULT_URL)


@lru_cache(maxsize=1)
def domain_intents() -> frozenset[str]:
    data = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    listed = {i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []}
    # Rasa's own intents: "below the threshold" is no more than not being understood, and
    # "/session_start" starts a new session (with no entities), as a reload would.
    return frozenset(listed | {"nlu_fallback", "session_start"})


def clean_text(text: Any) -> str:
    """Text as the pipeline may read it: a string, NFC, without control characters or lone surrogates."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def valid_sender(sender: Any) -> bool:
    """A conversation id every store can write: 1 to MAX_SENDER_CHARS characters, valid Unicode."""
    return (
        isinstance(sender, str)
        and 0 < len(sender) <= MAX_SENDER_CHARS
        and not _SURROGATE.search(sender)
        and not _CONTROL.search(sender)
    )


def button_entities(raw: str | None) -> dict[str, str]:
    """The entities of a payload the bot's buttons could have sent; {} for anything else."""
    if not raw or len(raw) > MAX_PAYLOAD_ENTITIES_CHARS or raw.count("{") + raw.count("[") > 1:
        return {}
    try:
        given = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return {
        k: v
        for k, v in (given.items() if isinstance(given, dict) else [])
        if k in PAYLOAD_ENTITIES and isinstance(v, str) and v in PAYLOAD_ENTITIES[k]
    }


def allowed_payload(text: str) -> str:
    """A message Rasa would read as a payload, rebuilt as "/intent" plus the entities the bot's
    buttons send, or else plain text with no leading "/"; other text unchanged."""
    if not text.lstrip().startswith("/"):
        return text
    found = PAYLOAD.match(text)
    if not found or found.group("intent") not in domain_intents():
        return text.lstrip().lstrip("/").lstrip()  # "/not_an_intent", "/x@y": plain text
    kept = button_entities(found.group("entities"))
    return f"/{found.group('intent')}" + (json.dumps(kept) if kept else "")


def client_metadata(given: Any, client: str | None) -> dict[str, Any]:
    kept = {k: v for k, v in given.items() if k in CLIENT_METADATA} if isinstance(given, dict) else {}
    return {**kept, CLIENT: client or "unknown"}


def too_fast(message: UserMessage) -> bool:
    per_minute = _int_setting("MESSAGES_PER_MINUTE", 30)
    per_client = _int_setting("MESSAGES_PER_MINUTE_PER_CLIENT", 600)
    client = (message.metadata or {}).get(CLIENT) or "unknown"
    try:
        by_conversation = limiter().hit(f"messages:conversation:{message.sender_id}", per_minute, 60)
        by_client = limiter().hit(f"messages:client:{client}", per_client, 60)
    except LimiterUnavailableError:
        return False  # no counts: better slow nobody down than answer nobody
    return not (by_conversation.allowed and by_client.allowed)


def guarded(on_new_message: OnNewMessage) -> OnNewMessage:
    limit = max_message_chars()

    async def handle(message: UserMessage) -> Any:
        text = clean_text(message.text)
        # Measured before anything parses it: a payload is text like any other.
        if len(text) > limit:
            reply = TOO_LONG.format(length=len(text), limit=limit)
            await message.output_channel.send_text_with_buttons(message.sender_id, reply, [TALK_TO_PERSON])
            return None
        message.text = allowed_payload(text)
        if not message.text.strip():
            await message.output_channel.send_text_message(message.sender_id, BLANK)
            return None
        if too_fast(message):
            await message.output_channel.send_text_message(message.sender_id, TOO_FAST)
            return None
        try:
            return await on_new_message(message)
        except LockError as exc:
            log.error("conversation %s not answered: %s", message.sender_id, exc)
            await message.output_channel.send_text_message(message.sender_id, NOT_NOW)
            return None

    return handle


def _origin(url: str) -> str | None:
    """scheme://host[:port] of a URL (what a browser sends as Origin)."""
    found = re.match(r"^([a-z][a-z0-9+.-]*://[^/?#]+)", url.strip(), re.IGNORECASE)
    return found.group(1) if found else None


def client_address(forwarded: str | None, peer: str | None) -> str | None:
    """The customer's address: the peer, or behind TRUSTED_PROXIES balancers the address they saw."""
    hops = _int_setting("TRUSTED_PROXIES", 0) if os.environ.get("TRUSTED_PROXIES") else 0
    if hops and forwarded:
        chain = [a.strip() for a in forwarded.split(",") if a.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return peer


class GuardedRestInput(RestInput):
    """Rasa's REST channel (same URL: /webhooks/rest/webhook) with the message checked first."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_metadata(self, request: Request) -> dict[str, Any]:
        client = client_address(request.headers.get("x-forwarded-for"), request.remote_addr or request.ip)
        return client_metadata(request.json.get("metadata"), client)

    def blueprint(self, on_new_message: OnNewMessage):  # noqa: ANN201 - a Sanic Blueprint
        webhook = super().blueprint(guarded(on_new_message))

        @webhook.on_request
        async def well_formed(request: Request):  # noqa: ANN202 - a Sanic middleware
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            try:
                body = request.json
            except Exception:  # Sanic's own 400 says why
                return None
            sender, text = (body.get("sender"), body.get("message")) if isinstance(body, dict) else (None, None)
            if not valid_sender(sender):
                return response.json(
                    {"error": f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} valid, printable characters"},
                    400,
                )
            if not isinstance(text, str):
                return response.json({"error": "'message' must be a string"}, 400)
            if "metadata" in body and not isinstance(body["metadata"], dict):
                return response.json({"error": "'metadata' must be an object"}, 400)
            return None

        return webhook


_handoff_http: Any = None


async def tell_handoff(conversation_id: str, what: str, body: dict[str, Any] | None = None) -> None:
    """Tell the handoff service about a customer's chat (`typing`, `presence`): an agent holding it
    sees the customer type, and a reply to a customer who left goes by email. Best effort: a signal
    that does not arrive is no loss, so errors are only logged."""
    global _handoff_http
    import aiohttp

    base = os.environ.get("HANDOFF_API_URL", "http://127.0.0.1:8000").rstrip("/")
    token = os.environ.get("HANDOFF_BOT_TOKEN", "")
    if _handoff_http is None or _handoff_http.closed:
        _handoff_http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TYPING_TIMEOUT_SECONDS))
    try:
        url = f"{base}/api/conversations/{quote(conversation_id, safe='')}/{what}"
        async with _handoff_http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as reply:
            await reply.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.debug("%s of %s not passed on: %s", what, conversation_id, exc)


class SocketIOOutputWithAgents(SocketIOOutput):
    """Rasa's socket.io output, except that a message an agent wrote (a live takeover: a `bot` event
    with the agent in its metadata) reaches the widget with its author, as `bot_uttered`
    {"text", "metadata": {"agent": {"name", "initial"}, "notice"?}}."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        agent = kwargs.get(AGENT)
        if not isinstance(agent, dict):
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        metadata = {AGENT: agent} | ({NOTICE: kwargs[NOTICE]} if kwargs.get(NOTICE) else {})
        # One bubble, as the agent wrote it (Rasa splits a bot's text at blank lines).
        await self._send_message(recipient_id, {"text": text, "metadata": metadata})


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same path and events) with the message checked first."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        """For messages sent through Rasa's HTTP API (`output_channel=socketio`): an agent's."""
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutputWithAgents(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: OnNewMessage):  # noqa: ANN201 - a Sanic Blueprint
        webhook = super().blueprint(guarded(on_new_message))
        origins = [o for o in os.environ.get("RASA_CORS_ORIGINS", "").split() if o and o != "*"]
        if origins:  # browsers on other sites may not open the customer socket
            own = _origin(os.environ.get("RASA_PUBLIC_URL", ""))
            self.sio.eio.cors_allowed_origins = origins + ([own] if own and own not in origins else [])
        namespace = self.namespace or "/"
        rasa_handler = self.sio.handlers[namespace][self.user_message_evt]

        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                return  # not a message the widget sends: nothing to answer
            if "session_id" in data and not valid_sender(data["session_id"]):
                await self.sio.emit(self.bot_message_evt, {"text": BAD_SENDER}, room=sid, namespace=namespace)
                return
            environ = self.sio.get_environ(sid, namespace) or {}
            client = client_address(environ.get("HTTP_X_FORWARDED_FOR"), environ.get("REMOTE_ADDR"))
            given = data.get(self.metadata_key)
            if isinstance(given, str):
                try:
                    given = json.loads(given)
                except ValueError:
                    given = {}
            await rasa_handler(sid, {**data, self.metadata_key: client_metadata(given, client)})

        self.sio.handlers[namespace][self.user_message_evt] = handle_message
        self._add_typing(webhook, namespace)
        self._add_presence(namespace)
        self._share_pushes(webhook)
        return webhook

    def _share_pushes(self, webhook: Any) -> None:
        """With several Rasa processes (the scaled setup), a message for a customer's widget (an
        agent's, sent through whichever replica Rasa's HTTP API call landed on) must reach the
        replica holding the customer's socket: with SOCKETIO_MESSAGE_QUEUE (a redis:// URL) every
        emit goes through Redis pub/sub (python-socketio's AsyncRedisManager) and each replica
        delivers to the sockets it holds. Empty (make run, one process): emits stay in process."""
        url = os.environ.get("SOCKETIO_MESSAGE_QUEUE", "").strip()
        if not url:
            return
        from socketio import AsyncRedisManager

        sio = self.sio
        manager = AsyncRedisManager(url, channel=os.environ.get("SOCKETIO_CHANNEL", "tier0-socketio"))
        manager.set_server(sio)
        sio.manager = manager

        # Listening from the start, not from the first customer's connection (python-socketio's
        # default): the first session_confirm would be published before anyone listened.
        @webhook.listener("after_server_start")
        async def listen(*_: Any) -> None:
            if not sio.manager_initialized:
                sio.manager_initialized = True
                manager.initialize()
            log.info("socket.io pushes shared through %s", url.split("@")[-1])

    def _add_presence(self, namespace: str) -> None:
        """Whether the customer's widget is open: its socket's session_request and disconnect, told
        to the handoff service. Counted per process: with several tabs open, the last one closed is
        the customer leaving."""
        sio = self.sio
        rasa_session_request = sio.handlers[namespace]["session_request"]
        rasa_disconnect = sio.handlers[namespace].get("disconnect")
        sessions: dict[str, str] = {}  # socket id -> conversation_id

        async def session_request(sid: str, data: Any) -> None:
            given = data.get("session_id") if isinstance(data, dict) else None
            if given is not None and not valid_sender(given):
                await sio.emit(self.bot_message_evt, {"text": BAD_SENDER}, room=sid, namespace=namespace)
                return
            await rasa_session_request(sid, data)
            # Rasa's handler makes up an id for a widget that has none yet (it writes it into `data`).
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if isinstance(session_id, str):
                first = session_id not in sessions.values()
                sessions[sid] = session_id
                if first:
                    await tell_handoff(session_id, "presence", {"online": True})

        async def disconnect(sid: str, *args: Any) -> None:
            if rasa_disconnect is not None:
                await rasa_disconnect(sid)
            session_id = sessions.pop(sid, None)
            if session_id is not None and session_id not in sessions.values():
                await tell_handoff(session_id, "presence", {"online": False})

        sio.handlers[namespace]["session_request"] = session_request
        sio.handlers[namespace]["disconnect"] = disconnect

    def _add_typing(self, webhook: Any, namespace: str) -> None:
        """Typing indicators of a live takeover (docs/takeover.md), both ways: the handoff service
        tells the customer's widget that the agent types (`POST /webhooks/socketio/agent_typing`,
        with Rasa's API token); the widget tells the handoff service that the customer types
        (socket.io `user_typing`, passed on with the bot's token)."""
        sio = self.sio

        @webhook.route("/agent_typing", methods=["POST"])
        async def agent_typing(request: Request):  # noqa: ANN202 - a Sanic handler
            token = os.environ.get("RASA_API_TOKEN", "")
            if not token or request.args.get("token") != token:
                return response.json({"error": "Rasa's API token is required (?token=)"}, 401)
            body = request.json if isinstance(request.json, dict) else {}
            conversation_id, agent = body.get("conversation_id"), body.get(AGENT)
            if not isinstance(conversation_id, str) or not conversation_id or not isinstance(agent, dict):
                return response.json({"error": "send {conversation_id, agent: {name, initial}}"}, 400)
            await sio.emit("agent_typing", {AGENT: agent}, room=conversation_id, namespace=namespace)
            return response.json({"sent": True})

        async def user_typing(sid: str, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if isinstance(session_id, str) and 0 < len(session_id) <= MAX_SENDER_CHARS:
                await tell_handoff(session_id, "typing")

        sio.on("user_typing", user_typing, namespace=namespace)
