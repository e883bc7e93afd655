"""Screen with the keyboard only: decide ten records, undo one, change one from the list."""

from playwright.sync_api import expect

from reviews import services
from reviews.imports import records_import
from reviews.models import Record, ReviewMember
from screening.models import Decision, DecisionChange
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import login


def ris(count: int) -> bytes:
    return "\n".join(
        f"TY  - JOUR\nTI  - Trial number {i} of exercise\nPY  - 2020\nDO  - 10.1000/k{i}\n"
        f"AB  - We randomised {i * 10} adults with depression.\nER  - \n"
        for i in range(1, count + 1)
    ).encode()


# Key presses per record, in queue order: i, m, or e + reason 1 + Enter.
KEYS = [
    ["i"],
    ["m"],
    ["e", "1", "Enter"],
    ["i"],
    ["e", "1", "Enter"],
    ["m"],
    ["i"],
    ["e", "1", "Enter"],
    ["i"],
    ["m"],
]
VERDICTS = {"i": "include", "m": "maybe", "e": "exclude"}
FIRST_REASON = "Wrong population"


def test_reviewer_screens_with_the_keyboard(page, transactional_db):
    owner = make_user("olga")
    rita = make_user("rita")
    review = services.review_create(title="Exercise and mood", owner=owner)
    review.include_terms = ["random*"]
    review.save()
    ReviewMember.objects.create(review=review, user=rita, role=ReviewMember.Role.REVIEWER)
    records_import(review=review, data=ris(12), file_name="k.ris", source_name="PubMed")
    records = list(Record.objects.filter(review=review).order_by("id"))
    assert len(records) == 12

    login(page, "rita", PASSWORD)
    page.goto(f"/reviews/{review.slug}/")
    page.get_by_role("link", name="Screen", exact=True).click()
    screen = page.locator("#screen")
    expect(screen).to_have_attribute("data-record", str(records[0].id))
    expect(page.locator("#record-title")).to_have_text("Trial number 1 of exercise")
    expect(page.locator(".record-abstract mark.hl-include")).to_have_text("randomised")
    # A marker that a full page load would wipe: every step below must keep it.
    page.evaluate("window.stillTheSamePage = true")

    for index, keys in enumerate(KEYS):
        expect(screen).to_have_attribute("data-record", str(records[index].id))
        for key in keys:
            page.keyboard.press(key)
        expect(screen).to_have_attribute("data-record", str(records[index + 1].id))
        expect(page.locator(".screen-status")).to_have_text(
            f"Saved: {VERDICTS[keys[0]].capitalize()} for record {records[index].id}."
        )
        # The new record's title has the focus, after an exclude (reasons, Enter) too, so
        # screen readers announce it.
        expect(page.locator("#record-title")).to_be_focused()
    expect(page.locator("#progress")).to_contain_text("You: 10 done, 2 remaining")
    expect(page.locator("#record-title")).to_have_text("Trial number 11 of exercise")

    # An exclusion without a reason is refused and the same record stays.
    page.keyboard.press("e")
    page.keyboard.press("1")
    page.keyboard.press("1")  # toggled off again
    expect(page.locator('input[data-reason-key="1"]')).not_to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator("#decide-error")).to_have_text(
        "Choose at least one exclusion reason (keys 1–9)."
    )
    expect(screen).to_have_attribute("data-record", str(records[10].id))
    assert not Decision.objects.filter(record=records[10]).exists()

    # The note: typing there does not trigger shortcuts.
    page.keyboard.press("n")
    expect(page.locator("#note")).to_be_focused()
    page.keyboard.type("mixed ages")
    expect(page.locator("#note")).to_have_value("mixed ages")
    expect(screen).to_have_attribute("data-record", str(records[10].id))
    page.keyboard.press("Escape")

    # Previous (k) shows the record decided before, with the decision preselected;
    # next (j) goes on in the queue.
    page.keyboard.press("k")
    expect(screen).to_have_attribute("data-record", str(records[9].id))
    expect(page.locator('button[data-verdict="maybe"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowLeft")
    expect(screen).to_have_attribute("data-record", str(records[8].id))
    page.keyboard.press("j")
    expect(screen).to_have_attribute("data-record", str(records[9].id))
    page.keyboard.press("ArrowRight")
    expect(screen).to_have_attribute("data-record", str(records[10].id))

    # ? shows the shortcuts.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    # Undo: the tenth decision is taken back and its record shows again.
    page.keyboard.press("u")
    expect(screen).to_have_attribute("data-record", str(records[9].id))
    expect(page.locator(".screen-status")).to_have_text(
        f"Undone: your last decision on record {records[9].id}. Decide it again."
    )
    expect(page.locator('button[aria-pressed="true"]')).to_have_count(0)
    expect(page.locator("#progress")).to_contain_text("You: 9 done, 3 remaining")
    assert not Decision.objects.filter(record=records[9]).exists()
    page.keyboard.press("i")
    expect(screen).to_have_attribute("data-record", str(records[10].id))
    assert page.evaluate("window.stillTheSamePage") is True

    # Change one from the record list: record 3 was excluded, now included.
    page.get_by_role("link", name="Records", exact=True).click()
    row = page.locator(f"#record-row-{records[2].id}")
    expect(row).to_contain_text("Exclude")
    row.get_by_role("link", name="Trial number 3 of exercise").click()
    expect(screen).to_have_attribute("data-record", str(records[2].id))
    expect(page.locator("#my-decision")).to_contain_text(f"You decided Exclude ({FIRST_REASON})")
    expect(page.locator('button[data-verdict="exclude"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('input[data-reason-key="1"]')).to_be_checked()
    page.keyboard.press("1")  # untick the reason: optional for an include
    page.keyboard.press("i")
    expect(page.locator(".screen-status")).to_have_text(
        f"Saved: Include for record {records[2].id}."
    )
    expect(screen).to_have_attribute("data-record", str(records[10].id))

    # Keys typed while a record is being replaced apply to the record that comes next.
    page.keyboard.press("i")
    page.keyboard.press("m")
    expect(page.locator("#screen-done")).to_contain_text(
        "You have screened every record available to you"
    )
    expect(page.locator("#progress")).to_contain_text("You: 12 done, 0 remaining")

    position = {record.id: index + 1 for index, record in enumerate(records)}
    current = [
        (position[d.record_id], d.verdict, [r.label for r in d.reasons.all()], d.note)
        for d in Decision.objects.filter(review=review).order_by("record_id")
    ]
    assert current == [
        (1, "include", [], ""),
        (2, "maybe", [], ""),
        (3, "include", [], ""),
        (4, "include", [], ""),
        (5, "exclude", [FIRST_REASON], ""),
        (6, "maybe", [], ""),
        (7, "include", [], ""),
        (8, "exclude", [FIRST_REASON], ""),
        (9, "include", [], ""),
        (10, "include", [], ""),
        (11, "include", [], ""),
        (12, "maybe", [], ""),
    ]
    assert {d.reviewer_id for d in Decision.objects.all()} == {rita.id}
    history = [
        (position[c.record_id], c.kind, c.old_verdict, c.new_verdict, c.old_reasons, c.new_reasons)
        for c in DecisionChange.objects.filter(review=review).order_by("id")
    ]
    assert history == [
        (1, "created", "", "include", [], []),
        (2, "created", "", "maybe", [], []),
        (3, "created", "", "exclude", [], [FIRST_REASON]),
        (4, "created", "", "include", [], []),
        (5, "created", "", "exclude", [], [FIRST_REASON]),
        (6, "created", "", "maybe", [], []),
        (7, "created", "", "include", [], []),
        (8, "created", "", "exclude", [], [FIRST_REASON]),
        (9, "created", "", "include", [], []),
        (10, "created", "", "maybe", [], []),
        (10, "undone", "maybe", "", [], []),
        (10, "created", "", "include", [], []),
        (3, "changed", "exclude", "include", [FIRST_REASON], []),
        (11, "created", "", "include", [], []),
        (12, "created", "", "maybe", [], []),
    ]
