"""Table definitions used by the repositories; the migrations create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("config_name", sa.String(100), unique=True),
    sa.Column("address", sa.String(100)),
    sa.Column("phone", sa.String(40)),
    sa.Column("elderly", sa.Boolean, nullable=False, default=False),
    sa.Column("lives_alone", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("birth_year", sa.Integer),
    sa.Column("leader_id", sa.Integer),  # 三长: 邻长 → 组长 → community member
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("native_id", sa.String(100), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("unreachable_since", UtcDateTime),
    sa.Column("unreachable_reason", sa.String(200)),
)

person_roles = sa.Table(
    "person_roles",
    metadata,
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("role", sa.String(30), primary_key=True),
)

grids = sa.Table(
    "grids",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("backup_id", sa.Integer, sa.ForeignKey("people.id")),  # stands in on leave
)

buildings = sa.Table(
    "buildings",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id")),
)

grid_workers = sa.Table(
    "grid_workers",
    metadata,
    sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reporter_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
    sa.Column("building", sa.String(50)),
    sa.Column("known_building", sa.Boolean, nullable=False),
    sa.Column("unit", sa.String(20)),
    sa.Column("room", sa.String(20)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("category", sa.String(30), nullable=False),
    sa.Column("urgent", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("assignee_id", sa.Integer, sa.ForeignKey("people.id"), index=True),
    sa.Column("level", sa.Integer, nullable=False, default=0),
    sa.Column("origin_platform", sa.String(20), nullable=False),
    sa.Column("origin_chat", sa.String(100), nullable=False),
    sa.Column("photo", sa.String(300)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("ack_due", UtcDateTime),
    sa.Column("acknowledged_at", UtcDateTime),
    sa.Column("resolve_due", UtcDateTime),
    sa.Column("resolved_at", UtcDateTime),
    sa.Column("resolution", sa.Text),
    sa.Column("filed_by_id", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column(
        "resolve_reminded", sa.Boolean, nullable=False, default=False, server_default=sa.false()
    ),
    sa.Column("recheck_due", UtcDateTime),
    # the monthly statistics are read from this index alone (migration 0012)
    sa.Index(
        "ix_reports_period",
        "created_at",
        "category",
        "building",
        "status",
        "acknowledged_at",
        "resolved_at",
    ),
)

report_followers = sa.Table(
    "report_followers",
    metadata,
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
)

report_ratings = sa.Table(
    "report_ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False, index=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("rating", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", UtcDateTime, nullable=False),
)

# a question the bot asked and waits for an answer to (e.g. "which building?")
pending_questions = sa.Table(
    "pending_questions",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("chat_id", sa.String(100), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("photo", sa.String(300)),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

report_events = sa.Table(
    "report_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("note", sa.Text),
    sa.Index("ix_report_events_kind", "kind", "report_id"),  # escalated, overdue (0012)
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("chat_id", sa.String(100), nullable=False),
    sa.Column("is_group", sa.Boolean, nullable=False, default=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("text", sa.Text, nullable=False),
    # [[label, action], ...]: a rendering payload, never queried
    sa.Column("buttons", sa.JSON, nullable=False),
    sa.Column("photo", sa.String(300)),
    sa.Column("mention", sa.String(100)),
    sa.Column("mention_id", sa.String(100)),  # the mentioned person's platform id
    sa.Column("pin", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("document", sa.String(500)),  # a file to send (an export), by path
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("not_before", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
    # a worker sending a row holds it until then; a dead worker's rows are free after it
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("claimed_until", UtcDateTime),
    # a try of this row got no answer and may have landed: never merged again
    sa.Column("maybe_sent", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Index("ix_outbox_due", "status", "not_before"),
    sa.Index("ix_outbox_chat", "status", "platform", "chat_id", "id"),
    sa.Index("ix_outbox_claimed_by", "claimed_by"),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("config_key", sa.String(100), unique=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("schedule", sa.String(200), nullable=False),  # as the admin wrote it
    sa.Column("cron", sa.String(100)),  # standard 5-field cron, or None for a one-off
    sa.Column("run_at", UtcDateTime),  # the one-off's time
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("pin", sa.Boolean, nullable=False),
    sa.Column("rotate", sa.Boolean, nullable=False),  # rotate through the built-in library
    sa.Column("rotation", sa.Integer, nullable=False),
    sa.Column("next_run_at", UtcDateTime),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_notices_due", "status", "next_run_at"),
)

notice_targets = sa.Table(
    "notice_targets",
    metadata,
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), primary_key=True),
    sa.Column("group_name", sa.String(100), primary_key=True),
)

# one row per occurrence, claimed before it is posted: an occurrence happens once
notice_occurrences = sa.Table(
    "notice_occurrences",
    metadata,
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), primary_key=True),
    sa.Column("scheduled_at", UtcDateTime, primary_key=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # posted | skipped
    sa.Column("at", UtcDateTime, nullable=False),
)

menus = sa.Table(
    "menus",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("meal", sa.String(10), primary_key=True),  # lunch | dinner
    sa.Column("items", sa.Text, nullable=False),
    sa.Column("set_by", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("set_at", UtcDateTime, nullable=False),
)

meal_signups = sa.Table(
    "meal_signups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),  # who eats
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("meal", sa.String(10), nullable=False),
    sa.Column("portions", sa.Integer, nullable=False),
    sa.Column("delivery", sa.Boolean, nullable=False),
    sa.Column("note", sa.String(200)),
    sa.Column("signed_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # active | cancelled
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("person_id", "day", "meal", name="uq_meal_signup"),
    sa.Index("ix_meal_signups_day", "day", "meal", "status"),
)

# a job that must happen once (a cutoff summary, a reminder) takes its name here first
claims = sa.Table(
    "claims",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("starts_at", UtcDateTime, nullable=False),
    sa.Column("place", sa.String(100), nullable=False),
    sa.Column("capacity", sa.Integer),  # places, guests included; None: no limit
    sa.Column("description", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),  # open | closed | cancelled
    sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # the count last told to the organiser
    sa.Column("reported_count", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("reported_at", UtcDateTime),
)

event_targets = sa.Table(
    "event_targets",
    metadata,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column("group_name", sa.String(100), primary_key=True),
)

event_rsvps = sa.Table(
    "event_rsvps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("guests", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # going | waitlist | cancelled
    sa.Column("queued_at", UtcDateTime, nullable=False),  # the waitlist's order
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("event_id", "person_id", name="uq_event_rsvp"),
)

# an event being created step by step (发起活动 with nothing after it)
event_drafts = sa.Table(
    "event_drafts",
    metadata,
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("title", sa.String(100)),
    sa.Column("starts_at", UtcDateTime),
    sa.Column("place", sa.String(100)),
)

leaves = sa.Table(
    "leaves",
    metadata,
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("until", sa.Date, nullable=False),  # the last day away, inclusive
    sa.Column("set_by", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("at", UtcDateTime, nullable=False),
)

# every change an admin makes in chat (roles, grids, buildings, leaves)
admin_changes = sa.Table(
    "admin_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("action", sa.String(50), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

households = sa.Table(
    "households",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("address", sa.String(100), nullable=False, unique=True),  # 5栋1单元102
    sa.Column("building", sa.String(50), nullable=False),
    sa.Column("key", sa.Boolean, nullable=False),  # a key household: visited weekly
    sa.Column("reason", sa.String(50)),  # 独居老人, 困境, 留守 …
    sa.Column("lead_id", sa.Integer, sa.ForeignKey("people.id")),  # its 邻长
    sa.Column("area", sa.Float),  # floor area in m², for votes (Civil Code Art. 278)
    sa.Column("created_at", UtcDateTime, nullable=False),  # duty counts from here
)

household_members = sa.Table(
    "household_members",
    metadata,
    sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
)

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
    sa.Column("by_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("note", sa.Text),
    sa.Index("ix_visits_household", "household_id", "at"),
)

service_orders = sa.Table(
    "service_orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # S1, S2, …
    sa.Column("service", sa.String(50), nullable=False),
    sa.Column("address", sa.String(100)),
    sa.Column("wanted", sa.String(100)),  # when the resident would like it, as written
    sa.Column("requester_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("provider_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | acknowledged | resolved
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("ack_due", UtcDateTime),
    sa.Column("acknowledged_at", UtcDateTime),
    sa.Column("resolved_at", UtcDateTime),
    sa.Column("resolution", sa.Text),
    sa.Column("rating", sa.String(20)),
    sa.Column("reminded", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # J1, J2, …
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | answered
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("answered_by", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("answer", sa.Text),
    sa.Column("answered_at", UtcDateTime),
    sa.Column("rating", sa.String(20)),
)

proposals = sa.Table(
    "proposals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # P1, P2, …
    sa.Column("scope", sa.String(50), nullable=False),  # 全小区 | 3栋 | 3栋2单元
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("rule", sa.String(20), nullable=False),  # ordinary | major | custom
    sa.Column("participation", sa.String(20), nullable=False),  # a fraction, "2/3"
    sa.Column("consent", sa.String(20), nullable=False),  # "1/2", "3/4"
    sa.Column("consent_strict", sa.Boolean, nullable=False),  # more than (not at least)
    sa.Column("status", sa.String(20), nullable=False),  # backing | open | closed
    sa.Column("backers_needed", sa.Integer, nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("origin_platform", sa.String(20), nullable=False),
    sa.Column("origin_chat", sa.String(100), nullable=False),
    sa.Column("result", sa.Text),
    sa.Column("passed", sa.Boolean),
)

proposal_backers = sa.Table(
    "proposal_backers",
    metadata,
    sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
)

# one vote per household and proposal; a later vote replaces the earlier
votes = sa.Table(
    "votes",
    metadata,
    sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), primary_key=True),
    sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), primary_key=True),
    sa.Column("choice", sa.String(10), nullable=False),  # yes | no | abstain
    sa.Column("voter_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("proxy", sa.Boolean, nullable=False),  # cast by a 邻长 for the household
    sa.Column("note", sa.Text),
    sa.Column("at", UtcDateTime, nullable=False),
)

# every vote cast, in order: what `votes` counts is the latest of each household (0015)
vote_history = sa.Table(
    "vote_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), nullable=False),
    sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
    sa.Column("choice", sa.String(10), nullable=False),
    sa.Column("voter_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("proxy", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_vote_history_proposal", "proposal_id", "id"),
)

# who holds a connection that only one worker may hold (a WeChat gateway), until when
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("until", UtcDateTime, nullable=False),
)

# each running worker renews its row; a stale row is a dead worker, whose claims are freed
worker_heartbeats = sa.Table(
    "worker_heartbeats",
    metadata,
    sa.Column("worker", sa.String(100), primary_key=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("beat_at", UtcDateTime, nullable=False),
)

inbound = sa.Table(
    "inbound",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("message_id", sa.String(200), primary_key=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

# voice messages received and not yet answered (transcribed and read back, or told why
# not): a restart takes them up again, so a crash mid-transcription loses no clip
voice_jobs = sa.Table(
    "voice_jobs",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("message_id", sa.String(200), primary_key=True),
    sa.Column("incoming", sa.Text, nullable=False),  # the neutral message, as JSON
    sa.Column("received_at", UtcDateTime, nullable=False),
)

# one-time codes for the web workbench's login, sent to a staff member's private chat
web_login_codes = sa.Table(
    "web_login_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Index("ix_web_login_codes_person", "person_id", "created_at"),
)


dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),  # parse, adapter, handler
    sa.Column("ref", sa.String(200), nullable=False),  # the update or message id
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("raw", sa.Text, nullable=False),  # JSON as received (or the neutral message)
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("replayed_at", UtcDateTime),
    sa.Column("replay_of", sa.Integer),  # a replay that failed again: the dead letter replayed
    sa.Index("ix_dead_letters_replayed_at", "replayed_at", "id"),
)

stranger_chats = sa.Table(
    "stranger_chats",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("chat_id", sa.String(100), primary_key=True),
    sa.Column("is_group", sa.Boolean, nullable=False),
    sa.Column("first_seen", UtcDateTime, nullable=False),
)


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT produced."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row")
    return int(key[0])
