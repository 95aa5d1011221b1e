"""The curriculum database's tables (migrations/ creates them)."""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# Projection of identity's institutions, fed by InstitutionCreated events.
institution_calendar = Table(
    "institution_calendar",
    metadata,
    Column("institution_id", String(36), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("source_event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

study_year = Table(
    "study_year",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("institution_id", String(36), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("working_days", ARRAY(Integer), nullable=False),
    Column("extra_working_days", ARRAY(Date), nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("institution_id", "name", name="study_year_name_unique"),
)

study_period = Table(
    "study_period",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(36), nullable=False, server_default=""),
)

holiday = Table(
    "holiday",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
)

group = Table(
    "student_group",  # "group" is an SQL keyword
    metadata,
    Column("id", String(36), primary_key=True),
    Column("institution_id", String(36), nullable=False),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("years_of_study", ARRAY(Integer), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date),
    UniqueConstraint("study_year_id", "name", name="group_name_unique"),
)

enrolment = Table(
    "enrolment",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("group_id", String(36), ForeignKey("student_group.id"), nullable=False, index=True),
    Column("student_id", String(36), nullable=False, index=True),
    Column("joined", Date, nullable=False),
    Column("join_reason", String(500), nullable=False),
    Column("left", Date),
    Column("leave_reason", String(500), nullable=False, server_default=""),
)

subject = Table(
    "subject",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("institution_id", String(36), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    UniqueConstraint("institution_id", "name", name="subject_name_unique"),
)

curriculum_line = Table(
    "curriculum_line",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("group_id", String(36), ForeignKey("student_group.id"), nullable=False),
    Column("subject_id", String(36), ForeignKey("subject.id"), nullable=False),
    Column("student_id", String(36)),
    Column("hours", Integer, nullable=False),
    Column("periods", JSONB, nullable=False, server_default="{}"),
)

load_line = Table(
    "load_line",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("teacher_id", String(36), nullable=False, index=True),
    Column("group_id", String(36), ForeignKey("student_group.id"), nullable=False),
    Column("subject_id", String(36), ForeignKey("subject.id"), nullable=False),
    Column("student_id", String(36)),
    Column("subgroup", String(50)),
    Column("hours", Integer, nullable=False),
)

# Projection of identity's people: who is a student or staff of which institution.
person_role = Table(
    "person_role",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("institution_id", String(36), primary_key=True),
    Column("role", String(32), primary_key=True),
)

# The weekly template of a study year (domain/timetable.py: Slot).
timetable_slot = Table(
    "timetable_slot",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("group_id", String(36), ForeignKey("student_group.id"), nullable=False),
    Column("subject_id", String(36), ForeignKey("subject.id"), nullable=False),
    Column("teacher_id", String(36), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("starts_at", Time, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("room", String(50)),
    Column("parity", String(8), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_until", Date),
)

# The dated lessons (domain/timetable.py: Lesson). Never deleted once they have journal
# entries; cancelled lessons stay. Ids derive from slot and date (timetable.lesson_id).
lesson = Table(
    "lesson",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False),
    Column("institution_id", String(36), nullable=False),
    Column("slot_id", String(36)),
    Column("group_id", String(36), ForeignKey("student_group.id"), nullable=False),
    Column("subject_id", String(36), ForeignKey("subject.id"), nullable=False),
    Column("teacher_id", String(36), nullable=False),
    Column("date", Date, nullable=False),
    Column("starts_at", Time, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("room", String(50)),
    Column("status", String(16), nullable=False),
    Column("moved_from_date", Date),
    Column("moved_from_start", Time),
    Column("change_reason", String(500), nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The queries the journal and the gateway make: a teacher's, a group's, a year's days.
    Index("lesson_teacher_date", "teacher_id", "date"),
    Index("lesson_group_date", "group_id", "date"),
    Index("lesson_year_date", "study_year_id", "date"),
)

# Substitutions: another teacher teaches one lesson, with bounded journal access.
substitution = Table(
    "substitution",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("lesson_id", String(36), ForeignKey("lesson.id"), nullable=False, index=True),
    Column("institution_id", String(36), nullable=False),
    Column("teacher_id", String(36), nullable=False),
    Column("substitute_teacher_id", String(36), nullable=False, index=True),
    Column("reason", String(500), nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("set_by", String(36), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Projection of the journal: lessons that have journal entries (from the journal's events).
# A lesson listed here is never moved, cancelled or dropped without an explicit decision.
lesson_entries = Table(
    "lesson_entries",
    metadata,
    Column("lesson_id", String(36), primary_key=True),
    Column("first_event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Lesson plans (КТП, domain/plans.py): one per group, subject and study year.
lesson_plan = Table(
    "lesson_plan",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("study_year_id", String(36), ForeignKey("study_year.id"), nullable=False, index=True),
    Column("institution_id", String(36), nullable=False),
    Column("group_id", String(36), ForeignKey("student_group.id"), nullable=False),
    Column("subject_id", String(36), ForeignKey("subject.id"), nullable=False),
    Column("teacher_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("approved_by", String(36), nullable=False, server_default=""),
    Column("approved_at", DateTime(timezone=True)),
    Column("copied_from", String(36)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("study_year_id", "group_id", "subject_id", name="lesson_plan_unique"),
)

plan_topic = Table(
    "plan_topic",
    metadata,
    Column("plan_id", String(36), ForeignKey("lesson_plan.id"), primary_key=True),
    Column("position", Integer, primary_key=True),  # the topic's order, 1..n
    Column("text", Text, nullable=False),
    Column("hours", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
)
