"""The recording index of a simulated recorder (ONVIF Profile G): what the retention check reads.

A recording holds one video track per channel; its footage is a list of segments, as the
device's own storage would report it (a segment may be contradictory on purpose: tests feed
such answers to the checker). An open segment runs until the device's "now".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class Segment:
    start: datetime
    end: datetime | None = None  # None: still recording


@dataclass
class Recording:
    token: str
    source_token: str
    segments: list[Segment] = field(default_factory=list)
    max_retention: timedelta = timedelta(days=30)
    status: str = "Recording"  # tt:RecordingStatus

    def span(self, now: datetime) -> tuple[datetime, datetime] | None:
        """(earliest footage, latest footage) as the device reports them."""
        if not self.segments:
            return None
        return self.segments[0].start, max(s.end or now for s in self.segments)


@dataclass(frozen=True)
class DataPresence:
    """A RecordingHistory/Track/State event: footage starts (True) or stops (False)."""

    recording: str
    at: datetime
    present: bool
    start_state: bool = False


@dataclass
class Search:
    token: str
    kind: str  # "recordings" or "events"
    results: list[Recording] | list[DataPresence]
    keep_alive: timedelta
    expires: datetime
    delivered: int = 0


@dataclass
class RecordingIndex:
    recordings: list[Recording] = field(default_factory=list)
    searches: dict[str, Search] = field(default_factory=dict)
    max_searches: int = 4
    # Misbehaviour: a search that never completes (the recorder's index is stuck).
    search_hangs: bool = False
    # Contradictory answers, as broken firmware gives them: "summary_inverted" (DataUntil
    # before DataFrom), "tracks_outside_summary" (the summary starts after the tracks) or
    # "track_inverted" (a track's DataTo before its DataFrom).
    index_fault: str | None = None
    searches_started: int = 0
    searches_ended: int = 0

    def live_searches(self, now: datetime) -> dict[str, Search]:
        for token in [t for t, s in self.searches.items() if s.expires < now]:
            del self.searches[token]
        return self.searches

    def get(self, token: str) -> Recording | None:
        return next((r for r in self.recordings if r.token == token), None)

    def history(
        self, tokens: set[str], start: datetime, end: datetime, start_state: bool, now: datetime
    ) -> list[DataPresence]:
        """Data present / absent transitions of the video tracks between start and end
        (either order: a search backwards in time lists them newest first)."""
        low, high = min(start, end), max(start, end)
        out: list[DataPresence] = []
        for r in self.recordings:
            if tokens and r.token not in tokens:
                continue
            if start_state:
                present = any(s.start <= low < (s.end or now) for s in r.segments)
                out.append(DataPresence(r.token, low, present, start_state=True))
            for seg in r.segments:
                if low <= seg.start <= high:
                    out.append(DataPresence(r.token, seg.start, True))
                if seg.end is not None and low <= seg.end <= high:
                    out.append(DataPresence(r.token, seg.end, False))
        out.sort(key=lambda e: (e.at, not e.start_state), reverse=end < start)
        return out


def footage(
    now: datetime, days: float, gaps: list[tuple[float, float]] | None = None, recording: bool = True
) -> list[Segment]:
    """Footage from ``days`` ago until now, minus gaps given as (from, to) in days ago."""
    start = now - timedelta(days=days)
    edges = sorted(gaps or [], key=lambda g: -g[0])
    segments = []
    for gap_from, gap_to in edges:
        gap_start, gap_end = now - timedelta(days=gap_from), now - timedelta(days=gap_to)
        if gap_start > start:
            segments.append(Segment(start, gap_start))
        start = max(start, gap_end)
    segments.append(Segment(start, None if recording else now))
    return segments
