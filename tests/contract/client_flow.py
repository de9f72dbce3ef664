"""What users of the registry do, written against a Python client that openapi-python-client
generates from the live OpenAPI document (`ksopn_client`): an analyst follows the pages of
2018's seizure reports and asks for totals; a secretariat editor posts a stage with an
Idempotency-Key, retries it, corrects it with If-Match; a cache revalidates and gets a 304.

tests/system/test_contract_tools.py generates the client, checks this file with
`mypy --strict`, and runs it: `python client_flow.py BASE_URL EDITOR_KEY`. It exits non-zero
(an AssertionError, or the client's UnexpectedStatus) when the document and the server
disagree on anything it touches.
"""

import sys
import uuid
from typing import Any

from ksopn_client import AuthenticatedClient, Client
from ksopn_client.api.operations import get_stage
from ksopn_client.api.seizures import get_seizure_totals, list_seizures
from ksopn_client.api.staff_stages import patch_stage, post_stage
from ksopn_client.models import (
    PageSeizureOut,
    SeizureOut,
    SeizureTotals,
    StageCreate,
    StageDetail,
    StagePatch,
)
from ksopn_client.types import UNSET, Unset

STAGE_NUMBER = 77  # neither the seed's nor the README's (31) nor the docs' example's


def every_2018_report(public: Client) -> list[SeizureOut]:
    """Follows the pages by their `cursor`, two reports a page, to the last."""
    reports: list[SeizureOut] = []
    cursor: str | Unset = UNSET
    while True:
        page = list_seizures.sync(client=public, year=2018, limit=2, cursor=cursor)
        assert isinstance(page, PageSeizureOut), page
        reports.extend(page.items)
        if not isinstance(page.cursor, str):
            return reports
        cursor = page.cursor


def totals_2018(public: Client) -> SeizureTotals:
    totals = get_seizure_totals.sync(client=public, year=2018, group_by=["substance"])
    assert isinstance(totals, SeizureTotals), totals
    return totals


def new_stage() -> StageCreate:
    body: dict[str, Any] = {
        "number": STAGE_NUMBER,
        "start_on": "2022-06-01",
        "end_on": "2022-06-10",
        "source": "mvd-ksopn-15-years-2020",
        "locator": "¶8",
        "participants": ["KAZ", "RUS"],
        "seizures": [{"substance": "heroin", "quantity": "2.5 kg"}],
    }
    return StageCreate.from_dict(body)


def post_with_a_retry(staff: AuthenticatedClient) -> tuple[StageDetail, str]:
    """Posts the stage, then posts it again with the same key, as a client whose first
    answer was lost would: the second answer is the first, replayed, and nothing new."""
    key = str(uuid.uuid4())
    first = post_stage.sync_detailed("channel", client=staff, body=new_stage(), idempotency_key=key)
    assert first.status_code == 201, first.content
    assert isinstance(first.parsed, StageDetail)
    retry = post_stage.sync_detailed("channel", client=staff, body=new_stage(), idempotency_key=key)
    assert retry.status_code == 201, retry.content
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert isinstance(retry.parsed, StageDetail)
    assert retry.parsed.id == first.parsed.id
    return first.parsed, first.headers["ETag"]


def correct(staff: AuthenticatedClient, stage: StageDetail, etag: str) -> str:
    patch = StagePatch(description="Checked against the source")
    stale = patch_stage.sync_detailed(stage.id, client=staff, body=patch, if_match='"stale"')
    assert stale.status_code == 412, stale.content
    patched = patch_stage.sync_detailed(stage.id, client=staff, body=patch, if_match=etag)
    assert patched.status_code == 200, patched.content
    assert isinstance(patched.parsed, StageDetail)
    assert patched.parsed.description == "Checked against the source"
    return patched.headers["ETag"]


def revalidate(public: Client, stage_id: int, etag: str) -> None:
    again = get_stage.sync_detailed(stage_id, client=public, if_none_match=etag)
    assert again.status_code == 304, again.content
    assert again.headers["ETag"] == etag


def main(base_url: str, editor_key: str) -> None:
    public = Client(base_url=base_url, raise_on_unexpected_status=True)
    staff = AuthenticatedClient(
        base_url=base_url, token=editor_key, raise_on_unexpected_status=True
    )
    reports = every_2018_report(public)
    assert reports, "the seed has 2018 reports"
    assert len({report.id for report in reports}) == len(reports), "no report twice"
    totals = totals_2018(public)
    stage, etag = post_with_a_retry(staff)
    etag = correct(staff, stage, etag)
    revalidate(public, stage.id, etag)
    print(
        f"{len(reports)} reports of 2018 in pages of two; {len(totals.groups)} totals lines; "
        f"stage {stage.number} posted once (retried), corrected, revalidated (304)"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
