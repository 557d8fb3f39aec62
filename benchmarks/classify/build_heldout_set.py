"""Builds heldout_columns.json: a held-out labelled set, from dbt projects the
classify rules were never tuned on (Fivetran's dbt packages' integration test
seeds: Shopify, HubSpot, Zendesk, Stripe, Recurly), labelled by hand before the
classifier was run on them.

Run once, where /work/.mirror holds the fetched repositories (bare git
directories); the committed JSON is what the benchmark and tests read. The
labels are below, file by file: every column of a listed file that is not
listed as PII was reviewed and judged not PII. Many of these seeds hold md5
or base64 hashes in place of personal values; a column is labelled by what
it holds in the system it mirrors (`first_name` is a name whatever the seed
put in it). See SOURCES.md for the rules and licences.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from build_labelled_set import MAX_VALUES, _git_show, write

SEEDS = "integration_tests/seeds/"

# Repeated shapes: a person's postal address under a prefix, and its parts.
ADDRESS_PARTS = {"address_1": "address", "address_2": "address", "city": "address", "zip": "zip",
                 "latitude": "address", "longitude": "address", "name": "name", "first_name": "name",
                 "last_name": "name", "phone": "phone"}
STRIPE_SHIPPING = {"shipping_address_city": "address", "shipping_address_line_1": "address",
                   "shipping_address_line_2": "address", "shipping_address_postal_code": "zip",
                   "shipping_name": "name", "shipping_phone": "phone"}
RECURLY_BILLING = {"billing_phone": "phone", "billing_street_1": "address", "billing_street_2": "address",
                   "billing_city": "address", "billing_postal_code": "zip"}

# (repository, seed file) -> {column (lower case): pii_type} of its PII columns.
LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("fivetran/dbt_shopify", "shopify_customer_data.csv"): {
        "id": "customer_id", "first_name": "name", "last_name": "name", "email": "email", "phone": "phone"},
    ("fivetran/dbt_shopify", "shopify_gql_customer_address_data.csv"): {
        "customer_id": "customer_id", **ADDRESS_PARTS},
    ("fivetran/dbt_shopify", "shopify_order_data.csv"): {
        "email": "email", "customer_id": "customer_id", "user_id": "customer_id", "browser_ip": "ip_address",
        **{f"{side}_address_{part}": pii_type for side in ("shipping", "billing")
           for part, pii_type in ADDRESS_PARTS.items()}},
    ("fivetran/dbt_shopify", "shopify_gql_customer_visit_data.csv"): {},
    ("fivetran/dbt_shopify", "shopify_location_data.csv"): {},  # a shop's locations: an organisation's contacts
    ("fivetran/dbt_hubspot", "contact_data.csv"): {
        "id": "customer_id", "property_email": "email", "property_email_1": "email",
        "property_firstname": "name", "property_lastname": "name", "property_hs_merged_object_ids": "customer_id"},
    ("fivetran/dbt_hubspot", "owner_data.csv"): {  # owners are the company's employees
        "owner_id": "customer_id", "email": "email", "first_name": "name", "last_name": "name",
        "active_user_id": "customer_id"},
    ("fivetran/dbt_hubspot", "company_data.csv"): {},
    ("fivetran/dbt_hubspot", "deal_data.csv"): {"owner_id": "customer_id"},
    ("fivetran/dbt_hubspot", "email_event_data.csv"): {"recipient": "email"},
    ("fivetran/dbt_hubspot", "users_data.csv"): {
        "id": "customer_id", "email": "email", "first_name": "name", "last_name": "name"},
    ("fivetran/dbt_hubspot", "engagement_meeting_data.csv"): {},
    ("fivetran/dbt_zendesk", "user_data.csv"): {  # agents and end users
        "id": "customer_id", "alias": "name", "email": "email", "external_id": "identifier", "name": "name",
        "phone": "phone"},
    ("fivetran/dbt_zendesk", "ticket_data.csv"): {  # recipient, via_source_to_*: the support address
        "assignee_id": "customer_id", "requester_id": "customer_id", "submitter_id": "customer_id",
        "via_source_from_address": "email"},
    ("fivetran/dbt_zendesk", "organization_data.csv"): {},
    ("fivetran/dbt_zendesk", "ticket_comment_data.csv"): {"user_id": "customer_id"},
    ("fivetran/dbt_zendesk", "group_data.csv"): {},
    ("fivetran/dbt_zendesk", "ticket_chat_data.csv"): {"user_id": "customer_id", "visitor_id": "customer_id"},
    ("fivetran/dbt_stripe", "customer_data.csv"): {
        "id": "customer_id", "address_city": "address", "address_line_1": "address", "address_line_2": "address",
        "address_postal_code": "zip", "email": "email", "name": "name", "phone": "phone",
        "tax_info_tax_id": "national_id", "tax_info_verification_verified_name": "name", **STRIPE_SHIPPING},
    ("fivetran/dbt_stripe", "card_data.csv"): {  # the cardholder's billing address
        "address_city": "address", "address_line_1": "address", "address_line_2": "address", "address_zip": "zip",
        "customer_id": "customer_id", "name": "name", "recipient": "customer_id"},
    ("fivetran/dbt_stripe", "charge_data.csv"): {
        "customer_id": "customer_id", "receipt_email": "email", **STRIPE_SHIPPING},
    ("fivetran/dbt_recurly", "account_history_data.csv"): {  # an account is a subscriber
        "id": "customer_id", "code": "customer_id", "username": "identifier", "account_first_name": "name",
        "account_last_name": "name", "email": "email", "cc_emails": "email", "vat_number": "national_id"},
    ("fivetran/dbt_recurly", "billing_info_history_data.csv"): {
        "account_id": "customer_id", "first_name": "name", "last_name": "name", "vat_number": "national_id",
        "updated_by_ip": "ip_address", **RECURLY_BILLING},
    ("fivetran/dbt_recurly", "transaction_data.csv"): {
        "account_id": "customer_id", "billing_first_name": "name", "billing_last_name": "name", **RECURLY_BILLING},
}


def build() -> list[dict]:
    columns = []
    for (repo, seed), pii in LABELS.items():
        rows = list(csv.reader(io.StringIO(_git_show(repo, SEEDS + seed).lstrip("\ufeff"))))
        header, body = rows[0], rows[1:]
        relation = Path(seed).stem.removesuffix("_data")
        unknown = set(pii) - {name.lower() for name in header}
        assert not unknown, f"{seed}: labelled columns not in the file: {sorted(unknown)}"
        for index, name in enumerate(header):
            values = [row[index] for row in body if index < len(row) and row[index].strip()][:MAX_VALUES]
            pii_type = pii.get(name.lower())
            columns.append({"relation": relation, "column": name, "pii": pii_type is not None,
                            "pii_type": pii_type, "values": values, "source": f"{repo}:{SEEDS}{seed}"})
    return columns


if __name__ == "__main__":
    write(build(), "heldout_columns.json")
