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
            # With record last, a reviewer's decisions come in record order from the index
            # alone: the progress counts merge them with the review's records.
            models.Index(
                fields=["review", "reviewer", "stage", "record"], name="screening_dec_reviewer"
            ),
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


class PrismaManual(models.Model):
    """The PRISMA 2020 numbers an owner enters by hand (prisma-spec 1.4): what happened
    outside the app, the full-text stage until the app has one, other methods, and the
    previous version of an updated review. Empty means "derive it" where PRISMA allows."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="prisma_manual")
    duplicates_before_import = models.PositiveIntegerField(default=0)
    removed_automation = models.PositiveIntegerField(default=0)
    removed_other = models.PositiveIntegerField(default=0)
    reports_not_retrieved = models.PositiveIntegerField(default=0)
    reports_assessed = models.PositiveIntegerField(null=True, blank=True)
    # [[reason, n], ...], each report under its primary reason.
    reports_excluded = models.JSONField(default=list, blank=True)
    studies_included = models.PositiveIntegerField(null=True, blank=True)
    reports_included = models.PositiveIntegerField(null=True, blank=True)
    # [[method, n], ...] e.g. Websites, Organisations, Citation searching.
    other_identified = models.JSONField(default=list, blank=True)
    other_sought = models.PositiveIntegerField(default=0)
    other_not_retrieved = models.PositiveIntegerField(default=0)
    other_assessed = models.PositiveIntegerField(null=True, blank=True)
    other_excluded = models.JSONField(default=list, blank=True)
    previous_studies = models.PositiveIntegerField(null=True, blank=True)
    previous_reports = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"PRISMA numbers of {self.review}"


class RelevanceScore(models.Model):
    """A record's score from the latest relevance model: higher = more relevant.

    Kept apart from the wide record rows: each training rewrites every score of the review,
    which as an UPDATE of reviews_record took a minute at 100,000 records (every index of the
    table rewritten) and locked the rows that decisions update meanwhile.
    """

    record = models.OneToOneField(
        Record, primary_key=True, on_delete=models.CASCADE, related_name="relevance_score"
    )
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        indexes = [
            # The relevance-ordered queue walks this: highest score first, ties by import order.
            models.Index(
                models.F("review"),
                models.F("score").desc(),
                models.F("record"),
                name="screening_score_order",
            ),
        ]

    def __str__(self):
        return f"record {self.record_id}: {self.score:.3f}"


class RankingRun(models.Model):
    """One training of a review's relevance model, queued, running or done."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Training"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ranking_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Title/abstract decisions in the review when the run was queued: the next run is due
    # after review.retrain_every more.
    decisions_seen = models.PositiveIntegerField(default=0)
    trained_includes = models.PositiveIntegerField(default=0)
    trained_excludes = models.PositiveIntegerField(default=0)
    records_scored = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"ranking of {self.review} ({self.status})"


class StoppingEvent(models.Model):
    """An owner stopped screening: the records nobody had screened were excluded by an
    automation tool (the stopping rule). Undoing it brings them back; both are audited."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="stopping_events")
    rule = models.CharField(max_length=300)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stopped_at = models.DateTimeField(auto_now_add=True)
    records_excluded = models.PositiveIntegerField(default=0)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-stopped_at", "-id"]

    def __str__(self):
        return f"screening of {self.review} stopped ({self.records_excluded} records)"


class AutomationExclusion(models.Model):
    """A record excluded by the stopping rule of an active StoppingEvent."""

    event = models.ForeignKey(StoppingEvent, on_delete=models.CASCADE, related_name="exclusions")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="automation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record"], name="screening_automation_one_per_record")
        ]

    def __str__(self):
        return f"record {self.record_id} excluded by the stopping rule"
