"""Every command in one list: the registry matches text to a command and checks roles."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from handlers import texts
from handlers.context import Context, UserError
from handlers.understanding import SlotError, fold, normalize_mention, parse_rsvp
from handlers.understanding.commands import canonical, compound, split_rest

Handler = Callable[[Context, str], Awaitable[None]]
# a shared verb on one feature's numbers: (ctx, the number, the rest) — 办结 S3 已上门
NumberHandler = Callable[[Context, int, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A command: its Chinese keywords, its slash names, who may use it and how."""

    name: str
    keywords: tuple[str, ...]
    slash: tuple[str, ...]
    handler: Handler
    summary: str  # one line for 帮助
    usage: str
    english: str = ""  # the commands menu in English (Telegram)
    roles: frozenset[str] | None = None  # None: anyone
    takes_args: bool = True  # False: the keyword must stand alone, so chatter never matches
    private_only: bool = False  # in a group it is not even recognised: no chatter there
    pattern: str | None = None  # a regular expression the whole text may match instead
    # glued to Chinese text in a group (报餐明天午餐), the word counts only when this accepts
    # the rest; without it never (in a group 建议大家… is talk, not a suggestion)
    glued: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class Match:
    command: Command | None  # None: an unknown slash command
    word: str  # what the user typed to name it
    args: str
    private_here: bool = False  # a private-only command said in a group: say where to say it
    confidence: float = 1.0  # 1: a word of its own; lower: glued to its arguments
    # a shared verb on another feature's number (接单 S1): that feature's handler
    handler: Handler | None = None


_SLASH = re.compile(r"^/(?P<name>[A-Za-z0-9_]+)(?:@(?P<bot>\S+))?(?:\s+|$)")
_ARG_LEAD = " \t\n\r:：,，、"
_CONTROL_OK = {"\n", "\r", "\t"}
# a numbered thing after a verb: its prefix letter, its number, the rest (S3 已上门)
_NUMBERED = re.compile(r"^(?P<prefix>[A-Za-z])(?P<number>\d{1,9})(?:\s+(?P<rest>.*))?$", re.S)


def normalize(text: str) -> str:
    """Fold full-width forms (Ｈ１ → H1) and traditional characters (上報 → 上报), and trim."""
    return fold(text).strip()


def _rsvp_rest(rest: str) -> bool:
    try:
        parse_rsvp("E1 " + rest)
    except SlotError:
        return False
    return True


def _runs_on(c: str) -> bool:
    """Whether a keyword followed by c is the start of a longer word (统计一下), not a command."""
    return c.isalpha() and not c.isascii()


def has_control_chars(text: str) -> bool:
    """Whether text carries control characters other than line breaks and tabs."""
    return any(unicodedata.category(c) == "Cc" and c not in _CONTROL_OK for c in text)


class Registry:
    """Collects the commands of every feature module; refuses a name used twice."""

    def __init__(
        self, bot_names: Iterable[str], glued: Mapping[str, Callable[[str], bool]] | None = None
    ) -> None:
        self._glued = dict(glued or {})  # per command name, overriding Command.glued
        self._keywords: tuple[str, ...] = ()  # longest first
        self._commands: list[Command] = []
        self._by_keyword: dict[str, Command] = {}
        self._by_slash: dict[str, Command] = {}
        self._patterns: list[tuple[re.Pattern[str], Command]] = []
        self._continuations: dict[str, Command] = {}
        self._verbs: dict[tuple[str, str], NumberHandler] = {}  # (command, prefix) → handler
        self._bot_names = tuple(bot_names)

    def add(self, *commands: Command) -> None:
        """Register commands; a keyword or slash name already taken is an error at start."""
        for cmd in commands:
            for word in cmd.keywords:
                if word in self._by_keyword:
                    raise ValueError(
                        f"keyword {word!r} of {cmd.name} is taken by {self._by_keyword[word].name}"
                    )
                self._by_keyword[word] = cmd
            self._keywords = tuple(sorted(self._by_keyword, key=len, reverse=True))
            for name in cmd.slash:
                if name in self._by_slash:
                    raise ValueError(
                        f"/{name} of {cmd.name} is taken by {self._by_slash[name].name}"
                    )
                self._by_slash[name] = cmd
            if cmd.pattern is not None:
                self._patterns.append((re.compile(cmd.pattern, re.S), cmd))
            self._commands.append(cmd)

    def add_continuation(self, kind: str, cmd: Command) -> None:
        """The command that takes the answer to a question of `kind` the bot asked."""
        if kind in self._continuations:
            raise ValueError(f"continuation {kind!r} is registered twice")
        self._continuations[kind] = cmd

    def add_verbs(self, prefix: str, verbs: Mapping[str, NumberHandler]) -> None:
        """What shared verbs (接单, 办结, 满意 …) mean for one feature's numbers (接单 S1 is
        the orders'); a verb that is no command's word, or said twice, is an error at start."""
        for word, handler in verbs.items():
            cmd = self._by_keyword.get(word)
            if cmd is None:
                raise ValueError(f"verb {word!r} for {prefix}-numbers is no command's word")
            key = (cmd.name, prefix.upper())
            if key in self._verbs:
                raise ValueError(f"{word} {prefix}… is registered twice")
            self._verbs[key] = handler

    def continuation(self, kind: str) -> Command | None:
        return self._continuations.get(kind)

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(self._commands)

    def strip_mention(self, text: str) -> tuple[str, bool]:
        """Normalise, and remove leading @mentions (of anyone); whether the bot was one."""
        return normalize_mention(text, self._bot_names)

    def _glued_ok(self, cmd: Command, rest: str, group: bool) -> bool:
        """Glued to Chinese text: in a private chat it is meant for the bot; in a group only
        when the text evidently fills the command (上报楼道有电动车, 报餐明天午餐)."""
        if not group:
            return True
        check = self._glued.get(cmd.name, cmd.glued)
        return check is not None and check(rest)

    def match(self, text: str, *, group: bool = False) -> Match | None:
        """The command a text invokes, or None when it is no command (chatter)."""
        found = self._routed(self._match(text, group))
        if group and found is not None and found.command and found.command.private_only:
            # clearly meant as the command (a slash, an @mention, or the keyword standing
            # alone: 表决 P1 同意, 统计): told to write privately; else chatter (满意了吧)
            # (as typed: 【通知】明天上午停电 is a notice passed on, not the command)
            typed = normalize(text)
            _, mentioned = self.strip_mention(typed)
            rest = typed[len(found.word) :] if typed.startswith(found.word) else None
            alone = rest is not None and (not rest or not _runs_on(rest[0]))
            if found.word.startswith("/") or mentioned or alone:
                return Match(found.command, found.word, found.args, private_here=True)
            return None
        return found

    def _routed(self, found: Match | None) -> Match | None:
        """A shared verb on a number another feature registered (接单 S1): its handler."""
        if found is None or found.command is None or not self._verbs:
            return found
        m = _NUMBERED.match(found.args)
        verb = self._verbs.get((found.command.name, m["prefix"].upper())) if m else None
        if m is None or verb is None:
            return found
        number, rest = int(m["number"]), (m["rest"] or "").strip()

        async def handler(ctx: Context, _args: str) -> None:
            await verb(ctx, number, rest)

        return dataclasses.replace(found, handler=handler)

    def _match(self, text: str, group: bool = False) -> Match | None:
        text, _ = self.strip_mention(text)
        m = _SLASH.match(text)
        if m:
            bot = m.group("bot")
            if bot is not None and bot not in self._bot_names:
                return None  # a command for another bot in the group
            name = m.group("name").lower()
            return Match(self._by_slash.get(name), "/" + name, text[m.end() :].strip())
        report = self._glued.get("report")
        text = canonical(text, self._keywords, report or (lambda _: False), _rsvp_rest)
        for word in self._keywords:
            if not text.startswith(word):
                continue
            cmd = self._by_keyword[word]
            rest = text[len(word) :]
            if not cmd.takes_args:
                if rest.strip(" 。.!！?？"):
                    continue
                return Match(cmd, word, "")
            if compound(text):
                return None  # 报名费, 活动中心, 隐患排查: another word, not a command
            rest, glued, particles = split_rest(rest)
            if particles:
                return None  # 上报了吗？
            if glued and not self._glued_ok(cmd, rest, group):
                continue
            return Match(
                cmd, word, rest.lstrip(_ARG_LEAD).strip(), confidence=0.8 if glued else 1.0
            )
        for pattern, cmd in self._patterns:
            if pattern.fullmatch(text):
                return Match(cmd, text, text)
        return None

    def visible_to(self, roles: frozenset[str]) -> list[Command]:
        """The commands a person with `roles` may use, in registration order."""
        return [c for c in self._commands if c.roles is None or not c.roles.isdisjoint(roles)]


async def dispatch(match: Match, ctx: Context) -> None:
    """Run a matched command after checking who may use it; UserError on refusal."""
    cmd = match.command
    if cmd is None:
        raise UserError(texts.UNKNOWN_COMMAND.format(command=match.word))
    if match.private_here:
        if cmd.roles is not None and not ctx.sender.has_any(*cmd.roles):
            return  # not theirs to use: said in passing, and the bot does not chatter there
        raise UserError(texts.PRIVATE_ONLY.format(command=match.word))
    if cmd.roles is not None and not ctx.sender.has_any(*cmd.roles):
        names = "、".join(texts.ROLE_NAMES.get(r, r) for r in sorted(cmd.roles))
        raise UserError(texts.NOT_ALLOWED.format(command=match.word, roles=names))
    await (match.handler or cmd.handler)(ctx, match.args)
