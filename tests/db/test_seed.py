import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import models as m
from app.seeding.loader import SeedError, apply_seeds, read_seed_file, read_seed_files
from tests.helpers import SEEDS_DIR, write_seed


def _row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in m.Base.metadata.sorted_tables
    }


def test_a_second_load_changes_nothing_and_says_so(session: Session) -> None:
    before = _row_counts(session)
    tally = apply_seeds(session, read_seed_files(SEEDS_DIR, subfolders=False))
    assert tally.changed == 0
    assert sum(c["unchanged"] for c in tally.counts.values()) > 100
    assert _row_counts(session) == before


def test_an_edited_figure_is_updated_in_place(session: Session, tmp_path: Path) -> None:
    seeds = _copy_seeds(tmp_path)
    text = (seeds / "operations.yaml").read_text(encoding="utf-8")
    (seeds / "operations.yaml").write_text(text.replace("790 kg", "791 kg"), encoding="utf-8")
    reports_before = _row_counts(session)["seizure_reports"]

    tally = apply_seeds(session, read_seed_files(seeds, subfolders=False))

    assert tally.counts["seizure_reports"]["updated"] == 1
    assert tally.changed == 1
    assert _row_counts(session)["seizure_reports"] == reports_before
    heroin = session.scalar(
        select(m.SeizureReport).join(m.Substance).where(m.Substance.slug == "heroin")
    )
    assert heroin is not None
    assert (heroin.amount, heroin.as_reported) == (791_000, "791 kg")


def _copy_seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


def _load_broken(session: Session, tmp_path: Path, name: str, content: str) -> SeedError:
    seeds = _copy_seeds(tmp_path)
    write_seed(seeds, name, content)
    before = _row_counts(session)
    with pytest.raises(SeedError) as caught, session.begin_nested():
        apply_seeds(session, read_seed_files(seeds))
    assert _row_counts(session) == before, "a bad seed must load nothing"
    return caught.value


BREAKDOWN = """
seizure_reports:
  - operation: channel
    period: [2018-01-01, 2018-12-31]
    substance: {parent}
    quantity: {total}
    cite: "mvd-ksopn-15-years-2020 ¶8"
    parts:
      - {{substance: {child}, quantity: {part}, cite: "mvd-ksopn-15-years-2020 ¶8"}}
"""


def test_parts_exceeding_their_parent_load_nothing(session: Session, tmp_path: Path) -> None:
    content = BREAKDOWN.format(parent="opioids", total="1 t", child="heroin", part="1 t 1 kg")
    error = _load_broken(session, tmp_path, "zz_bad.yaml", content)
    assert error.file.endswith("zz_bad.yaml")
    assert error.entry == "seizure_reports[0] (opioids)"
    assert "add up to 1,001 kg, more than its 1,000 kg ('1 t')" in error.message


def test_a_part_must_lie_under_its_parents_substance(session: Session, tmp_path: Path) -> None:
    content = BREAKDOWN.format(parent="opioids", total="1 t", child="hashish", part="5 kg")
    error = _load_broken(session, tmp_path, "zz_bad.yaml", content)
    assert "not under the parent's substance" in error.message


def test_an_unreadable_quantity_names_file_and_entry(session: Session, tmp_path: Path) -> None:
    content = BREAKDOWN.format(parent="opioids", total="a lot", child="heroin", part="5 kg")
    error = _load_broken(session, tmp_path, "zz_bad.yaml", content)
    assert str(error).startswith(str(tmp_path / "seeds" / "zz_bad.yaml"))
    assert "seizure_reports[0] (opioids)" in str(error)
    assert "'a lot'" in error.message


def test_an_unknown_reference_loads_nothing(session: Session, tmp_path: Path) -> None:
    content = BREAKDOWN.format(parent="khat", total="1 t", child="heroin", part="5 kg")
    error = _load_broken(session, tmp_path, "zz_bad.yaml", content)
    assert "unknown substance 'khat'" in error.message


def test_overlapping_memberships_are_refused(session: Session, tmp_path: Path) -> None:
    content = """
memberships:
  - country: ARM
    organization: csto
    status: suspended
    valid_from: 2010-01-01
    cite: "csto-member-states member states"
"""
    error = _load_broken(session, tmp_path, "zz_bad.yaml", content)
    assert "overlaps another membership" in error.message


def test_schema_errors_name_the_entry(tmp_path: Path) -> None:
    path = write_seed(
        tmp_path,
        "bad.yaml",
        "organizations:\n  - {slug: ok-org, kind: guild, name_en: A, name_ru: Б}\n",
    )
    with pytest.raises(SeedError) as caught:
        read_seed_file(path)
    assert caught.value.entry == "organizations[0] (ok-org).kind"
    assert "international_organization" in caught.value.message


def test_invalid_yaml_is_reported_with_its_file(tmp_path: Path) -> None:
    path = write_seed(tmp_path, "broken.yaml", "sources: [unclosed\n")
    with pytest.raises(SeedError, match="not valid YAML"):
        read_seed_file(path)


# -- provenance: the seeds say what the source says -------------------------------------


def _paragraphs(document: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", document.strip())]


def _cited(session: Session, model: type[m.SeizureReport] | type[m.ReportedFigure]) -> list:  # type: ignore[type-arg]
    return list(
        session.execute(
            select(model.as_reported, model.locator)
            .join(m.Source, m.Source.id == model.source_id)
            .where(m.Source.slug == "mvd-ksopn-15-years-2020")
        )
    )


def test_every_figure_stands_in_the_paragraph_it_cites(
    session: Session, source_document: str
) -> None:
    paragraphs = _paragraphs(source_document)
    cited = _cited(session, m.SeizureReport) + _cited(session, m.ReportedFigure)
    assert len(cited) == 10
    for as_reported, locator in cited:
        number = int(locator.removeprefix("¶"))
        assert as_reported in paragraphs[number - 1], (as_reported, locator)


def test_every_locator_names_a_paragraph_of_the_source(
    session: Session, source_document: str
) -> None:
    paragraph_count = len(_paragraphs(source_document))
    source_id = session.scalar(
        select(m.Source.id).where(m.Source.slug == "mvd-ksopn-15-years-2020")
    )
    cited_tables = [t for t in m.Base.metadata.sorted_tables if "locator" in t.c]
    for table in cited_tables:
        for (locator,) in session.execute(
            select(table.c.locator).where(table.c.source_id == source_id)
        ):
            assert re.fullmatch(r"¶\d+", locator), (table.name, locator)
            assert 1 <= int(locator[1:]) <= paragraph_count, (table.name, locator)


PROSE_FIELDS = {"description", "purpose", "summary", "status_en", "party_detail"}


def _prose(node: object) -> Iterator[str]:
    """The free-text values of a seed file; names and titles are proper names, not prose."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PROSE_FIELDS and isinstance(value, str):
                yield value
            else:
                yield from _prose(value)
    elif isinstance(node, list):
        for item in node:
            yield from _prose(item)


def test_seeds_do_not_copy_the_sources_prose(source_document: str) -> None:
    """No run of eight words of the source stands in a seed's descriptions."""
    size = 8
    words = re.findall(r"\w+", source_document.lower())
    runs = {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    for path in SEEDS_DIR.glob("*.yaml"):
        for text in _prose(yaml.safe_load(path.read_text(encoding="utf-8"))):
            seed_words = re.findall(r"\w+", text.lower())
            for i in range(len(seed_words) - size + 1):
                run = " ".join(seed_words[i : i + size])
                assert run not in runs, (path.name, run)


# -- the public record's layout and versions (issue 23) -----------------------------------

RECORD_STAGE = """
stages:
  - slug: channel-test-versions
    operation: channel
    name_ru: Канал – Проверка
    cite: "press-page ¶1"
    claims:
      - {field: start_on, value: 2031-05-20, as_reported: "с 20 мая 2031 года", cite: "press-page ¶1"}
      - {field: end_on, value: 2031-05-25, as_reported: "по 25 мая 2031 года", cite: "press-page ¶1"}
      - {field: end_on, value: 2031-05-26, as_reported: "to 26 May 2031", cite: "csto-page ¶2"}
    results:
      - {metric: firearms, as_reported: "115 единиц огнестрельного оружия", cite: "press-page ¶3"}
      - {metric: firearms, as_reported: "nearly 120 firearms", cite: "csto-page ¶3"}
    seizures:
      - {substance: controlled-substances, as_reported: "более 9 тонн наркотиков", cite: "press-page ¶4"}
      - {substance: controlled-substances, as_reported: "about 8 tons of drugs", cite: "csto-page ¶4"}
      - {substance: heroin, within: controlled-substances, as_reported: "38 кг героина", cite: "press-page ¶4"}
"""
RECORD_SOURCES = """
sources:
  - {slug: press-page, title: P, publisher: P, language: ru, kind: press, url: "https://p.example/1", locator_scheme: "¶N"}
  - {slug: csto-page, title: C, publisher: C, language: en, kind: official_csto, url: "https://c.example/1", locator_scheme: "¶N"}
"""


def test_a_subfolder_stage_keeps_every_version_and_uses_the_rules(
    session: Session, tmp_path: Path
) -> None:
    seeds = _copy_seeds(tmp_path)
    (seeds / "record" / "channel").mkdir(parents=True)
    write_seed(seeds / "record", "sources.yaml", RECORD_SOURCES)
    write_seed(seeds / "record" / "channel", "2031.yaml", RECORD_STAGE)
    apply_seeds(session, read_seed_files(seeds))
    stage = session.scalars(select(m.Stage).filter_by(slug="channel-test-versions")).one()
    # The CSTO's end (the 26th) before the press's (the 25th); both claims kept.
    assert (str(stage.start_on), str(stage.end_on)) == ("2031-05-20", "2031-05-26")
    assert session.query(m.Claim).filter_by(stage_id=stage.id).count() == 3
    results = session.scalars(select(m.StageResult).filter_by(stage_id=stage.id)).all()
    used = [r for r in results if r.alternative_to_id is None]
    assert [(r.value, r.qualifier) for r in used] == [(120, "almost")]
    reports = session.scalars(select(m.SeizureReport).filter_by(stage_id=stage.id)).all()
    counted = [r for r in reports if r.alternative_to_id is None and r.parent_id is None]
    assert [r.amount for r in counted] == [8_000_000]
    heroin = [r for r in reports if r.parent_id is not None]
    assert [r.parent_id for r in heroin] == [counted[0].id]
    # Loading again changes nothing.
    assert apply_seeds(session, read_seed_files(seeds)).changed == 0
