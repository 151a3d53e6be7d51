from django.contrib.auth.models import Group, Permission

from accounts.roles import ROLE_GROUPS


def roles_ensure_groups() -> dict[str, Group]:
    """Create or refresh one group per staff role with its permissions. Safe to call twice."""
    groups = {}
    for name, (role, extra) in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label="accounts", codename=role)]
        for label in extra:
            app_label, codename = label.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
        groups[name] = group
    return groups
