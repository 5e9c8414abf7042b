"""Command words at word boundaries, and the common ways residents put them.

A command word counts when it stands as a word of its own: followed by nothing, a space or
punctuation, a digit or a Latin letter (`报名E1`), or — glued to Chinese text — only when that
text evidently fills the command's slots (`上报楼道有电动车` yes, `上报纸上说` no). Words that
begin with a command word (报名费, 活动中心, 隐患排查) never are. Measured against jieba (see
bench/understanding.py): segmentation costs 0.8 s and 87 MB at start and ~70 µs a message, and
still splits 隐患/排查; this grammar costs a few µs."""

from __future__ import annotations

import re
from collections.abc import Callable

# words that begin with a command word and mean something else
COMPOUNDS = (
    "上报纸",
    "上报销",
    "上报刊",
    "上报员",
    "上报表",
    "上报社",
    "报名费",
    "报名表",
    "报名处",
    "报名点",
    "报名者",
    "报名单",
    "报名条件",
    "报名时间",
    "报名人数",
    "报名额",
    "报名参加",
    "报餐厅",
    "报餐费",
    "订餐厅",
    "助餐点",
    "活动中心",
    "活动室",
    "活动区",
    "活动场",
    "活动经费",
    "活动家",
    "活动量",
    "隐患排查",
    "隐患整改",
    "隐患点",
    "隐患清单",
    "举报电话",
    "举报人",
    "举报信",
    "举报箱",
    "举报中心",
    "举报者",
    "举报线索",
    "举报书",
    "反映论",
    "通知书",
    "通知单",
    "名单上",
    "建议书",
    "统计局",
    "统计表",
    "绑定银行卡",
    "代报名",
    "菜单栏",
    "进度条",
    "帮助中心",
)
# …unless the longer reading is a word of the lexicon: 上报纸箱堆在楼道 is 上报 + 纸箱
COMPOUND_EXCEPTIONS = ("上报纸箱", "上报纸板", "上报纸盒")

SEPARATORS = " \t\n\r:：,，、;；.。!！?？-—~"
# 我要上报 / 帮我报餐 / 麻烦上报 / 请反映: the command is what follows
LEAD_INS = re.compile(r"^(?:我想要|我要|我想|我来|请帮我|麻烦帮我|帮我|帮忙|麻烦你?|请|想要|想)\s*")
# 上报一下 / 反映一下 / 报个餐
FILLERS = re.compile(r"^(?:一下子?|下(?=$|[\s:：,，]))")
# nothing but particles after the command word: 上报 了吗 / 上报了吗？
PARTICLES = re.compile(r"^[\s了吗呢啊吧没有过的哦么嘛呀啦哈?？!！。.~…]*$")
# 3栋电瓶车进电梯了 上报一下: the command word at the end
TRAILING = re.compile(r"^(?P<body>.+?)[\s,，。!！]*(?:请|麻烦)?(?:上报|反映)(?:一下|下)?[。!！~]*$")
# E1 报名 (+2) / E2 取消报名
EVENT_FIRST = re.compile(r"^(?P<event>[Ee]\d{1,9})\s*(?P<word>取消报名|报名)\s*(?P<rest>.*)$")
# H1 接单 / H1 满意: the number first, nothing after it. Only verbs that carry no words of
# their own — 办结 H1's note or 不满意 H1's reason read after the number would guess at
# what "H1 办结了吗" means, and resolve it
TICKET_FIRST = re.compile(r"^(?P<number>[HhSs]\d{1,9})\s*(?P<word>接单|基本满意|满意)[\s。.!！~]*$")
QUESTION = re.compile(r"[吗呢谁啥?？]|什么|怎么|哪|多少|几点")


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def canonical(
    text: str,
    keywords: tuple[str, ...],
    report_body: Callable[[str], bool],
    rsvp_rest: Callable[[str], bool],
) -> str:
    """The text with its command word first: lead-ins dropped, trailing, E1-first and
    H1-first (H1 接单) forms turned around. Anything else is returned unchanged."""
    m = LEAD_INS.match(text)
    if m and m.end() < len(text) and text[m.end() :].startswith(keywords):
        text = text[m.end() :]
    if text.startswith("报个餐"):
        text = "报餐" + text[3:]
    if (e := EVENT_FIRST.match(text)) and rsvp_rest(e.group("rest")):
        return f"{e.group('word')} {e.group('event')} {e.group('rest')}".strip()
    if t := TICKET_FIRST.match(text):
        return f"{t.group('word')} {t.group('number')}"
    if not text.startswith(keywords) and (t := TRAILING.match(text)):
        body = t.group("body")
        if report_body(body):
            return "上报 " + body
    return text


def compound(text: str) -> bool:
    """Whether text begins with a word that only begins with a command word."""
    return text.startswith(COMPOUNDS) and not text.startswith(COMPOUND_EXCEPTIONS)


def split_rest(rest: str) -> tuple[str, bool, bool]:
    """(the arguments, whether they are glued to the word as Chinese text, particles only)."""
    rest = FILLERS.sub("", rest, count=1)
    if rest and PARTICLES.match(rest):
        return "", False, True
    glued = bool(rest) and is_cjk(rest[0])
    return rest, glued, False


def find_word(text: str, word: str) -> int:
    """Where `word` first stands as a command word inside text (not 上报纸, 报餐厅), or -1."""
    start = text.find(word)
    while start >= 0:
        if not compound(text[start:]):
            return start
        start = text.find(word, start + 1)
    return -1
