"""What the apps' admins share: who may add, change or delete a record in the admin.

Most of the portal's records are never typed in by staff: they come from a merchant, the
platform or a batch, their history is kept, and their state changes only through the
services (portal.admin_transitions' buttons, admin actions). An admin says so once, by its
base, instead of writing the same `has_*_permission` methods again.
"""

from functools import cached_property

from django.contrib import admin
from django.core.paginator import Paginator

from portal.pagination import TOTAL_CAP, capped_total


class NoAddOrDelete:
    """Staff neither add nor delete these records in the admin (an inline's signature too)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoWrites(NoAddOrDelete):
    """Nor change them in a form: every change is a transition or an action."""

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        """Every field shown, none a form field: no select of every related row to build
        (and a queryset ordered by an annotation, as the claim queue's rank, is no plain
        queryset's order)."""
        extra = [f for f in self.readonly_fields if f not in self._model_fields()]
        return [*self._model_fields(), *extra]

    def _model_fields(self):
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]


class ExactIdSearch:
    """The admin's search by exact ids (`search_fields` all "=field"), each id through its
    own index: the records whose field equals the stripped term, one field after another,
    united. Django's own "=field" search compares UPPER(field) with UPPER(term) for all the
    fields in one OR across their joins, which no index serves: on the policies (1,000,000
    rows in bench/dataset.py) that is a sequential scan on every search (issue 10). Ids are
    matched as the platform sends them, case included, as the claim queue matches them."""

    def get_search_results(self, request, queryset, search_term):
        fields = self.get_search_fields(request)
        if not fields or not all(field.startswith("=") for field in fields):
            return super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return queryset, False
        ids = self.model._default_manager.values("pk")
        first, *others = (ids.filter(**{field[1:]: term}) for field in fields)
        return queryset.filter(pk__in=first.union(*others) if others else first), False


class CappedCountPaginator(Paginator):
    """The admin's pages of a large table, counted up to CAP rows, as the merchants' lists
    are (portal.pagination.TOTAL_CAP): the count reads at most CAP + 1 of them in the list's
    own order (the index that gives the page gives the count), and the list says "1000+"
    beyond (templates/admin/pagination.html); a search or a filter finds the rest. Django's
    paginator counts every row of the table on each page: 30 ms for the 1,000,000 policies
    of bench/dataset.py, and growing with them (issue 10)."""

    CAP = TOTAL_CAP

    @cached_property
    def count(self) -> int:
        count, self.capped = capped_total(self.object_list, self.CAP)
        return count


class LargeTableAdmin:
    """A changelist over a table that grows with the marketplace: a capped count, and no
    second count of the whole table beside the filtered one."""

    paginator = CappedCountPaginator
    show_full_result_count = False
