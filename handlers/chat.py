"""The neutral message types that adapters translate to and from."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ChatKind(StrEnum):
    GROUP = "group"
    PRIVATE = "private"


@dataclass(frozen=True)
class Button:
    """An action offered to the reader; `action` is the text that typing would send.

    `choice`: the message's buttons with this flag are the answers of one question (满意 /
    基本满意 / 不满意): once one is pressed, none of them is offered any more. Any other
    button goes alone when pressed (接单 leaves 办结)."""

    label: str
    action: str
    choice: bool = False


@dataclass(frozen=True)
class Incoming:
    """One message, photo or button press, as an adapter saw it."""

    platform: str
    chat_id: str
    chat_kind: ChatKind
    sender_id: str
    sender_name: str
    text: str
    message_id: str
    at: datetime
    attachments: tuple[str, ...] = ()
    action: str | None = None  # set when this is a button press; the action text
    mentioned: bool = False  # the bot was @-mentioned (the adapter may also leave it in text)
    # a voice message: the platform's reference to the clip (Telegram file_id, WeChat message
    # id, console path), and once transcribed what came of it (handlers/voice.py's states)
    voice: str | None = None
    voice_state: str | None = None

    @property
    def sender_key(self) -> str:
        """The sender's identity, `platform:id`."""
        return f"{self.platform}:{self.sender_id}"


def strip_invisible(text: str) -> str:
    """Drop invisible format characters (Unicode category Cf): direction overrides and
    isolates (U+202A–U+202E, U+2066–U+2069), zero-width spaces and joiners (U+200B–U+200F),
    U+2060, U+FEFF, the soft hyphen…; they could reorder or hide what workers read."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")
