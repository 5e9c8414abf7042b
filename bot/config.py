"""The config file: one TOML file, validated at start; errors name the file, key and reason."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from handlers.places import find_place
from handlers.settings import Group, Policy, Role, Settings, Strict
from handlers.when import ScheduleError, parse_schedule

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


class GroupConfig(Group):
    name: str = Field(min_length=1, max_length=100)
    platform: Literal["telegram", "wechat"]  # the console's group is console.group
    chat_id: str = Field(min_length=1)


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


class HouseholdConfig(Strict):
    address: str  # 5栋1单元102
    members: list[str] = []  # names from [[people]]
    key: bool = False  # a key household (visited weekly)
    reason: str | None = None  # 独居老人, 困境, 留守 …
    lead: str | None = None  # its 邻长 (a person with role neighbor_lead)
    area: float | None = Field(default=None, gt=0)  # floor area in m², for votes


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
    # the address staff reach it by (behind a proxy, or listening on 0.0.0.0), used in the
    # links 登录 sends; empty: http://listen:port
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")


class Config(Policy):
    """The whole file: the policy handlers follow (handlers/settings.py), and the rest."""

    storage: StorageConfig = StorageConfig()
    buildings: list[str] = Field(min_length=1)
    grids: list[GridConfig] = []
    people: list[PersonConfig] = []
    groups: list[GroupConfig] = []
    announcements: list[AnnouncementConfig] = []
    households: list[HouseholdConfig] = []
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
        found: list[Group] = [g for g in self.groups if g.platform in platforms]
        if "console" in platforms:
            buildings = self.buildings if self.console.buildings is None else self.console.buildings
            console = Group(
                name=self.console.group,
                platform="console",
                chat_id=CONSOLE_GROUP,
                buildings=tuple(buildings),
            )
            found.insert(0, console)
        return tuple(found)

    def settings(self, *, platforms: tuple[str, ...]) -> Settings:
        """The policy handlers follow, on these platforms."""
        return Settings.of(self, platforms=platforms, groups=self.chat_groups(platforms))


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
        if part == "[key]":  # a table's key, not its value, is wrong
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def check_references(cfg: Config) -> list[Problem]:
    """Problems that span keys: unknown people and buildings, duplicates, a building twice."""
    problems: list[Problem] = []

    def problem(path: str, reason: str) -> None:
        problems.append(Problem(path, reason))

    names: dict[str, int] = {}

    def person(path: str, name: str, role: str | None = None) -> None:
        if name not in names:
            problem(path, f"unknown person {name!r} (not in [[people]])")
        elif role is not None and role not in cfg.person(name).roles:
            problem(path, f"{name!r} does not have the role {role}")

    known = set(cfg.buildings)

    def building(path: str, name: str) -> bool:
        if name not in known:
            problem(path, f"unknown building {name!r} (not in buildings)")
        return name in known

    for i, p in enumerate(cfg.people):
        if p.name in names:
            problem(f"people[{i}].name", f"{p.name!r} is already people[{names[p.name]}]")
        names.setdefault(p.name, i)
    seen_accounts: dict[str, str] = {}
    for i, p in enumerate(cfg.people):
        for j, account in enumerate(p.accounts):
            if account in seen_accounts:
                problem(
                    f"people[{i}].accounts[{j}]",
                    f"{account!r} already belongs to {seen_accounts[account]}",
                )
            seen_accounts.setdefault(account, p.name)
    if len(known) != len(cfg.buildings):
        problem("buildings", "a building is listed twice")
    alias_targets = set(cfg.building_aliases.values())
    for i, name in enumerate(cfg.buildings):
        # a report names a building as the parser reads it (１栋, 1号楼 → 1栋): any other
        # spelling here would send every report of that building to 社区 as unknown
        place = find_place(name, {})
        if place is not None and (place.label != name or place.start or place.end < len(name)):
            problem(
                f"buildings[{i}]", f"{name!r} is not in the canonical form: write {place.label!r}"
            )
        elif place is None and name not in alias_targets:
            problem(
                f"buildings[{i}]",
                f"{name!r} cannot be recognised in a report: write it as N栋,"
                " or give it an entry in [building_aliases]",
            )
    owner: dict[str, str] = {}
    grid_names: set[str] = set()
    for i, grid in enumerate(cfg.grids):
        if grid.name in grid_names:
            problem(f"grids[{i}].name", f"grid {grid.name!r} is defined twice")
        grid_names.add(grid.name)
        for j, name in enumerate(grid.buildings):
            if building(f"grids[{i}].buildings[{j}]", name) and name in owner:
                problem(
                    f"grids[{i}].buildings[{j}]", f"{name!r} is already in grid {owner[name]!r}"
                )
            owner.setdefault(name, grid.name)
        for j, worker in enumerate(grid.workers):
            person(f"grids[{i}].workers[{j}]", worker, "grid_worker")
    for alias, name in cfg.building_aliases.items():
        building(f"building_aliases.{alias}", name)
    if cfg.telegram.enabled and not cfg.telegram.token:
        problem("telegram.token", "required when telegram.enabled (or set LINLI_TELEGRAM_TOKEN)")
    group_names = [g.name for g in cfg.groups] + [cfg.console.group]
    for i, g in enumerate(cfg.groups):
        if group_names.index(g.name) != i:
            problem(f"groups[{i}].name", f"group {g.name!r} is defined twice")
    keys: set[str] = set()
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # a one-off already past is no error here
    for i, a in enumerate(cfg.announcements):
        if a.key in keys:
            problem(f"announcements[{i}].key", f"{a.key!r} is used twice")
        keys.add(a.key)
        try:
            _, rest = parse_schedule(a.schedule, now=long_ago, tz=cfg.timezone)
            if rest.strip():
                problem(
                    f"announcements[{i}].schedule", f"unexpected {rest.strip()!r} after the time"
                )
        except ScheduleError as exc:
            problem(f"announcements[{i}].schedule", str(exc))
        for j, name in enumerate(a.groups):
            if name not in group_names:
                problem(
                    f"announcements[{i}].groups[{j}]", f"unknown group {name!r} (not in [[groups]])"
                )
    for i, g in enumerate(cfg.groups):
        for j, name in enumerate(g.buildings):
            building(f"groups[{i}].buildings[{j}]", name)
    for j, name in enumerate(cfg.console.buildings or []):
        building(f"console.buildings[{j}]", name)
    for i, p in enumerate(cfg.people):
        if p.leader is not None:
            person(f"people[{i}].leader", p.leader)
    leader_of = {p.name: p.leader for p in cfg.people}
    in_cycle: set[str] = set()
    for i, p in enumerate(cfg.people):
        chain = [p.name]
        while (up := leader_of.get(chain[-1])) is not None and up not in chain:
            chain.append(up)
        if up is not None and up == p.name and p.name not in in_cycle:
            in_cycle.update(chain)
            problem(f"people[{i}].leader", "a cycle of leaders: " + " → ".join([*chain, p.name]))
    addresses: set[str] = set()
    for i, h in enumerate(cfg.households):
        place = find_place(h.address, cfg.building_aliases)
        if place is None or place.building not in known:
            problem(
                f"households[{i}].address", f"{h.address!r} is not in a building of the community"
            )
        elif place.label in addresses:
            problem(f"households[{i}].address", f"{h.address!r} is listed twice")
        else:
            addresses.add(place.label)
        for j, member in enumerate(h.members):
            person(f"households[{i}].members[{j}]", member)
        if h.lead is not None:
            person(f"households[{i}].lead", h.lead, "neighbor_lead")
    for i, service in enumerate(cfg.services):
        person(f"services[{i}].provider", service.provider)
    for i, tier in enumerate(cfg.canteen.price_tiers):
        if tier.min_age > tier.max_age:
            problem(f"canteen.price_tiers[{i}]", "min_age is above max_age")
    if cfg.wechat.enabled and not cfg.wechat.token:
        problem("wechat.token", "required when wechat.enabled (or set LINLI_WECHAT_TOKEN)")
    if cfg.telegram.enabled and cfg.telegram.mode == "webhook" and not cfg.telegram.webhook_url:
        problem("telegram.webhook_url", "required in webhook mode")
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
    return validate_config(raw, file)


def validate_config(raw: dict[str, Any], file: str) -> Config:
    """Validate the file's tables; ConfigError lists every problem found."""
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
