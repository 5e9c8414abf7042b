"""The config file: one TOML file, validated at start; errors name the file, key and reason."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from handlers.announcements import quiet_hours
from handlers.context import (
    CanteenSettings,
    Category,
    EventSettings,
    Group,
    NetworkSettings,
    NoticeSettings,
    PriceTier,
    ReportSettings,
    Service,
    Settings,
)
from handlers.days import WEEKDAY_SHORT as WEEKDAYS
from handlers.places import find_place
from handlers.schedules import ScheduleError, parse_schedule
from handlers.understanding import categories

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
PLATFORMS = ("console", "telegram", "wechat")
CONSOLE_GROUP = "group"  # the console's one group chat

# secrets may come from the environment instead of the file
ENV_OVERRIDES = {
    "LINLI_STORAGE_URL": ("storage", "url"),
    "LINLI_TELEGRAM_TOKEN": ("telegram", "token"),
    "LINLI_TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "LINLI_WECHAT_TOKEN": ("wechat", "token"),
    "LINLI_WEB_SECRET": ("web", "secret"),
}

# the built-in categories: their rules (concepts combined, weighted) live in
# handlers/understanding/lexicon.py; a config may add `keywords`, `rules` and concepts
DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    {"name": "飞线充电"},
    {"name": "电动车进楼"},
    {"name": "消防通道占用"},
    {"name": "楼道堆物"},
    {"name": "电线老化", "also_roles": ["property"]},
    {"name": "燃气隐患", "ack_minutes": 10},
    {"name": "消防设施损坏"},
    {"name": "高空抛物"},
    {"name": "电梯故障", "also_roles": ["property"]},
]
DEFAULT_FIRE_WORDS = list(categories.DEFAULT_FIRE_WORDS)
DEFAULT_GAS_WORDS = list(categories.DEFAULT_GAS_WORDS)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommunityConfig(Strict):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    bot_names: list[str] = ["小区助手"]

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class StorageConfig(Strict):
    url: str = "sqlite:///linli.db"

    @field_validator("url")
    @classmethod
    def supported(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value


class PersonConfig(Strict):
    name: str = Field(min_length=1, max_length=50)
    roles: list[Role] = ["resident"]
    address: str | None = None
    phone: str | None = None
    elderly: bool = False
    lives_alone: bool = False
    accounts: list[Annotated[str, Field(pattern=r"^(telegram|wechat|console):\S+$")]] = []
    birth_year: int | None = Field(default=None, ge=1900, le=2100)  # for the canteen's prices
    leader: str | None = None  # 三长: a 邻长's 组长, a 组长's community member


class GridConfig(Strict):
    name: str = Field(min_length=1)
    buildings: list[str]
    workers: list[str] = []


class CategoryConfig(Strict):
    name: str
    keywords: list[str] = []  # literal words, each scoring 3
    # concept (or word) combinations → weight, e.g. {"电动车+电梯" = 4}; empty: the built-in
    # rules of a built-in category
    rules: dict[str, float] = {}
    ack_minutes: int | None = Field(default=None, gt=0)
    resolve_hours: int | None = Field(default=None, gt=0)
    also_roles: list[Role] = []


class ReportsConfig(Strict):
    ack_minutes: int = Field(default=30, gt=0)
    urgent_ack_minutes: int = Field(default=5, gt=0)
    resolve_hours: int = Field(default=24, gt=0)
    fire_line: str = "119"
    gas_line: str = "燃气抢修热线"
    duplicate_window_hours: int = Field(default=24, ge=0)
    resolve_grace_hours: int = Field(default=4, gt=0)
    recheck_days: int = Field(default=7, gt=0)
    recheck_categories: list[str] = ["飞线充电", "电动车进楼"]
    question_minutes: int = Field(default=10, gt=0)
    urgent_fire_words: list[str] = DEFAULT_FIRE_WORDS
    urgent_gas_words: list[str] = DEFAULT_GAS_WORDS
    urgent_gas_rules: list[str] = list(categories.DEFAULT_GAS_RULES)
    not_urgent_words: list[str] = list(categories.DEFAULT_NOT_URGENT)
    # extra words for the concepts of the categories' rules, or new concepts
    concepts: dict[str, list[str]] = {}
    categories: list[CategoryConfig] = [CategoryConfig(**c) for c in DEFAULT_CATEGORIES]


class ConsoleConfig(Strict):
    group: str = "业主群"
    # the buildings whose residents are in the console's group (grid workers of their grids
    # may post events there); default: every building, the console group is the community's
    buildings: list[str] | None = None
    start: str | None = None  # ISO time the simulated clock starts at; default: now


class TelegramConfig(Strict):
    enabled: bool = False
    token: str | None = None
    base_url: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Telegram's limits as measured (../shared/TELEGRAM.md); raise them only for paid broadcasts
    group_per_minute: int = Field(default=20, gt=0)
    private_per_3s: int = Field(default=3, gt=0)
    overall_per_second: int = Field(default=30, gt=0)
    timeout_seconds: float = Field(default=10.0, gt=0)  # one Bot API call, beyond long polling


class WechatConfig(Strict):
    enabled: bool = False
    endpoint: str = Field(default="127.0.0.1:8788", pattern=r"^[^\s:]+:\d{1,5}$")
    token: str | None = None
    rooms: list[str] = []
    bot_name: str = "小区助手"
    # gateways ban floods: conservative by default
    room_per_minute: int = Field(default=10, gt=0)
    private_per_minute: int = Field(default=20, gt=0)
    overall_per_minute: int = Field(default=40, gt=0)
    reconnect_max_seconds: float = Field(default=60.0, gt=0)
    watchdog_seconds: float = Field(default=90.0, gt=0)  # silence before the gateway is pinged


class VoiceConfig(Strict):
    """Voice messages (the optional `linli[voice]` extra)."""

    enabled: bool = True  # False: voice messages are answered as when the extra is missing
    model_dir: str | None = None  # a faster-whisper model (base or small); None: the packaged
    model_cache: str = "~/.cache/linli/whisper-base"  # where the packaged base is put together
    threads: int = Field(default=2, ge=1, le=64)  # CPU threads for one transcription
    workers: int = Field(default=1, ge=1, le=8)  # clips transcribed at once
    queue: int = Field(default=8, ge=0, le=1000)  # clips waiting beyond those; more: 稍后再发
    max_seconds: float = Field(default=60.0, gt=0)  # longer clips are not transcribed
    time_cap_seconds: float = Field(default=20.0, gt=0)  # one clip's transcription, at most
    prompt_words: list[str] = []  # added to the community's own words in the domain prompt


class GroupConfig(Strict):
    name: str = Field(min_length=1, max_length=100)
    platform: Literal["telegram", "wechat"]
    chat_id: str = Field(min_length=1)
    buildings: list[str] = []  # whose residents are in it; lets grid workers post events there


class AnnouncementConfig(Strict):
    key: str = Field(min_length=1, max_length=100)  # stable name, so edits keep its history
    schedule: str  # as in chat: 每周五 19:00, 2027-02-08 10:00, cron 0 19 * * 5, …
    text: str = ""  # what is posted; may be left out with `rotate`
    # post the built-in fire-safety library in turn instead of a text (a text 消防轮播 or
    # 轮播, which older config files use for it, still means the same)
    rotate: bool = False
    groups: list[str] = []  # group names; empty: every group
    pin: bool = False

    @model_validator(mode="after")
    def _says_something(self) -> AnnouncementConfig:
        if not self.text.strip() and not self.rotate:
            raise ValueError("an announcement needs a text, or rotate = true")
        return self


class AnnouncementSettingsConfig(Strict):
    grace_minutes: int = Field(default=60, ge=0)
    quiet_hours: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")


class PriceTierConfig(Strict):
    label: str
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    price: str


class CanteenConfig(Strict):
    lunch_cutoff: str = Field(default="09:30", pattern=r"^\d{2}:\d{2}$")  # the same day
    dinner_cutoff: str = Field(default="15:00", pattern=r"^\d{2}:\d{2}$")
    days_ahead: int = Field(default=7, ge=0, le=60)
    max_portions: int = Field(default=3, ge=1, le=20)
    lunch_capacity: int | None = Field(default=None, ge=0)
    dinner_capacity: int | None = Field(default=None, ge=0)
    weekly_lunch: dict[str, str] = {}  # 周一 … 周日 → dishes
    weekly_dinner: dict[str, str] = {}
    price_tiers: list[PriceTierConfig] = []


class EventsConfig(Strict):
    day_before_at: str = Field(default="20:00", pattern=r"^\d{2}:\d{2}$")
    remind_before_minutes: int = Field(default=120, ge=0)
    max_guests: int = Field(default=5, ge=0, le=50)
    digest_minutes: int = Field(default=60, gt=0)


class HouseholdConfig(Strict):
    address: str  # 5栋1单元102
    members: list[str] = []  # names from [[people]]
    key: bool = False  # a key household (visited weekly)
    reason: str | None = None  # 独居老人, 困境, 留守 …
    lead: str | None = None  # its 邻长 (a person with role neighbor_lead)
    area: float | None = Field(default=None, gt=0)  # floor area in m², for votes


class ServiceConfig(Strict):
    name: str = Field(min_length=1)
    provider: str  # the person (volunteer team, partner) orders go to
    ack_hours: int = Field(default=24, gt=0)


class NetworkConfig(Strict):
    duty_at: str = Field(default="09:00", pattern=r"^\d{2}:\d{2}$")  # Mondays
    welfare_meal_days: int = Field(default=3, gt=0)
    welfare_meal_min: int = Field(default=3, gt=0)


class OpsConfig(Strict):
    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535)
    # /healthz says unhealthy when inbound makes no progress this long with messages waiting
    intake_stuck_seconds: float = Field(default=120.0, gt=0)


class ChatsConfig(Strict):
    # configured: only the groups in [[groups]] (and the console's, and WeChat's `rooms`), and
    # private chats of people the bot knows; any: every chat the bot is in
    serve: Literal["configured", "any"] = "configured"


class WebConfig(Strict):
    """The 社区工作台 web workbench (bot/web), served by `linli run` and `linli web`."""

    enabled: bool = False  # `linli run` serves it when true; `linli web` always does
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    secret: str = ""  # signs the cookies; empty: one is generated and kept in the database
    session_hours: int = Field(default=12, gt=0)
    secure_cookies: bool = False  # true behind an HTTPS proxy: cookies only over HTTPS
    layout_columns: int = Field(default=4, gt=0, le=20)  # 小区图: buildings per row


class Config(Strict):
    community: CommunityConfig
    storage: StorageConfig = StorageConfig()
    buildings: list[str] = Field(min_length=1)
    building_aliases: dict[str, str] = {}
    grids: list[GridConfig] = []
    people: list[PersonConfig] = []
    reports: ReportsConfig = ReportsConfig()
    max_text: int = Field(default=2000, gt=0)
    groups: list[GroupConfig] = []
    announcements: list[AnnouncementConfig] = []
    announcement_settings: AnnouncementSettingsConfig = AnnouncementSettingsConfig()
    canteen: CanteenConfig = CanteenConfig()
    events: EventsConfig = EventsConfig()
    households: list[HouseholdConfig] = []
    services: list[ServiceConfig] = []
    network: NetworkConfig = NetworkConfig()
    exports_dir: str = "exports"
    retention_days: int = Field(default=365, gt=0)  # then closed reports lose the reporter
    ops: OpsConfig = OpsConfig()
    chats: ChatsConfig = ChatsConfig()
    web: WebConfig = WebConfig()
    console: ConsoleConfig = ConsoleConfig()
    telegram: TelegramConfig = TelegramConfig()
    wechat: WechatConfig = WechatConfig()
    voice: VoiceConfig = VoiceConfig()

    def person(self, name: str) -> PersonConfig:
        return next(p for p in self.people if p.name == name)

    def enabled_platforms(self, *, console: bool) -> tuple[str, ...]:
        """The platforms people are reached on, in order of preference."""
        found = []
        if self.telegram.enabled:
            found.append("telegram")
        if self.wechat.enabled:
            found.append("wechat")
        if console:
            found.insert(0, "console")
        return tuple(found)

    def chat_groups(self, platforms: tuple[str, ...]) -> tuple[Group, ...]:
        """The groups notices go to, on the platforms in use (the console's own group too)."""
        found = [
            Group(g.name, g.platform, g.chat_id, tuple(g.buildings))
            for g in self.groups
            if g.platform in platforms
        ]
        if "console" in platforms:
            buildings = self.buildings if self.console.buildings is None else self.console.buildings
            found.insert(0, Group(self.console.group, "console", CONSOLE_GROUP, tuple(buildings)))
        return tuple(found)

    def settings(self, *, platforms: tuple[str, ...]) -> Settings:
        """The policy handlers follow."""
        r = self.reports
        quiet_start, quiet_end = quiet_hours(self.announcement_settings.quiet_hours)
        c = self.canteen
        weekly = {
            (WEEKDAYS.index(day), meal): dishes
            for meal, table in (("lunch", c.weekly_lunch), ("dinner", c.weekly_dinner))
            for day, dishes in table.items()
        }
        capacity = {
            meal: cap
            for meal, cap in (("lunch", c.lunch_capacity), ("dinner", c.dinner_capacity))
            if cap is not None
        }
        e = self.events
        return Settings(
            network=NetworkSettings(
                duty_at=time.fromisoformat(self.network.duty_at),
                services=tuple(Service(x.name, x.provider, x.ack_hours) for x in self.services),
                welfare_meal_days=self.network.welfare_meal_days,
                welfare_meal_min=self.network.welfare_meal_min,
            ),
            events=EventSettings(
                day_before_at=time.fromisoformat(e.day_before_at),
                remind_before_minutes=e.remind_before_minutes,
                max_guests=e.max_guests,
                digest_minutes=e.digest_minutes,
            ),
            exports_dir=self.exports_dir,
            retention_days=self.retention_days,
            canteen=CanteenSettings(
                cutoffs={
                    "lunch": time.fromisoformat(c.lunch_cutoff),
                    "dinner": time.fromisoformat(c.dinner_cutoff),
                },
                days_ahead=c.days_ahead,
                max_portions=c.max_portions,
                capacity=capacity,
                weekly_menu=weekly,
                price_tiers=tuple(
                    PriceTier(t.label, t.min_age, t.max_age, t.price) for t in c.price_tiers
                ),
            ),
            groups=self.chat_groups(platforms),
            notices=NoticeSettings(
                grace_minutes=self.announcement_settings.grace_minutes,
                quiet_start=quiet_start,
                quiet_end=quiet_end,
            ),
            community=self.community.name,
            timezone=ZoneInfo(self.community.timezone),
            bot_names=tuple(self.community.bot_names),
            platforms=platforms,
            building_aliases=dict(self.building_aliases),
            max_text=self.max_text,
            reports=ReportSettings(
                ack_minutes=r.ack_minutes,
                urgent_ack_minutes=r.urgent_ack_minutes,
                resolve_hours=r.resolve_hours,
                categories=tuple(
                    Category(
                        c.name,
                        tuple(c.keywords),
                        c.ack_minutes,
                        c.resolve_hours,
                        tuple(c.also_roles),
                        tuple(c.rules.items()),
                    )
                    for c in r.categories
                ),
                urgent_fire_words=tuple(r.urgent_fire_words),
                urgent_gas_words=tuple(r.urgent_gas_words),
                urgent_gas_rules=tuple(r.urgent_gas_rules),
                not_urgent_words=tuple(r.not_urgent_words),
                concepts={k: tuple(v) for k, v in r.concepts.items()},
                fire_line=r.fire_line,
                gas_line=r.gas_line,
                duplicate_window_hours=r.duplicate_window_hours,
                resolve_grace_hours=r.resolve_grace_hours,
                recheck_days=r.recheck_days,
                recheck_categories=tuple(r.recheck_categories),
                question_minutes=r.question_minutes,
            ),
        )


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str


class ConfigError(Exception):
    """The config cannot be used; says the file, and each key with its reason."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(f"{file}: {p.path}: {p.reason}" for p in problems))


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def check_references(cfg: Config) -> list[Problem]:
    """Problems that span keys: unknown people and buildings, duplicates, a building twice."""
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for i, person in enumerate(cfg.people):
        if person.name in names:
            problems.append(
                Problem(
                    f"people[{i}].name", f"{person.name!r} is already people[{names[person.name]}]"
                )
            )
        names.setdefault(person.name, i)
    seen_accounts: dict[str, str] = {}
    for i, person in enumerate(cfg.people):
        for j, account in enumerate(person.accounts):
            if account in seen_accounts:
                problems.append(
                    Problem(
                        f"people[{i}].accounts[{j}]",
                        f"{account!r} already belongs to {seen_accounts[account]}",
                    )
                )
            seen_accounts.setdefault(account, person.name)
    known = set(cfg.buildings)
    if len(known) != len(cfg.buildings):
        problems.append(Problem("buildings", "a building is listed twice"))
    alias_targets = set(cfg.building_aliases.values())
    for i, building in enumerate(cfg.buildings):
        # a report names a building as the parser reads it (１栋, 1号楼 → 1栋): any other
        # spelling here would send every report of that building to 社区 as unknown
        place = find_place(building, {})
        if place is not None and (
            place.label != building or place.start or place.end < len(building)
        ):
            problems.append(
                Problem(
                    f"buildings[{i}]",
                    f"{building!r} is not in the canonical form: write {place.label!r}",
                )
            )
        elif place is None and building not in alias_targets:
            problems.append(
                Problem(
                    f"buildings[{i}]",
                    f"{building!r} cannot be recognised in a report: write it as N栋,"
                    " or give it an entry in [building_aliases]",
                )
            )
    owner: dict[str, str] = {}
    grid_names: set[str] = set()
    for i, grid in enumerate(cfg.grids):
        if grid.name in grid_names:
            problems.append(Problem(f"grids[{i}].name", f"grid {grid.name!r} is defined twice"))
        grid_names.add(grid.name)
        for j, building in enumerate(grid.buildings):
            if building not in known:
                problems.append(
                    Problem(
                        f"grids[{i}].buildings[{j}]",
                        f"unknown building {building!r} (not in buildings)",
                    )
                )
            elif building in owner:
                problems.append(
                    Problem(
                        f"grids[{i}].buildings[{j}]",
                        f"{building!r} is already in grid {owner[building]!r}",
                    )
                )
            owner.setdefault(building, grid.name)
        for j, worker in enumerate(grid.workers):
            if worker not in names:
                problems.append(
                    Problem(
                        f"grids[{i}].workers[{j}]", f"unknown person {worker!r} (not in [[people]])"
                    )
                )
            elif "grid_worker" not in cfg.person(worker).roles:
                problems.append(
                    Problem(
                        f"grids[{i}].workers[{j}]", f"{worker!r} does not have the role grid_worker"
                    )
                )
    for alias, building in cfg.building_aliases.items():
        if building not in known:
            problems.append(
                Problem(
                    f"building_aliases.{alias}", f"unknown building {building!r} (not in buildings)"
                )
            )
    if cfg.telegram.enabled and not cfg.telegram.token:
        problems.append(
            Problem(
                "telegram.token", "required when telegram.enabled (or set LINLI_TELEGRAM_TOKEN)"
            )
        )
    group_names = [g.name for g in cfg.groups] + [cfg.console.group]
    for i, g in enumerate(cfg.groups):
        if group_names.index(g.name) != i:
            problems.append(Problem(f"groups[{i}].name", f"group {g.name!r} is defined twice"))
    keys: set[str] = set()
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # a one-off already past is no error here
    for i, a in enumerate(cfg.announcements):
        if a.key in keys:
            problems.append(Problem(f"announcements[{i}].key", f"{a.key!r} is used twice"))
        keys.add(a.key)
        try:
            _, rest = parse_schedule(a.schedule, now=long_ago, tz=ZoneInfo(cfg.community.timezone))
            if rest.strip():
                problems.append(
                    Problem(
                        f"announcements[{i}].schedule",
                        f"unexpected {rest.strip()!r} after the time",
                    )
                )
        except ScheduleError as exc:
            problems.append(Problem(f"announcements[{i}].schedule", str(exc)))
        for j, name in enumerate(a.groups):
            if name not in group_names:
                problems.append(
                    Problem(
                        f"announcements[{i}].groups[{j}]",
                        f"unknown group {name!r} (not in [[groups]])",
                    )
                )
    for key, table in (
        ("weekly_lunch", cfg.canteen.weekly_lunch),
        ("weekly_dinner", cfg.canteen.weekly_dinner),
    ):
        for day in table:
            if day not in WEEKDAYS:
                problems.append(
                    Problem(f"canteen.{key}.{day}", "not a weekday (周一, 周二, … 周日)")
                )
    for key in ("lunch_cutoff", "dinner_cutoff"):
        try:
            time.fromisoformat(getattr(cfg.canteen, key))
        except ValueError:
            problems.append(Problem(f"canteen.{key}", "not a time of day (HH:MM)"))
    for i, g in enumerate(cfg.groups):
        for j, building in enumerate(g.buildings):
            if building not in known:
                problems.append(
                    Problem(
                        f"groups[{i}].buildings[{j}]",
                        f"unknown building {building!r} (not in buildings)",
                    )
                )
    for j, building in enumerate(cfg.console.buildings or []):
        if building not in known:
            problems.append(
                Problem(
                    f"console.buildings[{j}]", f"unknown building {building!r} (not in buildings)"
                )
            )
    for i, person in enumerate(cfg.people):
        if person.leader is not None and person.leader not in names:
            problems.append(
                Problem(
                    f"people[{i}].leader", f"unknown person {person.leader!r} (not in [[people]])"
                )
            )
    leader_of = {p.name: p.leader for p in cfg.people}
    in_cycle: set[str] = set()
    for i, person in enumerate(cfg.people):
        chain = [person.name]
        while (up := leader_of.get(chain[-1])) is not None and up not in chain:
            chain.append(up)
        if up is not None and up == person.name and person.name not in in_cycle:
            in_cycle.update(chain)
            problems.append(
                Problem(
                    f"people[{i}].leader",
                    "a cycle of leaders: " + " → ".join([*chain, person.name]),
                )
            )
    addresses: set[str] = set()
    for i, h in enumerate(cfg.households):
        place = find_place(h.address, cfg.building_aliases)
        if place is None or place.building not in known:
            problems.append(
                Problem(
                    f"households[{i}].address",
                    f"{h.address!r} is not in a building of the community",
                )
            )
        elif place.label in addresses:
            problems.append(Problem(f"households[{i}].address", f"{h.address!r} is listed twice"))
        else:
            addresses.add(place.label)
        for j, member in enumerate(h.members):
            if member not in names:
                problems.append(
                    Problem(
                        f"households[{i}].members[{j}]",
                        f"unknown person {member!r} (not in [[people]])",
                    )
                )
        if h.lead is not None and h.lead not in names:
            problems.append(
                Problem(f"households[{i}].lead", f"unknown person {h.lead!r} (not in [[people]])")
            )
        elif h.lead is not None and "neighbor_lead" not in cfg.person(h.lead).roles:
            problems.append(
                Problem(f"households[{i}].lead", f"{h.lead!r} does not have the role neighbor_lead")
            )
    for i, service in enumerate(cfg.services):
        if service.provider not in names:
            problems.append(
                Problem(
                    f"services[{i}].provider",
                    f"unknown person {service.provider!r} (not in [[people]])",
                )
            )
    for i, tier in enumerate(cfg.canteen.price_tiers):
        if tier.min_age > tier.max_age:
            problems.append(Problem(f"canteen.price_tiers[{i}]", "min_age is above max_age"))
    if cfg.wechat.enabled and not cfg.wechat.token:
        problems.append(
            Problem("wechat.token", "required when wechat.enabled (or set LINLI_WECHAT_TOKEN)")
        )
    if cfg.telegram.enabled and cfg.telegram.mode == "webhook" and not cfg.telegram.webhook_url:
        problems.append(Problem("telegram.webhook_url", "required in webhook mode"))
    return problems


def _apply_env(raw: dict[str, Any], environ: dict[str, str]) -> None:
    for var, (section, key) in ENV_OVERRIDES.items():
        if environ.get(var):
            table = raw.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = environ[var]


def parse_config(text: str, file: str, environ: dict[str, str] | None = None) -> Config:
    """Validate config text; ConfigError lists every problem found."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, [Problem("(syntax)", str(exc))]) from None
    _apply_env(raw, dict(os.environ) if environ is None else environ)
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem(
                _path(err["loc"]), "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            )
            for err in exc.errors()
        ]
        raise ConfigError(file, problems) from None
    problems = check_references(cfg)
    if problems:
        raise ConfigError(file, problems)
    return cfg


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> Config:
    """Read and validate a config file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), [Problem("(file)", exc.strerror or str(exc))]) from None
    cfg = parse_config(text, str(p), environ)
    # a relative exports_dir is beside the config file, wherever the bot is started from
    exports = Path(cfg.exports_dir)
    if not exports.is_absolute():
        cfg = cfg.model_copy(update={"exports_dir": str(p.resolve().parent / exports)})
    return cfg
