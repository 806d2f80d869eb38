"""`field__any=ids`: membership in a long list as one parameter (issue 10).

`pk__in=ids` with 2,000 ids is a statement of 2,000 placeholders: psycopg merges each on the
client and PostgreSQL parses each. `pk__any=ids` is `id = ANY(%s::integer[])` there, one
array, the same index scan; elsewhere (SQLite) it is the plain `IN (…)`. Registered on every
field in `PortalConfig.ready`; used where a batch's ids are looked up at once (the sweep's
policies and claims, R24).

    Policy.objects.filter(pk__any=ids)

Raw set-based SQL (the deadline sweep) writes the same condition with `among`.
"""

from django.db.models import Lookup


def among(column: str, values: list, connection, db_type: str) -> tuple[str, list]:
    """`column` among `values` as SQL and its parameters: `= ANY(%s::db_type[])`, one array,
    on PostgreSQL; `IN (%s, …)` elsewhere. `values` must not be empty."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{db_type}[])", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


class Any(Lookup):
    lookup_name = "any"

    def get_prep_lookup(self):
        field = self.lhs.output_field
        return [field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]
        if not values:
            return "1 = 0", []  # nothing is among no values (as `__in=[]` is: no row)
        sql, values = among(lhs, values, connection, field.cast_db_type(connection))
        return sql, [*params, *values]
