"""The PII types we know, their category and risk, and the names people give them in metadata."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PiiType:
    name: str
    category: str
    risk: str  # critical | high | medium | low


TAXONOMY: dict[str, PiiType] = {
    t.name: t
    for t in (
        PiiType("ssn", "direct_identifier", "critical"),
        PiiType("national_id", "direct_identifier", "critical"),
        PiiType("passport", "direct_identifier", "critical"),
        PiiType("drivers_license", "direct_identifier", "critical"),
        PiiType("email", "contact", "high"),
        PiiType("phone", "contact", "high"),
        PiiType("address", "contact", "high"),
        PiiType("postal_code", "contact", "medium"),
        PiiType("credit_card", "financial", "critical"),
        PiiType("bank_account", "financial", "critical"),
        PiiType("iban", "financial", "critical"),
        PiiType("health", "health", "critical"),
        PiiType("biometric", "biometric", "critical"),
        PiiType("date_of_birth", "demographic", "high"),
        PiiType("age", "demographic", "medium"),
        PiiType("gender", "demographic", "medium"),
        PiiType("ethnicity", "demographic", "high"),
        PiiType("ip_address", "online_identifier", "medium"),
        PiiType("device_id", "online_identifier", "medium"),
        PiiType("cookie_id", "online_identifier", "medium"),
        PiiType("name", "name", "high"),
        PiiType("unknown", "unclassified", "high"),
    )
}
"""``unknown``: the metadata flags the column as PII without saying which kind."""

RISK_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}

ALIASES: dict[str, str] = {
    "social_security_number": "ssn",
    "national_identifier": "national_id",
    "tax_id": "national_id",
    "passport_number": "passport",
    "driver_license": "drivers_license",
    "drivers_licence": "drivers_license",
    "driving_licence": "drivers_license",
    "email_address": "email",
    "e-mail": "email",
    "phone_number": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "street_address": "address",
    "postal_address": "address",
    "zip": "postal_code",
    "zip_code": "postal_code",
    "zipcode": "postal_code",
    "postcode": "postal_code",
    "credit_card_number": "credit_card",
    "card_number": "credit_card",
    "pan": "credit_card",
    "account_number": "bank_account",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "birthdate": "date_of_birth",
    "sex": "gender",
    "race": "ethnicity",
    "ip": "ip_address",
    "medical": "health",
    "first_name": "name",
    "last_name": "name",
    "full_name": "name",
    "person_name": "name",
}


def normalize_type(raw: str) -> str | None:
    """A declared type in our vocabulary, or None when we do not know it.

    Example:
        >>> normalize_type("Phone Number"), normalize_type("zip"), normalize_type("shoe size")
        ('phone', 'postal_code', None)
    """
    key = raw.strip().lower().replace(" ", "_")
    key = ALIASES.get(key, key)
    return key if key in TAXONOMY else None


def risk_of(pii_type: str) -> str:
    found = TAXONOMY.get(pii_type)
    return found.risk if found else "high"
