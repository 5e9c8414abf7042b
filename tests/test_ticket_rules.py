"""The ticket rules alone, without an app or a database: every state × verb × role."""

from __future__ import annotations

import pytest

from handlers import texts
from handlers.ticket_rules import (
    Actor,
    Decision,
    Outcome,
    Refusal,
    Verb,
    decide_order,
    decide_report,
)

STATES = ("open", "acknowledged", "resolved")
ROLES = {
    "other": Actor(responder=False, resident=False),
    "resident": Actor(responder=False, resident=True),
    "responder": Actor(responder=True, resident=False),
    "both": Actor(responder=True, resident=True),  # a grid worker who reported it
}
# what each short name in the tables stands for
SHORT: dict[str, Decision] = {
    "ACK": Outcome.ACKNOWLEDGE,
    "RESOLVE": Outcome.RESOLVE,
    "REASSIGN": Outcome.REASSIGN,
    "NOTE": Outcome.NOTE,
    "FOLLOW": Outcome.FOLLOW,
    "RATE": Outcome.RATE,
    "REOPEN": Outcome.REOPEN,
    "VIEW": Outcome.VIEW,
    "not-yours": Refusal(texts.NOT_YOUR_REPORT),
    "acked": Refusal(texts.ALREADY_ACKED),
    "resolved": Refusal(texts.ALREADY_RESOLVED),
    "not-rater": Refusal(texts.RATING_NOT_YOURS),
    "not-resolved": Refusal(texts.RATING_NOT_RESOLVED),
    "no-view": Refusal(texts.HISTORY_NOT_ALLOWED),
}

# verb (with words given) → role → the decision in each state: open, acknowledged, resolved
REPORT_TABLE: dict[Verb, dict[str, tuple[str, str, str]]] = {
    Verb.ACKNOWLEDGE: {
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-yours", "not-yours", "not-yours"),
        "responder": ("ACK", "acked", "resolved"),
        "both": ("ACK", "acked", "resolved"),
    },
    Verb.RESOLVE: {
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-yours", "not-yours", "not-yours"),
        "responder": ("RESOLVE", "RESOLVE", "resolved"),
        "both": ("RESOLVE", "RESOLVE", "resolved"),
    },
    Verb.REASSIGN: {
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-yours", "not-yours", "not-yours"),
        "responder": ("REASSIGN", "REASSIGN", "resolved"),
        "both": ("REASSIGN", "REASSIGN", "resolved"),
    },
    Verb.NOTE: {
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-yours", "not-yours", "not-yours"),
        "responder": ("NOTE", "NOTE", "resolved"),
        "both": ("NOTE", "NOTE", "resolved"),
    },
    Verb.FOLLOW: {
        "other": ("FOLLOW", "FOLLOW", "resolved"),
        "resident": ("FOLLOW", "FOLLOW", "resolved"),
        "responder": ("FOLLOW", "FOLLOW", "resolved"),
        "both": ("FOLLOW", "FOLLOW", "resolved"),
    },
    Verb.RATE: {  # 不满意 with a reason, the report assigned
        "other": ("not-rater", "not-rater", "not-rater"),
        "resident": ("not-resolved", "not-resolved", "REOPEN"),
        "responder": ("not-rater", "not-rater", "not-rater"),
        "both": ("not-resolved", "not-resolved", "REOPEN"),
    },
    Verb.VIEW: {
        "other": ("no-view", "no-view", "no-view"),
        "resident": ("VIEW", "VIEW", "VIEW"),
        "responder": ("VIEW", "VIEW", "VIEW"),
        "both": ("VIEW", "VIEW", "VIEW"),
    },
}

CASES = [
    (verb, role, state, expected)
    for verb, by_role in REPORT_TABLE.items()
    for role, row in by_role.items()
    for state, expected in zip(STATES, row, strict=True)
]


def test_the_table_covers_every_verb_role_and_state() -> None:
    assert set(REPORT_TABLE) == set(Verb)
    assert len(CASES) == len(Verb) * len(ROLES) * len(STATES)


@pytest.mark.parametrize(("verb", "role", "state", "expected"), CASES)
def test_report_rules(verb: Verb, role: str, state: str, expected: str) -> None:
    rating = "unsatisfied" if verb is Verb.RATE else None
    decision = decide_report(state, ROLES[role], verb, words="已清理", rating=rating)
    assert decision == SHORT[expected]


@pytest.mark.parametrize(
    ("verb", "refusal"),
    [
        (Verb.RESOLVE, texts.RESOLVE_NEED_NOTE),  # the resident is told what was done
        (Verb.REASSIGN, texts.REASSIGN_USAGE),
        (Verb.NOTE, texts.NOTE_USAGE),
    ],
)
def test_a_responder_verb_without_words_is_refused(verb: Verb, refusal: str) -> None:
    for state in ("open", "acknowledged"):
        assert decide_report(state, ROLES["responder"], verb) == Refusal(refusal)
    # a resolved report says so first, whatever was missing
    assert decide_report("resolved", ROLES["responder"], verb) == SHORT["resolved"]


def test_ratings_of_a_resolved_report() -> None:
    resident = ROLES["resident"]
    for rating in ("satisfied", "basic"):
        assert decide_report("resolved", resident, Verb.RATE, rating=rating) == Outcome.RATE
    unhappy = "unsatisfied"
    assert decide_report("resolved", resident, Verb.RATE, rating=unhappy) == Refusal(
        texts.RATING_NEED_REASON
    )
    reopened = decide_report("resolved", resident, Verb.RATE, words="还在充电", rating=unhappy)
    assert reopened == Outcome.REOPEN
    # nobody had it (filed where nobody answers): the verdict is kept, nothing reopens
    unassigned = decide_report(
        "resolved", resident, Verb.RATE, words="还在充电", rating=unhappy, assigned=False
    )
    assert unassigned == Outcome.RATE


def test_a_refusal_reads_with_the_ticket_number() -> None:
    refusal = decide_report("acknowledged", ROLES["responder"], Verb.ACKNOWLEDGE)
    assert isinstance(refusal, Refusal)
    assert refusal.text("H7") == "工单 H7 已经接单了。"


# --- service orders: the provider (or staff) is the responder, the requester the resident ---

ORDER_TABLE: dict[Verb, dict[str, tuple[str, str, str]]] = {
    Verb.ACKNOWLEDGE: {
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-yours", "not-yours", "not-yours"),
        "responder": ("ACK", "already:接单", "already:接单"),
        "both": ("ACK", "already:接单", "already:接单"),
    },
    Verb.RESOLVE: {
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-yours", "not-yours", "not-yours"),
        "responder": ("RESOLVE", "RESOLVE", "already:办结"),
        "both": ("RESOLVE", "RESOLVE", "already:办结"),
    },
    Verb.RATE: {  # 不满意 with a reason
        "other": ("not-yours", "not-yours", "not-yours"),
        "resident": ("not-resolved", "not-resolved", "REOPEN"),
        "responder": ("not-yours", "not-yours", "not-yours"),
        "both": ("not-resolved", "not-resolved", "REOPEN"),
    },
}


def _order_decision(short: str) -> Decision:
    if short == "not-yours":
        return Refusal(texts.ORDER_NOT_YOURS)
    if short.startswith("already:"):
        return Refusal(texts.ORDER_ALREADY, short.partition(":")[2])
    return SHORT[short]


ORDER_CASES = [
    (verb, role, state, expected)
    for verb, by_role in ORDER_TABLE.items()
    for role, row in by_role.items()
    for state, expected in zip(STATES, row, strict=True)
]


@pytest.mark.parametrize(("verb", "role", "state", "expected"), ORDER_CASES)
def test_order_rules(verb: Verb, role: str, state: str, expected: str) -> None:
    rating = "unsatisfied" if verb is Verb.RATE else None
    decision = decide_order(state, ROLES[role], verb, words="没理完", rating=rating)
    assert decision == _order_decision(expected)


def test_order_ratings_and_refusals_read_as_before() -> None:
    requester = ROLES["resident"]
    assert decide_order("resolved", requester, Verb.RATE, rating="satisfied") == Outcome.RATE
    assert decide_order("resolved", requester, Verb.RATE, rating="unsatisfied") == Refusal(
        texts.RATING_NEED_REASON
    )
    done = decide_order("resolved", ROLES["responder"], Verb.RESOLVE)
    assert isinstance(done, Refusal)
    assert done.text("S3") == "点单 S3 已经办结了。"


@pytest.mark.parametrize("verb", [Verb.REASSIGN, Verb.NOTE, Verb.FOLLOW, Verb.VIEW])
def test_an_order_has_no_such_verb(verb: Verb) -> None:
    with pytest.raises(ValueError):
        decide_order("open", ROLES["both"], verb)
