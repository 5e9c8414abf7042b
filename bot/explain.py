"""`linli explain "…"`: how the bot understands a text, with the config's vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.app import build_registry
from handlers import reports
from handlers.settings import Settings
from handlers.understanding import Understanding, understand


def reader(settings: Settings, *, group: bool = True) -> Callable[[str, date], Understanding]:
    """A function reading one text as the bot would (in a group by default)."""
    registry = build_registry(settings)
    lexicon = reports.lexicon_of(settings.reports)

    def match(text: str) -> tuple[str | None, str, float] | None:
        found = registry.match(text, group=group)
        if found is None:
            return None
        return (found.command.name if found.command else None), found.args, found.confidence

    def read(text: str, today: date) -> Understanding:
        return understand(
            text, match, today=today, lexicon=lexicon, aliases=settings.building_aliases
        )

    return read
