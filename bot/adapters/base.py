"""What the Sender needs of a platform adapter."""

from __future__ import annotations

from typing import Protocol

from storage.outbox import Delivery


class DeliveryFailed(Exception):
    """A send did not go through. `permanent`: never retry; `retry_after`: seconds to wait."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class Adapter(Protocol):
    platform: str

    async def send(self, delivery: Delivery) -> None:
        """Deliver one outbox row; raise DeliveryFailed when it did not go through."""
        ...
