"""The repositories of one transaction."""

from __future__ import annotations

from storage.claims import ClaimRepository
from storage.conn import Conn
from storage.dead_letters import DeadLetterRepository
from storage.directory import DirectoryView, Transaction
from storage.events import EventRepository
from storage.households import HouseholdRepository
from storage.inbound import InboundRepository
from storage.leases import HeartbeatRepository, LeaseRepository
from storage.meals import MealRepository
from storage.notices import NoticeRepository
from storage.orders import OrderRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.privacy import PrivacyRepository
from storage.questions import QuestionRepository
from storage.reports import ReportRepository
from storage.stats import StatsRepository
from storage.votes import VoteRepository
from storage.workbench import WorkbenchRepository


class UnitOfWork:
    """Repositories sharing one connection and its transaction."""

    def __init__(self, conn: Conn, transaction: Transaction | None = None) -> None:
        self.conn = conn
        # the households and privacy write to it too; `transaction`: what the units of work
        # of one transaction share about it (a batch's savepoints)
        directory = DirectoryView(conn, transaction)
        self.directory = directory
        self.people = PeopleRepository(conn, directory)
        self.reports = ReportRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.inbound = InboundRepository(conn)
        self.questions = QuestionRepository(conn)
        self.notices = NoticeRepository(conn)
        self.meals = MealRepository(conn)
        self.claims = ClaimRepository(conn)
        self.events = EventRepository(conn)
        self.stats = StatsRepository(conn)
        self.households = HouseholdRepository(conn, directory)
        self.orders = OrderRepository(conn)
        self.votes = VoteRepository(conn)
        self.privacy = PrivacyRepository(conn, directory)
        self.leases = LeaseRepository(conn)
        self.dead_letters = DeadLetterRepository(conn)
        self.heartbeats = HeartbeatRepository(conn)
        self.workbench = WorkbenchRepository(conn)
