"""Normalisation before anything is understood: one form for the many ways a text is typed.

Full-width letters, digits and symbols, traditional characters (OpenCC t2s, the official
binding: ~0.1 s to load, ~1 µs a message, measured in bench/understanding.py), a bracketed
command word (`【上报】…`; a colon after it is an argument separator), spaces inside a place
(`6 号楼`), emoji and WeChat's bracketed stickers around a message (`[强]`), and leading
@mentions of anyone (`@所有人 上报 …`, `@王阿姨 …`, with WeChat's U+2005 or plain spaces).
Chinese punctuation stays: it is part of what staff write in notices and notes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

# full-width letters, digits and the symbols commands use (Ｈ１ → H1, ＋２ → +2); Chinese
# punctuation (：，（）) stays, it is part of what residents and staff write (notices, notes)
_FULL_WIDTH = {
    **{c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)},  # ０-９
    **{c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
    **{c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)},  # ａ-ｚ
    **{ord(c): ord(c) - 0xFEE0 for c in "＃＠／－＋＝．％"},
    0x3000: 0x20,  # ideographic space
    0x2005: 0x20,  # WeChat's separator after an @mention
    0x00A0: 0x20,
    0x2002: 0x20,
    0x2003: 0x20,
    0x2009: 0x20,
}
_BRACKETS = re.compile(r"^[【\[〔（(「『<《]\s*([^】\]〕）)」』>》]{1,8}?)\s*[】\]〕）)」』>》]\s*")
_EMOJI = (
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols & pictographs ext
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2b00-\u2bff"
    "\ufe0f\u200d\u20e3"  # variation selector, joiner, keycap
    "]+"
)
# emoji and stickers around a message (报餐 明天 午餐 😊, 👍👍) — inside a text they are content
_DECOR = rf"\s*(?:{_EMOJI}|\[[\u4e00-\u9fffA-Za-z]{{1,6}}\])"  # WeChat's [强] [微笑]
_EDGE_EMOJI = re.compile(rf"^(?:{_DECOR})+|(?:{_DECOR})+\s*$")
# 6 号楼 / 3 栋 / 2 单元 / 3# : a number and its place word belong together
_PLACE_SPACE = re.compile(r"(?<=[\d一二三四五六七八九十两])\s+(?=号楼|栋|幢|单元|#|号)")
_MENTION = re.compile(r"^@[^\s@]{1,30}\s+")
_SPACES = re.compile(r"[ \t]+")


def fold(text: str) -> str:
    """Full-width letters, digits and symbols to plain ones; traditional to simplified."""
    text = text.translate(_FULL_WIDTH)
    if not text.isascii():
        text = _T2S.convert(text)
    return text


@lru_cache(maxsize=4096)
def _normalize(text: str, bot_names: tuple[str, ...]) -> tuple[str, bool]:
    text = fold(text).strip()
    text = _EDGE_EMOJI.sub("", text).strip()
    mentioned = False
    while text.startswith("@"):
        for name in bot_names:
            if text.startswith("@" + name):
                text = text[len(name) + 1 :].lstrip()
                mentioned = True
                break
        else:
            m = _MENTION.match(text)
            if m is None:
                break
            text = text[m.end() :]
    m = _BRACKETS.match(text)
    if m:  # 【上报】9栋 … → 上报 9栋 …
        text = m.group(1) + " " + text[m.end() :]
    text = _PLACE_SPACE.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text, mentioned


def normalize(text: str, bot_names: Iterable[str] = ()) -> str:
    """The one form every rule reads."""
    return _normalize(text, tuple(bot_names))[0]


def normalize_mention(text: str, bot_names: Iterable[str]) -> tuple[str, bool]:
    """The normal form, and whether it began with an @mention of the bot."""
    return _normalize(text, tuple(bot_names))
