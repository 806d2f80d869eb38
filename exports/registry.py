"""The kinds of CSV export the apps offer, by name.

An app registers a builder in its `exports.py` (found at start-up, exports.apps):

    @register("policies", label=gettext_lazy("Policies"))
    def policies(*, shop, params, now) -> CsvTable: ...

`params` are the list's filters as the merchant sent them (a dict of strings), `now` the
instant of the request (time-dependent cells, such as R24's status). A background export
stores the name and the params, and its task builds the same table later.
"""

from collections.abc import Callable
from dataclasses import dataclass

from portal.csv_export import CsvTable

Builder = Callable[..., CsvTable]


@dataclass(frozen=True)
class Kind:
    build: Builder
    label: str  # lazy: what the merchant reads on the export pages


_kinds: dict[str, Kind] = {}


def register(name: str, *, label) -> Callable[[Builder], Builder]:
    def decorator(builder: Builder) -> Builder:
        _kinds[name] = Kind(builder, label)
        return builder

    return decorator


def build(name: str, *, shop, params, now) -> CsvTable:
    """The kind's table for the shop (R100: every builder scopes its rows to `shop`)."""
    return _kinds[name].build(shop=shop, params=params, now=now)


def label(name: str) -> str:
    kind = _kinds.get(name)
    return kind.label if kind else name
