from django.urls import path

from raschet.backoffice import billing, metering, views

app_name = "backoffice"
urlpatterns = [
    path("accounts/<int:pk>/", views.account_card_view, name="account_card"),
    path("import/housing/", views.housing_import_view, name="housing_import"),
    path(
        "import/housing/template.xlsx",
        views.housing_import_template_view,
        {"fmt": "xlsx"},
        name="housing_import_template_xlsx",
    ),
    path(
        "import/housing/template.csv",
        views.housing_import_template_view,
        {"fmt": "csv"},
        name="housing_import_template_csv",
    ),
    path(
        "metering/buildings/<int:building_pk>/sheet/",
        metering.readings_sheet_view,
        name="readings_sheet",
    ),
    path(
        "metering/meters/<int:meter_pk>/reading/",
        metering.reading_submit_view,
        name="reading_submit",
    ),
    path("metering/missing/", metering.missing_readings_view, name="readings_missing"),
    path("metering/flagged/", metering.flagged_readings_view, name="readings_flagged"),
    path(
        "metering/readings/<int:pk>/confirm/",
        metering.reading_confirm_view,
        name="reading_confirm",
    ),
    path("metering/verification/", metering.verification_due_view, name="verification_due"),
    path("billing/runs/", billing.runs_view, name="billing_runs"),
    path("billing/runs/<int:pk>/", billing.run_detail_view, name="billing_run"),
    path("billing/runs/<int:pk>/post/", billing.run_post_view, name="billing_run_post"),
    path("billing/runs/<int:pk>/resume/", billing.run_resume_view, name="billing_run_resume"),
    path("billing/runs/<int:pk>/discard/", billing.run_discard_view, name="billing_run_discard"),
    path("billing/runs/<int:pk>/close/", billing.month_close_view, name="billing_month_close"),
    path("accounts/<int:pk>/charges/", billing.account_charges_view, name="account_charges"),
]

# Payments, the ledger's reports and the settlements with payees (raschet.backoffice.payments).
from raschet.backoffice import payments as payment_pages  # noqa: E402

urlpatterns += [
    path("payments/", payment_pages.payments_view, name="payment_list"),
    path("payments/<int:pk>/", payment_pages.payment_detail_view, name="payment_detail"),
    path("payments/<int:pk>/assign/", payment_pages.payment_assign_view, name="payment_assign"),
    path("payments/<int:pk>/reverse/", payment_pages.payment_reverse_view, name="payment_reverse"),
    path("payments/unidentified/", payment_pages.unidentified_view, name="payments_unidentified"),
    path("payments/registries/", payment_pages.registries_view, name="payments_registries"),
    path(
        "payments/registries/<int:pk>/",
        payment_pages.registry_detail_view,
        name="payments_registry",
    ),
    path("payments/settlements/", payment_pages.settlements_view, name="settlements"),
    path(
        "payments/settlements/payees/<int:pk>/",
        payment_pages.settlement_report_view,
        name="settlement_report",
    ),
    path("payments/orders/", payment_pages.payment_orders_view, name="payment_orders"),
    path(
        "payments/orders.csv",
        payment_pages.payment_orders_download_view,
        {"fmt": "csv"},
        name="payment_orders_csv",
    ),
    path(
        "payments/orders.xlsx",
        payment_pages.payment_orders_download_view,
        {"fmt": "xlsx"},
        name="payment_orders_xlsx",
    ),
    path(
        "accounts/<int:pk>/balances/",
        payment_pages.account_balances_view,
        name="account_balances",
    ),
    path("ledger/turnover/", payment_pages.turnover_view, name="turnover"),
    path(
        "ledger/turnover.csv",
        payment_pages.turnover_download_view,
        {"fmt": "csv"},
        name="turnover_csv",
    ),
    path(
        "ledger/turnover.xlsx",
        payment_pages.turnover_download_view,
        {"fmt": "xlsx"},
        name="turnover_xlsx",
    ),
]

# The cash desk: shifts, payments in cash or by card, receipts (raschet.backoffice.cashdesk).
from raschet.backoffice import cashdesk  # noqa: E402

urlpatterns += [
    path("cashdesk/", cashdesk.desk_view, name="cashdesk"),
    path("cashdesk/open/", cashdesk.shift_open_view, name="cashdesk_open"),
    path("cashdesk/accounts/<int:pk>/", cashdesk.account_view, name="cashdesk_account"),
    path("cashdesk/payments/<int:pk>/", cashdesk.payment_view, name="cashdesk_payment"),
    path(
        "cashdesk/payments/<int:pk>/receipt.pdf",
        cashdesk.receipt_view,
        name="cashdesk_receipt",
    ),
    path(
        "cashdesk/payments/<int:pk>/cancel/",
        cashdesk.payment_cancel_view,
        name="cashdesk_cancel",
    ),
    path("cashdesk/shifts/<int:pk>/", cashdesk.shift_view, name="cashdesk_shift"),
    path("cashdesk/shifts/<int:pk>/close/", cashdesk.shift_close_view, name="cashdesk_close"),
]

# Debts: the debtor list, ageing by bucket, the collection rate (raschet.backoffice.debt).
from raschet.backoffice import debt as debt_pages  # noqa: E402

urlpatterns += [
    path("debt/debtors/", debt_pages.debtors_view, name="debt_debtors"),
    path(
        "debt/debtors.csv",
        debt_pages.debtors_download_view,
        {"fmt": "csv"},
        name="debt_debtors_csv",
    ),
    path(
        "debt/debtors.xlsx",
        debt_pages.debtors_download_view,
        {"fmt": "xlsx"},
        name="debt_debtors_xlsx",
    ),
    path("debt/ageing/", debt_pages.ageing_view, name="debt_ageing"),
    path(
        "debt/ageing.csv",
        debt_pages.ageing_download_view,
        {"fmt": "csv"},
        name="debt_ageing_csv",
    ),
    path(
        "debt/ageing.xlsx",
        debt_pages.ageing_download_view,
        {"fmt": "xlsx"},
        name="debt_ageing_xlsx",
    ),
    path("debt/collection/", debt_pages.collection_view, name="debt_collection"),
    path(
        "debt/collection.csv",
        debt_pages.collection_download_view,
        {"fmt": "csv"},
        name="debt_collection_csv",
    ),
    path(
        "debt/collection.xlsx",
        debt_pages.collection_download_view,
        {"fmt": "xlsx"},
        name="debt_collection_xlsx",
    ),
]

# credit control: the penalty calculator and an account's «расчёт пени»
from raschet.backoffice import credit as credit_pages  # noqa: E402

urlpatterns += [
    path("penalty/calc/", credit_pages.penalty_calculator, name="penalty_calculator"),
    path("accounts/<int:pk>/penalty/", credit_pages.account_penalty_view, name="account_penalty"),
]
urlpatterns += [
    path("debt/notices/send/", credit_pages.notices_send_view, name="notices_send"),
    path("debt/notices/<int:pk>/letter.pdf", credit_pages.notice_letter_view, name="notice_letter"),
]

# Payment documents (ЕПД): the archive, re-issue for an account, a building's bundle
# (raschet.backoffice.documents).
from raschet.backoffice import documents as document_pages  # noqa: E402

urlpatterns += [
    path(
        "documents/<int:pk>/epd.pdf",
        document_pages.document_download_view,
        name="payment_document",
    ),
    path(
        "accounts/<int:pk>/documents/print/",
        document_pages.account_print_view,
        name="account_documents_print",
    ),
    path("documents/bundle/", document_pages.bundle_print_view, name="documents_bundle"),
    path("documents/ipd/", document_pages.ipd_import_view, name="documents_ipd"),
    path("documents/jobs/<int:pk>/", document_pages.print_job_view, name="print_job"),
    path("documents/files/<int:pk>/", document_pages.print_file_download_view, name="print_file"),
]

# Residents' appeals: the operators' queue, answers, the acts of quality reports
# (raschet.backoffice.appeals).
from raschet.backoffice import appeals as appeal_pages  # noqa: E402

urlpatterns += [
    path("appeals/", appeal_pages.queue_view, name="appeals"),
    path("appeals/<int:pk>/", appeal_pages.appeal_view, name="appeal"),
    path("appeals/<int:pk>/files/<int:file>/", appeal_pages.attachment_view, name="appeal_file"),
]

# Exchange with social protection offices: the month's export, answers, the log
# (raschet.backoffice.exchange).
from raschet.backoffice import exchange as exchange_pages  # noqa: E402

urlpatterns += [
    path("exchange/", exchange_pages.exchange_view, name="exchange"),
    path("exchange/export/", exchange_pages.exchange_export_view, name="exchange_export"),
    path("exchange/runs/<int:pk>/", exchange_pages.exchange_run_view, name="exchange_run"),
]

# A building's capital repair fund: settings, payments for works, the statement
# (raschet.backoffice.capitalrepair).
from raschet.backoffice import capitalrepair as capital_pages  # noqa: E402

urlpatterns += [
    path("buildings/<int:pk>/capital-repair/", capital_pages.fund_view, name="capitalrepair_fund"),
    path(
        "buildings/<int:pk>/capital-repair/statement/",
        capital_pages.statement_view,
        name="capitalrepair_statement",
    ),
    path(
        "buildings/<int:pk>/capital-repair/statement.csv",
        capital_pages.statement_download_view,
        {"fmt": "csv"},
        name="capitalrepair_statement_csv",
    ),
    path(
        "buildings/<int:pk>/capital-repair/statement.xlsx",
        capital_pages.statement_download_view,
        {"fmt": "xlsx"},
        name="capitalrepair_statement_xlsx",
    ),
]

# The passport desk: an account's household, register / deregister / act, certificates
# (raschet.backoffice.passport).
from raschet.backoffice import passport as passport_pages  # noqa: E402

urlpatterns += [
    path("accounts/<int:pk>/passport/", passport_pages.household_view, name="passport_household"),
    path(
        "accounts/<int:pk>/passport/register/",
        passport_pages.register_view,
        name="passport_register",
    ),
    path(
        "accounts/<int:pk>/passport/registrations/<int:registration_pk>/deregister/",
        passport_pages.deregister_view,
        name="passport_deregister",
    ),
    path("accounts/<int:pk>/passport/act/", passport_pages.act_view, name="passport_act"),
    path(
        "accounts/<int:pk>/passport/certificates/",
        passport_pages.certificate_issue_view,
        name="passport_issue",
    ),
    path(
        "passport/certificates/<int:pk>.pdf",
        passport_pages.certificate_download_view,
        name="passport_certificate",
    ),
    path("passport/certificates/", passport_pages.certificates_view, name="passport_certificates"),
]
