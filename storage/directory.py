"""The directory (people, accounts, roles, grids, buildings, leaves) held in memory.

Every handled message reads the directory several times (the sender, their roles, the grid
of a building, its workers and their accounts). A process keeps one snapshot of it per
database and checks, once per unit of work and with one statement, that the
`directory_version` row in `meta` still says what the snapshot was loaded at. Every change
to those tables bumps that row in its own transaction, so a change committed by any worker
is seen by every other worker's next unit of work, and a rolled-back change is never seen.

A unit of work that has written to the directory reads it from the database for the rest of
its transaction (its own changes are not yet everyone's), and nothing it reads goes into the
shared snapshot.

One kind of write does not bump the version: a brand-new person (a stranger's first message,
the shared anonymous person). Nobody's snapshot can hold what did not exist, and every lookup
that could find them (by id, by account, by name) asks the database when the snapshot does
not know the answer, then keeps what it found; lists (roles, grid workers) cannot hold them
until a change that does bump the version.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from storage.conn import Conn, Rows, off_loop
from storage.schema import (
    accounts,
    buildings,
    grid_workers,
    grids,
    leaves,
    meta,
    people,
    person_roles,
)

VERSION_KEY = "directory_version"  # meta key: a counter bumped by every directory change
_VERSION = sa.select(meta.c.value).where(meta.c.key == VERSION_KEY)  # built once: every message


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    address: str | None
    phone: str | None
    elderly: bool
    lives_alone: bool
    roles: frozenset[str]
    birth_year: int | None = None

    def has_any(self, *roles: str) -> bool:
        """Whether the person holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class Account:
    platform: str
    native_id: str
    person_id: int
    display_name: str
    unreachable_since: datetime | None = None
    unreachable_reason: str | None = None


@dataclass(frozen=True)
class Grid:
    id: int
    name: str
    backup_id: int | None = None


def person_of(row: sa.Row[Any], stored_roles: frozenset[str]) -> Person:
    """A Person from a `people` row and the roles stored for it."""
    return Person(
        id=row.id,
        name=row.name,
        address=row.address,
        phone=row.phone,
        elderly=row.elderly,
        lives_alone=row.lives_alone,
        roles=stored_roles | {"resident"},
        birth_year=row.birth_year,
    )


@dataclass
class Snapshot:
    """The whole directory as committed at `version` (or later)."""

    version: str
    persons: dict[int, Person] = field(default_factory=dict)
    config_names: dict[int, str] = field(default_factory=dict)  # person id → config name
    by_config_name: dict[str, int] = field(default_factory=dict)  # config name → person id
    names: dict[str, list[int]] = field(default_factory=dict)  # name → person ids, ascending
    stored_roles: dict[int, frozenset[str]] = field(default_factory=dict)  # as in person_roles
    accounts: dict[int, list[Account]] = field(default_factory=dict)  # by platform
    by_account: dict[tuple[str, str], Account] = field(default_factory=dict)
    grids: dict[int, Grid] = field(default_factory=dict)  # ascending id
    buildings: dict[str, int | None] = field(default_factory=dict)  # building → grid id
    workers: dict[int, list[int]] = field(default_factory=dict)  # grid id → person ids
    leaves: dict[int, date] = field(default_factory=dict)  # person id → last day away

    def keep(self, row: sa.Row[Any], stored_roles: frozenset[str]) -> Person:
        """Add one person (a `people` row and the roles stored for them); return them."""
        person = person_of(row, stored_roles)
        self.persons[person.id] = person
        self.stored_roles[person.id] = stored_roles
        if row.config_name is not None:
            self.config_names[person.id] = row.config_name
            self.by_config_name[row.config_name] = person.id
        ids = self.names.setdefault(person.name, [])
        if person.id not in ids:
            ids.append(person.id)
            ids.sort()
        return person

    def keep_account(self, account: Account) -> None:
        """Add one account (its person's other accounts stay unknown until asked for)."""
        self.by_account[(account.platform, account.native_id)] = account

    def keep_accounts(self, person_id: int, kept: list[Account]) -> None:
        """Add every account of a person."""
        self.accounts[person_id] = sorted(kept, key=lambda a: a.platform)
        for account in kept:
            self.keep_account(account)


async def load(conn: Conn, version: str) -> Snapshot:
    """Read the whole directory (seven statements, off the event loop: a city's directory is
    tens of thousands of rows)."""

    async def read(statement: sa.Select[Any]) -> Rows:
        return await conn.execute(off_loop(statement))

    snapshot = Snapshot(version)
    roles: dict[int, set[str]] = {}
    for pid, role in await read(sa.select(person_roles.c.person_id, person_roles.c.role)):
        roles.setdefault(pid, set()).add(role)
    kept: dict[int, list[Account]] = {}
    for row in await read(accounts.select()):
        kept.setdefault(row.person_id, []).append(Account(**row._asdict()))
    for row in await read(people.select().order_by(people.c.id)):
        snapshot.keep(row, frozenset(roles.get(row.id, ())))
        snapshot.keep_accounts(row.id, kept.get(row.id, []))
    for row in await read(grids.select().order_by(grids.c.id)):
        snapshot.grids[row.id] = Grid(row.id, row.name, row.backup_id)
    for name, gid in await read(sa.select(buildings.c.name, buildings.c.grid_id)):
        snapshot.buildings[name] = gid
    for gid, pid in await read(
        sa.select(grid_workers.c.grid_id, grid_workers.c.person_id).order_by(
            grid_workers.c.grid_id, grid_workers.c.person_id
        )
    ):
        snapshot.workers.setdefault(gid, []).append(pid)
    for pid, until in await read(sa.select(leaves.c.person_id, leaves.c.until)):
        snapshot.leaves[pid] = max(until, snapshot.leaves.get(pid, until))
    return snapshot


class _Shared:
    """One process's snapshot of one database."""

    snapshot: Snapshot | None = None


# one snapshot per engine (a Database): a second Database on the same file is another worker
_SHARED: weakref.WeakKeyDictionary[sa.Engine, _Shared] = weakref.WeakKeyDictionary()


@dataclass
class Transaction:
    """What the units of work of one transaction (a message's own, or a batch's savepoints)
    share about the directory."""

    # a brand-new person is written and not yet committed: nothing read from the database
    # may go into the shared snapshot (the transaction may still roll back, and a batch's
    # next message would keep a person who never was)
    added: bool = False
    # on SQLite, the version as read once: the transaction holds the file's write lock from
    # its BEGIN IMMEDIATE, so no one else bumps it meanwhile (a batch commits at once after
    # a bump of its own, and begins a new transaction)
    version: str | None = None


class DirectoryView:
    """One unit of work's view of the directory: the shared snapshot, checked once, until
    the unit of work changes the directory; from then on, the database. A brand-new person
    (a stranger's first message) is no change: the snapshot stays in use, and the person is
    known to this unit of work alone until it commits."""

    def __init__(self, conn: Conn, transaction: Transaction | None = None) -> None:
        self._conn = conn
        self._shared = _SHARED.setdefault(conn.sync_engine, _Shared())
        self._tx = transaction if transaction is not None else Transaction()
        self._once = conn.dialect.name == "sqlite"  # the version read once a transaction
        self._snapshot: Snapshot | None = None
        self.wrote = False
        self.bumped = False  # the version (a batch commits at once after: storage.db)
        # people this unit of work added (and their accounts), as it wrote them
        self.new_persons: dict[int, Person] = {}
        self.new_accounts: dict[tuple[str, str], Account] = {}

    async def snapshot(self) -> Snapshot | None:
        """The directory as committed, or None once this unit of work has written to it."""
        if self.wrote:
            return None
        if self._snapshot is None:
            version = self._tx.version if self._once else None
            if version is None:
                version = await self._conn.scalar(_VERSION)
                self._tx.version = version
            if version is None:  # no version row: nothing could keep a snapshot right
                self.wrote = True
                return None
            cached = self._shared.snapshot
            if cached is None or cached.version != version:
                # read after the version: what is loaded is at least that new
                cached = await load(self._conn, version)
                self._shared.snapshot = cached
            self._snapshot = cached
        return self._snapshot

    async def known(self) -> Snapshot | None:
        """The snapshot in use, if what this unit of work reads from the database may be kept
        in it (nothing written yet, and the snapshot still the process's current one)."""
        snapshot = await self.snapshot()
        if self._tx.added:
            return None
        return snapshot if snapshot is self._shared.snapshot else None

    def added(self, person: Person | None = None, account: Account | None = None) -> None:
        """A brand-new person was inserted (see the module's note on why no version is
        bumped): known here as written; nothing is kept in the shared snapshot until the
        transaction ends."""
        self._tx.added = True
        if person is not None:
            self.new_persons[person.id] = person
        if account is not None:
            self.new_accounts[(account.platform, account.native_id)] = account

    async def changed(self) -> None:
        """The directory was changed in this transaction: bump the version with it."""
        self.wrote = self.bumped = True
        await bump(self._conn)


async def bump(conn: Conn) -> None:
    """Bump the directory's version in this transaction (one statement; concurrent bumps
    queue on the row)."""
    await conn.execute(
        meta.update()
        .where(meta.c.key == VERSION_KEY)
        .values(value=sa.cast(sa.cast(meta.c.value, sa.Integer) + 1, sa.Text))
    )
