"""Logins: merchants sign in with their e-mail, whatever its case; a session's user is read
with their shop."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connections, router

from portal.rawsql import converter


class _BuiltPerDatabase:
    """A statement written once per database (by `_build(using)`), for the database the
    router reads `model` from."""

    def __init__(self):
        self._built = {}  # database alias -> what _build gave

    def built(self, model):
        using = router.db_for_read(model)
        if using not in self._built:
            self._built[using] = self._build(using)
        return using, self._built[using]


class SessionUserQuery(_BuiltPerDatabase):
    """The user, their merchant binding and its shop in one statement, as
    `select_related("merchant__shop").get(pk=…)` gives them, with the SQL written once per
    database instead of compiled by the ORM on every request (issue 10: 0.74 → 0.27 ms a
    request, bench/auth_queries.py). Columns come from the models' fields,
    so a new field is read without a change here.

    An app may add a figure of the shop that every page shows (`read_with_shop`): a scalar
    subquery of the same statement, so the page shell pays no query of its own for it
    (issue 10: the navigation's unread count, 0.48 ms a page as a query of its own)."""

    ALIASES = ("u", "m", "s")

    def __init__(self):
        super().__init__()
        self._figures = {}  # name -> build(quote_name, shop_id_sql) -> a scalar subquery

    def read_with_shop(self, name: str, build) -> None:
        """Read `build(quote_name, shop_id_sql)`, a scalar subquery, with the session's shop;
        its value is then `session_figures(shop)[name]`."""
        self._figures[name] = build
        self._built.clear()

    @staticmethod
    def models():
        user = get_user_model()
        merchant = user._meta.get_field("merchant").related_model
        return user, merchant, merchant._meta.get_field("shop").related_model

    def _build(self, using):
        qn = connections[using].ops.quote_name
        user, merchant, shop = self.models()
        parts, columns = [], []
        for model, alias in zip((user, merchant, shop), self.ALIASES, strict=True):
            fields = model._meta.concrete_fields
            columns += [f"{alias}.{qn(f.column)}" for f in fields]
            converters = [converter(model, f.name, using) for f in fields]
            pk_at = fields.index(model._meta.pk)
            parts.append((model, [f.attname for f in fields], converters, pk_at))
        user_pk, shop_pk = qn(user._meta.pk.column), qn(shop._meta.pk.column)
        to_user = qn(merchant._meta.get_field("user").column)
        to_shop = qn(merchant._meta.get_field("shop").column)
        figures = list(self._figures)
        columns += [self._figures[name](qn, f"s.{shop_pk}") for name in figures]
        sql = (
            f"SELECT {', '.join(columns)} FROM {qn(user._meta.db_table)} u"
            f" LEFT JOIN {qn(merchant._meta.db_table)} m ON m.{to_user} = u.{user_pk}"
            f" LEFT JOIN {qn(shop._meta.db_table)} s ON s.{shop_pk} = m.{to_shop}"
            f" WHERE u.{user_pk} = %s"
        )
        return sql, parts, figures  # parts: [(model, attnames, converters, pk_at)]

    def get(self, user_id):
        """The user with `user.merchant` and `user.merchant.shop` cached (a user who is no
        merchant gets `merchant` cached as missing, as select_related does), or None."""
        user_model, merchant_model, _ = self.models()
        using, (sql, parts, figures) = self.built(user_model)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_model._meta.pk.to_python(user_id)])
            row = cursor.fetchone()
        if row is None:
            return None
        instances, start = [], 0
        for model, attnames, converters, pk_at in parts:
            values = row[start : start + len(attnames)]
            start += len(attnames)
            if values[pk_at] is None:  # the LEFT JOIN found no row
                instances.append(None)
                continue
            values = [convert(value) for convert, value in zip(converters, values, strict=True)]
            instances.append(model.from_db(using, attnames, values))
        user, merchant, shop = instances
        if shop is not None:
            shop._session_figures = dict(zip(figures, row[start:], strict=True))
        user_model._meta.get_field("merchant").set_cached_value(user, merchant)
        if merchant is not None:
            merchant_model._meta.get_field("user").set_cached_value(merchant, user)
            merchant_model._meta.get_field("shop").set_cached_value(merchant, shop)
        return user


SESSION_USER = SessionUserQuery()


def session_figures(shop) -> dict:
    """The figures read with the session's shop (`SessionUserQuery.read_with_shop`) when
    this request's user was read; {} for a shop read any other way."""
    return getattr(shop, "_session_figures", {})


class PermissionsQuery(_BuiltPerDatabase):
    """ModelBackend's permissions of a user who is not a superuser, their own and their
    groups', as `app_label.codename` strings: one statement written once per database
    (issue 10: the ORM's UNION of two joins cost 1.35 ms a request in-process, this 0.30 ms;
    bench/auth_queries.py). Every admin page asks for them."""

    def _build(self, using) -> str:
        qn = connections[using].ops.quote_name
        user = get_user_model()
        own = user._meta.get_field("user_permissions")
        groups = user._meta.get_field("groups")
        granted = groups.related_model._meta.get_field("permissions")
        content_type = Permission._meta.get_field("content_type")
        return (
            f"SELECT ct.{qn('app_label')}, p.{qn('codename')}"
            f" FROM {qn(Permission._meta.db_table)} p"
            f" JOIN {qn(content_type.related_model._meta.db_table)} ct"
            f" ON ct.{qn('id')} = p.{qn(content_type.column)}"
            f" WHERE p.{qn('id')} IN ("
            f"SELECT {qn(own.m2m_reverse_name())} FROM {qn(own.m2m_db_table())}"
            f" WHERE {qn(own.m2m_column_name())} = %s"
            f" UNION ALL SELECT gp.{qn(granted.m2m_reverse_name())}"
            f" FROM {qn(granted.m2m_db_table())} gp"
            f" JOIN {qn(groups.m2m_db_table())} ug"
            f" ON ug.{qn(groups.m2m_reverse_name())} = gp.{qn(granted.m2m_column_name())}"
            f" WHERE ug.{qn(groups.m2m_column_name())} = %s)"
        )

    def get(self, user_id) -> set[str]:
        using, sql = self.built(Permission)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, user_id])
            return {f"{app}.{codename}" for app, codename in cursor.fetchall()}


PERMISSIONS = PermissionsQuery()


class EmailCaseInsensitiveBackend(ModelBackend):
    """Merchant logins are e-mails stored lowercased: `Owner@Shop.CN` signs in as owner@shop.cn."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user with their merchant binding and its shop in the same query
        (issue 10: one query less on every merchant page). Read on every request, so it is
        never stale; `enrollment.scoping.merchant_shop` still decides what the user sees (R100)."""
        user = SESSION_USER.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's set, the user's own and their groups' permissions, in one query
        instead of two (portal.auth.PermissionsQuery): every admin page asks for it (issue 10)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.values_list("content_type__app_label", "codename")
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
            else:
                user_obj._perm_cache = PERMISSIONS.get(user_obj.pk)
        return user_obj._perm_cache
