"""Retention's judge: what a channel is held to, each finding's rule and the verdict, each
written once, and the two statements that apply them set-based in PostgreSQL.

- :data:`JUDGE_READINGS`: the raw readings of one batch wait in the temporary table
  :data:`READINGS`; one INSERT ... SELECT judges them all and writes each observation once,
  already judged (an UPDATE afterwards would write every row twice).
- :data:`REJUDGE_CHANNELS`: every active channel judged again from its stored spans, with
  today's date and the packs' rules now (a recently accepted system falls due, a category's
  period of another law applies); one UPDATE of the channels whose judgement changed. What only a
  comparison of two readings shows (deletions, gaps, a stopped recording) stays as seen.

Footage is a ``tstzmultirange``; the window is the required days back from the check. Gaps
shorter than the jurisdiction's threshold are breaks, not gaps. A gap where the last reading
had footage is footage deleted; one where it had none (or with no last reading) is an
interruption. Findings are kinds here; their articles come from the packs (findings.py).

The statements take no parameters: their constants are written into the SQL
(``literal_execute``), as in a hand-written statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    Column,
    Date,
    FromClause,
    Interval,
    Join,
    MetaData,
    Numeric,
    Table,
    Text,
    and_,
    case,
    cast,
    extract,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSTZMULTIRANGE, TSTZRANGE, aggregate_order_by, array
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.dml import ReturningInsert, Update
from sqlalchemy.sql.elements import ColumnElement, KeyedColumnElement

from services.retention.models import (
    Base,
    Channel,
    JurisdictionRule,
    MirroredDevice,
    MirroredMaintenanceWindow,
    MirroredPlace,
    MirroredSystem,
    MirroredUnit,
    Observation,
    RetentionRule,
)

# The facts of one channel a rule reads, by name: the columns of a step of a statement.
Facts = ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]

_GENERAL_RULE = ""  # the category of a pack's general rule


def _sql(value: str | int) -> ColumnElement[Any]:
    """A constant written into the statement, not sent as a parameter."""
    return literal(value, literal_execute=True)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_ZERO = _sql(0)
_DAY_S = _sql(86400)


def _days(n: ColumnElement[Any]) -> ColumnElement[dt.timedelta]:
    return func.make_interval(_ZERO, _ZERO, _ZERO, n, type_=Interval)


def _seconds(s: ColumnElement[Any]) -> ColumnElement[dt.timedelta]:
    return func.make_interval(_ZERO, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, s, type_=Interval)


def _epoch(span: ColumnElement[Any]) -> ColumnElement[Any]:
    """An interval in seconds."""
    return extract("epoch", span)


# --- what a channel is held to ---

_observations = _table(Observation)
_channels = _table(Channel)
_unit = _table(MirroredUnit).alias("u")
_jurisdiction = _table(JurisdictionRule).alias("j")
_general = _table(RetentionRule).alias("rd")
_device = _table(MirroredDevice).alias("cam")
_place = _table(MirroredPlace).alias("pl")
_system = _table(MirroredSystem).alias("sy")
_category = _table(RetentionRule).alias("rc")
_windows = _table(MirroredMaintenanceWindow).alias("mw")


def _held_to(
    channels: FromClause,
    unit_id: ColumnElement[Any],
    camera_id: ColumnElement[Any],
    recorder_id: ColumnElement[Any],
) -> Join:
    """Channels joined with what they are held to: their unit's jurisdiction (thresholds,
    time zone) and its general rule; the place (category) and the system (acceptance date)
    of the channel's camera, or of the recorder itself; the category's own period, if any."""
    return (
        channels.join(_unit, _unit.c.unit_id == unit_id)
        .join(_jurisdiction, _jurisdiction.c.jurisdiction == _unit.c.jurisdiction)
        .join(
            _general,
            and_(_general.c.jurisdiction == _unit.c.jurisdiction, _general.c.category == _sql(_GENERAL_RULE)),
        )
        .outerjoin(_device, _device.c.device_id == func.coalesce(camera_id, recorder_id))
        .outerjoin(_place, and_(_place.c.place_id == _device.c.place_id, not_(_place.c.removed)))
        .outerjoin(_system, and_(_system.c.system_id == _device.c.system_id, not_(_system.c.removed)))
        .outerjoin(
            _category,
            and_(_category.c.jurisdiction == _unit.c.jurisdiction, _category.c.category == _place.c.category),
        )
    )


# The required days: the category's own period (another law's, with its source) where the pack
# has one that applies (rules.py enters only those), else the general one.
_own_period = _category.c.days.is_not(None)
# What every judgement reads of what a channel is held to.
_HELD_TO = (
    _jurisdiction.c.timezone,
    _jurisdiction.c.gap_threshold_s,
    _system.c.acceptance_date,
    case((_own_period, _category.c.days), else_=_general.c.days).label("required_days"),
    case((_own_period, _category.c.source), else_=_general.c.source).label("requirement_source"),
)


def _was_read(c: Facts) -> ColumnElement[bool]:
    """The recorder's index answered (else the channel cannot be verified)."""
    return c.outcome == _sql("read")


def _due_date(c: Facts) -> ColumnElement[dt.date]:
    """A system must keep the required days from its acceptance on."""
    return c.acceptance_date + c.required_days


def _due(c: Facts, at: ColumnElement[dt.datetime]) -> ColumnElement[bool]:
    """Due at ``at`` (its date in the jurisdiction's time zone); without an acceptance date,
    always."""
    return or_(c.acceptance_date.is_(None), _due_date(c) <= cast(func.timezone(c.timezone, at), Date))


def _retained_s(c: Facts) -> ColumnElement[Any]:
    """How far back the footage reached at the check, in seconds."""
    return type_coerce(case((c.earliest.is_(None), _ZERO), else_=_epoch(c.checked_at - c.earliest)), Numeric)


# --- the findings ---


@dataclass(frozen=True)
class Finding:
    kind: str
    found: Callable[[Facts], ColumnElement[bool]]
    # True: it holds from the stored reading, the packs' rules and the date alone, and is
    # judged again as days pass. False: it compares two readings or what the check saw
    # then, and is kept as seen.
    rejudged: bool


def _short(c: Facts) -> ColumnElement[bool]:
    """The footage reaches back less than the required days (by more than a gap)."""
    return and_(_was_read(c), c.due, c.retained_s < c.required_days * _DAY_S - c.gap_threshold_s)


def _configured_short(c: Facts) -> ColumnElement[bool]:
    """The recorder is set to keep less than the required days."""
    return and_(
        _was_read(c),
        c.due,
        c.max_retention_s > _ZERO,
        c.max_retention_s < c.required_days * _DAY_S,
    )


def _deleted_earliest(c: Facts) -> ColumnElement[bool]:
    """The earliest footage moved on faster than time passed since the last reading, into
    the window; or all footage is gone that reached into the window then."""
    return and_(
        _was_read(c),
        c.previous_checked_at.is_not(None),
        or_(
            and_(
                c.earliest.is_not(None),
                c.previous_earliest.is_not(None),
                c.earliest > c.window_start,
                c.earliest - c.previous_earliest
                > (c.checked_at - c.previous_checked_at) + _seconds(c.deletion_slack_s),
            ),
            and_(c.earliest.is_(None), c.previous_latest > c.window_start),
        ),
    )


def _deleted_footage(c: Facts) -> ColumnElement[bool]:
    """Footage the last reading had is a gap now."""
    return c.deleted_s > _ZERO


def _gap(c: Facts) -> ColumnElement[bool]:
    """A gap in the window where the last reading had no footage either."""
    return c.interruptions > _ZERO


def _stopped(c: Facts) -> ColumnElement[bool]:
    """In time it was declared to record: the recorder says it does not record now, or its
    latest footage is older than the stale threshold (counting only recording time since)."""
    return and_(
        _was_read(c),
        or_(
            and_(
                c.recording_status != _sql("Recording"), c.expected.contains(c.checked_at - _seconds(_sql(1)))
            ),
            and_(c.latest.is_not(None), c.unrecorded_since_latest_s > c.stale_s),
        ),
    )


FINDINGS: Final = (
    Finding("short", _short, rejudged=True),
    Finding("configured_short", _configured_short, rejudged=True),
    Finding("deleted_earliest", _deleted_earliest, rejudged=False),
    Finding("deleted_footage", _deleted_footage, rejudged=False),
    Finding("gap", _gap, rejudged=False),
    Finding("stopped", _stopped, rejudged=False),
)
_REJUDGED = tuple(f for f in FINDINGS if f.rejudged)


def _kinds(c: Facts, findings: Sequence[Finding]) -> ColumnElement[list[str]]:
    """The kinds found, in the order of ``findings``."""
    return func.array_remove(
        array([case((f.found(c), _sql(f.kind))) for f in findings]), null(), type_=ARRAY(Text)
    )


def _verdict(c: Facts) -> ColumnElement[str]:
    return case(
        (not_(_was_read(c)), _sql("cannot_verify")),
        (func.cardinality(c.finding_kinds) > _ZERO, _sql("violating")),
        (not_(c.due), _sql("not_yet_due")),
        else_=_sql("compliant"),
    )


# --- the gaps of a window ---


def _length_s(span: ColumnElement[Any]) -> ColumnElement[Any]:
    return _epoch(func.upper(span) - func.lower(span))


def _over_gaps(
    aggregate: Callable[[ColumnElement[Any]], ColumnElement[Any]],
    spans: ColumnElement[Any],
    threshold: ColumnElement[Any],
) -> ColumnElement[Any]:
    """``aggregate`` over the ranges of a multirange that last ``threshold`` seconds or more
    (shorter ones are breaks, not gaps)."""
    gap = func.unnest(spans, type_=TSTZRANGE).column_valued("g")
    return select(aggregate(gap)).where(_length_s(gap) >= threshold).scalar_subquery()


def _listed(gap: ColumnElement[Any]) -> ColumnElement[Any]:
    """Gaps as [[from, to], ...], in order."""
    pairs = func.jsonb_build_array(func.lower(gap), func.upper(gap))
    return func.coalesce(func.jsonb_agg(aggregate_order_by(pairs, func.lower(gap))), _sql("[]"))


def _total_s(gap: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(_length_s(gap)), _ZERO)


def _counted(gap: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.count()


def _maintenance(
    unit_id: ColumnElement[Any], camera_id: ColumnElement[Any], recorder_id: ColumnElement[Any]
) -> ColumnElement[Any]:
    """The maintenance windows declared on a channel's camera or on its recorder, as one
    multirange (empty without any)."""
    # The unit's windows (by its index), then those naming the camera or the recorder.
    covers = and_(
        _windows.c.unit_id == unit_id, _windows.c.device_ids.overlap(array([camera_id, recorder_id]))
    )
    spans = select(func.range_agg(_windows.c.period)).where(covers).scalar_subquery()
    return func.coalesce(spans, func.tstzmultirange(type_=TSTZMULTIRANGE), type_=TSTZMULTIRANGE)


# --- the statements ---

READING_COLUMNS: Final = (
    "check_id",
    "checked_at",
    "recorder_id",
    "recording_token",
    "source_name",
    "camera_id",
    "unit_id",
    "outcome",
    "reason",
    "earliest",
    "latest",
    "footage",
    "recording_status",
    "max_retention_s",
)
# Raw readings, as the observations will hold them; a connection's own, emptied at commit.
READINGS: Final = Table(
    "readings",
    MetaData(),
    *(Column(name, _observations.c[name].type) for name in READING_COLUMNS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
CREATE_READINGS: Final = CreateTable(READINGS, if_not_exists=True)


def _judge_readings() -> ReturningInsert[Any]:
    """INSERT ... SELECT of the staged readings, judged against the channels' last readings
    that read the index; RETURNING the observations stored (without their footage)."""
    readings = READINGS.alias("p")
    channel = _channels.alias("ch")
    previous = _observations.alias("prev")  # the channel's last reading that read the index
    ctx = (
        select(
            readings,
            _unit.c.district,
            _unit.c.jurisdiction,
            _place.c.category,
            _jurisdiction.c.deletion_slack_s,
            _jurisdiction.c.stale_s,
            *_HELD_TO,
            previous.c.earliest.label("previous_earliest"),
            previous.c.latest.label("previous_latest"),
            previous.c.footage.label("previous_footage"),
            previous.c.checked_at.label("previous_checked_at"),
            func.coalesce(_device.c.recording, _system.c.recording).label("declaration"),
            _maintenance(readings.c.unit_id, readings.c.camera_id, readings.c.recorder_id).label(
                "maintenance"
            ),
        )
        .select_from(
            _held_to(readings, readings.c.unit_id, readings.c.camera_id, readings.c.recorder_id)
            .outerjoin(
                channel,
                and_(
                    channel.c.recorder_id == readings.c.recorder_id,
                    channel.c.recording_token == readings.c.recording_token,
                ),
            )
            .outerjoin(
                previous,
                and_(
                    previous.c.id == channel.c.read_observation_id,
                    previous.c.checked_at == channel.c.read_checked_at,
                ),
            )
        )
        .cte("ctx")
        .prefix_with("MATERIALIZED")
    )
    c = ctx.c
    window_start = c.checked_at - _days(c.required_days)
    window_from = func.greatest(window_start, c.earliest)
    calc = (
        select(
            ctx,
            window_start.label("window_start"),
            _due(c, c.checked_at).label("due"),
            _retained_s(c).label("retained_s"),
            case(
                (
                    and_(_was_read(c), c.earliest.is_not(None), window_from < c.latest),
                    func.tstzmultirange(
                        func.tstzrange(window_from, c.latest), type_=TSTZMULTIRANGE
                    ).difference(c.footage),
                ),
                else_=func.tstzmultirange(type_=TSTZMULTIRANGE),
            ).label("window_gaps"),
            # The time it was to record: as declared, less the maintenance declared beforehand.
            func.retention.recording_time(
                c.declaration, c.timezone, window_start, c.checked_at, type_=TSTZMULTIRANGE
            )
            .difference(c.maintenance)
            .label("expected"),
        )
        .cte("calc")
        .prefix_with("MATERIALIZED")
    )
    c = calc.c
    seen_then = c.previous_footage
    gaps = (
        select(
            calc,
            _over_gaps(_listed, c.window_gaps, c.gap_threshold_s).label("gaps"),
            case(
                (seen_then.is_(None), _ZERO),
                else_=_over_gaps(_total_s, c.window_gaps.intersection(seen_then), c.gap_threshold_s),
            ).label("deleted_s"),
            _over_gaps(
                _counted,
                c.window_gaps.difference(func.coalesce(seen_then, func.tstzmultirange())).intersection(
                    c.expected
                ),
                c.gap_threshold_s,
            ).label("interruptions"),
            _over_gaps(
                _total_s,
                c.expected.intersection(
                    # the recorder's last second may be a little past the check's clock
                    func.tstzmultirange(func.tstzrange(func.least(c.latest, c.checked_at), c.checked_at))
                ),
                _ZERO,
            ).label("unrecorded_since_latest_s"),
        )
        .cte("gaps")
        .prefix_with("MATERIALIZED")
    )
    judged = select(gaps, _kinds(gaps.c, FINDINGS).label("finding_kinds")).cte("judged")
    c = judged.c
    rows = select(
        *(c[name] for name in READING_COLUMNS),
        c.district,
        c.category,
        c.jurisdiction,
        c.required_days,
        c.requirement_source,
        _verdict(c).label("verdict"),
        _due_date(c).label("due_date"),
        case((_was_read(c), c.retained_s / _DAY_S)).label("retained_days"),
        c.gaps,
        c.finding_kinds,
        c.deleted_s,
        c.interruptions,
        c.previous_earliest,
        c.previous_checked_at,
    )
    return (
        insert(_observations)
        .from_select([col.name for col in rows.selected_columns], rows)
        .returning(*(col for col in _observations.c if col.name != "footage"))
    )


def _rejudge_channels() -> Update:
    """UPDATE of the active channels whose judgement of their latest observation changed."""
    channel = _channels.alias("ch")
    current = _observations.alias("o")  # the channel's latest observation
    kind = func.unnest(current.c.finding_kinds).column_valued("k")
    seen = func.array(select(kind).where(kind.not_in([_sql(f.kind) for f in _REJUDGED])).scalar_subquery())
    cur = (
        select(
            channel.c.recorder_id,
            channel.c.recording_token,
            current.c.outcome,
            current.c.checked_at,
            current.c.max_retention_s,
            _retained_s(current.c).label("retained_s"),
            seen.label("seen"),
            *_HELD_TO,
        )
        .select_from(
            _held_to(
                channel.join(
                    current,
                    and_(
                        current.c.id == channel.c.observation_id,
                        current.c.checked_at == channel.c.checked_at,
                    ),
                ),
                channel.c.unit_id,
                channel.c.camera_id,
                channel.c.recorder_id,
            )
        )
        .where(channel.c.active)
        .cte("cur")
        .prefix_with("MATERIALIZED")
    )
    due = select(cur, _due(cur.c, func.now()).label("due")).cte("due")
    judged = select(due, _kinds(due.c, _REJUDGED).concat(due.c.seen).label("finding_kinds")).cte("judged")
    verdicts = select(judged, _verdict(judged.c).label("verdict"), _due_date(judged.c).label("due_date")).cte(
        "verdicts"
    )
    v = verdicts.c
    # The due date too: a corrected acceptance date moves it even where the verdict stays.
    judgement = ("verdict", "finding_kinds", "required_days", "requirement_source", "due_date")
    return (
        update(_channels)
        .where(
            _channels.c.recorder_id == v.recorder_id,
            _channels.c.recording_token == v.recording_token,
            tuple_(*(_channels.c[n] for n in judgement)).is_distinct_from(tuple_(*(v[n] for n in judgement))),
        )
        .values({n: v[n] for n in judgement})
    )


JUDGE_READINGS: Final = _judge_readings()
REJUDGE_CHANNELS: Final = _rejudge_channels()
