"""Merchant pages of the claims area (all scoped to the merchant's shop, R100)."""

from django.urls import path

from claims.views import evidence, merchant

app_name = "claims"
urlpatterns = [
    path("dashboard/", merchant.dashboard_view, name="dashboard"),
    path("policies/", merchant.policy_list, name="policies"),
    path("policies/export.csv", merchant.policy_export, name="policies_export"),
    path("policies/<int:pk>/", merchant.policy_detail, name="policy"),
    path("policies/<int:pk>/report-buyer/", merchant.policy_report_buyer, name="policy_report"),
    path("refunds/", merchant.refund_list, name="refunds"),
    path("refunds/export.csv", merchant.refund_export, name="refunds_export"),
    path("claims/<int:pk>/", merchant.claim_detail, name="claim"),
    path("claims/<int:pk>/confirm-receipt/", merchant.claim_confirm_receipt, name="confirm"),
    path("claims/<int:pk>/refuse-receipt/", merchant.claim_refuse_receipt, name="refuse"),
    path("claims/<int:pk>/report-buyer/", merchant.claim_report_buyer, name="claim_report"),
    path("claims/evidence/<int:pk>/", evidence.evidence_file, name="evidence"),
    path("feedback/", merchant.feedback_list, name="feedback"),
    path("breaches/", merchant.breach_list, name="breaches"),
    path("payouts/", merchant.payout_list, name="payouts"),
    path("payouts/export.csv", merchant.payout_export, name="payouts_export"),
]
