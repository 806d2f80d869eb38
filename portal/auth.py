"""Logins: merchants sign in with their e-mail, whatever its case; a session's user is read
with their shop."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connections, router

from portal.rawsql import converter


class SessionUserQuery:
    """The user, their merchant binding and its shop in one statement, as
    `select_related("merchant__shop").get(pk=…)` gives them, with the SQL written once per
    database instead of compiled by the ORM on every request (issue 10: 0.74 → 0.27 ms a
    request, /tmp measurements in bench/RESULTS.md). Columns come from the models' fields,
    so a new field is read without a change here."""

    ALIASES = ("u", "m", "s")

    def __init__(self):
        self._built = {}  # database alias -> (sql, [(model, attnames, converters, pk_at)])

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
        sql = (
            f"SELECT {', '.join(columns)} FROM {qn(user._meta.db_table)} u"
            f" LEFT JOIN {qn(merchant._meta.db_table)} m ON m.{to_user} = u.{user_pk}"
            f" LEFT JOIN {qn(shop._meta.db_table)} s ON s.{shop_pk} = m.{to_shop}"
            f" WHERE u.{user_pk} = %s"
        )
        return sql, parts

    def get(self, user_id):
        """The user with `user.merchant` and `user.merchant.shop` cached (a user who is no
        merchant gets `merchant` cached as missing, as select_related does), or None."""
        user_model, merchant_model, _ = self.models()
        using = router.db_for_read(user_model)
        if using not in self._built:
            self._built[using] = self._build(using)
        sql, parts = self._built[using]
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
        user_model._meta.get_field("merchant").set_cached_value(user, merchant)
        if merchant is not None:
            merchant_model._meta.get_field("user").set_cached_value(merchant, user)
            merchant_model._meta.get_field("shop").set_cached_value(merchant, shop)
        return user


SESSION_USER = SessionUserQuery()


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
        """ModelBackend's set, the user's own and their groups' permissions, in one query (a
        UNION) instead of two: every admin page asks for it (issue 10)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            columns = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*columns).order_by()
            else:
                own = self._get_user_permissions(user_obj).values_list(*columns).order_by()
                grouped = self._get_group_permissions(user_obj).values_list(*columns).order_by()
                rows = own.union(grouped).order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
