"""Values of raw SQL rows as the ORM would give them.

A raw query's rows hold what the database driver returns: on SQLite datetimes and
dates as text and decimals as floats, on PostgreSQL the Python types. `converter(model,
field)` gives the function the ORM applies to that field's column (its backend's and its
field's converters), so a raw row reads the same on every database:

    day = converter(ShopDay, "day")
    rows = [(day(d), n) for d, n in cursor.fetchall()]
"""

from collections.abc import Callable
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils.connection import ConnectionProxy


def converter(model, field: str, using=None) -> Callable:
    """value -> the Python value of `model.field` from a raw row of this database (the
    default one, or the connection `using` names)."""
    # resolved when called, in the calling thread, as django.db.connection is: a converter
    # may be kept (portal.auth) and called from any thread
    db = ConnectionProxy(connections, using or DEFAULT_DB_ALIAS)
    col = model._meta.get_field(field).get_col(model._meta.db_table)
    converters = db.ops.get_db_converters(col) + col.get_db_converters(db)

    def convert(value):
        for convert_one in converters:
            value = convert_one(value, col, db)
        return value

    return convert


class BuiltPerDatabase:
    """A statement written once per database (by `_build(using)`), for the database the
    router reads `model` from."""

    def __init__(self):
        self._built = {}  # database alias -> what _build gave

    def built(self, model):
        using = router.db_for_read(model)
        if using not in self._built:
            self._built[using] = self._build(using)
        return using, self._built[using]


class _Joined(NamedTuple):
    """One model of a JoinedRead: its alias, and how it hangs from the one before it."""

    model: type
    alias: str
    parent: int | None  # index of the model it is joined to
    field: object  # the relation on the parent's side (a field, or a reverse one-to-one)
    join: str  # SQL of the join ("" for the first model)
    left: bool  # a LEFT JOIN: its row may be missing (and so may its children's)


class JoinedRead(BuiltPerDatabase):
    """`model.objects.select_related(*paths).get(field=value, …)` with its SQL written once
    per database instead of compiled by the ORM on every request (issue 10: a select_related
    of five relations costs the ORM 2–3 ms a request to compile and read, bench/auth_queries.py).

    Paths are select_related's: forward foreign keys and one-to-ones, and reverse
    one-to-ones. Every concrete field of every model is read, through the ORM's converters,
    and the related caches are set as select_related sets them (a missing row of a LEFT JOIN
    caches None), so the instances behave as the ORM's. `where` names the fields compared
    with `get`'s (or `all`'s) values, in order; `get` (of a unique key) returns None when
    no row matches, `all` the rows in the order of the fields `order_by` names ("-field":
    descending), the first `limit` of them when given.
    """

    def __init__(
        self,
        model,
        *paths: str,
        where: tuple[str, ...] = ("pk",),
        order_by: tuple[str, ...] = (),
        limit: int | None = None,
    ):
        super().__init__()
        self._model, self.paths, self.where, self.order_by = model, paths, where, order_by
        self.limit = limit

    @property
    def model(self):
        return self._model

    def _extra_columns(self, quote_name, alias_of) -> tuple[list[str], list[str]]:
        """(names, SQL) of columns read besides the models' (a subclass's scalar subqueries);
        `alias_of(path)` is the SQL alias of the model at `path` ("" for the first)."""
        return [], []

    def _joined(self, quote_name) -> tuple[list[_Joined], dict[str, int]]:
        """The models to read, in join order, and each path's index among them."""
        qn = quote_name
        joined = [_Joined(self.model, "t0", None, None, "", False)]
        at_path = {"": 0}
        for path in self.paths:
            prefix = ""
            for name in path.split("__"):
                here = f"{prefix}__{name}" if prefix else name
                if here not in at_path:
                    parent_at = at_path[prefix]
                    parent = joined[parent_at]
                    field = parent.model._meta.get_field(name)
                    alias = f"t{len(joined)}"
                    related = field.related_model
                    if field.concrete and (field.many_to_one or field.one_to_one):
                        left = field.null or parent.left
                        on = (
                            f"{alias}.{qn(field.target_field.column)}"
                            f" = {parent.alias}.{qn(field.column)}"
                        )
                    elif field.one_to_one:  # a reverse one-to-one: the row may be missing
                        left = True
                        remote = field.field
                        on = (
                            f"{alias}.{qn(remote.column)}"
                            f" = {parent.alias}.{qn(remote.target_field.column)}"
                        )
                    else:
                        raise ValueError(f"{path}: {name} is no single related object")
                    kind = "LEFT JOIN" if left else "INNER JOIN"
                    join = f" {kind} {qn(related._meta.db_table)} {alias} ON {on}"
                    at_path[here] = len(joined)
                    joined.append(_Joined(related, alias, parent_at, field, join, left))
                prefix = here
        return joined, at_path

    def _build(self, using):
        qn = connections[using].ops.quote_name
        joined, at_path = self._joined(qn)
        columns, parts = [], []
        for node in joined:
            fields = node.model._meta.concrete_fields
            columns += [f"{node.alias}.{qn(f.column)}" for f in fields]
            converters = [converter(node.model, f.name, using) for f in fields]
            pk_at = fields.index(node.model._meta.pk)
            parts.append((node, [f.attname for f in fields], converters, pk_at))
        names, extra = self._extra_columns(qn, lambda path: joined[at_path[path]].alias)
        meta = self.model._meta

        def field(name):
            return meta.pk if name == "pk" else meta.get_field(name)

        wheres = [field(name) for name in self.where]
        sql = (
            f"SELECT {', '.join(columns + extra)} FROM {qn(meta.db_table)} t0"
            + "".join(node.join for node in joined)
            + " WHERE "
            + " AND ".join(f"t0.{qn(f.column)} = %s" for f in wheres)
        )
        if self.order_by:
            sql += " ORDER BY " + ", ".join(
                f"t0.{qn(field(n.lstrip('-')).column)}{' DESC' if n.startswith('-') else ''}"
                for n in self.order_by
            )
        if self.limit is not None:
            sql += f" LIMIT {int(self.limit)}"
        return sql, parts, names, wheres

    def _rows(self, values, many: bool):
        using, (sql, parts, names, wheres) = self.built(self.model)
        params = [field.to_python(v) for field, v in zip(wheres, values, strict=True)]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if many else [cursor.fetchone()]
        return [self._instance(using, parts, names, row) for row in rows if row is not None]

    def get(self, *values):
        """The instance, its related objects cached, or None."""
        found = self._rows(values, many=False)
        return found[0] if found else None

    def all(self, *values) -> list:
        """Every instance, in `order_by`'s order, their related objects cached."""
        return self._rows(values, many=True)

    def _instance(self, using, parts, names, row):
        instances, start = [], 0
        for node, attnames, converters, pk_at in parts:
            values = row[start : start + len(attnames)]
            start += len(attnames)
            parent = None if node.parent is None else instances[node.parent]
            if values[pk_at] is None:  # the LEFT JOIN found no row
                instances.append(None)
                if parent is not None:
                    node.field.set_cached_value(parent, None)
                continue
            values = [convert(value) for convert, value in zip(converters, values, strict=True)]
            instance = node.model.from_db(using, attnames, values)
            instances.append(instance)
            if parent is not None:
                node.field.set_cached_value(parent, instance)
                if node.field.one_to_one:  # select_related sets the other side too
                    node.field.remote_field.set_cached_value(instance, parent)
        self._read_extra(instances, dict(zip(names, row[start:], strict=True)))
        return instances[0]

    def _read_extra(self, instances: list, extra: dict) -> None:
        """What a subclass does with its extra columns (`instances` in the order joined)."""
