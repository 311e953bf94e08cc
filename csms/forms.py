"""Form fields the admin's forms share."""

from django import forms


def checkboxes(values, *, none_chosen: str) -> forms.MultipleChoiceField:
    """A checkbox per value, at least one ticked; `none_chosen` says why none would be of no use."""
    return forms.MultipleChoiceField(
        choices=[(value, value) for value in values],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": none_chosen},
    )
