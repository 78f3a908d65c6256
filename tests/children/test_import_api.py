"""Importing children from a CSV or XLSX file through the API: all rows or none, every bad
row at once, a fixed number of statements, bad files refused with nothing changed."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.children import importing
from app.children.models import Child
from tests.support.queries import CountQueries
from tests.support.rows import audit_count, count_rows

pytestmark = pytest.mark.clock("2027-03-10T10:00")

URL = "/api/v1/children/import"
HEADER = (
    "reference,first_name,date_of_birth,placement_type,consent_given_by,consent_given_on,"
    "languages,preferences.same_ethnicity"
)


def row(n: int, **change: str) -> str:
    values = {
        "reference": f"IM-{n:04d}",
        "first_name": f"Child{n}",
        "date_of_birth": "2016-03-21",
        "placement_type": "foster",
        "consent_given_by": "Social worker",
        "consent_given_on": "2026-09-01",
        "languages": "english; polish",
        "preferences.same_ethnicity": "",
    } | change
    return ",".join(values.values())


def csv_of(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join([header, *rows]) + "\r\n").encode()


def post(
    client: TestClient, content: bytes, *, dry_run: bool = False, name: str = "children.csv"
) -> Any:
    return client.post(
        URL,
        params={"dry_run": "true"} if dry_run else {},
        files={"file": (name, content, "text/csv")},
    )


def test_imports_every_row_with_an_audit_event_each(lead_api: TestClient, db: Session) -> None:
    answer = post(lead_api, csv_of(row(1), row(2, **{"preferences.same_ethnicity": "yes"})))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"created": 2, "errors": [], "dry_run": False}
    children = db.exec(select(Child).order_by(Child.reference)).all()
    assert [c.reference for c in children] == ["IM-0001", "IM-0002"]
    assert children[0].languages == ["english", "polish"]
    assert children[0].date_of_birth == date(2016, 3, 21)
    assert children[1].preferences["same_ethnicity"] is True
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "child")).all()
    assert sorted(e.entity_id or 0 for e in events) == sorted(c.id or 0 for c in children)
    assert {e.action for e in events} == {"create"}
    assert events[0].changes["source"] == [None, "import"]
    assert "reference" in events[0].changes


def test_the_imported_child_reads_as_one_registered_one_by_one(lead_api: TestClient) -> None:
    assert post(lead_api, csv_of(row(1))).status_code == 200
    child = lead_api.get("/api/v1/children", params={"q": "IM-0001"}).json()[0]
    assert child["placement_type"] == "foster"
    assert child["consent_given_on"] == "2026-09-01"


def test_dry_run_writes_nothing_and_says_how_many(lead_api: TestClient, db: Session) -> None:
    answer = post(lead_api, csv_of(row(1), row(2), row(3)), dry_run=True)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"created": 3, "errors": [], "dry_run": True}
    assert count_rows(db, Child) == 0
    assert audit_count(db, entity="child") == 0


def test_every_bad_row_is_reported_and_nothing_is_added(lead_api: TestClient, db: Session) -> None:
    content = csv_of(
        row(1),
        row(2, first_name="", placement_type="hotel"),
        row(3),
        row(4, date_of_birth="2030-01-01"),
        row(5, date_of_birth="31/02/2016"),
        row(6, reference="IM-0001"),
        row(7, consent_given_on="12 Oct 2026"),
        row(8, reference="has space"),
    )
    answer = post(lead_api, content)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["created"] == 0
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (3, "first_name"),
        (3, "placement_type"),
        (5, "date_of_birth"),
        (6, "date_of_birth"),
        (7, "reference"),
        (8, "consent_given_on"),
        (9, "reference"),
    ]
    msgs = {(e["row"], e["column"]): e["msg"] for e in body["errors"]}
    assert msgs[(3, "first_name")] == "Enter the first name"
    assert msgs[(3, "placement_type")] == (
        "Placement type must be one of kinship, foster, residential or other"
    )
    assert msgs[(5, "date_of_birth")] == "Date of birth must be in the past"
    assert msgs[(6, "date_of_birth")] == "Enter a real date of birth"
    assert msgs[(7, "reference")] == "The reference IM-0001 is also on row 2"
    assert "YYYY-MM-DD or DD/MM/YYYY" in msgs[(8, "consent_given_on")]
    assert count_rows(db, Child) == 0
    assert audit_count(db, entity="child") == 0


def test_a_file_whose_every_row_is_bad(lead_api: TestClient, db: Session) -> None:
    content = csv_of(*(row(n, placement_type="") for n in range(1, 6)))
    answer = post(lead_api, content)
    assert answer.status_code == 422
    assert [e["row"] for e in answer.json()["errors"]] == [2, 3, 4, 5, 6]
    assert {e["msg"] for e in answer.json()["errors"]} == {"Choose the placement type"}
    assert count_rows(db, Child) == 0


def test_dry_run_of_a_bad_file_lists_the_errors(lead_api: TestClient) -> None:
    answer = post(lead_api, csv_of(row(1), row(2, first_name="")), dry_run=True)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["row"] == 3


def test_references_already_taken_are_errors(lead_api: TestClient, db: Session) -> None:
    assert post(lead_api, csv_of(row(1))).status_code == 200
    answer = post(lead_api, csv_of(row(2), row(1)))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "row": 3,
            "column": "reference",
            "msg": "A child with the reference IM-0001 exists",
            "loc": ["file", 3, "reference"],
        }
    ]
    assert count_rows(db, Child) == 1


def test_a_reference_taken_at_the_same_moment_is_409(
    lead_api: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(lead_api, csv_of(row(1))).status_code == 200
    # As if another request added IM-0001 after this one checked the references.
    monkeypatch.setattr(importing, "check_taken", lambda *args, **kwargs: None)
    answer = post(lead_api, csv_of(row(2), row(1)))
    assert answer.status_code == 409
    assert "nothing was imported" in answer.json()["detail"]
    assert count_rows(db, Child) == 1
    assert audit_count(db, entity="child") == 1


def test_the_audit_trail_reads_the_imported_children(lead_api: TestClient) -> None:
    assert post(lead_api, csv_of(row(1), row(2))).status_code == 200
    answer = lead_api.get("/api/v1/audit", params={"entity": "child"})
    assert answer.status_code == 200
    assert answer.json()["total"] == 2
    assert {item["action"] for item in answer.json()["items"]} == {"create"}


def test_unknown_and_missing_columns_are_named(lead_api: TestClient, db: Session) -> None:
    header = "reference,first_name,address,placement_type,colour"
    answer = post(lead_api, csv_of("A1,Sam,1 High St,foster,red", header=header))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(1, None), (1, None)]
    assert errors[0]["msg"].startswith("Unknown columns address, colour")
    assert errors[1]["msg"] == (
        "The file needs the columns date_of_birth, consent_given_by, consent_given_on"
    )
    assert count_rows(db, Child) == 0


def test_bom_upper_case_header_uk_dates_and_blank_lines(lead_api: TestClient, db: Session) -> None:
    header = HEADER.upper().replace("PREFERENCES.SAME_ETHNICITY", "Preferences.Same_Ethnicity")
    content = csv_of(row(1, date_of_birth="21/3/2016"), "", ",,,,", row(2), header=header, bom=True)
    answer = post(lead_api, content)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    child = db.exec(select(Child).where(Child.reference == "IM-0001")).one()
    assert child.date_of_birth == date(2016, 3, 21)


def test_xlsx_first_sheet_with_dates_as_cells(lead_api: TestClient, db: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(
        ["X-1", "Ana", datetime(2015, 5, 1), "Kinship", "Carer", date(2026, 9, 1), "", "no"]
    )
    sheet.append(["X-2", "Ben", "2016-01-02", "other", "Carer", "2026-09-01", "welsh", None])
    book.create_sheet("Ignored").append(["nothing", "here"])
    out = io.BytesIO()
    book.save(out)
    answer = post(lead_api, out.getvalue(), name="children.xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    ana = db.exec(select(Child).where(Child.reference == "X-1")).one()
    assert ana.date_of_birth == date(2015, 5, 1)
    assert ana.placement_type == "kinship"
    assert ana.preferences["same_ethnicity"] is False


def test_xlsx_row_numbers_match_the_sheet(lead_api: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["X-1", "Ana", "2015-05-01", "kinship", "Carer", "2026-09-01"])
    sheet.append([])
    sheet.append(["X-2", "", "2015-05-01", "kinship", "Carer", "2026-09-01"])
    out = io.BytesIO()
    book.save(out)
    answer = post(lead_api, out.getvalue(), name="children.xlsx")
    assert answer.status_code == 422
    assert [(e["row"], e["column"]) for e in answer.json()["errors"]] == [(4, "first_name")]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"\x00\x01\x02binary\xff\xfe garbage \x00", "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UTF-8"),
        ("reference,first_name\r\nA1,Zoë\r\n".encode("utf-16"), "UTF-8"),
        ("reference,first_name\r\nA1,Zoë\r\n".encode("latin-1"), "UTF-8"),
        (b"PK\x03\x04 not really a workbook", "Excel workbook"),
        (b"\r\n\r\nA1,Sam\r\n", "first row must name the columns"),
        (",,,\r\nA1,Sam\r\n", "first row must name the columns"),
        (HEADER.encode() + b"\r\n", "no children"),
        (b'reference,first_name\r\n"A1,Sam\r\n', "quotes"),
    ],
)
def test_malformed_files_are_a_clear_422_and_change_nothing(
    lead_api: TestClient, db: Session, content: bytes | str, words: str
) -> None:
    data = content.encode() if isinstance(content, str) else content
    answer = post(lead_api, data)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert words in answer.json()["detail"]
    assert answer.json()["errors"][0]["loc"] == ["file"]
    assert count_rows(db, Child) == 0


def test_a_damaged_workbook_is_a_clear_422(lead_api: TestClient) -> None:
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    broken = out.getvalue()[:300] + b"\x00" * 300
    answer = post(lead_api, broken, name="children.xlsx")
    assert answer.status_code == 422
    assert "workbook" in answer.json()["detail"] or "CSV" in answer.json()["detail"]


def test_too_many_rows_is_refused(lead_api: TestClient, db: Session) -> None:
    content = csv_of(*(row(n) for n in range(importing.MAX_ROWS + 1)))
    answer = post(lead_api, content)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "Import at most 2,000 children at a time: split the file"
    assert count_rows(db, Child) == 0


def test_a_file_over_the_import_cap_is_413(lead_api: TestClient, db: Session) -> None:
    content = csv_of(row(1)) + b" " * importing.MAX_FILE_BYTES
    answer = post(lead_api, content)
    assert answer.status_code == 413
    assert "at most 2 MB" in answer.json()["detail"]
    assert count_rows(db, Child) == 0


def test_a_20_mb_upload_is_413_before_it_is_read(lead_api: TestClient, db: Session) -> None:
    answer = post(lead_api, b"x" * 20_000_000)
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert count_rows(db, Child) == 0


def test_statements_do_not_grow_with_the_rows(
    lead_api: TestClient, db: Session, count_queries: CountQueries
) -> None:
    with count_queries() as one:
        assert post(lead_api, csv_of(row(1))).status_code == 200
    many = csv_of(*(row(n) for n in range(2, 502)))
    with count_queries() as five_hundred:
        assert post(lead_api, many).status_code == 200
    assert five_hundred.count == one.count, five_hundred.statements
    assert count_rows(db, Child) == 501
    assert audit_count(db, entity="child") == 501


def test_only_leads_and_admins_import(signed: Any, people: Any, db: Session) -> None:
    for role in ("facilitator", "mentor"):
        answer = post(signed.api(getattr(people, role)), csv_of(row(1)))
        assert answer.status_code == 403
    assert post(signed.api(people.admin), csv_of(row(1)), dry_run=True).status_code == 200
    assert count_rows(db, Child) == 0


def test_other_methods_are_405_not_a_child(lead_api: TestClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        answer = lead_api.request(method, URL)
        assert answer.status_code == 405, method
        assert answer.headers["allow"] == "POST"
