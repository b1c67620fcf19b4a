"""Token-aware column-name patterns, checked against the data type.

A name is split into lower-case tokens (``billingEmailAddress`` -> billing, email, address);
a rule matches a contiguous token phrase, never a substring, so ``velocity`` is no city and
``adobe_id`` no date of birth. Then the data type must fit (a boolean ``email_verified`` is
not an email) and words that turn the column into a fact *about* the PII (``_count``,
``_type``, ``_verified``, surrogate keys ``*_id``) veto it.

Example:
    >>> detect_by_name("customer_email", "varchar").pii_type
    'email'
    >>> detect_by_name("email_verified", "boolean") is None, detect_by_name("ip_count", "int") is None
    (True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SPLIT = re.compile(r"[^a-zA-Z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")

STRING, NUMBER, DATE, ANY = "string", "number", "date", "any"


@dataclass(frozen=True, slots=True)
class NameMatch:
    pii_type: str
    rule: str
    confidence: float
    masked: bool = False


@dataclass(frozen=True, slots=True)
class _Rule:
    pii_type: str
    phrases: tuple[tuple[str, ...], ...]
    families: frozenset[str]
    vetoes: frozenset[str] = frozenset()


def _rule(pii_type: str, phrases: str, families: str, vetoes: str = "") -> _Rule:
    return _Rule(
        pii_type,
        tuple(tuple(p.split()) for p in phrases.split(",")),
        frozenset(families.split()),
        frozenset(vetoes.split()),
    )


# Order matters: the first rule whose phrase matches decides (ip address before address).
RULES: tuple[_Rule, ...] = (
    _rule("ip_address", "ip,ip address,ipv,ip addr,remote addr", "string"),
    _rule("email", "email,e mail,email address,emailaddress", "string",
          "domain template campaign opt optin opted subscribed subscription bounce bounced sent type frequency preference preferences"),  # noqa: E501
    _rule("ssn", "ssn,social security,social security number", "string number"),
    _rule("national_id", "national id,national identifier,nin,nino,tax id,tin,aadhaar,cpf,bsn,personnummer,nric", "string number"),  # noqa: E501
    _rule("passport", "passport,passport number,passport no", "string", "country expiry expiration"),
    _rule("drivers_license", "driver license,drivers license,driving licence,driver licence,drivers licence,dl number,license number,licence number", "string"),  # noqa: E501
    _rule("credit_card", "credit card,card number,cc number,ccn,pan,card num,creditcard,cardnumber", "string number", "brand network issuer bin expiry"),  # noqa: E501
    _rule("iban", "iban", "string", "country"),
    _rule("bank_account", "bank account,account number,acct number,acct no,routing number,sort code,bank account number", "string number"),  # noqa: E501
    _rule("phone", "phone,mobile,telephone,tel,cell phone,cellphone,msisdn,fax,phonenumber,mobile number", "string number", "country prefix extension carrier app os version device"),  # noqa: E501
    _rule("device_id", "device id,idfa,gaid,advertising id,imei,mac address,udid,android id,device identifier", "string"),  # noqa: E501
    _rule("postal_code", "zip,zipcode,zip code,postal code,postcode,postal,post code", "string number"),
    _rule("address", "address,street,addr,address line,street address,streetaddress", "string", "count"),
    _rule("date_of_birth", "dob,date of birth,birth date,birthdate,birthday,birth dt,born on", "date string"),
    _rule("age", "age", "number", "account order item record days day hours minutes seconds cache file data inventory stock ticket session group bucket band range"),  # noqa: E501
    _rule("gender", "gender,sex", "string number"),
    _rule("ethnicity", "ethnicity,ethnic,race,ethnic origin", "string"),
    _rule("health", "diagnosis,medical,health,icd,prescription,medication,allergy,allergies,disability,blood type,medical condition", "string", "score check checks status"),  # noqa: E501
    _rule("biometric", "fingerprint,retina,iris,biometric,voiceprint,voice print,face embedding,face template", "string any"),  # noqa: E501
    _rule("cookie_id", "cookie,cookie id,visitor id,anonymous id,ga client id", "string", "consent"),
    _rule("name", "first name,last name,full name,firstname,lastname,fullname,surname,given name,family name,middle name,maiden name,customer name,contact name,person name,patient name,employee name,member name,display name,legal name,cardholder name,account holder", "string"),  # noqa: E501
)  # fmt: skip

# Words that make the column a fact about the PII, not the PII itself.
VETOES = frozenset({
    "count", "cnt", "counts", "total", "sum", "avg", "flag", "is", "has", "verified", "valid",
    "validated", "confirmed", "type", "types", "status", "length", "len", "pct", "percent", "ratio", "rate",
    "score", "domain", "provider", "format", "id", "key", "sk", "pk", "fk", "uuid", "nk", "amount", "amt",
    "balance", "limit", "fee", "fees", "price", "cost", "value", "spend", "revenue",
})  # fmt: skip
# Identifier words for which a trailing id/key is part of the PII, not a surrogate key.
ID_PII = frozenset({"national", "device", "advertising", "android", "cookie", "visitor", "anonymous", "tax"})
MASK_WORDS = frozenset({
    "hash", "hashed", "md5", "sha", "sha1", "sha256", "masked", "encrypted", "token", "tokenized",
    "redacted", "last4", "obfuscated", "pseudonymized", "pseudonymised",
})  # fmt: skip


def tokens(name: str) -> tuple[str, ...]:
    """``billingEmailAddress2`` -> ('billing', 'email', 'address', '2')."""
    return tuple(t.lower() for t in _SPLIT.split(name) if t)


def family(data_type: str | None) -> str | None:
    if not data_type:
        return None
    lowered = data_type.lower()
    if "bool" in lowered or lowered == "bit":
        return "boolean"
    if "date" in lowered or "time" in lowered:
        return DATE
    if any(w in lowered for w in ("char", "text", "string", "clob", "inet", "uuid", "json", "variant")):
        return STRING
    if any(w in lowered for w in ("int", "num", "dec", "float", "double", "real", "money")):
        return NUMBER
    return "other"


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


def _vetoed(words: tuple[str, ...], rule: _Rule, phrase: tuple[str, ...], masked: bool) -> bool:
    if words[0] in ("num", "n", "count", "total", "is", "has", "avg", "sum", "pct"):
        return True
    for word in words:
        if word in phrase:
            continue  # part of the PII's own name (blood type)
        if word in rule.vetoes:
            return True
        if word in VETOES and word not in ("id", "key", "uuid") and not (masked and word == "type"):
            return True
    last = words[-1]
    return last in ("id", "key", "sk", "pk", "fk", "uuid", "nk") and not (set(words) & ID_PII)


@lru_cache(maxsize=262144)
def detect_by_name(name: str, data_type: str | None) -> NameMatch | None:
    """The PII type a column's name and type suggest, or None."""
    words = tokens(name)
    if not words:
        return None
    kind = family(data_type)
    if kind == "boolean":
        return None
    masked = bool(set(words) & MASK_WORDS)
    core = tuple(w for w in words if w not in MASK_WORDS)
    if not core:
        return None
    for rule in RULES:
        phrase = next((p for p in rule.phrases if _contains(core, p)), None)
        if phrase is None or _vetoed(core, rule, phrase, masked):
            continue
        fits = kind is None or kind in rule.families or "any" in rule.families
        if not fits and not (masked and kind == STRING):  # a hashed number is stored as text
            continue
        confidence = 0.9 if kind is not None else 0.7
        return NameMatch(rule.pii_type, f"name:{'_'.join(phrase)}", confidence, masked)
    return None
