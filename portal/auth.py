"""Logins: merchants sign in with their e-mail, whatever its case; a session's user is read
with their shop."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connections

from portal.rawsql import BuiltPerDatabase, JoinedRead


class SessionUserQuery(JoinedRead):
    """The user, their merchant binding and its shop in one statement, as
    `select_related("merchant__shop").get(pk=…)` gives them, with the SQL written once per
    database instead of compiled by the ORM on every request (issue 10: 0.74 → 0.27 ms a
    request, bench/auth_queries.py). Columns come from the models' fields,
    so a new field is read without a change here; a user who is no merchant gets
    `merchant` cached as missing, as select_related does.

    An app may add a figure of the shop that every page shows (`read_with_shop`): a scalar
    subquery of the same statement, so the page shell pays no query of its own for it
    (issue 10: the navigation's unread count, 0.48 ms a page as a query of its own)."""

    def __init__(self):
        super().__init__(None, "merchant__shop", where=("pk",))
        self._figures = {}  # name -> build(quote_name, shop_id_sql) -> a scalar subquery

    @property
    def model(self):
        return get_user_model()  # not at import: the settings may name another

    def read_with_shop(self, name: str, build) -> None:
        """Read `build(quote_name, shop_id_sql)`, a scalar subquery, with the session's shop;
        its value is then `session_figures(shop)[name]`."""
        self._figures[name] = build
        self._built.clear()

    def _extra_columns(self, quote_name, alias_of):
        names = list(self._figures)
        shop = self.model._meta.get_field("merchant").related_model._meta.get_field("shop")
        shop_id = f"{alias_of('merchant__shop')}.{quote_name(shop.target_field.column)}"
        return names, [self._figures[name](quote_name, shop_id) for name in names]

    def _read_extra(self, instances, extra):
        _user, _merchant, shop = instances
        if shop is not None:
            shop._session_figures = extra


SESSION_USER = SessionUserQuery()


def session_figures(shop) -> dict:
    """The figures read with the session's shop (`SessionUserQuery.read_with_shop`) when
    this request's user was read; {} for a shop read any other way."""
    return getattr(shop, "_session_figures", {})


class PermissionsQuery(BuiltPerDatabase):
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
