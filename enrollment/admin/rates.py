"""Premium rates: the rate history and the underwriters' overrides (R50-R52), and the
industries' pricing bounds."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrollment import services
from enrollment.models import (
    IndustryPricing,
    PremiumRate,
)
from enrollment.rate_reasons import rate_reason
from portal.money import percent


class RateColumns:
    """A rate entry's rate as a percentage and its reason in words (R50-R52)."""

    @admin.display(description=_("rate"), ordering="rate")
    def rate_display(self, obj):
        return percent(obj.rate)

    @admin.display(description=_("reason"))
    def reason_display(self, obj):
        return rate_reason(obj)


class RateOverrideForm(forms.ModelForm):
    """R52: an override is a new history entry with a reason, within the insurer's bounds."""

    rate = forms.CharField(
        label=_("premium rate"),
        help_text=_("As a fraction of the order amount: 0.0150 = 1.50%."),
    )
    effective_from = forms.DateTimeField(
        label=_("effective from"), required=False, help_text=_("Empty: now.")
    )

    class Meta:
        model = PremiumRate
        fields = ["shop", "rate", "effective_from", "reason"]

    def clean(self):
        data = super().clean()
        if "shop" in data and "reason" in data:
            try:
                data["rate"], data["reason"], data["effective_from"] = services.rate_override_check(
                    shop=data["shop"],
                    rate=self.data.get("rate", ""),
                    reason=data["reason"],
                    effective_from=data.get("effective_from"),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data

    def _post_clean(self):
        pass  # the service validates and writes; the model instance is not used


@admin.register(PremiumRate)
class PremiumRateAdmin(RateColumns, admin.ModelAdmin):
    list_display = [
        "shop",
        "rate_display",
        "effective_from",
        "source",
        "created_by",
        "reason_display",
    ]
    list_filter = ["source"]
    search_fields = ["shop__name", "shop__platform_shop_id"]
    list_select_related = ["shop", "created_by"]
    autocomplete_fields = ["shop"]
    form = RateOverrideForm

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "shop",
            "rate_display",
            "effective_from",
            "source",
            "reason_display",
            "inputs",
            "created_by",
            "created_at",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["shop", "rate", "effective_from", "reason"]
        return self.get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return request.user.has_perm("enrollment.override_rate")

    def has_change_permission(self, request, obj=None):
        return False  # rate history is append-only (R50)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.rate_override(
            shop_id=data["shop"].pk,
            rate=data["rate"],
            reason=data["reason"],
            effective_from=data["effective_from"],
            actor=request.user,
        )
        obj.pk = created.pk
        obj.shop, obj.rate = created.shop, created.rate
        obj._state.adding = False


class IndustryPricingForm(forms.ModelForm):
    class Meta:
        model = IndustryPricing
        fields = ["industry", "base_rate", "min_rate", "max_rate"]

    def clean(self):
        data = super().clean()
        lo, base, hi = data.get("min_rate"), data.get("base_rate"), data.get("max_rate")
        if None not in (lo, base, hi) and not (0 < lo <= base <= hi < 1):
            raise ValidationError(
                _("Rates must satisfy 0 < lowest rate <= base rate <= highest rate < 1.")
            )
        return data


@admin.register(IndustryPricing)
class IndustryPricingAdmin(admin.ModelAdmin):
    form = IndustryPricingForm
    list_display = ["industry", "base_rate", "min_rate", "max_rate"]
