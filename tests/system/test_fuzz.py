"""The API against its own contract: schemathesis reads /openapi.json from a live server and
sends every operation generated requests, valid and invalid, checking that no answer is a
server error, that every status code, content type, header and body is the documented one,
that no request hangs, and more (`--checks all`; see EXCLUDED_CHECKS and CHECKS_CONFIG below).

Reads go without a key, as the public's do; writes with an editor key, the audit log with an
admin key, staff's reads of the error reports with an editor key. The server runs on a
throwaway migrated and seeded database (SQLite, or a scratch database on the PostgreSQL
server of KSOPN_TEST_DATABASE_URL).

KSOPN_FUZZ_EXAMPLES sets the examples per operation (default 20, about a minute on two
cores); `make fuzz` runs 500. KSOPN_FUZZ_SEED=<the Seed a failed report shows> repeats the
requests of that run.

When this module is schemathesis's hooks file (SCHEMATHESIS_HOOKS, see the bottom), it
teaches schemathesis to read the CSV and NDJSON exports, so that a broken one fails.
"""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from app import PROJECT_DIR
from app.models.enums import KeyRole
from app.staff.keys import create_key
from tests.system.live import ServerProcess, direct_engine, prepare_database

EXAMPLES = int(os.environ.get("KSOPN_FUZZ_EXAMPLES", "20"))
SEED = os.environ.get("KSOPN_FUZZ_SEED")
REQUEST_TIMEOUT = 10  # seconds; a request that takes longer is a hang, and fails the run
WRITES = ["POST", "PATCH", "DELETE"]
CSV = "text/csv"
NDJSON = "application/x-ndjson"

# `--checks all`, none left out. Where a check's default expectation is an opinion that an
# RFC contradicts, the expectation is set to the RFC's (CHECKS_CONFIG); the exclusion, if one
# is ever needed, names its RFC here.
EXCLUDED_CHECKS: set[str] = set()
CHECKS_CONFIG = """
# A missing If-Match is 428 Precondition Required (RFC 6585, section 3; documented on every
# PATCH and DELETE); schemathesis expects one of 400, 401, 403, 406, 415, 422 by default.
[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 415, 422, 428]

# "A request the schema allows must succeed": its default also allows 401, 403, 404, 409 and
# 429. Whether a request is right depends on more than its shape, and the RFCs give the other
# answers: an If-Match that names no current version of the entity is 412 (RFC 9110, 13.1.1:
# the server MUST answer 412; the schema cannot know the current ETag), and content that is
# well-formed but names what does not exist or cannot be (a slug or id of no record, an opaque
# cursor not from a `next` link, a seizure period outside its stage's, an Idempotency-Key
# reused with another body) is 422 (RFC 9110, 15.5.21). A 428 is RFC 6585's, as above.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "428", "429"]
"""


@dataclass(frozen=True)
class Target:
    url: str
    editor: str
    admin: str
    log: Path


@pytest.fixture
def target(
    new_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    database_url = new_database()
    editor = prepare_database(database_url)["Authorization"].removeprefix("Bearer ")
    with direct_engine(database_url) as engine, Session(engine) as session, session.begin():
        admin = create_key(session, "fuzz-admin", KeyRole.ADMIN)
    # The ignored_auth check presents wrong keys on purpose, many times; the limit on failed
    # key checks per client would soon answer every write 429 and end the fuzzing of writes.
    monkeypatch.setenv("KSOPN_AUTH_FAILURE_LIMIT", "1000000")
    # Writes go with an editor key, which makes no release; were one made, not in var/.
    monkeypatch.setenv("KSOPN_RELEASES_DIR", str(tmp_path / "releases"))
    log = tmp_path / "server.log"
    with ServerProcess(database_url, log=log) as server:
        yield Target(server.url, editor, admin, log)


def test_the_api_keeps_its_openapi_contract(target: Target, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(target), encoding="utf-8")
    command = [
        _st(), "--config-file", str(config), "run", f"{target.url}/openapi.json",
        "--checks", "all",
        *(["--exclude-checks", ",".join(sorted(EXCLUDED_CHECKS))] if EXCLUDED_CHECKS else []),
        "--max-examples", str(EXAMPLES),
        "--request-timeout", str(REQUEST_TIMEOUT),
        "--generation-database", "none",  # every run starts afresh, in CI as on a laptop
        "--no-color",
        *(["--seed", SEED] if SEED else []),
    ]  # fmt: skip
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(Path(__file__).resolve()),
        "PYTHONPATH": str(PROJECT_DIR),  # the hooks file imports tests.system.live
    }
    # Generating requests keeps one core busy (schemathesis's workers are threads), so the
    # phases run as two processes side by side: fuzzing, and the rest (the coverage phase's
    # boundary values, missing headers and undocumented methods; the stateful phase's
    # chains of POST, GET, PATCH and DELETE).
    runs = {
        phases: subprocess.Popen(
            [*command, "--phases", phases],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for phases in ("fuzzing", "examples,coverage,stateful")
    }
    reports = {}
    failed = []
    try:
        for phases, process in runs.items():
            try:  # far beyond a healthy run: a hang fails the test, it does not block CI
                reports[phases], _ = process.communicate(timeout=300 + 10 * EXAMPLES)
            except subprocess.TimeoutExpired:
                process.kill()
                reports[phases] = process.communicate()[0] + "\n(killed: it did not finish)"
            if process.returncode != 0:
                failed.append(phases)
    finally:  # an interrupted test leaves no schemathesis behind
        for process in runs.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    report = "\n".join(f"=== phases {phases} ===\n{text}" for phases, text in reports.items())
    print(report)  # pytest shows it with -s, or on failure
    assert not failed, (
        f"schemathesis found failures in the phases {failed}; its reports:\n{report}\n"
        f"--- the server's log ---\n{_tail(target.log)}"
    )


def _config(target: Target) -> str:
    """Keys per operation, and dictionaries that make generated requests name real records
    (and If-Match `*`, any current version) half the time, so writes get past 404 and 412."""
    values = _seeded_values(target.url)
    dictionaries = "\n".join(
        f"{name} = {{ values = {json.dumps(entries)} }}" for name, entries in values.items()
    )
    bindings = {
        "header.If-Match": "if-match",
        "path.operation": "operations",
        "query.operation": "operations",
        "body.operation": "operations",
        "query.substance": "substances",
        "body.substance": "substances",
        "body.seizures[*].substance": "substances",
        "body.seizures[*].parts[*].substance": "substances",
        "query.country": "countries",
        "body.country": "countries",
        "body.lead_country": "countries",
        "body.seizures[*].country": "countries",
        "body.source": "sources",
        "body.body": "bodies",
        "body.issuer": "organizations",
        "body.parent": "organizations",
        "body.occasion_organization": "organizations",
        "query.organization": "organizations",
        "body.party": "parties",
        "body.participants[*]": "parties",
        "body.observers[*]": "parties",
        "body.organizers[*]": "parties",
        "path.source": "sources",
        "path.substance": "substances",
        "path.iso3": "countries",
        "path.organization": "organizations",
        "path.body": "bodies",
        "path.document": "documents",
        "path.event": "events",
        "path.figure": "reported-figures",
        "path.activity": "activities",
        "path.stage_id": "ids",
        "path.report_id": "ids",
        "path.participation_id": "ids",
        "path.meeting_id": "ids",
        "body.parent_id": "ids",
    }
    parameters = "\n".join(
        f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}'
        for key, name in bindings.items()
    )
    return f"""
{CHECKS_CONFIG}

[[operations]]
include-method = {json.dumps(WRITES)}
headers = {{ Authorization = "Bearer {target.editor}" }}

[[operations]]
include-path = "/api/v1/audit"
headers = {{ Authorization = "Bearer {target.admin}" }}

[[operations]]
include-path-regex = "^/api/v1/error-reports"
include-method = "GET"
headers = {{ Authorization = "Bearer {target.editor}" }}

[dictionaries]
{dictionaries}

[parameters]
{parameters}
"""


def _seeded_values(url: str) -> dict[str, list[Any]]:
    """Slugs and codes of the seeded records, read from the API as any client would."""

    def keys(resource: str, field: str = "slug") -> list[Any]:
        response = httpx.get(f"{url}/api/v1/{resource}", params={"limit": 1000}, timeout=30)
        response.raise_for_status()
        return [item[field] for item in response.json()["items"]]

    organizations = keys("organizations")
    countries = keys("countries", "iso3")
    return {
        "if-match": ["*"],
        "operations": keys("operations"),
        "substances": keys("substances"),
        "countries": countries,
        "sources": keys("sources"),
        "bodies": keys("bodies"),
        "organizations": organizations,
        "parties": [*countries, *organizations, "member-states"],
        "documents": keys("documents"),
        "events": keys("events"),
        "reported-figures": keys("reported-figures"),
        "activities": keys("activities"),
        "ids": list(range(1, 11)),
    }


def _st() -> str:
    beside = Path(sys.executable).with_name("st")
    found = str(beside) if beside.exists() else shutil.which("st")
    if found is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'")
    return found


def _tail(path: Path, lines: int = 200) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# --- hooks, read by schemathesis (not by pytest) ------------------------------------------


def _read_csv(text: str) -> None:
    """A CSV export: the byte-order mark, a header, and rows of the header's width."""
    if not text.startswith("\ufeff"):
        raise ValueError("the CSV export does not start with a byte-order mark")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    if not rows or not rows[0]:
        raise ValueError("the CSV export has no header row")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ValueError(f"CSV row {number} has {len(row)} cells, the header {len(rows[0])}")


def _read_ndjson(text: str) -> list[Any]:
    """An NDJSON export's items: one JSON value a line, every line ended by a newline (and
    only by one: U+2028 or U+0085 may stand unescaped in a JSON string; splitlines() splits)."""
    if text and not text.endswith("\n"):
        raise ValueError("the NDJSON export's last line is not ended")
    items = []
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        try:
            items.append(json.loads(line))
        except ValueError as error:
            raise ValueError(f"NDJSON line {number} is not JSON: {error}") from None
    return items


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,160}")  # valid, with room for a suffix


def _install_hooks() -> None:
    import jsonschema_rs  # schemathesis's own
    import schemathesis

    # Schemathesis favours short keys ("0", "!"), so one key and one body came back on a
    # later POST. The registry then replays the first answer, as the header's contract says,
    # and the stateful phase saw a 201 for a resource that an earlier chain had deleted
    # ("created resource not found"). A valid key is made unique; an invalid one is left as
    # it is, to be refused. Replays are tested in tests/staff/test_staff_writes.py.
    @schemathesis.hook
    def map_headers(ctx: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
        key = (headers or {}).get("Idempotency-Key")
        if headers is not None and isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
            headers["Idempotency-Key"] = f"{key}-{uuid.uuid4().hex}"
        return headers

    item_validators: dict[str, Any] = {}

    def item_validator(operation: Any) -> Any:
        """Of the documented schema of an item of the JSON page of the list that the
        operation exports (`/seizures.ndjson` exports `/seizures`)."""
        if operation.path not in item_validators:
            raw = operation.schema.raw_schema
            listed = operation.path.removesuffix(".ndjson")
            ok = raw["paths"][listed]["get"]["responses"]["200"]
            page = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            item = raw["components"]["schemas"][page]["properties"]["items"]["items"]
            item_validators[operation.path] = jsonschema_rs.validator_for(
                {**item, "components": raw["components"]}
            )
        return item_validators[operation.path]

    # The documented schema of an export is a string, which the body is, once it is known to
    # be well-formed: a CSV table; NDJSON lines that are each an item of the JSON page.
    @schemathesis.deserializer(CSV)
    def _csv(_ctx: Any, response: Any) -> str:
        text: str = response.content.decode("utf-8")
        _read_csv(text)
        return text

    @schemathesis.deserializer(NDJSON)
    def _ndjson(ctx: Any, response: Any) -> str:
        text: str = response.content.decode("utf-8")
        validator = item_validator(ctx.operation)
        for number, item in enumerate(_read_ndjson(text), start=1):
            error = next(validator.iter_errors(item), None)
            if error is not None:
                raise ValueError(f"NDJSON line {number} is no page item: {error.message}")
        return text


if __name__ == "_schemathesis_hooks":  # how schemathesis names a hooks file it loads
    _install_hooks()
