"""the public record (issue 23): stages as sources describe them, their other results,
every version of a disagreeing fact, meetings' chairs and decisions, membership statements

- stages: `name` becomes `name_en` (the API still answers `name`), with `name_ru`, the
  coordination headquarters (city in English and Russian, country), `place` (where an
  exercise was held), `slug` (the seeds' key) and `number` nullable: a stage whose number
  no source states has none.
- stage_results: firearms, ammunition, crimes detected... each with qualifier, phrase and
  citation, and `alternative_to` for another source's version.
- claims: each source's version of a stage's or a meeting's date, headquarters or chair.
- seizure_reports: `alternative_to` (another version, never added to totals) and `scope`.
- sources: `kind` and `reliability_note`; meetings: `slug`, `chair` and its citation;
  meeting_decisions; membership_statements.

SQLite tables the API deletes from keep AUTOINCREMENT through their batch copies.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:50:16
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Tables of facts this revision adds (app/models/versions.py lists them) and those whose
# SQLite batch copy loses the data_version triggers of migration 0008.
NEW_VERSIONED = ("claims", "meeting_decisions", "membership_statements", "stage_results")
COPIED = ("meetings", "seizure_reports", "sources", "stages")
BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"
EVENTS = ("INSERT", "UPDATE", "DELETE")

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "membership_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("country_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("stated_on", sa.Date(), nullable=True),
        sa.Column("stated_precision", sa.String(length=8), nullable=True),
        sa.Column("as_reported", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True, comment="Our own words"),
        sa.Column("note", sa.Text(), nullable=True, comment="How the date was read, caveats"),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("locator", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "kind IN ('participation_frozen', 'no_official_notice', 'not_taking_part', 'funding_withheld', 'representative_recalled', 'no_withdrawal_decision')",
            name=op.f("ck_membership_statements_kind_valid"),
        ),
        sa.CheckConstraint(
            "locator <> ''", name=op.f("ck_membership_statements_locator_not_empty")
        ),
        sa.CheckConstraint(
            "stated_precision IN ('day', 'month', 'year')",
            name=op.f("ck_membership_statements_stated_precision_valid"),
        ),
        sa.CheckConstraint(
            "(stated_on IS NULL) = (stated_precision IS NULL)",
            name=op.f("ck_membership_statements_stated_precision_with_date"),
        ),
        sa.ForeignKeyConstraint(
            ["country_id"],
            ["countries.id"],
            name=op.f("fk_membership_statements_country_id_countries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_membership_statements_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_membership_statements_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_statements")),
        sa.UniqueConstraint("slug", name=op.f("uq_membership_statements_slug")),
    )
    with op.batch_alter_table("membership_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_statements_country_id"), ["country_id"], unique=False
        )

    op.create_table(
        "meeting_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("locator", sa.String(length=64), nullable=False),
        sa.CheckConstraint("locator <> ''", name=op.f("ck_meeting_decisions_locator_not_empty")),
        sa.CheckConstraint("position > 0", name=op.f("ck_meeting_decisions_position_positive")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_decisions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_meeting_decisions_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decisions")),
        sa.UniqueConstraint(
            "meeting_id", "position", name=op.f("uq_meeting_decisions_meeting_id_position")
        ),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=True),
        sa.Column("as_reported", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("locator", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "field IN ('start_on', 'end_on', 'held_on', 'hq_city', 'place', 'number', 'chair')",
            name=op.f("ck_claims_field_valid"),
        ),
        sa.CheckConstraint("locator <> ''", name=op.f("ck_claims_locator_not_empty")),
        sa.CheckConstraint(
            "CASE WHEN stage_id IS NULL THEN 0 ELSE 1 END + CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END = 1",
            name=op.f("ck_claims_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_claims_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_claims_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["stages.id"], name=op.f("fk_claims_stage_id_stages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_stage_id"), ["stage_id"], unique=False)

    op.create_table(
        "stage_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column(
            "unit", sa.String(length=40), nullable=False, comment="items, persons, RUB, USD..."
        ),
        sa.Column("qualifier", sa.String(length=10), nullable=False),
        sa.Column("as_reported", sa.String(length=300), nullable=False),
        sa.Column(
            "scope",
            sa.String(length=200),
            nullable=True,
            comment="The part of the stage the figure covers (a region), if not all",
        ),
        sa.Column("country_id", sa.Integer(), nullable=True),
        sa.Column(
            "alternative_to_id",
            sa.Integer(),
            nullable=True,
            comment="Another source's version of the result this row names; not the one used",
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("locator", sa.String(length=64), nullable=False),
        sa.CheckConstraint("locator <> ''", name=op.f("ck_stage_results_locator_not_empty")),
        sa.CheckConstraint(
            "metric IN ('firearms', 'ammunition', 'explosives', 'crimes_detected', 'criminal_cases', 'persons_detained', 'groups_exposed', 'labs_closed', 'websites_blocked', 'precursors', 'officers_involved', 'money')",
            name=op.f("ck_stage_results_metric_valid"),
        ),
        sa.CheckConstraint(
            "qualifier IN ('exact', 'at_least', 'about', 'almost')",
            name=op.f("ck_stage_results_qualifier_valid"),
        ),
        sa.CheckConstraint(
            "alternative_to_id <> id", name=op.f("ck_stage_results_not_own_alternative")
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_stage_results_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["alternative_to_id"],
            ["stage_results.id"],
            name=op.f("fk_stage_results_alternative_to_id_stage_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["country_id"],
            ["countries.id"],
            name=op.f("fk_stage_results_country_id_countries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_stage_results_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["stages.id"],
            name=op.f("fk_stage_results_stage_id_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_results")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("stage_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stage_results_alternative_to_id"), ["alternative_to_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stage_results_stage_id"), ["stage_id"], unique=False)

    with op.batch_alter_table(
        "meetings", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("chair", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("chair_source_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chair_locator", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_meetings_slug"), ["slug"])
        batch_op.create_check_constraint(
            "chair_cited",
            "(chair IS NULL) = (chair_source_id IS NULL)"
            " AND (chair_source_id IS NULL) = (chair_locator IS NULL)",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_meetings_chair_source_id_sources"),
            "sources",
            ["chair_source_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table(
        "seizure_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column(
                "alternative_to_id",
                sa.Integer(),
                nullable=True,
                comment="The counted report this one is another version of; never added to totals",
            )
        )
        batch_op.add_column(
            sa.Column(
                "scope",
                sa.String(length=200),
                nullable=True,
                comment="The part of the country the figure covers (a region), if not all",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_seizure_reports_alternative_to_id"), ["alternative_to_id"], unique=False
        )
        batch_op.create_check_constraint("not_own_alternative", "alternative_to_id <> id")
        batch_op.create_foreign_key(
            batch_op.f("fk_seizure_reports_alternative_to_id_seizure_reports"),
            "seizure_reports",
            ["alternative_to_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.String(length=16),
                nullable=True,
                comment="Who published it; ranks versions that disagree (app.rules)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "reliability_note",
                sa.Text(),
                nullable=True,
                comment="Why the source is weak (a repost, a rewrite), where it is",
            )
        )
        batch_op.create_check_constraint(
            "kind_valid",
            "kind IN ('official_csto', 'official_ksopn', 'ministry', 'caricc', "
            "'news_agency', 'press', 'weak')",
        )

    with op.batch_alter_table(
        "stages", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=100), nullable=True))
        batch_op.alter_column("name", new_column_name="name_en", existing_type=sa.String(300))
        batch_op.add_column(sa.Column("name_ru", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column(
                "hq_city_en",
                sa.String(length=200),
                nullable=True,
                comment="Where the coordination headquarters sat, in English",
            )
        )
        batch_op.add_column(sa.Column("hq_city_ru", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("hq_country_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "place",
                sa.String(length=300),
                nullable=True,
                comment="Where an exercise was held, as the source names it",
            )
        )
        batch_op.alter_column("number", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_stages_slug"), ["slug"])
        batch_op.create_foreign_key(
            batch_op.f("fk_stages_hq_country_id_countries"),
            "countries",
            ["hq_country_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    _qualifiers((*QUALIFIERS, "almost"))
    _triggers(NEW_VERSIONED + COPIED + ("reported_figures",) if _sqlite() else NEW_VERSIONED)
    # The sums migration 0007 left empty are made by the newest revision that changes what
    # counts (0015): today's code reads columns this revision does not have yet.


QUALIFIERS = ("exact", "at_least", "about")


def _qualifiers(allowed: Sequence[str]) -> None:
    """The qualifier CHECK of the reports and the figures, with `allowed` values."""
    values = ", ".join(f"'{value}'" for value in allowed)
    for table in ("seizure_reports", "reported_figures"):
        kwargs = {"table_kwargs": {"sqlite_autoincrement": True}}
        with op.batch_alter_table(table, schema=None, **kwargs) as batch_op:
            batch_op.drop_constraint("qualifier_valid", type_="check")
            batch_op.create_check_constraint("qualifier_valid", f"qualifier IN ({values})")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _triggers(tables: Sequence[str]) -> None:
    """The data_version triggers of migration 0008, on `tables`."""
    for table in tables:
        if _sqlite():
            for event in EVENTS:
                op.execute(
                    f"CREATE TRIGGER {table}_{event.lower()}_bumps_data_version "
                    f"AFTER {event} ON {table} BEGIN {BUMP}; END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_bumps_data_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ksopn_bump_data_version()"
            )


def downgrade() -> None:
    # "almost" is the nearest "about" before this revision; a stage without a number cannot
    # go back to a schema where every stage has one.
    for table in ("seizure_reports", "reported_figures"):
        op.execute(f"UPDATE {table} SET qualifier = 'about' WHERE qualifier = 'almost'")
    _qualifiers(QUALIFIERS)
    op.execute("DELETE FROM stages WHERE number IS NULL")
    with op.batch_alter_table(
        "stages", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stages_hq_country_id_countries"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_stages_slug"), type_="unique")
        batch_op.alter_column("number", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("place")
        batch_op.drop_column("hq_country_id")
        batch_op.drop_column("hq_city_ru")
        batch_op.drop_column("hq_city_en")
        batch_op.drop_column("name_ru")
        batch_op.alter_column("name_en", new_column_name="name", existing_type=sa.String(300))
        batch_op.drop_column("slug")

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint("kind_valid", type_="check")
        batch_op.drop_column("reliability_note")
        batch_op.drop_column("kind")

    with op.batch_alter_table(
        "seizure_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_seizure_reports_alternative_to_id_seizure_reports"), type_="foreignkey"
        )
        batch_op.drop_constraint("not_own_alternative", type_="check")
        batch_op.drop_index(batch_op.f("ix_seizure_reports_alternative_to_id"))
        batch_op.drop_column("scope")
        batch_op.drop_column("alternative_to_id")

    with op.batch_alter_table(
        "meetings", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_meetings_chair_source_id_sources"), type_="foreignkey"
        )
        batch_op.drop_constraint("chair_cited", type_="check")
        batch_op.drop_constraint(batch_op.f("uq_meetings_slug"), type_="unique")
        batch_op.drop_column("chair_locator")
        batch_op.drop_column("chair_source_id")
        batch_op.drop_column("chair")
        batch_op.drop_column("slug")

    with op.batch_alter_table("stage_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_results_stage_id"))
        batch_op.drop_index(batch_op.f("ix_stage_results_alternative_to_id"))

    op.drop_table("stage_results")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_stage_id"))
        batch_op.drop_index(batch_op.f("ix_claims_meeting_id"))

    op.drop_table("claims")
    op.drop_table("meeting_decisions")
    with op.batch_alter_table("membership_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_statements_country_id"))

    op.drop_table("membership_statements")
    if _sqlite():
        _triggers((*COPIED, "reported_figures"))
