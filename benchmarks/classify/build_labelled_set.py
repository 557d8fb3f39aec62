"""Builds labelled_columns.json: real column names and sampled values from
public dbt projects' seed files (synthetic data), labelled by hand, plus the
integration project's seeds and hand-written false friends.

Run once, where /work/.mirror holds the fetched repositories (bare git
directories); the committed JSON is what the benchmark and tests read. The
labels are below, file by file: every column not listed as PII was reviewed
and judged not PII. See SOURCES.md for the rules and licences.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MIRROR = Path("/work/.mirror")
MAX_VALUES = 50

# (repository, path in it) -> {column (lower case): pii_type} of its PII columns.
LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("dbt-labs/jaffle-shop", "seeds/jaffle-data/raw_customers.csv"): {"id": "customer_id", "name": "name"},
    ("dbt-labs/jaffle-shop", "seeds/jaffle-data/raw_stores.csv"): {},
    ("dbt-labs/jaffle-shop", "seeds/jaffle-data/raw_products.csv"): {},
    ("dbt-labs/jaffle-shop", "seeds/jaffle-data/raw_supplies.csv"): {},
    ("OHDSI/dbt-synthea", "seeds/synthea/patients.csv"): {
        "id": "customer_id", "birthdate": "birth_date", "deathdate": "date_of_service", "ssn": "national_id",
        "drivers": "identifier", "passport": "identifier", "first": "name", "last": "name", "maiden": "name",
        "birthplace": "address", "address": "address", "city": "address", "county": "address", "zip": "zip",
        "lat": "address", "lon": "address"},
    ("OHDSI/dbt-synthea", "seeds/synthea/allergies.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/careplans.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/conditions.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/devices.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/encounters.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/imaging_studies.csv"): {"date": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/immunizations.csv"): {"date": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/medications.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/observations.csv"): {"date": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/procedures.csv"): {
        "start": "date_of_service", "stop": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/supplies.csv"): {"date": "date_of_service", "patient": "customer_id"},
    ("OHDSI/dbt-synthea", "seeds/synthea/organizations.csv"): {},
    ("OHDSI/dbt-synthea", "seeds/synthea/providers.csv"): {},
    ("OHDSI/dbt-synthea", "seeds/synthea/payers.csv"): {},
    ("OHDSI/dbt-synthea", "seeds/synthea/payer_transitions.csv"): {
        "patient": "customer_id", "memberid": "identifier", "ownername": "name"},
    ("OHDSI/dbt-synthea", "seeds/synthea/claims.csv"): {
        "patientid": "customer_id", "currentillnessdate": "date_of_service", "servicedate": "date_of_service"},
    ("OHDSI/dbt-synthea", "seeds/synthea/claims_transactions.csv"): {
        "patientid": "customer_id", "fromdate": "date_of_service", "todate": "date_of_service",
        "patientinsuranceid": "identifier"},
    ("tuva-health/tuva", "integration_tests/seeds/patient_seed.csv"): {
        "person_id": "customer_id", "patient_id": "customer_id", "first_name": "name", "middle_name": "name",
        "last_name": "name", "birth_date": "birth_date", "death_date": "date_of_service",
        "social_security_number": "national_id", "address": "address", "city": "address", "zip_code": "zip",
        "county": "address", "latitude": "address", "longitude": "address", "phone": "phone", "email": "email"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__eligibility.csv"): {
        "person_id": "customer_id", "member_id": "identifier", "subscriber_id": "identifier",
        "birth_date": "birth_date", "death_date": "date_of_service", "first_name": "name", "middle_name": "name",
        "last_name": "name", "social_security_number": "national_id", "address": "address", "city": "address",
        "zip_code": "zip", "phone": "phone", "email": "email"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__appointment.csv"): {
        "person_id": "customer_id", "patient_id": "customer_id", "start_datetime": "date_of_service",
        "end_datetime": "date_of_service"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__immunization.csv"): {
        "person_id": "customer_id", "patient_id": "customer_id", "occurrence_date": "date_of_service"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__lab_result.csv"): {
        "person_id": "customer_id", "patient_id": "customer_id", "accession_number": "identifier",
        "result_datetime": "date_of_service", "collection_datetime": "date_of_service"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__observation.csv"): {
        "person_id": "customer_id", "patient_id": "customer_id", "observation_date": "date_of_service"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__medical_claim.csv"): {
        "person_id": "customer_id", "member_id": "identifier", "claim_start_date": "date_of_service",
        "claim_end_date": "date_of_service", "claim_line_start_date": "date_of_service",
        "claim_line_end_date": "date_of_service", "admission_date": "date_of_service",
        "discharge_date": "date_of_service", "procedure_date_1": "date_of_service",
        "procedure_date_2": "date_of_service"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__pharmacy_claim.csv"): {
        "person_id": "customer_id", "member_id": "identifier", "dispensing_date": "date_of_service"},
    ("tuva-health/tuva", "integration_tests/seeds/raw_data__provider_attribution.csv"): {
        "person_id": "customer_id", "patient_id": "customer_id"},
    ("tuva-health/tuva", "seeds/provider_data/provider_data__provider.csv"): {},
    ("pii_guard", "integration_tests/seeds/raw/raw_customers.csv"): {
        "customer_id": "customer_id", "first_name": "name", "last_name": "name", "email": "email",
        "phone": "phone", "birth_date": "birth_date", "street_address": "address", "zip": "zip",
        "ssn": "national_id"},
    ("pii_guard", "integration_tests/seeds/raw/raw_orders.csv"): {
        "customer_id": "customer_id", "customer_email": "email", "shipping_address": "address"},
    ("pii_guard", "integration_tests/seeds/raw/raw_events.csv"): {
        "customer_id": "customer_id", "ip_address": "ip_address"},
    ("pii_guard", "integration_tests/seeds/raw/raw_appointments.csv"): {
        "customer_id": "customer_id", "appointment_date": "date_of_service"},
}

# Hand-written columns (relation, column, pii_type or None, values): false friends and common
# names the repositories above lack, with realistic values written for this set.
HAND_WRITTEN: list[tuple[str, str, str | None, list[str]]] = [
    ("users", "email_verified", None, ["true", "false", "true"]),
    ("users", "is_email_opt_in", None, ["1", "0", "0"]),
    ("users", "email_domain", None, ["example.com", "example.org"]),
    ("users", "email_bounce_count", None, ["0", "2", "1"]),
    ("users", "phone_type", None, ["mobile", "home", "work"]),
    ("users", "phone_verified_at", None, ["2023-01-04 10:00:00"]),
    ("stores", "zip_count", None, ["12", "3", "40"]),
    ("products", "product_name", None, ["Blue Widget", "Red Widget"]),
    ("providers", "provider_name", None, ["Dr. Rivera", "Dr. Chen"]),
    ("companies", "company_name", None, ["Acme Corp", "Globex LLC"]),
    ("orders", "order_id", None, ["5001", "5002", "5003"]),
    ("orders", "order_number", None, ["100234", "100235"]),
    ("orders", "order_date", None, ["2023-02-01", "2023-03-15", "2023-04-02"]),
    ("orders", "shipped_at", None, ["2023-02-03 09:00:00"]),
    ("orders", "product_id", None, ["17", "18"]),
    ("orders", "store_id", None, ["3", "4"]),
    ("orders", "total_amount", None, ["120.50", "35.00"]),
    ("orders", "tracking_number", None, ["1Z999AA10123456784"]),
    ("orders", "ship_state", None, ["MA", "NY"]),
    ("events", "event_type", None, ["login", "purchase"]),
    ("events", "session_id", None, ["a81f", "b22c"]),
    ("events", "user_agent", None, ["Mozilla/5.0 (X11; Linux x86_64)"]),
    ("events", "ip_address_count", None, ["3", "1"]),
    ("campaigns", "campaign_name", None, ["spring sale", "black friday"]),
    ("files", "file_name", None, ["claims_2023.csv"]),
    ("servers", "server_ip", "ip_address", ["10.0.0.12", "10.0.0.13"]),
    ("customers", "cust_email_addr", "email", ["ann@example.com", "li.wei@example.org"]),
    ("customers", "emailAddress", "email", ["bo+news@example.com"]),
    ("customers", "mobile_phone", "phone", ["+1 617 555 0101", "(617) 555-0199"]),
    ("customers", "home_tel", "phone", ["617-555-0134"]),
    ("customers", "fname", "name", ["Ann", "Bruno", "Chen"]),
    ("customers", "lname", "name", ["Lee", "Diaz", "Wei"]),
    ("customers", "full_name", "name", ["Ann Lee", "Bruno Diaz"]),
    ("customers", "dob", "birth_date", ["1990-06-15", "1957-11-02", "2001-01-30"]),
    ("customers", "date_of_birth", "birth_date", ["1984-03-09", "1962-12-24"]),
    ("customers", "ssn_last4", "national_id", ["6789", "7890"]),
    ("customers", "tax_id", "national_id", ["123-45-6789"]),
    ("customers", "addr_line1", "address", ["1 Main St", "22 Elm Ave"]),
    ("customers", "postal_code", "zip", ["02139", "10001"]),
    ("customers", "zipcode", "zip", ["02139", "94110"]),
    ("customers", "cc_num", "card_number", ["4111 1111 1111 1111", "5500 0000 0000 0004"]),
    ("payments", "card_number", "card_number", ["378282246310005", "6011111111111117"]),
    ("payments", "card_type", None, ["visa", "amex"]),
    ("payments", "card_last_four", None, ["1111", "0004"]),
    ("payments", "payment_method", None, ["card", "cash"]),
    ("logins", "client_ip", "ip_address", ["203.0.113.7", "2001:db8::1"]),
    ("logins", "remote_addr", "ip_address", ["198.51.100.4"]),
    ("logins", "username", "identifier", ["annlee", "bdiaz"]),
    ("logins", "user_id", "customer_id", ["1001", "1002"]),
    ("patients", "mrn", "identifier", ["MRN0001", "MRN0002"]),
    ("patients", "drivers_license_number", "identifier", ["S12345678"]),
    ("patients", "passport_number", "identifier", ["X1234567"]),
    ("visits", "visit_date", "date_of_service", ["2023-01-10", "2023-04-10"]),
    ("visits", "admit_date", "date_of_service", ["2023-02-01"]),
    ("visits", "visit_count", None, ["3", "1"]),
    ("contacts", "emergency_contact_name", "name", ["Maria Garcia"]),
    ("contacts", "emergency_contact_phone", "phone", ["617-555-0177"]),
    ("countries", "country_name", None, ["France", "Japan"]),
    ("countries", "country_code", None, ["FR", "JP"]),
    ("employees", "employee_id", "customer_id", ["E100", "E101"]),
    ("employees", "manager_name", "name", ["Ann Lee"]),
    ("employees", "department_name", None, ["Finance", "Sales"]),
    ("employees", "hire_date", None, ["2019-04-01", "2021-09-13"]),
]


def _git_show(repo: str, path: str) -> str:
    git_dir = MIRROR / repo.replace("/", "+") / "repo"
    return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"], check=True,
                          capture_output=True, text=True).stdout


def _repeat_beyond_second(name: str) -> bool:
    """diagnosis_code_3 .. _25, DIAGNOSIS3..8: one series counts once (its first two)."""
    match = re.search(r"\D_?(\d+)$", name)
    return match is not None and int(match.group(1)) > 2 and not name.lower().startswith(("address", "zip"))


def build() -> list[dict]:
    columns = []
    for (repo, path), pii in LABELS.items():
        text = (REPO / path).read_text(encoding="utf-8") if repo == "pii_guard" else _git_show(repo, path)
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        relation = Path(path).stem.split("__")[-1]
        for index, name in enumerate(header):
            if _repeat_beyond_second(name):
                continue
            values = []
            for row in body:
                if index < len(row) and row[index].strip() and len(values) < MAX_VALUES:
                    values.append(row[index])
            pii_type = pii.get(name.lower())
            columns.append({"relation": relation, "column": name, "pii": pii_type is not None,
                            "pii_type": pii_type, "values": values, "source": f"{repo}:{path}"})
    for relation, name, pii_type, values in HAND_WRITTEN:
        columns.append({"relation": relation, "column": name, "pii": pii_type is not None, "pii_type": pii_type,
                        "values": values, "source": "hand-written (benchmarks/classify/build_labelled_set.py)"})
    return columns


def write(columns: list[dict], filename: str) -> None:
    """Writes the set beside this file and says what it holds."""
    (HERE / filename).write_text(json.dumps(columns, indent=1, ensure_ascii=False) + "\n")
    pii = sum(c["pii"] for c in columns)
    print(f"{len(columns)} columns, {pii} PII, {len(columns) - pii} not PII")


if __name__ == "__main__":
    write(build(), "labelled_columns.json")
