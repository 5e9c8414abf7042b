"""The policy handlers follow, declared once: these validated models are both the config
file's sections (bot/config.py composes them into the whole file) and what handlers read.

Each key of the file is a field here or in bot/config.py, with its default beside it; the
models are frozen, and lists in them are tuples."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from handlers.understanding import categories
from handlers.when import WEEKDAY_SHORT

Role = Literal[
    "resident",
    "grid_worker",
    "neighbor_lead",
    "group_lead",
    "volunteer",
    "property",
    "community",
    "branch",
    "canteen",
    "admin",
]


class Strict(BaseModel):
    """A part of the config: unknown keys are errors, and nothing changes it once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _time_of_day(value: Any) -> time:
    """ "HH:MM" (or a TOML time) → a time of day."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("not a time of day (HH:MM)")


def _weekday(value: str) -> str:
    if value not in WEEKDAY_SHORT:
        raise ValueError("not a weekday (周一, 周二, … 周日)")
    return value


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]  # written "HH:MM"
Weekday = Annotated[str, AfterValidator(_weekday)]  # 周一 … 周日


class CommunitySettings(Strict):
    name: str = Field(min_length=1)  # shown to residents
    timezone: str = "Asia/Shanghai"
    bot_names: tuple[str, ...] = ("小区助手",)

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class Category(Strict):
    """A kind of hazard: the words that name it and its deadlines."""

    name: str
    keywords: tuple[str, ...] = ()  # literal words, each scoring 3
    # concept (or word) combinations → weight, e.g. {"电动车+电梯" = 4}; empty: the built-in
    # rules of a built-in category
    rules: dict[str, float] = {}
    ack_minutes: int | None = Field(default=None, gt=0)
    resolve_hours: int | None = Field(default=None, gt=0)
    also_roles: tuple[Role, ...] = ()  # roles told as well, e.g. 物业 for 电梯故障


# the built-in categories: their rules (concepts combined, weighted) live in
# handlers/understanding/lexicon.py; a config may add `keywords`, `rules` and concepts
DEFAULT_CATEGORIES = (
    Category(name="飞线充电"),
    Category(name="电动车进楼"),
    Category(name="消防通道占用"),
    Category(name="楼道堆物"),
    Category(name="电线老化", also_roles=("property",)),
    Category(name="燃气隐患", ack_minutes=10),
    Category(name="消防设施损坏"),
    Category(name="高空抛物"),
    Category(name="电梯故障", also_roles=("property",)),
)


class ReportSettings(Strict):
    ack_minutes: int = Field(default=30, gt=0)
    urgent_ack_minutes: int = Field(default=5, gt=0)
    resolve_hours: int = Field(default=24, gt=0)
    fire_line: str = "119"
    gas_line: str = "燃气抢修热线"
    lift_line: str = "96333"  # the lift emergency line (电梯应急救援) most cities run
    duplicate_window_hours: int = Field(default=24, ge=0)
    resolve_grace_hours: int = Field(default=4, gt=0)  # after the resolution reminder
    recheck_days: int = Field(default=7, gt=0)
    recheck_categories: tuple[str, ...] = ("飞线充电", "电动车进楼")
    question_minutes: int = Field(default=10, gt=0)  # a question the bot asked waits this long
    urgent_fire_words: tuple[str, ...] = categories.DEFAULT_FIRE_WORDS
    urgent_gas_words: tuple[str, ...] = categories.DEFAULT_GAS_WORDS
    urgent_gas_rules: tuple[str, ...] = categories.DEFAULT_GAS_RULES
    urgent_trapped_rules: tuple[str, ...] = categories.DEFAULT_TRAPPED_RULES
    not_urgent_words: tuple[str, ...] = categories.DEFAULT_NOT_URGENT
    # extra words for the concepts of the categories' rules, or new concepts
    concepts: dict[str, tuple[str, ...]] = {}
    categories: tuple[Category, ...] = DEFAULT_CATEGORIES


class NoticeSettings(Strict):
    """[announcement_settings]"""

    grace_minutes: int = Field(default=60, ge=0)  # a missed occurrence is posted this late at most
    # "22:00-07:00": nothing is posted then (may wrap past midnight)
    quiet_hours: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")

    @field_validator("quiet_hours")
    @classmethod
    def two_times(cls, value: str | None) -> str | None:
        if value is not None:
            for part in value.split("-"):
                _time_of_day(part)
        return value

    @property
    def quiet_start(self) -> time | None:
        return None if self.quiet_hours is None else time.fromisoformat(self.quiet_hours[:5])

    @property
    def quiet_end(self) -> time | None:
        return None if self.quiet_hours is None else time.fromisoformat(self.quiet_hours[6:])


class PriceTier(Strict):
    label: str
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    price: str


class CanteenSettings(Strict):
    lunch_cutoff: TimeOfDay = time(9, 30)  # the same day
    dinner_cutoff: TimeOfDay = time(15, 0)
    days_ahead: int = Field(default=7, ge=0, le=60)
    max_portions: int = Field(default=3, ge=1, le=20)
    lunch_capacity: int | None = Field(default=None, ge=0)  # portions; None: no limit
    dinner_capacity: int | None = Field(default=None, ge=0)
    weekly_lunch: dict[Weekday, str] = {}  # 周一 … 周日 → dishes
    weekly_dinner: dict[Weekday, str] = {}
    price_tiers: tuple[PriceTier, ...] = ()

    def cutoff(self, meal: str) -> time:
        """Sign-ups for a meal close at this time of its own day."""
        return self.lunch_cutoff if meal == "lunch" else self.dinner_cutoff

    def capacity(self, meal: str) -> int | None:
        return self.lunch_capacity if meal == "lunch" else self.dinner_capacity

    def weekly_menu(self, day: date, meal: str) -> str | None:
        table = self.weekly_lunch if meal == "lunch" else self.weekly_dinner
        return table.get(WEEKDAY_SHORT[day.weekday()])


class EventSettings(Strict):
    day_before_at: TimeOfDay = time(20, 0)  # the reminder the evening before
    remind_before_minutes: int = Field(default=120, ge=0)  # and this long before the start
    max_guests: int = Field(default=5, ge=0, le=50)
    digest_minutes: int = Field(default=60, gt=0)  # the organiser's running count, this often


class Service(Strict):
    """A service residents can order (点单) and who provides it."""

    name: str = Field(min_length=1)
    provider: str  # a person's name
    ack_hours: int = Field(default=24, gt=0)


class NetworkSettings(Strict):
    duty_at: TimeOfDay = time(9, 0)  # Mondays: each 邻长's list
    welfare_meal_days: int = Field(default=3, gt=0)  # an elder who usually eats with us stops
    welfare_meal_min: int = Field(default=3, gt=0)  # "usually": this many in the two weeks before


class Group(Strict):
    """A group chat the bot posts notices to."""

    name: str
    platform: str
    chat_id: str
    buildings: tuple[str, ...] = ()  # whose residents are in it; lets grid workers post events


class Policy(Strict):
    """The keys of the config file that handlers follow (bot/config.py adds the rest)."""

    community: CommunitySettings
    building_aliases: dict[str, str] = {}
    max_text: int = Field(default=2000, gt=0)
    reports: ReportSettings = ReportSettings()
    announcement_settings: NoticeSettings = NoticeSettings()
    canteen: CanteenSettings = CanteenSettings()
    events: EventSettings = EventSettings()
    services: tuple[Service, ...] = ()
    network: NetworkSettings = NetworkSettings()
    exports_dir: str = "exports"
    retention_days: int = Field(default=365, gt=0)  # then closed reports lose the reporter

    @property
    def timezone(self) -> ZoneInfo:
        """The community's time zone: every time residents see and every schedule is in it."""
        return ZoneInfo(self.community.timezone)


class Settings(Policy):
    """What handlers are given: the config's policy, and what the running bot adds."""

    platforms: tuple[str, ...]  # enabled platforms, in the order people are reached
    groups: tuple[Group, ...]  # on those platforms

    @classmethod
    def of(
        cls, policy: Policy, *, platforms: tuple[str, ...], groups: tuple[Group, ...]
    ) -> Settings:
        """The policy as a running bot's handlers see it (every key of it, none mapped by hand)."""
        keys = {name: getattr(policy, name) for name in Policy.model_fields}
        return cls(**keys, platforms=platforms, groups=groups)
