"""The config is the starting state of the directory: people, roles, buildings, grids."""

from __future__ import annotations

from datetime import datetime

from bot.config import Config
from storage import Database


async def seed_directory(db: Database, cfg: Config, *, at: datetime) -> None:
    """Make the database's people, buildings and grids agree with the config."""
    async with db.unit_of_work() as uow:
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
            )
        await uow.people.set_grids(
            layout={g.name: (g.buildings, [ids[w] for w in g.workers]) for g in cfg.grids}
        )
