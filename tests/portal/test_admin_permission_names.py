"""Issue 11: the admin's group and user pages name each permission in the staff's language.

`migrate` stores Permission.name in English ("Can add claim", the Meta.permissions names as
written); portal/admin.py translates them where they are shown, from the models' current
declarations."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import translation

from portal.admin import permission_name
from portal.groups import CLAIM_REVIEWER
from tests.portal.admin_walk import CJK

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="\d+"[^>]*>([^<]*)</option>')


@pytest.fixture
def superuser(django_user_model, client):
    user = django_user_model.objects.create_superuser("walker", password="x" * 12)
    client.force_login(user)
    return client


def permission_options(client, url: str, language: str, select_id: str) -> list[str]:
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    select = html[html.index(f'id="{select_id}"') :]
    return OPTION.findall(select[: select.index("</select>")])


def test_every_permission_on_the_zh_hans_group_page_is_named_in_chinese(superuser):
    group = Group.objects.get(name=CLAIM_REVIEWER)
    url = f"/admin/auth/group/{group.pk}/change/"

    options = permission_options(superuser, url, "zh-hans", "id_permissions")

    assert len(options) == Permission.objects.count()
    names = [option.rsplit(" | ", 1)[1] for option in options]
    assert [n for n in names if not CJK.search(n)] == []
    assert "保单与理赔 | 理赔 | 可以审核理赔并裁定被拒收的退货" in options
    assert "保单与理赔 | 理赔 | 可以查看理赔" in options


def test_the_en_group_page_keeps_the_english_names(superuser):
    group = Group.objects.get(name=CLAIM_REVIEWER)
    url = f"/admin/auth/group/{group.pk}/change/"

    options = permission_options(superuser, url, "en", "id_permissions")

    assert "Policies and claims | claim | Can decide claims and rule on refused receipts" in options
    assert "Policies and claims | claim | Can view claim" in options


def test_the_user_page_names_the_users_own_permissions_in_chinese_too(superuser, rita):
    url = f"/admin/auth/user/{rita.pk}/change/"

    options = permission_options(superuser, url, "zh-hans", "id_user_permissions")

    assert [o for o in options if not CJK.search(o.rsplit(" | ", 1)[1])] == []


@pytest.mark.parametrize(
    ("app_label", "codename", "chinese"),
    [
        ("enrollment", "decide_enrollment", "可以审批、拒绝入驻申请并办理退出"),
        ("enrollment", "override_rate", "可以调整店铺的保费费率"),
        ("invoicing", "process_invoice", "可以开具、寄送和驳回发票申请"),
        ("claims", "run_payouts", "可以执行赔款批次并登记其结果"),
        ("outbox", "resend_message", "可以重发发往平台的消息"),
        ("auth", "change_group", "可以修改组"),
    ],
)
def test_each_declared_permission_has_its_chinese_name(app_label, codename, chinese):
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    with translation.override("zh-hans"):
        assert permission_name(permission) == chinese
    with translation.override("en"):
        assert permission_name(permission) == permission.name
