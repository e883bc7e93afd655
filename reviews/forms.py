from django import forms

from reviews.models import ImportBatch, ReviewMember
from reviews.services import parse_reason_lines


def split_terms(text: str) -> list[str]:
    """Terms one per line or separated by commas; blanks dropped, order and first spelling kept."""
    terms: list[str] = []
    seen: set[str] = set()
    for chunk in text.replace(",", "\n").splitlines():
        term = " ".join(chunk.split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms


class ReviewCreateForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    inclusion_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    exclusion_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give the review a title.")
        return title


class ReviewSettingsForm(ReviewCreateForm):
    required_decisions = forms.TypedChoiceField(
        choices=[(1, "1 (single screening)"), (2, "2 (dual screening)"), (3, "3")],
        coerce=int,
        label="Independent decisions per record",
    )
    blind_screening = forms.BooleanField(
        required=False, help_text="Reviewers do not see each other's decisions."
    )
    include_terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Highlighted green. One per line or comma-separated; * at the end matches any "
        "ending (random* matches randomised).",
    )
    exclude_terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Highlighted red. Same rules.",
    )
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Exclusion reasons",
        help_text="One per line, in order: keys 1 to 9 pick the first nine.",
    )

    def clean_include_terms(self):
        return split_terms(self.cleaned_data["include_terms"])

    def clean_exclude_terms(self):
        return split_terms(self.cleaned_data["exclude_terms"])

    def clean_reasons(self):
        return parse_reason_lines(self.cleaned_data["reasons"])


class MemberAddForm(forms.Form):
    identifier = forms.CharField(max_length=254, label="Username or e-mail")
    role = forms.ChoiceField(choices=ReviewMember.Role.choices, initial=ReviewMember.Role.REVIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ReviewMember.Role.choices)
    is_resolver = forms.BooleanField(required=False, label="Resolves conflicts")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        # An empty file is refused by the import, by name, and does not hold up the others.
        allow_empty_file=True,
        label="Export files",
        help_text="One or several files: RIS, PubMed/MEDLINE (.nbib, .txt), PubMed XML, BibTeX, "
        "EndNote XML, Web of Science, Scopus CSV, Ovid, ProQuest or Cochrane text, CSV/TSV, or a "
        "copied VHL results page. The format is recognised from the content.",
    )
    source_name = forms.CharField(
        max_length=200,
        label="Source",
        help_text='The database searched, e.g. "Embase". Each file\'s source can be changed '
        "in the preview.",
    )
    source_kind = forms.ChoiceField(
        choices=ImportBatch.SourceKind.choices,
        label="Kind of source",
        help_text="As PRISMA 2020 separates them.",
    )
    search_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Search date"
    )
    force = forms.BooleanField(
        required=False, label="Import again even if the same file was imported before"
    )


class DuplicateLinkForm(forms.Form):
    duplicate = forms.IntegerField(min_value=1, label="Record number")
    kept = forms.IntegerField(min_value=1, label="is a duplicate of record number")
