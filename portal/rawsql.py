"""Values of raw SQL rows as the ORM would give them.

A raw query's rows hold what the database driver returns: on SQLite datetimes and
dates as text and decimals as floats, on PostgreSQL the Python types. `converter(model,
field)` gives the function the ORM applies to that field's column (its backend's and its
field's converters), so a raw row reads the same on every database:

    day = converter(ShopDay, "day")
    rows = [(day(d), n) for d, n in cursor.fetchall()]
"""

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
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
