"""Shops and their merchant users (R10, R100, R101), with their enrollments and rates."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrollment import selectors
from enrollment.admin.rates import RateColumns
from enrollment.models import (
    Enrollment,
    Merchant,
    PremiumRate,
    Shop,
)
from portal.money import percent

STAFF_AS_MERCHANT = _(
    "Insurer staff and superusers cannot be merchant users: choose the shop's own login."
)
MERCHANT_OF_OTHER_SHOP = _(
    "This user is already a merchant user of %(shop)s: a merchant user belongs to one shop."
)


class MerchantForm(forms.ModelForm):
    """R100/R101: only a user who is not staff, not a superuser and not a merchant user of
    another shop can be bound to a shop. The raw-id popup lists only non-staff users
    (`Merchant.user`'s limit_choices_to), but any id can be typed in: this form refuses it,
    with the reason beside the field. The one-to-one link holds "one shop" in the database."""

    class Meta:
        model = Merchant
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Look the id up among all users, so that clean_user can say why one is refused
        # (limit_choices_to alone says only "not one of the available choices").
        self.fields["user"].queryset = get_user_model().objects.select_related("merchant__shop")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user.is_staff or user.is_superuser:
            raise ValidationError(STAFF_AS_MERCHANT, code="staff")
        merchant = getattr(user, "merchant", None)
        if merchant is not None and merchant.pk != self.instance.pk:
            raise ValidationError(
                MERCHANT_OF_OTHER_SHOP % {"shop": merchant.shop.name}, code="other_shop"
            )
        return user


class MerchantInline(admin.TabularInline):
    model = Merchant
    form = MerchantForm
    extra = 0
    raw_id_fields = ["user"]


class _HistoryInline(admin.TabularInline):
    """A shop's history on its page: read-only rows, each a link to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RateInline(RateColumns, _HistoryInline):
    model = PremiumRate
    fields = ["effective_from", "rate_display", "source", "reason_display", "created_by"]
    readonly_fields = fields
    ordering = ["-effective_from", "-id"]


class EnrollmentInline(_HistoryInline):
    model = Enrollment
    fields = ["state", "applied_at", "effective_at", "exited_at"]
    readonly_fields = fields


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "platform_shop_id", "industry", "service_state", "current_rate"]
    list_filter = ["industry"]
    search_fields = ["name", "platform_shop_id"]
    inlines = [MerchantInline, EnrollmentInline, RateInline]
    list_per_page = 50

    @admin.display(description=_("service"))
    def service_state(self, obj):
        open_enrollment = selectors.enrollment_open(shop=obj)
        return open_enrollment.get_state_display() if open_enrollment else "—"

    @admin.display(description=_("rate in force"))
    def current_rate(self, obj):
        current = selectors.rate_in_force(shop_id=obj.pk)
        return percent(current.rate) if current else "—"
