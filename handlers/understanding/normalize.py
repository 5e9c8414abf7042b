"""Normalisation before anything is understood: one form for the many ways a text is typed.

Full-width letters, digits and punctuation (NFKC), traditional characters (OpenCC t2s, the
official binding: 11 ms to load, ~1 µs a message, measured in bench/understanding.py),
brackets and colons around a command (`【上报】…`, `上报：…`), spaces inside a place
(`6 号楼`), emoji and WeChat's bracketed stickers (`[强]`), and leading @mentions of anyone
(`@所有人 上报 …`, `@王阿姨 …`, with WeChat's U+2005 or ordinary spaces)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

# NFKC folds full-width forms (Ｈ１ → H1, ： → :, ， → ,) and U+2005 → space; these stay
# Chinese because the grammar reads them (NFKC leaves 【】、。 alone already)
_BRACKETS = re.compile(r"^[【\[〔（(「『<《]\s*([^】\]〕）)」』>》]{1,8}?)\s*[】\]〕）)」』>》]\s*")
_STICKER = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]")  # WeChat's [强] [微笑] [捂脸]
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols & pictographs ext
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2b00-\u2bff"
    "\ufe0f\u200d\u20e3"  # variation selector, joiner, keycap
    "]+"
)
# 6 号楼 / 3 栋 / 2 单元 / 3# : a number and its place word belong together
_PLACE_SPACE = re.compile(r"(?<=[\d一二三四五六七八九十两])\s+(?=号楼|栋|幢|单元|#|号)")
_MENTION = re.compile(r"^@[^\s@]{1,30}\s+")
_SPACES = re.compile(r"[ \t]+")


def fold(text: str) -> str:
    """Full-width and compatibility forms to their plain forms; traditional to simplified."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _T2S.convert(text)
    return text


@lru_cache(maxsize=4096)
def _normalize(text: str, bot_names: tuple[str, ...]) -> tuple[str, bool]:
    text = fold(text).strip()
    text = _EMOJI.sub(" ", text)
    text = _STICKER.sub(" ", text)
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
