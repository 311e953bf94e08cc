"""Admin list filters given as a table rather than a ladder of `if`s."""

from django.contrib import admin
from django.db.models import Q


class ChoiceFilter(admin.SimpleListFilter):
    """A list filter whose `options` map each URL value to its label and the rows it keeps."""

    options: dict[str, tuple[str, Q]] = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.options.items()]

    def queryset(self, request, queryset):
        choice = self.options.get(self.value())
        return queryset if choice is None else queryset.filter(choice[1])
