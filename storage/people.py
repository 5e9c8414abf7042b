"""People, their accounts and roles, and the grids and buildings they look after."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from storage.conn import Conn, insert, new_id
from storage.directory import Account as Account
from storage.directory import DirectoryView, person_of
from storage.directory import Grid as Grid
from storage.directory import Person as Person
from storage.errors import NotFound
from storage.schema import (
    accounts,
    admin_changes,
    buildings,
    grid_workers,
    grids,
    inserted_id,
    leaves,
    meta,
    people,
    person_roles,
)


@dataclass(frozen=True)
class Change:
    actor_id: int | None
    action: str
    detail: str
    at: datetime


# the statements of the hot path (a message's sender, a stranger's first message), built once
# and executed with their parameters
_PERSON = sa.select(people, person_roles.c.role).outerjoin(
    person_roles, person_roles.c.person_id == people.c.id
)
_PERSON_BY_ID = _PERSON.where(people.c.id == sa.bindparam("person_id"))
_PERSON_BY_ACCOUNT = (
    _PERSON.add_columns(
        accounts.c.platform,
        accounts.c.native_id,
        accounts.c.display_name,
        accounts.c.unreachable_since,
        accounts.c.unreachable_reason,
    )
    .join(accounts, accounts.c.person_id == people.c.id)
    .where(
        accounts.c.platform == sa.bindparam("platform"),
        accounts.c.native_id == sa.bindparam("native_id"),
    )
)
_REGISTER_PERSON = people.insert()
_REGISTER_ACCOUNT = accounts.insert()


class PeopleRepository:
    """The directory: read from the process's snapshot (storage.directory), written to the
    database with the directory's version bumped in the same transaction."""

    def __init__(self, conn: Conn, directory: DirectoryView | None = None) -> None:
        self._conn = conn
        self._dir = directory if directory is not None else DirectoryView(conn)

    async def _person(self, params: dict[str, Any], *, account: bool = False) -> Person | None:
        """One person from the database, found by id (or, with `account`, by an account):
        one statement, their row once per role. Kept in the snapshot if this unit of work
        may (it did not know them: added since it was loaded)."""
        query = _PERSON_BY_ACCOUNT if account else _PERSON_BY_ID
        rows = (await self._conn.execute(query, params)).all()
        if not rows:
            return None
        row = rows[0]
        stored = frozenset(r.role for r in rows if r.role is not None)
        snapshot = await self._dir.known()
        if snapshot is None:
            return person_of(row, stored)
        person = snapshot.keep(row, stored)
        if account:
            snapshot.keep_account(
                Account(
                    row.platform,
                    row.native_id,
                    row.id,
                    row.display_name,
                    row.unreachable_since,
                    row.unreachable_reason,
                )
            )
        return person

    async def get(self, *, person_id: int) -> Person:
        """The person with this id; NotFound otherwise."""
        snapshot = await self._dir.snapshot()
        found = None
        if snapshot is not None:
            found = snapshot.persons.get(person_id) or self._dir.new_persons.get(person_id)
        if found is None:
            found = await self._person({"person_id": person_id})
        if found is None:
            raise NotFound(f"person {person_id}")
        return found

    async def find_by_name(self, *, name: str) -> Person | None:
        """The person of that name (a config name first), or None."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            configured = snapshot.by_config_name.get(name)
            ids = snapshot.names.get(name, []) + ([] if configured is None else [configured])
            if ids:  # as the query below orders them: a config name first, then the oldest
                first = min(ids, key=lambda i: (i not in snapshot.config_names, i))
                return snapshot.persons[first]
        pid = await self._conn.scalar(
            sa.select(people.c.id)
            .where(sa.or_(people.c.config_name == name, people.c.name == name))
            .order_by(people.c.config_name.is_(None), people.c.id)
            .limit(1)
        )
        return None if pid is None else await self.get(person_id=pid)

    async def by_account(self, *, platform: str, native_id: str) -> Person | None:
        """The person behind a platform account, or None if never seen."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            account = snapshot.by_account.get((platform, native_id))
            if account is not None and account.person_id in snapshot.persons:
                return snapshot.persons[account.person_id]
            account = self._dir.new_accounts.get((platform, native_id))
            if account is not None:
                return self._dir.new_persons[account.person_id]
        return await self._person({"platform": platform, "native_id": native_id}, account=True)

    async def register(
        self, *, platform: str, native_id: str, display_name: str, at: datetime
    ) -> Person:
        """Create a resident for an account seen for the first time."""
        pid = new_id(
            await insert(
                self._conn,
                _REGISTER_PERSON,
                {"name": display_name, "elderly": False, "lives_alone": False, "created_at": at},
            )
        )
        await insert(
            self._conn,
            _REGISTER_ACCOUNT,
            {
                "platform": platform,
                "native_id": native_id,
                "person_id": pid,
                "display_name": display_name,
            },
        )
        # as written, not read back; a new person: no version bump (see storage.directory)
        person = Person(
            id=pid,
            name=display_name,
            address=None,
            phone=None,
            elderly=False,
            lives_alone=False,
            roles=frozenset({"resident"}),
        )
        self._dir.added(person, Account(platform, native_id, pid, display_name))
        return person

    async def accounts_of(self, *, person_id: int) -> list[Account]:
        """Every platform account of a person."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None and person_id in snapshot.accounts:
            return list(snapshot.accounts[person_id])
        if snapshot is not None and person_id in self._dir.new_persons:
            return [a for a in self._dir.new_accounts.values() if a.person_id == person_id]
        rows = await self._conn.execute(
            accounts.select().where(accounts.c.person_id == person_id).order_by(accounts.c.platform)
        )
        found = [Account(**r._asdict()) for r in rows]
        snapshot = await self._dir.known()
        if snapshot is not None and person_id in snapshot.persons:
            snapshot.keep_accounts(person_id, found)
        return found

    async def mark_unreachable(
        self, *, platform: str, native_id: str, reason: str, at: datetime
    ) -> Account | None:
        """The platform refuses to message this account; returns it if it was reachable."""
        row = (
            await self._conn.execute(
                accounts.select().where(
                    accounts.c.platform == platform, accounts.c.native_id == native_id
                )
            )
        ).first()
        if row is None or row.unreachable_since is not None:
            return None
        await self._conn.execute(
            accounts.update()
            .where(accounts.c.platform == platform, accounts.c.native_id == native_id)
            .values(unreachable_since=at, unreachable_reason=reason[:200])
        )
        await self._dir.changed()
        return Account(**row._asdict())

    async def mark_reachable(self, *, platform: str, native_id: str) -> bool:
        """The account wrote to the bot privately: it can be messaged again."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            account = snapshot.by_account.get((platform, native_id))
            if account is not None and account.unreachable_since is None:
                return False  # reachable as of this transaction's version: nothing to do
        result = await self._conn.execute(
            accounts.update()
            .where(
                accounts.c.platform == platform,
                accounts.c.native_id == native_id,
                accounts.c.unreachable_since.is_not(None),
            )
            .values(unreachable_since=None, unreachable_reason=None)
        )
        if result.rowcount:
            await self._dir.changed()
        return bool(result.rowcount)

    async def staff(self) -> list[Person]:
        """Everyone holding a role beyond resident, in a stable order."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            return [
                snapshot.persons[pid]
                for pid, roles in sorted(snapshot.stored_roles.items())
                if roles - {"resident"}
            ]
        ids = await self._conn.scalars(
            sa.select(person_roles.c.person_id)
            .where(person_roles.c.role != "resident")
            .distinct()
            .order_by(person_roles.c.person_id)
        )
        return [await self.get(person_id=pid) for pid in ids]

    async def set_address(self, *, person_id: int, address: str) -> None:
        """Bind a person's home address (绑定)."""
        await self._conn.execute(
            people.update().where(people.c.id == person_id).values(address=address)
        )
        await self._dir.changed()

    async def with_role(self, *, role: str) -> list[Person]:
        """Everyone holding `role`, in a stable order."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            return [
                snapshot.persons[pid]
                for pid, roles in sorted(snapshot.stored_roles.items())
                if role in roles
            ]
        ids = await self._conn.scalars(
            sa.select(person_roles.c.person_id)
            .where(person_roles.c.role == role)
            .order_by(person_roles.c.person_id)
        )
        return [await self.get(person_id=pid) for pid in ids]

    async def upsert_config_person(
        self,
        *,
        name: str,
        address: str | None,
        phone: str | None,
        elderly: bool,
        lives_alone: bool,
        roles: list[str],
        accounts_: list[tuple[str, str]],
        at: datetime,
        birth_year: int | None = None,
    ) -> int:
        """Make the database agree with one [[people]] entry of the config; return its id."""
        await self._dir.changed()
        values: dict[str, object] = dict(
            name=name, elderly=elderly, lives_alone=lives_alone, birth_year=birth_year
        )
        # an address or phone bound in chat stays unless the config says otherwise
        if address is not None:
            values["address"] = address
        if phone is not None:
            values["phone"] = phone
        pid = await self._conn.scalar(sa.select(people.c.id).where(people.c.config_name == name))
        if pid is None:
            pid = inserted_id(
                await self._conn.execute(
                    people.insert().values(config_name=name, created_at=at, **values)
                )
            )
        else:
            await self._conn.execute(people.update().where(people.c.id == pid).values(**values))
        await self._conn.execute(person_roles.delete().where(person_roles.c.person_id == pid))
        for role in sorted(set(roles)):
            await self._conn.execute(person_roles.insert().values(person_id=pid, role=role))
        for platform, native_id in accounts_:
            await self._conn.execute(
                accounts.delete().where(
                    accounts.c.platform == platform, accounts.c.native_id == native_id
                )
            )
            await self._conn.execute(
                accounts.insert().values(
                    platform=platform, native_id=native_id, person_id=pid, display_name=name
                )
            )
        return int(pid)

    async def set_grids(self, *, layout: dict[str, tuple[list[str], list[int]]]) -> None:
        """Replace grids with `{grid: (buildings, worker ids)}`; unknown buildings stay gridless."""
        await self._dir.changed()
        await self._conn.execute(grid_workers.delete())
        await self._conn.execute(buildings.update().values(grid_id=None))
        for grid_name, (names, worker_ids) in layout.items():
            gid = await self._conn.scalar(sa.select(grids.c.id).where(grids.c.name == grid_name))
            if gid is None:
                gid = inserted_id(await self._conn.execute(grids.insert().values(name=grid_name)))
            for building in names:
                await self._conn.execute(
                    buildings.update().where(buildings.c.name == building).values(grid_id=gid)
                )
            for wid in worker_ids:
                await self._conn.execute(grid_workers.insert().values(grid_id=gid, person_id=wid))

    async def add_buildings(self, *, names: list[str]) -> None:
        """Make sure each building exists."""
        existing = set(await self._conn.scalars(sa.select(buildings.c.name)))
        missing = [name for name in names if name not in existing]
        for name in missing:
            await self._conn.execute(buildings.insert().values(name=name, grid_id=None))
        if missing:
            await self._dir.changed()

    async def building_exists(self, *, name: str) -> bool:
        """Whether the community has this building."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            return name in snapshot.buildings
        found = await self._conn.scalar(sa.select(buildings.c.name).where(buildings.c.name == name))
        return found is not None

    async def grid_of_building(self, *, name: str) -> Grid | None:
        """The grid a building belongs to, or None."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            gid = snapshot.buildings.get(name)
            return None if gid is None else snapshot.grids.get(gid)
        row = (
            await self._conn.execute(
                sa.select(grids.c.id, grids.c.name, grids.c.backup_id)
                .join(buildings, buildings.c.grid_id == grids.c.id)
                .where(buildings.c.name == name)
            )
        ).first()
        return None if row is None else Grid(row.id, row.name, row.backup_id)

    async def workers_of_grid(self, *, grid_id: int) -> list[Person]:
        """The grid workers of a grid, in a stable order."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            return [snapshot.persons[pid] for pid in snapshot.workers.get(grid_id, [])]
        ids = await self._conn.scalars(
            sa.select(grid_workers.c.person_id)
            .where(grid_workers.c.grid_id == grid_id)
            .order_by(grid_workers.c.person_id)
        )
        return [await self.get(person_id=pid) for pid in ids]

    # --- admin in chat ----------------------------------------------------------------------

    async def grid_named(self, *, name: str) -> Grid | None:
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            return next((g for g in snapshot.grids.values() if g.name == name), None)
        row = (await self._conn.execute(grids.select().where(grids.c.name == name))).first()
        return None if row is None else Grid(row.id, row.name, row.backup_id)

    async def all_grids(self) -> list[Grid]:
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            return list(snapshot.grids.values())
        rows = await self._conn.execute(grids.select().order_by(grids.c.id))
        return [Grid(r.id, r.name, r.backup_id) for r in rows]

    async def all_buildings(self) -> list[str]:
        """Every building of the community, 1栋 before 10栋."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            names: Iterable[str] = snapshot.buildings
        else:
            names = await self._conn.scalars(sa.select(buildings.c.name))
        return sorted(names, key=lambda n: (len(n), n))

    async def buildings_of_grid(self, *, grid_id: int) -> list[str]:
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            names: Iterable[str] = [b for b, g in snapshot.buildings.items() if g == grid_id]
        else:
            names = await self._conn.scalars(
                sa.select(buildings.c.name).where(buildings.c.grid_id == grid_id)
            )
        return sorted(names, key=lambda n: (len(n), n))

    async def add_role(self, *, person_id: int, role: str) -> bool:
        """Give a role; False if they had it."""
        if role in (await self.get(person_id=person_id)).roles and role != "resident":
            return False
        await self._conn.execute(person_roles.insert().values(person_id=person_id, role=role))
        await self._dir.changed()
        return True

    async def remove_role(self, *, person_id: int, role: str) -> bool:
        """Take a role away; False if they did not have it."""
        result = await self._conn.execute(
            person_roles.delete().where(
                person_roles.c.person_id == person_id, person_roles.c.role == role
            )
        )
        if result.rowcount:
            await self._dir.changed()
        return bool(result.rowcount)

    async def add_worker(self, *, grid_id: int, person_id: int) -> bool:
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            exists = person_id in snapshot.workers.get(grid_id, [])
        else:
            exists = bool(
                await self._conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(grid_workers)
                    .where(grid_workers.c.grid_id == grid_id, grid_workers.c.person_id == person_id)
                )
            )
        if exists:
            return False
        await self._conn.execute(grid_workers.insert().values(grid_id=grid_id, person_id=person_id))
        await self._dir.changed()
        return True

    async def remove_worker(self, *, grid_id: int, person_id: int) -> bool:
        result = await self._conn.execute(
            grid_workers.delete().where(
                grid_workers.c.grid_id == grid_id, grid_workers.c.person_id == person_id
            )
        )
        if result.rowcount:
            await self._dir.changed()
        return bool(result.rowcount)

    async def move_building(self, *, name: str, grid_id: int) -> None:
        await self._conn.execute(
            buildings.update().where(buildings.c.name == name).values(grid_id=grid_id)
        )
        await self._dir.changed()

    async def set_backup(self, *, grid_id: int, person_id: int | None) -> None:
        await self._conn.execute(
            grids.update().where(grids.c.id == grid_id).values(backup_id=person_id)
        )
        await self._dir.changed()

    async def set_leave(self, *, person_id: int, until: date, by: int, at: datetime) -> None:
        await self._conn.execute(leaves.delete().where(leaves.c.person_id == person_id))
        await self._conn.execute(
            leaves.insert().values(person_id=person_id, until=until, set_by=by, at=at)
        )
        await self._dir.changed()

    async def end_leave(self, *, person_id: int) -> bool:
        result = await self._conn.execute(leaves.delete().where(leaves.c.person_id == person_id))
        if result.rowcount:
            await self._dir.changed()
        return bool(result.rowcount)

    async def away_until(self, *, person_id: int, today: date) -> date | None:
        """The last day of a person's leave, if they are away today."""
        snapshot = await self._dir.snapshot()
        if snapshot is not None:
            last = snapshot.leaves.get(person_id)
            return last if last is not None and last >= today else None
        until: date | None = await self._conn.scalar(
            sa.select(leaves.c.until).where(
                leaves.c.person_id == person_id, leaves.c.until >= today
            )
        )
        return until

    async def record_change(
        self, *, actor_id: int | None, action: str, detail: str, at: datetime
    ) -> None:
        """Append to the audit trail of admin changes."""
        await self._conn.execute(
            admin_changes.insert().values(actor_id=actor_id, action=action, detail=detail, at=at)
        )

    async def changes(self, *, limit: int) -> list[Change]:
        """The latest admin changes, newest first."""
        rows = await self._conn.execute(
            admin_changes.select().order_by(admin_changes.c.id.desc()).limit(limit)
        )
        return [Change(r.actor_id, r.action, r.detail, r.at) for r in rows]

    async def get_meta(self, *, key: str) -> str | None:
        value: str | None = await self._conn.scalar(
            sa.select(meta.c.value).where(meta.c.key == key)
        )
        return value

    async def set_meta(self, *, key: str, value: str) -> None:
        await self._conn.execute(meta.delete().where(meta.c.key == key))
        await self._conn.execute(meta.insert().values(key=key, value=value))
