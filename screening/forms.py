"""Forms of the screening app."""

from django import forms

from screening.prisma import MANUAL_FIELDS, PrismaInputs, validate_manual

# Manual numbers that may stay empty: PRISMA then derives them (prisma-spec 1.3), or, for the
# previous-review boxes, the review is a new one. The others are 0 when left empty.
OPTIONAL_FIELDS = frozenset(
    {
        "reports_assessed",
        "studies_included",
        "reports_included",
        "other_assessed",
        "previous_studies",
        "previous_reports",
    }
)
# The largest value PrismaManual's PositiveIntegerField holds.
LARGEST = 2_147_483_647

# The lists of names with a count, one "Name, n" a line.
LIST_FIELDS = {
    "reports_excluded": ("Reports excluded, with reasons", "Reason"),
    "other_identified": ("Records identified from other methods", "Method"),
    "other_excluded": ("Reports excluded, with reasons (other methods)", "Reason"),
}

_HELP = {
    "duplicates_before_import": "Removed outside the app (EndNote, Zotero…) before importing; "
    "the app adds the duplicates it found.",
    "reports_assessed": "Empty: reports sought minus reports not retrieved.",
    "studies_included": "Empty: one study per included report.",
    "reports_included": "Empty: reports assessed minus reports excluded.",
    "other_assessed": "Empty: reports sought minus reports not retrieved (other methods).",
    "previous_studies": "Only for an updated review; empty for a new one.",
    "previous_reports": "Only for an updated review; empty for a new one.",
    "reports_excluded": "One reason a line, as “Reason, n”; each report under its primary reason.",
    "other_identified": "One method a line, as “Method, n”: Websites, Organisations, Citation "
    "searching…",
    "other_excluded": "One reason a line, as “Reason, n”.",
}


def _lines(pairs) -> str:
    return "\n".join(f"{name}, {n}" for name, n in pairs)


class PrismaManualForm(forms.Form):
    """The PRISMA 2020 numbers an owner enters by hand. Whole numbers, not negative; a number
    may be written with thousands separators ("1,200")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in MANUAL_FIELDS.items():
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=20,
                help_text=_HELP.get(name, ""),
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
            )
        for name, (label, _what) in LIST_FIELDS.items():
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=20_000,
                help_text=_HELP[name],
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @classmethod
    def initial_from(cls, inputs: PrismaInputs) -> dict:
        """The form's values from the numbers saved (as prisma_inputs read them)."""
        initial = {}
        for name in MANUAL_FIELDS:
            value = getattr(inputs, name)
            initial[name] = "" if value is None else str(value)
        for name in LIST_FIELDS:
            initial[name] = _lines(getattr(inputs, name))
        return initial

    def _clean_number(self, name: str):
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None if name in OPTIONAL_FIELDS else 0
        try:
            number = validate_manual(MANUAL_FIELDS[name], text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if number > LARGEST:
            raise forms.ValidationError(f"{MANUAL_FIELDS[name]} is too large.")
        return number

    def _clean_lines(self, name: str) -> list[list]:
        _label, what = LIST_FIELDS[name]
        pairs, errors = [], []
        for number, line in enumerate((self.cleaned_data.get(name) or "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            text, comma, count = line.rpartition(",")
            text = text.strip()
            if not comma or not text:
                errors.append(f"Line {number} (“{line}”): write it as “{what}, n”.")
                continue
            try:
                n = validate_manual(f"The number on line {number} (“{text}”)", count.strip())
            except ValueError as error:
                errors.append(str(error))
                continue
            if n > LARGEST:
                errors.append(f"The number on line {number} (“{text}”) is too large.")
                continue
            pairs.append([text, n])
        if errors:
            raise forms.ValidationError(errors)
        return pairs

    def clean(self):
        data = super().clean()
        for name in MANUAL_FIELDS:
            if name in self.errors:
                continue
            try:
                data[name] = self._clean_number(name)
            except forms.ValidationError as error:
                self.add_error(name, error)
        for name in LIST_FIELDS:
            if name in self.errors:
                continue
            try:
                data[name] = self._clean_lines(name)
            except forms.ValidationError as error:
                self.add_error(name, error)
        return data
