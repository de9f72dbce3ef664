"""Which seizure reports may describe the same seizures without being linked: two reports
of one operation and unit kind whose periods overlap, whose substances stand on one branch
of the tree, whose countries, stages and regions (`scope`) are the same or unknown, and
neither of which is a breakdown of the other or within the other's broader figure. Two
regions' figures of one stage (Samara's and the Far East's) are not the same seizures; a
region's and the whole stage's may be.
The write path keeps the reports that have such a partner (`derived_tables`); the totals find
the pairs among them (`totals.possible_double_counts`).
"""

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, field
from datetime import date

from app.models import SeizureReport


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the pair test needs of a report."""

    id: int
    parent: int | None
    operation: int
    unit_kind: str
    substance: int
    country: int | None
    stage: int | None
    start: date
    end: date
    scope: str | None
    within: int | None = None  # the broader figure it is within (`SeizureReport.within_id`)
    member: bool = False


CANDIDATE_COLUMNS = (
    SeizureReport.id,
    SeizureReport.parent_id,
    SeizureReport.operation_id,
    SeizureReport.unit_kind,
    SeizureReport.substance_id,
    SeizureReport.country_id,
    SeizureReport.stage_id,
    SeizureReport.period_start,
    SeizureReport.period_end,
    SeizureReport.scope,
    SeizureReport.within_id,
)


@dataclass(frozen=True)
class Kinship:
    """Substances on one branch of the tree, and which report is a part of which."""

    related: dict[int, set[int]]
    parent_of: dict[int, int | None]

    def may_pair(self, a: Candidate, b: Candidate) -> bool:
        """The pair test, given that the periods overlap and the substances are related."""
        return (
            a.id != b.id
            and _compatible(a.country, b.country)
            and _compatible(a.stage, b.stage)
            and _compatible(a.scope, b.scope)
            and not is_part_of(a.id, b.id, self.parent_of)
            and not is_part_of(b.id, a.id, self.parent_of)
            and not self.within_tree(a, b.id)
            and not self.within_tree(b, a.id)
        )

    def within_tree(self, report: Candidate, other: int) -> bool:
        """Whether `report` is within the broader figure `other` is, or is a part of: the
        totals never add the two (`service.left_out`)."""
        return report.within is not None and (
            report.within == other or report.within in wholes(other, self.parent_of)
        )


def sweep_order(report: Candidate) -> tuple[int, date, int]:
    return (report.operation, report.start, report.id)


def paired(reports: Iterable[Candidate], waiting: Set[int] | None, kin: Kinship) -> set[int]:
    """Of the `waiting` reports (all when None), those that may double count with at least
    one of `reports`, which come in `sweep_order`. The sweep keeps, per operation, unit
    kind and substance, the reports still open at the current start. A report looks among
    the open reports of the substances on its branch until it finds its first partner; the
    open reports still without one then look at it. So reports alike (a thousand of one
    substance and period) cost a test or two each, not one per pair."""
    found: set[int] = set()

    def wants(report_id: int) -> bool:
        return report_id not in found and (waiting is None or report_id in waiting)

    buckets: dict[tuple[int, str, int], _OpenReports] = {}
    for report in reports:
        for substance in kin.related[report.substance]:
            bucket = buckets.get((report.operation, report.unit_kind, substance))
            if bucket is None:
                continue
            bucket.prune(report.start, wants)
            if wants(report.id):
                partner = next((o for o in bucket.reports if kin.may_pair(report, o)), None)
                if partner is not None:
                    found.add(report.id)
                    if wants(partner.id):
                        found.add(partner.id)
            for other in bucket.waiting:
                if wants(other.id) and kin.may_pair(report, other):
                    found.add(other.id)
                    if wants(report.id):
                        found.add(report.id)
        key = (report.operation, report.unit_kind, report.substance)
        if (bucket := buckets.get(key)) is None:
            bucket = buckets[key] = _OpenReports(report.start)
        bucket.reports.append(report)
        if wants(report.id):
            bucket.waiting.append(report)
    return found


@dataclass(slots=True)
class _OpenReports:
    """The reports of one operation, unit kind and substance whose periods are still open
    at `pruned_at`, and those of them still without a partner."""

    pruned_at: date
    reports: list[Candidate] = field(default_factory=list)
    waiting: list[Candidate] = field(default_factory=list)

    def prune(self, start: date, wants: Callable[[int], bool]) -> None:
        # Starts only grow within an operation: the lists change only when the start does.
        if start == self.pruned_at:
            return
        self.reports = [report for report in self.reports if report.end >= start]
        self.waiting = [r for r in self.waiting if r.end >= start and wants(r.id)]
        self.pruned_at = start


def _compatible(a: int | str | None, b: int | str | None) -> bool:
    return a is None or b is None or a == b


def is_part_of(report: int, whole: int, parent_of: dict[int, int | None]) -> bool:
    return whole in wholes(report, parent_of)


def wholes(report: int, parent_of: dict[int, int | None]) -> Iterator[int]:
    """The reports `report` is (transitively) a part of, nearest first."""
    node = parent_of.get(report)
    seen = set()
    while node is not None and node not in seen:
        yield node
        seen.add(node)
        node = parent_of.get(node)


def pairs_among(reports: Sequence[Candidate], kin: Kinship, limit: int) -> list[tuple[int, int]]:
    """The first `limit` pairs of `reports` that may double count, in order of their ids:
    each report is compared with the later ones of its operation and unit kind whose
    substances stand on its branch and whose periods overlap its own."""
    groups: dict[tuple[int, str], list[Candidate]] = {}
    for report in sorted(reports, key=lambda r: r.id):
        groups.setdefault((report.operation, report.unit_kind), []).append(report)
    place = {
        report.id: (group, index) for group in groups.values() for index, report in enumerate(group)
    }
    found: list[tuple[int, int]] = []
    for report in sorted(reports, key=lambda r: r.id):
        group, index = place[report.id]
        for other in itertools.islice(group, index + 1, None):
            if (
                other.substance in kin.related[report.substance]
                and other.start <= report.end
                and report.start <= other.end
                and kin.may_pair(report, other)
            ):
                found.append((report.id, other.id))
                if len(found) == limit:
                    return found
    return found
