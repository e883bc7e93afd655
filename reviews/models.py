from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

DEFAULT_EXCLUSION_REASONS = (
    "Wrong population",
    "Wrong intervention or exposure",
    "Wrong comparator",
    "Wrong outcome",
    "Wrong study design",
    "Wrong publication type",
    "Not in an eligible language",
    "Duplicate",
    "Other",
)


class Review(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    inclusion_criteria = models.TextField(blank=True)
    exclusion_criteria = models.TextField(blank=True)
    required_decisions = models.PositiveSmallIntegerField(
        default=2, help_text="Independent decisions each record needs (1 to 3)."
    )
    blind_screening = models.BooleanField(
        default=True, help_text="Reviewers do not see each other's decisions."
    )
    include_terms = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    exclude_terms = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    relevance_order = models.BooleanField(
        default=False,
        help_text="Reviewers' queues follow the ranking model's scores, most relevant first.",
    )
    retrain_every = models.PositiveSmallIntegerField(
        default=10, help_text="Retrain the ranking model after this many new decisions."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required_decisions__gte=1, required_decisions__lte=3),
                name="reviews_review_required_decisions_1_to_3",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reviews:review-detail", args=[self.slug])


class ReviewMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        REVIEWER = "reviewer", "Reviewer"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)
    is_resolver = models.BooleanField(
        default=False, help_text="May resolve conflicts (owners always may)."
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "user"], name="reviews_reviewmember_one_per_user"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "reviewer"]),
                name="reviews_reviewmember_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.review}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def can_resolve(self) -> bool:
        return self.is_owner or self.is_resolver


class ExclusionReason(models.Model):
    """A review's exclusion reasons, in order (keys 1-9 pick the first nine).

    A reason that decisions use is archived rather than deleted, so history stays whole.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reasons")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("label"), "review", name="reviews_exclusionreason_unique_label"
            ),
            models.CheckConstraint(
                condition=~models.Q(label=""), name="reviews_exclusionreason_label_not_empty"
            ),
        ]

    def __str__(self):
        return self.label


class ImportBatch(models.Model):
    class SourceKind(models.TextChoices):
        DATABASE = "database", "Database"
        REGISTER = "register", "Register"
        OTHER = "other", "Other method"

    class Status(models.TextChoices):
        STAGED = "staged", "Awaiting confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="batches")
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=30, blank=True)
    encoding = models.CharField(max_length=30, blank=True)
    source_name = models.CharField(max_length=200, help_text='e.g. "MEDLINE (PubMed)", "Embase"')
    source_kind = models.CharField(
        max_length=20, choices=SourceKind.choices, default=SourceKind.DATABASE
    )
    search_date = models.DateField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    forced = models.BooleanField(default=False, help_text="Imported again despite the same file.")
    records_read = models.PositiveIntegerField(default=0)
    records_created = models.PositiveIntegerField(default=0)
    duplicates_found = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Set while the file waits for a background worker; removed once imported.
    upload_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["imported_at", "id"]
        verbose_name_plural = "import batches"
        indexes = [models.Index(fields=["review", "sha256"], name="reviews_batch_review_sha")]

    def __str__(self):
        return f"{self.file_name} ({self.source_name})"


# The search vector of a record, as SQL over its columns (NEW.title etc. in the trigger).
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, COALESCE({title}, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, "
    "COALESCE({abstract}, '') || ' ' || COALESCE({search_extra}, '')), 'B')"
)


def search_vector_sql(prefix: str = "") -> str:
    return SEARCH_VECTOR_SQL.format(
        title=f"{prefix}title", abstract=f"{prefix}abstract", search_extra=f"{prefix}search_extra"
    )


class Record(models.Model):
    # No index of its own: every index in Meta.indexes and migration 0003 starts with review_id.
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records")
    position = models.PositiveIntegerField(help_text="1-based number of the record in its file.")
    title = models.TextField(blank=True)
    abstract = models.TextField(blank=True)
    authors = ArrayField(models.TextField(), default=list, blank=True)
    year = models.SmallIntegerField(null=True, blank=True)
    journal = models.TextField(blank=True)
    volume = models.CharField(max_length=100, blank=True)
    issue = models.CharField(max_length=100, blank=True)
    pages = models.CharField(max_length=100, blank=True)
    doi = models.CharField(max_length=300, blank=True)
    pmid = models.CharField(max_length=20, blank=True)
    other_ids = models.JSONField(default=dict, blank=True)
    keywords = ArrayField(models.TextField(), default=list, blank=True)
    mesh_terms = ArrayField(models.TextField(), default=list, blank=True)
    language = models.CharField(max_length=100, blank=True)
    url = models.TextField(blank=True)
    publication_type = models.CharField(max_length=200, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    warnings = ArrayField(models.TextField(), default=list, blank=True)
    # Authors and keywords flattened for full-text search (arrays cannot feed the vector).
    search_extra = models.TextField(blank=True)
    # Always SEARCH_VECTOR_SQL of the row, kept so by the database (migration 0005): a trigger
    # computes it on INSERT when none is given and on every UPDATE of its texts (or of the
    # vector itself). The importer gives it, computed by that same expression on a second
    # connection while the records are copied, so both CPUs work on a large import.
    search_vector = SearchVectorField(null=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    duplicate_reason = models.CharField(max_length=200, blank=True)
    duplicate_score = models.FloatField(null=True, blank=True)
    # Current title/abstract decisions, kept by the screening services so that the
    # "next record" query needs no count over the decisions table.
    decision_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="reviews_record_search"),
            models.Index(fields=["review", "doi"], name="reviews_record_review_doi"),
            models.Index(fields=["review", "pmid"], name="reviews_record_review_pmid"),
            models.Index(fields=["review", "year", "id"], name="reviews_record_review_year"),
            # decision_count rides along so the screening queue and progress counts walk
            # this index alone, not the records' wide rows (screening.queries).
            models.Index(
                fields=["review", "id"],
                include=["decision_count"],
                condition=models.Q(duplicate_of__isnull=True),
                name="reviews_record_unique_rev",
            ),
            models.Index(
                fields=["review", "decision_count"],
                condition=models.Q(duplicate_of__isnull=True),
                name="reviews_record_review_count",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(duplicate_of=models.F("id")),
                name="reviews_record_not_own_duplicate",
            ),
        ]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title; for untitled records (as in VHL pages) the journal line and opening words."""
        if self.title:
            return self.title
        citation = self.citation
        words = " ".join(self.abstract.split()[:12])
        if words and len(self.abstract.split()) > 12:
            words += "…"
        parts = [p for p in (citation, words) if p]
        return " — ".join(parts) or f"Untitled record {self.position}"

    @property
    def citation(self) -> str:
        text = self.journal
        if self.year:
            text = f"{text} {self.year}".strip()
        if self.volume:
            text += f";{self.volume}"
            if self.issue:
                text += f"({self.issue})"
        if self.pages:
            text += f":{self.pages}"
        return text
