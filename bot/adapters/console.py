"""The console chat: one simulated group plus private chats, for demos and scripted tests."""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.adapters.base import Outbound, with_mentions
from bot.config import CONSOLE_GROUP
from bot.pacing import Pacer
from handlers.chat import ChatKind, Incoming
from handlers.clock import ManualClock

_LINE = re.compile(
    r"^(?P<name>[^:：>＞\s][^:：>＞]{0,49}?)\s*(?P<sep>[:：>＞])\s?(?P<text>.*)$", re.S
)
_PHOTO = re.compile(r"^\[(?:图片|photo)\]\s*", re.I)
_VOICE = re.compile(r"^/voice\s+(?P<path>\S.*?)\s*$")
_TICK = re.compile(r"^/tick\s+(?P<spec>\S+)\s*$")
_SPAN = re.compile(r"(\d+)\s*(d|h|m|s)")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(spec: str) -> timedelta | None:
    """'31m', '2h', '1d12h', '90s' → timedelta; None when it is not one."""
    pos, total = 0, timedelta(0)
    for m in _SPAN.finditer(spec):
        if m.start() != pos:
            return None
        total += timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
        pos = m.end()
    return total if pos == len(spec) and pos > 0 else None


@dataclass(frozen=True)
class Tick:
    delta: timedelta


class ConsoleAdapter:
    """Prints deliveries as `[群] …` and `[私聊 NAME] …`; turns input lines into Incoming."""

    platform = "console"
    pacer: Pacer | None = None
    max_text = 100_000

    def __init__(self, clock: ManualClock, out: TextIO | None = None) -> None:
        self._clock = clock
        self._out = out or sys.stdout
        self._run = uuid.uuid4().hex[:8]  # message ids stay unique across runs on one database
        self._seq = 0
        self._photos = 0

    async def send(self, message: Outbound) -> None:
        where = "[群]" if message.is_group else f"[私聊 {message.chat_id}]"
        if message.pin:
            where += "[置顶]"
        text = with_mentions(message, lambda name: f"@{name} ")
        if message.photo:
            text = f"[图片 {message.photo}] {text}"
        if message.document:
            text = f"{text}\n[文件 {message.document}]"
        lines = text.split("\n")
        out = [f"{where} {lines[0]}", *(f"    {line}" for line in lines[1:])]
        if message.buttons:
            out.append("    " + " ".join(f"[{b.label}]" for b in message.buttons))
        self._out.write("\n".join(out) + "\n")
        self._out.flush()

    def parse(self, line: str) -> Incoming | Tick | str | None:
        """An input line as a message, a clock tick, an error text, or None (blank, comment)."""
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            return None
        tick = _TICK.match(line.strip())
        if tick:
            delta = parse_duration(tick.group("spec"))
            return Tick(delta) if delta is not None else "用法：/tick 31m（也可写 2h、1d、90s）"
        m = _LINE.match(line)
        if not m:
            return (
                "格式：名字: 内容（在群里说）或 名字> 内容（私聊机器人），"
                "名字: /voice 录音.wav 发语音，/tick 31m 让时间前进"
            )
        name, sep, text = m.group("name").strip(), m.group("sep"), m.group("text").strip()
        private = sep in ">＞"
        attachments: tuple[str, ...] = ()
        voice = _VOICE.match(text)
        if voice:  # NAME: /voice clip.wav — a voice message, the clip read from the file
            text = ""
        elif _PHOTO.match(text):
            self._photos += 1
            attachments = (f"photo-{self._run}-{self._photos}",)
            text = _PHOTO.sub("", text)
        self._seq += 1
        return Incoming(
            platform=self.platform,
            chat_id=name if private else CONSOLE_GROUP,
            chat_kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
            sender_id=name,
            sender_name=name,
            text=text,
            message_id=f"{self._run}-{self._seq}",
            at=self._clock.now(),
            attachments=attachments,
            voice=voice.group("path") if voice else None,
        )

    async def fetch_voice(self, ref: str) -> bytes:
        """The clip of a `/voice path` line."""
        return await asyncio.to_thread(Path(ref).expanduser().read_bytes)
