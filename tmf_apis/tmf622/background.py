"""TMF622's background work: cancellations due (cancellation.py) and completions left over by a
stopped process (completion.py), each in a thread of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from persistence.store import ResourceStore
from settings import Settings
from tmf_apis.rules import Reaction
from tmf_apis.tmf622.cancellation import CancellationScheduler
from tmf_apis.tmf622.completion import CompletionSweeper


def start_background(
    stores: Mapping[str, ResourceStore],
    schemas: Mapping[str, object],
    settings: Settings,
    reactions: Mapping[str, Sequence[Reaction]],
) -> Callable[[], None]:
    interval = settings.scheduler_poll_ms / 1000
    stops = [
        CancellationScheduler(stores, interval).start(),
        CompletionSweeper(stores, settings, reactions, interval).start(),
    ]

    def stop() -> None:
        for each in stops:
            each()

    return stop
