"""Admin buttons for state changes that run through the services (R40), and the audit timeline.

django-fsm-2's FSMAdminMixin calls the transition method on the model directly; here each
button calls the audited service instead (lock, transition, save, audit row, on_commit), on
a confirmation page with an optional form (e.g. a rejection reason). A button shows only
when the FSM allows the transition from the current state and the user holds its permission.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from django_fsm_log.admin import StateLogInline

from portal import audit_labels
from portal.formkit import REASON_REQUIRED, PortalForm, user_message


class NoteForm(PortalForm):
    """An optional note for the audit trail of a transition."""

    note = forms.CharField(
        label=_("note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(PortalForm):
    """A required reason, shown to the merchant (rejections)."""

    reason = forms.CharField(
        label=_("reason (shown to the merchant)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": REASON_REQUIRED},
    )


@dataclass(frozen=True)
class AdminTransition:
    name: str  # the button's name; by default the FSM transition method on the model
    label: str
    # the service, called service(<the admin's service_id>=obj.pk, actor=..., **form.cleaned_data)
    service: Callable
    # "app_label.codename"; by default the permission the model's @transition declares
    # (R41: the same declaration portal.fsm.fire checks in the service).
    permission: str | None = None
    form: type[forms.Form] | None = None
    danger: bool = False
    help_text: str = ""
    # When the button shows; default: the FSM transition can run from the state.
    available: Callable | None = None
    # The model's transition this button fires, when it is not `name`: a name, or a
    # function of the object (e.g. "approve" fires approve_refund or approve_return).
    transition: str | Callable | None = None

    def method(self, obj):
        name = self.transition or self.name
        return getattr(obj, name(obj) if callable(name) else name)

    def is_available(self, obj) -> bool:
        if self.available is not None:
            return bool(self.available(obj))
        return can_proceed(self.method(obj))

    def permitted(self, user, obj) -> bool:
        """Whether `user` may fire this on `obj`, whatever its state (the state is the
        service's to refuse, with a clear message): the permission the model declares."""
        if self.permission is not None:
            return user.has_perm(self.permission)
        transitions = self.method(obj)._django_fsm.transitions.values()
        return any(t.has_perm(obj, user) for t in transitions)


class TransitionAdminMixin:
    change_form_template = "admin/transition_change_form.html"
    transitions: tuple[AdminTransition, ...] = ()
    service_id = ""  # the keyword the services take the object's id by, e.g. "claim_id"

    def __init_subclass__(cls, **kwargs):
        """An admin with buttons names the keyword (else a click would be a TypeError)."""
        super().__init_subclass__(**kwargs)
        if cls.transitions and not cls.service_id:
            raise ImproperlyConfigured(f"{cls.__name__} has transitions but no service_id")

    def available_transitions(self, request, obj) -> list[AdminTransition]:
        if obj is None:
            return []
        return [
            t for t in self.transitions if t.is_available(obj) and t.permitted(request.user, obj)
        ]

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{opts.app_label}_{opts.model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "admin_transitions": self.available_transitions(request, obj),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, name):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        transition = next((t for t in self.transitions if t.name == name), None)
        if transition is None:
            raise Http404
        if not transition.permitted(request.user, obj):
            raise PermissionDenied
        opts = self.model._meta
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        form_class = transition.form or forms.Form
        form = form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                transition.service(
                    **{self.service_id: obj.pk}, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:  # in words staff read (issue 11)
                if transition.form is not None and hasattr(error, "error_dict"):
                    if isinstance(form, PortalForm):
                        form.add_service_error(error)
                    else:
                        form.add_error(None, error)
                else:
                    self.message_user(request, user_message(error), messages.ERROR)
                    return HttpResponseRedirect(change_url)
            else:
                done = _("%(action)s: %(object)s") % {"action": transition.label, "object": obj}
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "original": obj,
            "transition": transition,
            "form": form,
            "change_url": change_url,
            "title": _("%(action)s: %(object)s") % {"action": transition.label, "object": obj},
        }
        return TemplateResponse(request, "admin/transition_form.html", context)


class TimelineInline(StateLogInline):
    """R40: every transition with actor, time, source, target and reason, oldest first."""

    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")
    template = "admin/edit_inline/timeline_tabular.html"  # no English str(entry) per row
    extra = 0
    fields = ("when", "step", "from_state", "to_state", "actor", "reason")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("by", "by__merchant", "content_type")
            .order_by("id")
        )

    @admin.display(description=_("time"))
    def when(self, entry):
        """Asia/Shanghai time to the second (R2), not the stored UTC instant's repr."""
        return timezone.localtime(entry.timestamp).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description=_("step"))
    def step(self, entry):
        return audit_labels.transition_label(entry.transition)

    @admin.display(description=_("from"))
    def from_state(self, entry):
        return entry.get_source_state_display() if entry.source_state else "—"

    @admin.display(description=_("to"))
    def to_state(self, entry):
        return entry.get_state_display()

    @admin.display(description=_("by"))
    def actor(self, entry):
        from portal.templatetags.portal import actor_role

        role = actor_role(entry.by)
        return f"{role} ({entry.by.get_username()})" if entry.by else role

    @admin.display(description=_("reason"))
    def reason(self, entry):
        return audit_labels.reason_label(entry.description) or "—"

    def has_view_permission(self, request, obj=None):
        return True  # whoever may see the record may see its audit trail
