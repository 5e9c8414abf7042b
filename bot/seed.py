"""The config is the starting state of the directory: people, roles, buildings, grids."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from handlers.announcements import ROTATION_WORDS
from handlers.places import find_place
from handlers.when import ScheduleError, next_fire, parse_schedule
from storage import Database

log = logging.getLogger(__name__)


def directory_fingerprint(cfg: Config) -> str:
    """What the directory part of the config says, as a hash."""
    part = {
        "buildings": cfg.buildings,
        "grids": [g.model_dump() for g in cfg.grids],
        "people": [p.model_dump() for p in cfg.people],
        "households": [h.model_dump() for h in cfg.households],
    }
    return hashlib.sha256(json.dumps(part, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def seed_directory(db: Database, cfg: Config, *, at: datetime) -> None:
    """Make people, buildings and grids agree with the config — when the config changed.

    The config is the starting state: changes made by admins in chat stay until the
    config's directory is edited, which then wins (and says so in the audit trail)."""
    fingerprint = directory_fingerprint(cfg)
    async with db.unit_of_work() as uow:
        previous = await uow.people.get_meta(key="directory")
        if previous == fingerprint:
            return
        if previous is not None:
            log.warning("the config's people or grids changed: they replace changes made in chat")
            await uow.people.record_change(
                actor_id=None,
                action="config",
                detail="配置文件的人员或网格有改动，已按配置文件更新",
                at=at,
            )
        await uow.people.set_meta(key="directory", value=fingerprint)
        await uow.people.add_buildings(names=cfg.buildings)
        ids: dict[str, int] = {}
        for p in cfg.people:
            accounts = [tuple(a.split(":", 1)) for a in p.accounts]
            accounts.append(("console", p.name))
            ids[p.name] = await uow.people.upsert_config_person(
                name=p.name,
                address=p.address,
                phone=p.phone,
                elderly=p.elderly,
                lives_alone=p.lives_alone,
                roles=list(p.roles),
                accounts_=[(platform, native) for platform, native in accounts],
                at=at,
                birth_year=p.birth_year,
            )
        await uow.people.set_grids(
            layout={g.name: (g.buildings, [ids[w] for w in g.workers]) for g in cfg.grids}
        )
        for p in cfg.people:
            await uow.households.set_leader(
                person_id=ids[p.name], leader_id=ids[p.leader] if p.leader else None
            )
        for h in cfg.households:
            place = find_place(h.address, cfg.building_aliases)
            assert place is not None  # checked with the config
            await uow.households.upsert(
                address=place.label,
                building=place.building,
                key=h.key,
                reason=h.reason,
                lead_id=ids[h.lead] if h.lead else None,
                members=[ids[m] for m in h.members],
                area=h.area,
                at=at,
            )


async def seed_notices(db: Database, cfg: Config, *, at: datetime) -> None:
    """Make the notices of [[announcements]] exist; an edited entry is rescheduled."""
    tz = ZoneInfo(cfg.community.timezone)
    async with db.unit_of_work() as uow:
        for a in cfg.announcements:
            try:
                schedule, _ = parse_schedule(a.schedule, now=at, tz=tz)
                first = next_fire(schedule, after=None, now=at, tz=tz)
            except ScheduleError:  # a one-off already in the past: nothing left to post
                schedule, _ = parse_schedule(a.schedule, now=at, tz=tz, past=True)
                first = None
            text = a.text.strip()
            rotate = a.rotate or text in ROTATION_WORDS  # the word: older config files
            if rotate:  # said so in the list of notices, as when made in chat
                text = text or ROTATION_WORDS[0]
            existing = await uow.notices.by_config_key(key=a.key)
            if existing is None:
                notice = await uow.notices.add(
                    text=text,
                    schedule=schedule.label,
                    cron=schedule.cron,
                    run_at=schedule.run_at,
                    pin=a.pin,
                    rotate=rotate,
                    targets=list(a.groups),
                    next_run_at=first,
                    created_by=None,
                    at=at,
                    config_key=a.key,
                )
            else:
                same = (
                    existing.text,
                    existing.rotate,
                    existing.schedule,
                    existing.pin,
                    existing.targets,
                ) == (text, rotate, schedule.label, a.pin, tuple(sorted(set(a.groups))))
                if same:
                    continue  # unchanged: it keeps its state (next run, paused or not)
                notice = await uow.notices.replace_definition(
                    notice_id=existing.id,
                    text=text,
                    schedule=schedule.label,
                    cron=schedule.cron,
                    run_at=schedule.run_at,
                    pin=a.pin,
                    rotate=rotate,
                    targets=list(a.groups),
                    next_run_at=first,
                )
            if first is None:
                await uow.notices.finish(notice_id=notice.id)
