"""R101: insurer staff groups. Data migrations call `grant` with the permissions of each area."""

UNDERWRITER = "underwriter"
CLAIM_REVIEWER = "claim reviewer"
FINANCE = "finance"
STAFF_GROUPS = (UNDERWRITER, CLAIM_REVIEWER, FINANCE)


def grant(apps, group_name: str, app_label: str, codenames: list[str]) -> None:
    """Give `group_name` these permissions of `app_label` (creating group and permissions)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name)
    permissions = list(
        Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
    missing = set(codenames) - {p.codename for p in permissions}
    if missing:
        raise RuntimeError(f"unknown permissions for {app_label}: {sorted(missing)}")
    group.permissions.add(*permissions)
