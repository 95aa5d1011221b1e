"""The journal database's tables (migrations/ creates them; the kit's tables come first).

Projections of other services' events (institution, study_period, enrolment, the schedule
columns of lesson, substitution) sit beside the journal's own entries (the record columns of
lesson, attendance, mark, final_mark), so a save checks everything in its own database.
"""

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# Identity's institutions (their time zone sets the deadlines) and the journal's settings of
# each, which the deputy changes.
institution = Table(
    "institution",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(32), nullable=False, server_default=""),
    Column("time_zone", String(64), nullable=False, server_default="Europe/Moscow"),
    Column("colleagues_may_fill_in", Boolean, nullable=False, server_default=text("false")),
    Column("warn_topic_not_in_russian", Boolean, nullable=False, server_default=text("true")),
    Column("unlock_hours", Integer, nullable=False, server_default=text("48")),
)

# Curriculum's study periods (StudyYearChanged, PeriodClosed, PeriodOpened).
study_period = Table(
    "study_period",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("study_year_id", String(36), nullable=False, index=True),
    Column("institution_id", String(36), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("closed", Boolean, nullable=False, server_default=text("false")),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(36), nullable=False, server_default=""),
)

# Curriculum's enrolments (EnrolmentChanged): who is in a group on a date.
enrolment = Table(
    "enrolment",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("group_id", String(36), nullable=False, index=True),
    Column("student_id", String(36), nullable=False, index=True),
    Column("joined", Date, nullable=False),
    Column("left", Date),
)

# One row per dated lesson: the schedule (from curriculum's lesson events) and the journal's
# record of it. version counts saves of the lesson's entries (optimistic concurrency).
lesson = Table(
    "lesson",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("institution_id", String(36), nullable=False),
    Column("study_year_id", String(36), nullable=False),
    Column("group_id", String(36), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("teacher_id", String(36), nullable=False),
    Column("date", Date, nullable=False),
    Column("start", Time, nullable=False),
    Column("duration", Integer, nullable=False),
    # curriculum.v1.LessonStatus
    Column("status", SmallInteger, nullable=False),
    # Cancelled with its entries kept read-only (curriculum's KEEP_READ_ONLY decision).
    Column("kept_read_only", Boolean, nullable=False, server_default=text("false")),
    Column("due_at", DateTime(timezone=True), nullable=False),
    # The record (NULL topic: not recorded yet).
    Column("topic", Text),
    Column("material", Text, nullable=False, server_default=""),
    # curriculum.v1.LessonKind
    Column("kind", SmallInteger, nullable=False, server_default=text("1")),
    Column("homework", Text, nullable=False, server_default=""),
    Column("notes", Text, nullable=False, server_default=""),
    Column("version", BigInteger, nullable=False, server_default=text("0")),
    Column("responsible_teacher_id", String(36), nullable=False, server_default=""),
    Column("entered_by", String(36), nullable=False, server_default=""),
    # When the topic was first saved (lateness is judged on it) and when anything last was.
    Column("recorded_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Index("lesson_group_date", "group_id", "date"),
    Index("lesson_teacher_date", "teacher_id", "date"),
    # The monitor's count of the last day's lessons (due in a 24-hour window, any topic).
    Index("lesson_due", "due_at", postgresql_where=text("status <> 3")),
    # The overdue list and gauge: lessons without a topic, by deadline.
    Index(
        "lesson_missing_topic",
        "institution_id",
        "due_at",
        postgresql_where=text("topic IS NULL AND status <> 3"),
    ),
)

# Curriculum's substitutions (SubstitutionSet): who may write a lesson that is not theirs.
substitution = Table(
    "substitution",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("lesson_id", String(36), nullable=False, index=True),
    Column("substitute_teacher_id", String(36), nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

attendance = Table(
    "attendance",
    metadata,
    Column("lesson_id", String(36), nullable=False),
    Column("student_id", String(36), nullable=False, index=True),
    Column("institution_id", String(36), nullable=False),
    # journal.v1.AttendanceStatus
    Column("status", SmallInteger, nullable=False),
    Column("late_minutes", Integer, nullable=False, server_default=text("0")),
    Column("reason", Text, nullable=False, server_default=""),
    Column("entered_by", String(36), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lesson_id", "student_id"),
)

mark = Table(
    "mark",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("lesson_id", String(36), nullable=False, index=True),
    Column("student_id", String(36), nullable=False, index=True),
    Column("institution_id", String(36), nullable=False),
    Column("value", String(32), nullable=False),
    Column("type_code", String(32), nullable=False),
    Column("scale_id", String(36), nullable=False),
    # The type's weight and the value's score when the mark was given (averages use them).
    Column("weight", Float, nullable=False),
    Column("score", Float),
    Column("comment", Text, nullable=False, server_default=""),
    Column("entered_by", String(36), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
)

mark_scale = Table(
    "mark_scale",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("institution_id", String(36), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    # journal.v1.ScaleKind
    Column("kind", SmallInteger, nullable=False),
    # [{"value", "label", "score", "passing", "final"}], in the scale's order
    Column("values", JSONB, nullable=False),
    Column("subject_ids", ARRAY(String(36)), nullable=False, server_default="{}"),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("institution_id", "code"),
)

mark_type = Table(
    "mark_type",
    metadata,
    Column("institution_id", String(36), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("weight", Float, nullable=False),
    Column("position", Integer, nullable=False),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("institution_id", "code"),
)

final_mark = Table(
    "final_mark",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("institution_id", String(36), nullable=False),
    Column("group_id", String(36), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("student_id", String(36), nullable=False, index=True),
    Column("study_year_id", String(36), nullable=False),
    # Empty for the year's final mark.
    Column("period_id", String(36), nullable=False),
    Column("value", String(32), nullable=False),
    Column("scale_id", String(36), nullable=False),
    Column("set_by", String(36), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("group_id", "subject_id", "study_year_id", "period_id", "student_id"),
)

period_unlock = Table(
    "period_unlock",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("period_id", String(36), nullable=False, index=True),
    Column("institution_id", String(36), nullable=False),
    Column("reason", Text, nullable=False),
    Column("unlocked_by", String(36), nullable=False),
    Column("unlocked_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # Set once the monitor announced the end of the unlock (PeriodLocked).
    Column("ended_announced", Boolean, nullable=False, server_default=text("false")),
)


# every change of every entry, append-only and hash-chained per institution. The
# service's database role may only insert and select here (migration 0003); before/after are
# stored as the exact canonical JSON text that was hashed.
def _change_columns() -> list[Column[Any]]:
    """What a history record says of one change (when, who, what, before and after, from which
    client); staged and chained records share them."""
    return [
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor_id", String(36), nullable=False),
        Column("responsible_teacher_id", String(36), nullable=False),
        Column("entity", String(32), nullable=False),
        Column("entity_id", String(100), nullable=False),
        # journal.v1.ChangeAction
        Column("action", SmallInteger, nullable=False),
        Column("before_json", Text, nullable=False),
        Column("after_json", Text, nullable=False),
        Column("client", Text, nullable=False),
        Column("lesson_id", String(36), nullable=False),
    ]


history_record = Table(
    "history_record",
    metadata,
    Column("institution_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    *_change_columns(),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("institution_id", "seq"),
    Index("history_lesson", "institution_id", "lesson_id", "seq"),
    Index("history_entity", "entity_id"),
)

# Changes a transaction committed that the chainer has not yet chained onto history_record
# (ADR 15). A save inserts here instead of taking its institution's chain lock, so teachers of one
# school never queue behind each other; the chainer moves batches into the chain in id order
# within a second. Deleting a row here is part of chaining it, in the same transaction.
history_pending = Table(
    "history_pending",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("institution_id", String(36), nullable=False),
    *_change_columns(),
    Index("history_pending_institution", "institution_id", "id"),
)

# The end of each institution's chain; chaining locks this row, so records of an institution
# are chained one at a time. Not evidence itself: verification walks history_record only.
history_head = Table(
    "history_head",
    metadata,
    Column("institution_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
