"""Voice messages, once transcribed: read the transcript back, and act on it only when the
sender confirms it ("是") or types a correction. The recogniser itself is bot/voice.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers import texts
from handlers.chat import Button, Incoming
from handlers.context import Context
from handlers.registry import Command
from storage.questions import PendingQuestion

# Incoming.voice_state: what became of a voice message
HEARD = "heard"  # text is the transcript, to be read back
CONFIRMED = "confirmed"  # text is a transcript the sender confirmed (or typed over)
UNCLEAR = "unclear"  # nothing intelligible within the cap
TOO_LONG = "too_long"
BUSY = "busy"  # too many clips waiting
DEAF = "deaf"  # no recogniser installed
FAILED = "failed"  # the clip could not be fetched or decoded

CONFIRM = "voice_confirm"  # the pending question's kind
MAX_REFERENCE = 300  # pending_questions.photo
NO = frozenset({"不是", "不对", "取消", "算了", "错了", "no", "n"})
_TRIM = re.compile(r"[\s。.!！,，~～]+")

_PROBLEMS = {
    UNCLEAR: texts.VOICE_UNCLEAR,
    TOO_LONG: texts.VOICE_TOO_LONG,
    BUSY: texts.VOICE_BUSY,
    DEAF: texts.VOICE_DEAF,
    FAILED: texts.VOICE_UNCLEAR,
}


@dataclass(frozen=True)
class Answer:
    """How a typed reply to a read-back is taken."""

    text: str | None  # what to handle as if typed; None when the transcript was refused
    confirmed: bool  # the sender said yes to the transcript as it stands


def answer(question: PendingQuestion, reply: str) -> Answer:
    """是 → the transcript; 不是/取消 → nothing; anything else → the typed correction."""
    said = _TRIM.sub("", reply).lower()
    if said in texts.YES_WORDS:
        return Answer(question.text, True)
    if said in NO:
        return Answer(None, False)
    return Answer(reply.strip(), False)


def from_voice(msg: Incoming | None) -> str | None:
    """The audio reference of a confirmed voice message (for the report), else None."""
    if msg is None or msg.voice_state != CONFIRMED:
        return None
    return msg.voice


async def heard(ctx: Context, args: str) -> None:
    """A transcribed voice message: read it back and wait for 是 or a correction; or say
    politely why it was not understood (only in private chats and to commands in groups:
    the bot does not answer a group's voice chatter)."""
    msg = ctx.incoming
    assert msg is not None
    state = msg.voice_state
    if state != HEARD or not args:
        if not ctx.in_group:
            await ctx.reply(_PROBLEMS.get(state or UNCLEAR, texts.VOICE_UNCLEAR))
        return
    await ctx.ask(
        CONFIRM,
        args,
        # the clip, kept for the report (a reference longer than the column is not kept)
        photo=msg.voice if msg.voice and len(msg.voice) <= MAX_REFERENCE else None,
    )
    await ctx.reply(
        texts.VOICE_READ_BACK.format(text=args),
        [Button(texts.VOICE_YES_BUTTON, "是"), Button(texts.VOICE_NO_BUTTON, "取消")],
    )


async def refused(ctx: Context, args: str) -> None:
    """The sender said the transcript was wrong (不是/取消)."""
    await ctx.reply(texts.VOICE_CANCELLED)


async def nothing_to_do(ctx: Context, args: str) -> None:
    """A confirmed transcript that is no command."""
    await ctx.reply(texts.VOICE_NO_COMMAND.format(text=args))


HEARD_COMMAND = Command(name="voice", keywords=(), slash=(), handler=heard, summary="", usage="")
REFUSED_COMMAND = Command(
    name="voice_refused", keywords=(), slash=(), handler=refused, summary="", usage=""
)
NO_COMMAND = Command(
    name="voice_no_command", keywords=(), slash=(), handler=nothing_to_do, summary="", usage=""
)
