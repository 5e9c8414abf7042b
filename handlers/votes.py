"""议事 and 表决: residents' suggestions answered in chat, and household votes on proposals
under Civil Code Art. 278 (participation by households and by floor area, then consent)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from handlers import texts
from handlers.chat import Button
from handlers.context import Context, UserError
from handlers.exports import write_table
from handlers.feature import Due, Feature
from handlers.places import find_place
from handlers.registry import Command, NumberHandler
from handlers.rsvp import parse_when
from storage import NotFound
from storage.households import Household
from storage.votes import Proposal, Suggestion

ADMINS = frozenset({"admin", "branch", "community"})
WHOLE = "全小区"
PROPOSAL_NUMBER = re.compile(r"^[Pp](\d{1,9})(?:\s+(?P<rest>.*))?$", re.S)
SUGGESTION_NUMBER = re.compile(r"^[Jj](\d{1,9})(?:\s+(?P<rest>.*))?$", re.S)
_CUSTOM = re.compile(r"^参与\s*(?P<p>\d+/\d+|\d+%)\s*同意\s*(?P<c>过半|\d+/\d+|\d+%)$")
RULES = {"ordinary": ("2/3", "1/2", True), "major": ("2/3", "3/4", False)}
RULE_WORDS = {
    "普通": "ordinary",
    "一般": "ordinary",
    "重大": "major",
    "改建": "major",
    "电梯": "major",
}
BACKERS_NEEDED = 5
RATINGS = texts.RATING_WORDS


@dataclass(frozen=True)
class Rule:
    participation: Fraction  # at least this share of households and of area take part
    consent: Fraction  # of those taking part, by households and by area, agree …
    strict: bool  # … more than (True) or at least (False) this share


@dataclass(frozen=True)
class Tally:
    households: int
    area: Fraction
    voted: int
    area_voted: Fraction
    yes: int
    area_yes: Fraction
    participation_ok: bool
    consent_ok: bool

    @property
    def passed(self) -> bool:
        return self.participation_ok and self.consent_ok


def _share(part: Fraction | int, whole: Fraction | int) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def tally(rule: Rule, homes: list[tuple[int, Fraction]], choices: dict[int, str]) -> Tally:
    """The result of a vote: `homes` are (household, area) in scope, `choices` their votes.

    Exact fractions, so that exactly two thirds or three quarters land where the law says."""
    scope = dict(homes)
    counted = {h: c for h, c in choices.items() if h in scope}  # never outside the scope
    area = sum(scope.values(), Fraction(0))
    area_voted = sum((scope[h] for h in counted), Fraction(0))
    yes = [h for h, c in counted.items() if c == "yes"]
    area_yes = sum((scope[h] for h in yes), Fraction(0))
    participation_ok = bool(scope) and (
        _share(len(counted), len(scope)) >= rule.participation
        and _share(area_voted, area) >= rule.participation
    )
    by_heads = _share(len(yes), len(counted))
    by_area = _share(area_yes, area_voted)
    if rule.strict:
        consent_ok = by_heads > rule.consent and by_area > rule.consent
    else:
        consent_ok = by_heads >= rule.consent and by_area >= rule.consent
    return Tally(
        len(scope),
        area,
        len(counted),
        area_voted,
        len(yes),
        area_yes,
        participation_ok,
        bool(counted) and consent_ok,
    )


def rule_of(p: Proposal) -> Rule:
    return Rule(Fraction(p.participation), Fraction(p.consent), p.consent_strict)


def rule_text(p: Proposal) -> str:
    if p.rule in texts.VOTE_RULES:
        return texts.VOTE_RULES[p.rule]
    return texts.VOTE_CUSTOM_RULE.format(
        p=p.participation, c=p.consent, cmp=">" if p.consent_strict else "≥"
    )


def _fraction(word: str) -> Fraction:
    if word == "过半":
        return Fraction(1, 2)
    if word.endswith("%"):
        return Fraction(int(word[:-1]), 100)
    return Fraction(word)


def parse_rule(word: str) -> tuple[str, str, str, bool]:
    """普通 / 重大 / 参与2/3 同意3/4 → (kind, participation, consent, strict)."""
    if word in RULE_WORDS:
        kind = RULE_WORDS[word]
        participation, consent, strict = RULES[kind]
        return kind, participation, consent, strict
    m = _CUSTOM.match(word)
    if m is None:
        raise UserError(texts.PROPOSAL_BAD_RULE.format(rule=word))
    p, c = _fraction(m.group("p")), _fraction(m.group("c"))
    if not (0 < p <= 1 and 0 < c <= 1):
        raise UserError(texts.PROPOSAL_BAD_RULE.format(rule=word))
    return "custom", str(p), str(c), m.group("c") == "过半"


def in_scope(scope: str, h: Household) -> bool:
    return scope == WHOLE or h.address.startswith(scope)


async def scope_homes(ctx: Context, scope: str) -> list[Household]:
    return [h for h in await ctx.uow.households.every() if in_scope(scope, h)]


def _area(h: Household) -> Fraction:
    return Fraction(str(h.area)) if h.area else Fraction(0)


def _fmt(x: Fraction) -> str:
    return f"{float(x):g}"


# --- suggestions ----------------------------------------------------------------------------


async def suggest(ctx: Context, args: str) -> None:
    """建议 小区东门晚上加装路灯: to the branch, answered in chat."""
    if not args.strip():
        raise UserError(texts.SUGGEST_USAGE)
    s = await ctx.uow.votes.suggest(person_id=ctx.sender.id, text=args.strip(), at=ctx.now)
    branch = await ctx.uow.people.with_role(role="branch")
    for person in branch:
        await ctx.tell(
            person, texts.SUGGEST_ALERT.format(number=s.number, name=ctx.sender.name, text=s.text)
        )
    await ctx.reply(
        texts.SUGGEST_FILED.format(
            number=s.number, who="、".join(p.name for p in branch) or "党支部"
        )
    )


async def _suggestion(ctx: Context, number: str) -> Suggestion:
    try:
        return await ctx.uow.votes.suggestion(suggestion_id=int(number))
    except NotFound:
        raise UserError(texts.SUGGEST_NO_SUCH.format(number=f"J{number}")) from None


async def answer(ctx: Context, args: str) -> None:
    """答复 J1 内容 (branch, community, admins)."""
    m = SUGGESTION_NUMBER.match(args.strip())
    if m is None or not (m.group("rest") or "").strip():
        raise UserError(texts.SUGGEST_ANSWER_USAGE)
    s = await _suggestion(ctx, m.group(1))
    reply = (m.group("rest") or "").strip()
    await ctx.uow.votes.answer_suggestion(
        suggestion_id=s.id, by=ctx.sender.id, answer=reply, at=ctx.now
    )
    resident = await ctx.uow.people.get(person_id=s.person_id)
    await ctx.tell(
        resident,
        texts.SUGGEST_ANSWER_TO_RESIDENT.format(
            number=s.number,
            text=s.text,
            answer=reply,
            who=ctx.sender.name,
        ),
        [Button(w, f"{w} {s.number}", choice=True) for w in RATINGS],
    )
    await ctx.reply(texts.SUGGEST_ANSWERED.format(number=s.number))


def suggestion_rating(word: str) -> NumberHandler:
    """The handler of one verdict on an answered suggestion: 满意 J1, 不满意 J1 原因 …"""

    async def rate_it(ctx: Context, number: int, reason: str) -> None:
        await rate_suggestion(ctx, str(number), word, reason)

    return rate_it


async def rate_suggestion(ctx: Context, number: str, word: str, reason: str) -> None:
    """满意 J1 / 不满意 J1 原因: 不满意 goes back to whoever answered."""
    s = await _suggestion(ctx, number)
    if s.person_id != ctx.sender.id:
        raise UserError(texts.RATING_NOT_YOURS.format(number=s.number))
    if s.status != "answered":
        raise UserError(texts.RATING_NOT_RESOLVED.format(number=s.number))
    if RATINGS[word] == "unsatisfied" and not reason:
        raise UserError(texts.RATING_NEED_REASON.format(number=s.number))
    reopen = RATINGS[word] == "unsatisfied" and s.answered_by is not None
    if not await ctx.uow.votes.rate_suggestion(
        suggestion_id=s.id, rating=RATINGS[word], reopen=reopen
    ):  # reopened by an earlier 不满意 a moment ago
        raise UserError(texts.RATING_NOT_RESOLVED.format(number=s.number))
    if reopen and s.answered_by is not None:
        who = await ctx.uow.people.get(person_id=s.answered_by)
        await ctx.tell(
            who,
            texts.REOPEN_ALERT.format(
                number=s.number,
                name=ctx.sender.name,
                reason=reason or texts.NO_REASON,
                alert=s.text,
            ).replace("办结", "答复"),
        )
        await ctx.reply(texts.RATING_REOPENED.format(number=s.number, worker=who.name))
        return
    await ctx.reply(texts.RATING_THANKS.format(rating=word))


# --- proposals ------------------------------------------------------------------------------


async def propose(ctx: Context, args: str) -> None:
    """发起表决 3栋 12月10日 18:00 重大 加装电梯方案."""
    msg = ctx.incoming
    assert msg is not None
    scope_word, _, rest = args.strip().partition(" ")
    if not scope_word:
        raise UserError(texts.PROPOSAL_USAGE)
    if scope_word in (WHOLE, "小区", "全体"):
        scope = WHOLE
    else:
        place = find_place(scope_word, ctx.settings.building_aliases)
        if place is None or place.room is not None:
            raise UserError(texts.PROPOSAL_BAD_SCOPE.format(scope=scope_word))
        scope = place.label
    homes = await scope_homes(ctx, scope)
    if not homes:
        raise UserError(texts.PROPOSAL_EMPTY_SCOPE.format(scope=scope))
    parsed = parse_when(ctx, rest.strip())
    if parsed is None:
        raise UserError(texts.PROPOSAL_USAGE)
    deadline, rest = parsed
    if deadline <= ctx.now:
        raise UserError(texts.PROPOSAL_PAST.format(time=ctx.fmt(deadline)))
    rule_word, _, text = rest.partition(" ")
    if rule_word.startswith("参与"):  # 参与2/3 同意3/4: the rule has a space in it
        second, _, text = text.partition(" ")
        rule_word = f"{rule_word} {second}"
    kind, participation, consent, strict = parse_rule(rule_word.strip())
    if not text.strip():
        raise UserError(texts.PROPOSAL_USAGE)
    staff = ctx.sender.has_any(*ADMINS)
    # residents of the scope back it: five of them, or every other one where there are fewer
    members = {m for h in homes for m in await ctx.uow.households.members(household_id=h.id)}
    needed = max(1, min(BACKERS_NEEDED, len(members - {ctx.sender.id})))
    proposal = await ctx.uow.votes.propose(
        scope=scope,
        text=text.strip(),
        deadline=deadline,
        rule=kind,
        participation=participation,
        consent=consent,
        consent_strict=strict,
        status="open" if staff else "backing",
        backers_needed=0 if staff else needed,
        created_by=ctx.sender.id,
        created_at=ctx.now,
        origin_platform=msg.platform,
        origin_chat=msg.chat_id,
    )
    if not staff:
        await ctx.reply(texts.PROPOSAL_NEEDS_BACKING.format(number=proposal.number, needed=needed))
        return
    await _open(ctx, proposal, homes)


async def _open(
    ctx: Context, proposal: Proposal, homes: list[Household], *, proposer: bool = True
) -> None:
    """Post the proposal to the groups; its proposer is told (the sender, or privately)."""
    area = sum((_area(h) for h in homes), Fraction(0))
    fields = dict(
        number=proposal.number,
        text=proposal.text,
        scope=proposal.scope,
        households=len(homes),
        area=_fmt(area),
        rule=rule_text(proposal),
        deadline=ctx.fmt(proposal.deadline),
    )
    for group in ctx.settings.groups:
        await ctx.post(group, texts.PROPOSAL_POST.format(**fields))
    if proposer:
        await ctx.reply(texts.PROPOSAL_OPENED.format(**fields))
    else:
        who = await ctx.uow.people.get(person_id=proposal.created_by)
        await ctx.tell(who, texts.PROPOSAL_OPENED.format(**fields))


async def _proposal(ctx: Context, args: str, usage: str) -> tuple[Proposal, str]:
    m = PROPOSAL_NUMBER.match(args.strip())
    if m is None:
        raise UserError(usage)
    try:
        p = await ctx.uow.votes.proposal(proposal_id=int(m.group(1)))
    except NotFound:
        raise UserError(texts.PROPOSAL_NO_SUCH.format(number=f"P{m.group(1)}")) from None
    return p, (m.group("rest") or "").strip()


async def back(ctx: Context, args: str) -> None:
    """附议 P1: a resident's proposal opens once enough residents back it."""
    p, _ = await _proposal(ctx, args, "用法：附议 P1")
    if p.status != "backing":
        raise UserError(
            texts.PROPOSAL_NOT_BACKING.format(
                number=p.number, status=texts.PROPOSAL_STATUS[p.status]
            )
        )
    home = await ctx.uow.households.of_person(person_id=ctx.sender.id)
    if home is None or not in_scope(p.scope, home):  # not a passing visitor
        raise UserError(texts.PROPOSAL_BACKER_NOT_IN_SCOPE.format(scope=p.scope, number=p.number))
    if p.created_by == ctx.sender.id or not await ctx.uow.votes.back(
        proposal_id=p.id, person_id=ctx.sender.id
    ):
        raise UserError(texts.PROPOSAL_ALREADY_BACKED.format(number=p.number))
    count = await ctx.uow.votes.backers(proposal_id=p.id)
    fields = dict(number=p.number, count=count, needed=p.backers_needed)
    if count < p.backers_needed:
        await ctx.reply(texts.PROPOSAL_BACKED.format(**fields))
        return
    opened = await ctx.uow.votes.open_backed(proposal_id=p.id)
    if opened is None:  # the backer before opened it a moment ago: the groups have it
        await ctx.reply(texts.PROPOSAL_BACKED.format(**fields))
        return
    await ctx.reply(texts.PROPOSAL_BACKED_OPENED.format(**fields))
    await _open(ctx, opened, await scope_homes(ctx, opened.scope), proposer=False)


def _choice(word: str) -> str:
    choice = texts.VOTE_CHOICES.get(word)
    if choice is None:
        raise UserError(texts.VOTE_USAGE)
    return choice


def _open_for_votes(ctx: Context, p: Proposal) -> None:
    if p.status != "open" or p.deadline <= ctx.now:
        status = "截止" if p.status == "open" else texts.PROPOSAL_STATUS[p.status]
        raise UserError(texts.PROPOSAL_NOT_OPEN.format(number=p.number, status=status))


async def vote(ctx: Context, args: str) -> None:
    """表决 P1 同意 / 反对 / 弃权: one vote per household, changeable until the deadline."""
    p, word = await _proposal(ctx, args, texts.VOTE_USAGE)
    choice = _choice(word.split()[0] if word else "")
    _open_for_votes(ctx, p)
    home = await ctx.uow.households.of_person(person_id=ctx.sender.id)
    if home is None:
        raise UserError(texts.VOTE_NOT_BOUND)
    if not in_scope(p.scope, home):
        raise UserError(
            texts.VOTE_OUT_OF_SCOPE.format(address=home.address, number=p.number, scope=p.scope)
        )
    name = texts.VOTE_NAMES[choice]
    fields = dict(address=home.address, number=p.number, choice=name)
    current = await ctx.uow.votes.vote_of(proposal_id=p.id, household_id=home.id)
    if current is not None and not current.proxy and current.choice == choice:
        await ctx.reply(texts.VOTE_UNCHANGED.format(**fields))  # nothing to record again
        return
    before = await ctx.uow.votes.cast(
        proposal_id=p.id,
        household_id=home.id,
        choice=choice,
        voter_id=ctx.sender.id,
        proxy=False,
        note=None,
        at=ctx.now,
    )
    if before is None:
        await ctx.reply(texts.VOTE_CAST.format(**fields))
    elif before.proxy:
        # the household's own vote always wins over a proxy: both sides are told
        lead = await ctx.uow.people.get(person_id=before.voter_id)
        await ctx.reply(
            texts.VOTE_OVER_PROXY.format(
                **fields, lead=lead.name, before=texts.VOTE_NAMES[before.choice]
            )
        )
        await ctx.tell(lead, texts.VOTE_PROXY_SUPERSEDED.format(**fields))
    else:
        await ctx.reply(
            texts.VOTE_REPLACED.format(**fields, before=texts.VOTE_NAMES[before.choice])
        )
    if before is not None and not before.proxy and before.voter_id != ctx.sender.id:
        # another member of the household had voted: they learn their vote was replaced
        earlier = await ctx.uow.people.get(person_id=before.voter_id)
        await ctx.tell(
            earlier,
            texts.VOTE_CHANGED_BY_MEMBER.format(
                **fields, name=ctx.sender.name, before=texts.VOTE_NAMES[before.choice]
            ),
        )


async def proxy_vote(ctx: Context, args: str) -> None:
    """代表决 P1 5栋1单元102 同意 说明: a 邻长 for a household without chat."""
    p, rest = await _proposal(ctx, args, texts.VOTE_PROXY_USAGE)
    place = find_place(rest, ctx.settings.building_aliases)
    if place is None:
        raise UserError(texts.VOTE_PROXY_USAGE)
    after = rest[place.end :].strip().split(maxsplit=1)
    if len(after) < 2:
        raise UserError(texts.VOTE_PROXY_USAGE)  # the note is required
    choice, note = _choice(after[0]), after[1]
    _open_for_votes(ctx, p)
    home = await ctx.uow.households.by_address(address=place.label)
    if home is None:
        raise UserError(texts.VISIT_UNKNOWN.format(address=place.label))
    if home.lead_id != ctx.sender.id:
        raise UserError(texts.VOTE_PROXY_NOT_LEAD.format(address=home.address))
    if not in_scope(p.scope, home):
        raise UserError(
            texts.VOTE_OUT_OF_SCOPE.format(address=home.address, number=p.number, scope=p.scope)
        )
    before = await ctx.uow.votes.vote_of(proposal_id=p.id, household_id=home.id)
    if before is not None and not before.proxy:
        # a proxy is for households that do not vote themselves: never over their own vote
        raise UserError(texts.VOTE_PROXY_MEMBER_VOTED.format(address=home.address, number=p.number))
    await ctx.uow.votes.cast(
        proposal_id=p.id,
        household_id=home.id,
        choice=choice,
        voter_id=ctx.sender.id,
        proxy=True,
        note=note,
        at=ctx.now,
    )
    fields = dict(address=home.address, number=p.number, choice=texts.VOTE_NAMES[choice], note=note)
    if before is None:
        await ctx.reply(texts.VOTE_PROXY_CAST.format(**fields))
    else:
        await ctx.reply(
            texts.VOTE_PROXY_REPLACED.format(**fields, before=texts.VOTE_NAMES[before.choice])
        )
    for member_id in await ctx.uow.households.members(household_id=home.id):
        member = await ctx.uow.people.get(person_id=member_id)
        await ctx.tell(member, texts.VOTE_PROXY_TO_HOUSEHOLD.format(**fields, lead=ctx.sender.name))


async def _count(ctx: Context, p: Proposal) -> Tally:
    homes = await scope_homes(ctx, p.scope)
    choices = {v.household_id: v.choice for v in await ctx.uow.votes.votes(proposal_id=p.id)}
    return tally(rule_of(p), [(h.id, _area(h)) for h in homes], choices)


async def progress(ctx: Context, args: str) -> None:
    """表决情况 P1: participation so far — never who voted what."""
    p, _ = await _proposal(ctx, args, "用法：表决情况 P1")
    if p.status == "closed" and p.result:
        await ctx.reply(p.result)
        return
    t = await _count(ctx, p)
    await ctx.reply(
        texts.VOTE_PROGRESS.format(
            number=p.number,
            scope=p.scope,
            voted=t.voted,
            households=t.households,
            area_voted=_fmt(t.area_voted),
            area=_fmt(t.area),
            deadline=ctx.fmt(p.deadline),
        )
    )


def result_text(p: Proposal, t: Tally) -> str:
    def pct(x: Fraction) -> str:
        return f"{float(x):.1%}"

    return texts.VOTE_RESULT.format(
        number=p.number,
        text=p.text,
        voted=t.voted,
        households=t.households,
        pv=pct(_share(t.voted, t.households)),
        area_voted=_fmt(t.area_voted),
        area=_fmt(t.area),
        pa=pct(_share(t.area_voted, t.area)),
        part_ok=texts.VOTE_OK if t.participation_ok else texts.VOTE_NOT_OK,
        yes=t.yes,
        cy=pct(_share(t.yes, t.voted)),
        area_yes=_fmt(t.area_yes),
        ca=pct(_share(t.area_yes, t.area_voted)),
        consent_ok=texts.VOTE_OK if t.consent_ok else texts.VOTE_NOT_OK,
        verdict=texts.VOTE_PASSED if t.passed else texts.VOTE_FAILED,
    )


VOTE_HEADERS = (
    "表决",
    "住户",
    "面积(㎡)",
    "表决意见",
    "投票人",
    "代投",
    "说明",
    "时间",
    "是否计入",
)


async def close_due(ctx: Context) -> int:
    """At the deadline, once: the result to the groups and kept; who voted how to admins."""
    closed = 0
    for p in await ctx.uow.votes.closing(now=ctx.now):
        if not await ctx.uow.claims.claim(name=f"proposal-close:{p.id}", at=ctx.now):
            continue
        t = await _count(ctx, p)
        text = result_text(p, t)
        if not await ctx.uow.votes.close(proposal_id=p.id, result=text, passed=t.passed):
            continue
        for group in ctx.settings.groups:
            await ctx.post(group, text)
        path = Path(ctx.settings.exports_dir) / f"vote-{p.number}.xlsx"
        await write_table(path, VOTE_HEADERS, await _vote_rows(ctx, p), title=p.number)
        for admin in await ctx.uow.people.with_role(role="admin"):
            await ctx.tell(admin, text, document=str(path))
        closed += 1
    return closed


async def _vote_rows(ctx: Context, p: Proposal) -> list[list[str | float]]:
    """Every vote cast, the replaced ones too (marked), household by household."""
    homes = {h.id: h for h in await scope_homes(ctx, p.scope)}
    rows: list[list[str | float]] = []
    for v in await ctx.uow.votes.history(proposal_id=p.id):
        if v.household_id not in homes:
            continue
        h = homes[v.household_id]
        voter = await ctx.uow.people.get(person_id=v.voter_id)
        rows.append(
            [
                p.number,
                h.address,
                float(_area(h)),
                texts.VOTE_NAMES[v.choice],
                voter.name,
                "是" if v.proxy else "",
                v.note or "",
                ctx.local(v.at).strftime("%Y-%m-%d %H:%M"),
                texts.VOTE_COUNTED if v.counted else texts.VOTE_SUPERSEDED,
            ]
        )
    return rows


async def next_vote_wake(ctx: Context) -> datetime | None:
    return await ctx.uow.votes.next_deadline(after=ctx.now)


COMMANDS = (
    Command(
        name="suggest",
        keywords=("建议",),
        slash=("suggest",),
        handler=suggest,
        summary="建议 … —— 给党支部提建议，会在聊天中答复",
        english="A suggestion to the branch",
        usage=texts.SUGGEST_USAGE,
    ),
    Command(
        name="answer",
        keywords=("答复",),
        slash=(),
        handler=answer,
        summary="答复 J1 内容 —— 答复居民建议",
        usage=texts.SUGGEST_ANSWER_USAGE,
        roles=ADMINS,
        private_only=True,
    ),
    Command(
        name="propose",
        keywords=("发起表决",),
        slash=("proposal",),
        handler=propose,
        summary="发起表决 3栋 12月10日 18:00 重大 内容 —— 住户表决（居民发起需附议）",
        english="A proposal put to the households' vote",
        usage=texts.PROPOSAL_USAGE,
        private_only=True,
    ),
    Command(
        name="back",
        keywords=("附议",),
        slash=(),
        handler=back,
        summary="附议 P1 —— 支持居民发起的表决",
        usage="附议 P1",
    ),
    Command(
        name="vote",
        keywords=("表决",),
        slash=("vote",),
        handler=vote,
        summary="表决 P1 同意 / 反对 / 弃权 —— 每户一票（请私聊）",
        english="Vote: /vote P1 同意",
        usage=texts.VOTE_USAGE,
        private_only=True,
    ),
    Command(
        name="proxy_vote",
        keywords=("代表决",),
        slash=(),
        handler=proxy_vote,
        summary="代表决 P1 5栋1单元102 同意 说明 —— 邻长代没有手机的住户表决",
        usage=texts.VOTE_PROXY_USAGE,
        roles=frozenset({"neighbor_lead"}),
        private_only=True,
    ),
    Command(
        name="vote_progress",
        keywords=("表决情况",),
        slash=(),
        handler=progress,
        summary="表决情况 P1 —— 参与进度（不显示谁投了什么）",
        usage="表决情况 P1",
    ),
)

FEATURE = Feature(
    name="votes",
    commands=COMMANDS,
    due=(Due(close_due, next_vote_wake),),
    verbs={"J": {w: suggestion_rating(w) for w in RATINGS}},  # 满意 J1: an answered suggestion
)
