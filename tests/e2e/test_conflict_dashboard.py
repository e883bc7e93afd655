"""Two reviewers disagree; the owner resolves the conflict with the keyboard, watches the
dashboard and the PRISMA diagram move, and exports the records with both votes."""

import csv
import io
import re

from playwright.sync_api import expect

from reviews import services as review_services
from reviews.imports import records_import
from reviews.models import Record, ReviewMember
from screening import services
from screening.models import Resolution, ResolutionChange
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import login


def ris(count: int) -> bytes:
    return "\n".join(
        f"TY  - JOUR\nTI  - Walking trial {i}\nPY  - 2022\nDO  - 10.1000/w{i}\n"
        f"AB  - Adults with depression walked for {i * 10} minutes.\nER  - \n"
        for i in range(1, count + 1)
    ).encode()


def box(page, name):
    return page.locator(f'#prisma-figure g.prisma-box[data-box="{name}"]')


def test_owner_resolves_a_conflict_and_reads_the_dashboard(page, transactional_db):
    olga, rita, sam = make_user("olga"), make_user("rita"), make_user("sam")
    review = review_services.review_create(title="Walking and mood", owner=olga)
    for user in (rita, sam):
        ReviewMember.objects.create(review=review, user=user, role=ReviewMember.Role.REVIEWER)
    records_import(review=review, data=ris(3), file_name="w.ris", source_name="PubMed")
    records = list(Record.objects.filter(review=review).order_by("id"))
    first_reason = review.reasons.order_by("position", "id").first()

    # Rita screens in the browser, with the keyboard: include, exclude (reason 1), include.
    login(page, "rita", PASSWORD)
    page.goto(f"/reviews/{review.slug}/screen/")
    screen = page.locator("#screen")
    for index, keys in enumerate([["i"], ["e", "1", "Enter"], ["i"]]):
        expect(screen).to_have_attribute("data-record", str(records[index].id))
        for key in keys:
            page.keyboard.press(key)
    expect(page.locator("#screen-done")).to_be_visible()
    # A reviewer who does not resolve has no conflicts page and no count.
    expect(page.locator("#nav-conflicts")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    # Sam disagrees on the first record only.
    for record, verdict in zip(records, ["exclude", "exclude", "include"], strict=True):
        services.decision_record(
            review=review,
            record=record,
            reviewer=sam,
            verdict=verdict,
            reason_ids=[first_reason.id] if verdict == "exclude" else [],
            note="not adults" if record == records[0] else "",
        )

    login(page, "olga", PASSWORD)
    page.goto(f"/reviews/{review.slug}/dashboard/")
    expect(page.locator("#conflict-count")).to_have_text("1 open")
    expect(page.locator('dd[data-status="conflict"]')).to_have_text("1")
    expect(page.locator('dd[data-status="included"]')).to_have_text("1")
    expect(page.locator('dd[data-status="excluded"]')).to_have_text("1")
    expect(page.locator('dd[data-status="resolved"]')).to_have_text("0")
    pair = page.locator("tr.pair")
    expect(pair.locator("th").first).to_have_text("rita & sam")
    expect(pair.locator('[data-stat="n"]')).to_have_text("3")
    expect(pair.locator('[data-stat="kappa"]')).to_have_text("0.400")
    expect(pair.locator('[data-stat="agreement"]')).to_have_text("66.7%")
    expect(box(page, "screened")).to_contain_text("(n = 3)")
    expect(box(page, "excluded")).to_contain_text("(n = 1)")
    expect(box(page, "sought")).to_contain_text("(n = 1)")

    # The conflicts queue, then the resolve page: both votes side by side.
    page.locator("#nav-conflicts").click()
    row = page.locator(f"#conflict-{records[0].id}")
    expect(row).to_contain_text("Walking trial 1")
    expect(row).to_contain_text("Include")
    expect(row).to_contain_text("Exclude")
    page.get_by_role("link", name="Resolve conflicts").click()
    expect(screen).to_have_attribute("data-record", str(records[0].id))
    expect(page.locator(f"#vote-{rita.id}")).to_contain_text("Include")
    expect(page.locator(f"#vote-{sam.id}")).to_contain_text("Exclude")
    expect(page.locator(f"#vote-{sam.id}")).to_contain_text("not adults")
    expect(page.locator(f"#vote-{sam.id}")).to_contain_text(first_reason.label)
    page.evaluate("window.stillTheSamePage = true")
    page.keyboard.press("m")  # no maybe when resolving: nothing happens
    page.keyboard.press("n")
    expect(page.locator("#note")).to_be_focused()
    page.keyboard.type("walking counts as exercise")
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    expect(page.locator(".screen-status")).to_have_text(
        f"Resolved: Include for record {records[0].id}."
    )
    expect(page.locator("#screen-done")).to_contain_text("No open conflicts")
    expect(page.locator("#conflict-count")).to_have_text("0 open")
    assert page.evaluate("window.stillTheSamePage") is True
    resolution = Resolution.objects.get(record=records[0])
    assert (resolution.verdict, resolution.note, resolution.resolved_by) == (
        "include",
        "walking counts as exercise",
        olga,
    )
    assert ResolutionChange.objects.filter(record=records[0]).count() == 1

    # The dashboard moves: one resolved, no conflict, two reports sought.
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator('dd[data-status="conflict"]')).to_have_text("0")
    expect(page.locator('dd[data-status="resolved"]')).to_have_text("1")
    expect(page.locator("tr.pair").locator('[data-stat="kappa"]')).to_have_text("0.400")
    expect(box(page, "screened")).to_contain_text("(n = 3)")
    expect(box(page, "excluded")).to_contain_text("(n = 1)")
    expect(box(page, "sought")).to_contain_text("(n = 2)")

    # A number entered by hand redraws the diagram in place.
    page.locator(".prisma-numbers summary").click()
    page.get_by_label("Records removed for other reasons").fill("-1")
    page.get_by_role("button", name="Save numbers").click()
    expect(page.get_by_text("must be zero or more")).to_be_visible()
    page.get_by_label("Records removed for other reasons").fill("4")
    page.get_by_role("button", name="Save numbers").click()
    expect(page.get_by_text("PRISMA numbers saved.")).to_be_visible()
    expect(box(page, "removed")).to_contain_text("Records removed for other reasons (n = 4)")
    assert page.evaluate("window.stillTheSamePage") is None  # the dashboard is a new page

    # The records export holds both votes and the resolution.
    response = page.request.get(f"/reviews/{review.slug}/exports/records.csv")
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(response.text().removeprefix("\ufeff"))))
    first = next(row for row in rows if row["record_id"] == str(records[0].id))
    assert (first["rita: verdict"], first["sam: verdict"]) == ("include", "exclude")
    assert first["sam: note"] == "not adults"
    assert first["sam: reasons"] == first_reason.label
    assert (first["status"], first["resolution"]) == ("resolved_included", "include")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*", first["rita: decided_at"])
