"""R10, R40, R101: revoking an invitation is an audited FSM transition an underwriter fires."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from enrollment import selectors, services
from enrollment.models import Invitation, InvitationState
from portal.admin_transitions import TimelineInline
from portal.audit import timeline
from portal.clock import SHANGHAI
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

REVOKED_AT = dt.datetime(2026, 6, 2, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def invitation(alice):
    return alice.merchant.shop.invitations.get()


def revoke(invitation, actor, **kwargs):
    return services.invitation_revoke(invitation_id=invitation.pk, actor=actor, **kwargs)


def test_R40_revoking_an_invitation_is_an_audited_transition_naming_the_underwriter(
    invitation, uma
):
    with time_machine.travel(REVOKED_AT, tick=False):
        revoke(invitation, uma, note="shop sold")

    invitation.refresh_from_db()
    assert invitation.state == InvitationState.REVOKED
    assert invitation.revoked_at == REVOKED_AT
    (entry,) = timeline(invitation)
    assert (entry.transition, entry.source_state, entry.state) == ("revoke", "issued", "revoked")
    assert (entry.by, entry.timestamp, entry.description) == (uma, REVOKED_AT, "shop sold")
    assert selectors.invitation_live(shop=invitation.shop) is None  # R10


def test_R40_revoking_a_revoked_invitation_is_refused_and_changes_nothing(invitation, uma):
    with time_machine.travel(REVOKED_AT, tick=False):
        revoke(invitation, uma)

    with pytest.raises(ValidationError) as error:
        revoke(invitation, uma)

    assert error.value.code == "state"
    invitation.refresh_from_db()
    assert invitation.revoked_at == REVOKED_AT
    assert len(timeline(invitation)) == 1


@pytest.mark.parametrize("persona", ["alice", "bob", "rita", "fiona"])
def test_R101_only_an_underwriter_may_revoke_an_invitation(request, invitation, persona):
    actor = request.getfixturevalue(persona)

    with pytest.raises(ValidationError) as error:
        revoke(invitation, actor)

    assert error.value.code == "forbidden"
    invitation.refresh_from_db()
    assert (invitation.state, invitation.revoked_at) == (InvitationState.ISSUED, None)
    assert not timeline(invitation).exists()
    assert selectors.invitation_live(shop=invitation.shop) == invitation


def test_R40_the_invitation_state_cannot_be_set_by_hand(invitation):
    with pytest.raises(AttributeError):
        invitation.state = InvitationState.REVOKED


def test_R40_the_admin_action_revokes_the_selection_and_leaves_revoked_ones_alone(
    client, uma, invitation
):
    with time_machine.travel(REVOKED_AT, tick=False):
        revoke(invitation, uma)
    other = InvitationFactory()
    client.force_login(uma)

    response = client.post(
        reverse("admin:enrollment_invitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk, other.pk]},
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    other.refresh_from_db()
    assert invitation.revoked_at == REVOKED_AT  # as it was
    assert other.state == InvitationState.REVOKED
    assert [e.by for e in timeline(invitation)] == [uma]
    assert [e.by for e in timeline(other)] == [uma]


def test_R40_the_invitation_admin_shows_who_revoked_it_and_when(client, uma, invitation):
    revoke(invitation, uma)
    client.force_login(uma)

    response = client.get(reverse("admin:enrollment_invitation_change", args=[invitation.pk]))

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert isinstance(inline.opts, TimelineInline)
    assert [form.instance.by for form in inline.formset.forms] == [uma]


def test_R40_inviting_records_the_invitation_in_its_first_state(uma):
    invitation = services.invitation_create(
        platform_shop_id="TM-300009",
        shop_name="新店",
        contact_email="owner@new-shop.cn",
        expires_at=REVOKED_AT + dt.timedelta(days=3650),
        actor=uma,
    )

    (entry,) = timeline(invitation)
    assert (entry.transition, entry.source_state, entry.state, entry.by) == (
        "invite",
        None,
        "issued",
        uma,
    )


BEFORE = [("enrollment", "0003_alter_enrollment_applied_by_and_more")]


@pytest.mark.django_db(transaction=True)
def test_R40_the_migration_gives_invitations_revoked_by_hand_the_revoked_state():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        shop = old.get_model("enrollment", "Shop").objects.create(
            platform_shop_id="TM-MIG", name="旧店"
        )
        made = old.get_model("enrollment", "Invitation").objects
        revoked = made.create(
            shop=shop, contact_email="a@x.cn", expires_at=REVOKED_AT, revoked_at=REVOKED_AT
        )
        issued = made.create(shop=shop, contact_email="b@x.cn", expires_at=REVOKED_AT)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    states = dict(Invitation.objects.values_list("pk", "state"))
    assert states == {revoked.pk: "revoked", issued.pk: "issued"}
