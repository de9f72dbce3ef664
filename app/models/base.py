import re
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, MetaData, String, Text, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SQLite gives the next row the id of a deleted last row unless the table is AUTOINCREMENT.
# An id the API handed out (in a URL, the audit log, an idempotency record) must never
# come to name another row; PostgreSQL's sequences never go back. On the tables the API
# deletes from (migration 0005).
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """A CHECK that keeps a string column inside an enum, portable to SQLite and PostgreSQL."""
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


def exactly_one_set(name: str, *columns: str) -> CheckConstraint:
    terms = " + ".join(f"CASE WHEN {c} IS NULL THEN 0 ELSE 1 END" for c in columns)
    return CheckConstraint(f"{terms} = 1", name=name)


def precision_goes_with(date_column: str, precision_column: str) -> CheckConstraint:
    """A date without its precision (or the reverse) cannot be read honestly."""
    return CheckConstraint(
        f"({date_column} IS NULL) = ({precision_column} IS NULL)",
        name=f"{precision_column}_with_date",
    )


class Cited:
    """A fact: where it comes from is part of the row, never optional."""

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    locator: Mapped[str] = mapped_column(String(64))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # maps the class and makes its table
        # A table-level CHECK (Alembic does not render column-level ones), one per table.
        cls.__table__.append_constraint(  # type: ignore[attr-defined]
            CheckConstraint("locator <> ''", name="locator_not_empty")
        )


class OptionallyCited:
    """Reference data (a country, an organization) may name where it is first attested."""

    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    locator: Mapped[str | None] = mapped_column(String(64))


class Named:
    """Bilingual names with aliases, and a case-folded text that `q=` searches.

    SQLite's lower() folds ASCII only, so the search text is folded in Python, where
    Cyrillic folds correctly, and kept current on every insert and update.
    """

    name_en: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    aliases_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    aliases_ru: Mapped[list[str]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")

    def search_terms(self) -> list[str]:
        return [self.name_en, self.name_ru, *(self.aliases_en or []), *(self.aliases_ru or [])]


def fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


@event.listens_for(Named, "before_insert", propagate=True)
@event.listens_for(Named, "before_update", propagate=True)
def _refresh_search_text(_mapper: Any, _connection: Any, target: Named) -> None:
    target.search_text = "\n".join(fold(term) for term in target.search_terms() if term)


def entity_name(model: Any) -> str:
    """A model's name in messages: `SeizureReport` is "seizure report"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
