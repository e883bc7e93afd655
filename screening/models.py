from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from reviews.models import ExclusionReason, Record, Review


class Stage(models.TextChoices):
    TITLE_ABSTRACT = "title_abstract", "Title and abstract"


class Verdict(models.TextChoices):
    INCLUDE = "include", "Include"
    EXCLUDE = "exclude", "Exclude"
    MAYBE = "maybe", "Maybe"


class Decision(models.Model):
    """A reviewer's current decision on a record at a stage. Earlier ones live in
    DecisionChange; there is one current decision per record, reviewer and stage."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TITLE_ABSTRACT)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reasons = models.ManyToManyField(ExclusionReason, blank=True, related_name="decisions")
    note = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "reviewer", "stage"], name="screening_decision_one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(verdict__in=["include", "exclude", "maybe"]),
                name="screening_decision_verdict_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["review", "reviewer", "stage"], name="screening_dec_reviewer"),
            models.Index(fields=["review", "stage", "record"], name="screening_dec_record"),
        ]

    def __str__(self):
        return f"{self.reviewer} {self.verdict} record {self.record_id}"


class DecisionChange(models.Model):
    """Append-only history of decisions: who, when, and old → new."""

    class Kind(models.TextChoices):
        CREATED = "created", "Decided"
        CHANGED = "changed", "Changed"
        UNDONE = "undone", "Undone"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="decision_changes")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TITLE_ABSTRACT)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    old_verdict = models.CharField(max_length=10, blank=True)
    new_verdict = models.CharField(max_length=10, blank=True)
    old_reasons = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    new_reasons = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    old_note = models.TextField(blank=True)
    new_note = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["review", "reviewer", "-id"], name="screening_change_reviewer"),
        ]

    def __str__(self):
        return f"{self.reviewer}: {self.old_verdict or '–'} → {self.new_verdict or '–'}"


class Resolution(models.Model):
    """A resolver's final verdict on a record whose reviewers disagreed. It overrides the
    decisions for the record's status; its changes keep history like decisions do."""

    class FinalVerdict(models.TextChoices):
        INCLUDE = "include", "Include"
        EXCLUDE = "exclude", "Exclude"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="resolutions")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="resolutions")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TITLE_ABSTRACT)
    verdict = models.CharField(max_length=10, choices=FinalVerdict.choices)
    reasons = models.ManyToManyField(ExclusionReason, blank=True, related_name="resolutions")
    note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resolved_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "stage"], name="screening_resolution_one_per_record"
            ),
            models.CheckConstraint(
                condition=models.Q(verdict__in=["include", "exclude"]),
                name="screening_resolution_verdict_valid",
            ),
        ]

    def __str__(self):
        return f"record {self.record_id} resolved {self.verdict}"


class ResolutionChange(models.Model):
    """Append-only history of resolutions."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="resolution_changes")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TITLE_ABSTRACT)
    resolver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    old_verdict = models.CharField(max_length=10, blank=True)
    new_verdict = models.CharField(max_length=10, blank=True)
    old_reasons = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    new_reasons = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    old_note = models.TextField(blank=True)
    new_note = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.resolver}: {self.old_verdict or '–'} → {self.new_verdict or '–'}"
