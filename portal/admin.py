"""The auth admin in the staff's language (issue 11): permission names where they are shown.

`migrate` stores each Permission's name in English (Django builds "Can add <model>" from the
untranslated verbose name; Meta.permissions names are stored as written), so the group and
user pages listed them in English to zh-hans staff. They are translated at display, from
what the models declare now: a default permission by its action and the model's translated
verbose name, a declared one by gettext of its declared name (locale/*/django.po).
"""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, Permission, User
from django.forms import ModelMultipleChoiceField
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

DEFAULT_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}

# Meta.permissions names (plain strings in the models), for makemessages to keep their entries
DECLARED = [
    gettext_noop("Can approve, reject and exit enrollments"),
    gettext_noop("Can override a shop's premium rate (R52)"),
    gettext_noop("Can issue, ship and reject invoice requests"),
    gettext_noop("Can decide claims and rule on refused receipts"),
    gettext_noop("Can run payout batches and record their results"),
]


def permission_name(permission: Permission) -> str:
    """The permission's name in the active language (the stored English one if unknown)."""
    model = permission.content_type.model_class()
    if model is None:  # a stale content type
        return gettext(permission.name)
    opts = model._meta
    declared = dict(opts.permissions).get(permission.codename)
    if declared is not None:
        return gettext(declared) if isinstance(declared, str) else str(declared)
    action, _sep, model_name = permission.codename.partition("_")
    if model_name == opts.model_name and action in DEFAULT_ACTIONS:
        return DEFAULT_ACTIONS[action] % {"model": opts.verbose_name}
    return gettext(permission.name)


class PermissionsField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Permission) -> str:
        return f"{obj.content_type} | {permission_name(obj)}"  # as Permission.__str__


class TranslatedPermissions:
    """For the admin of a model with a many-to-many to Permission."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.remote_field.model is Permission:
            kwargs["form_class"] = PermissionsField
            queryset = kwargs.get("queryset", Permission.objects)
            kwargs["queryset"] = queryset.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


class GroupAdmin(TranslatedPermissions, auth_admin.GroupAdmin):
    pass


class UserAdmin(TranslatedPermissions, auth_admin.UserAdmin):
    pass


for model, model_admin in ((Group, GroupAdmin), (User, UserAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
