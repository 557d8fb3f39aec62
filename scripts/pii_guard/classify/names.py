"""What a column's name says: a pii_type with a strength, "not PII" with a
reason, or nothing.

Names are split into lower-case words (snake_case, camelCase, and glued
words such as PATIENTID or zipcode), then read by rules: a PII word
(``email``, ``dob``, ``ssn``, ``fname``...), unless a word beside it says the
column describes the PII rather than holds it (``email_verified``,
``zip_count``, ``phone_type``), or that it belongs to something other than a
person (``product_name``, ``provider_phone``, ``order_id``).

>>> read_name("customerEmail")
NameReading(pii_type='email', strength=0.9, evidence='name matches "email"', owned_by_thing=False)
>>> read_name("email_verified").pii_type is None
True
>>> read_name("product_name").evidence
'name is "name" of a product, not a person'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Words a glued name (PATIENTID, zipcode) may be split into, besides the PII words.
GLUE_WORDS = frozenset("""
patient customer person member user client subscriber employee contact account holder owner guest
first last middle given family full maiden nick display user login sur
name names id ids key number num no code date time at of birth day phone mobile cell home work
email mail address addr street line city state zip postal post code county country lat lon
social security card credit insurance primary secondary drivers license passport medical record
service admission admit discharge visit appointment encounter death start stop end created updated
remote client ip order product provider payer plan org organization store from to current illness billed
accession
""".split())

# word -> pii_type, when the word alone names PII.
PII_WORDS: dict[str, str] = {
    "email": "email", "emailaddress": "email", "e_mail": "email",
    "phone": "phone", "telephone": "phone", "tel": "phone", "mobile": "phone", "cell": "phone",
    "cellphone": "phone", "msisdn": "phone", "fax": "phone", "phonenumber": "phone",
    "ssn": "national_id", "sin": "national_id", "nino": "national_id", "ssnumber": "national_id",
    "dob": "birth_date", "birthdate": "birth_date", "birthday": "birth_date", "bdate": "birth_date",
    "zip": "zip", "zipcode": "zip", "postcode": "zip", "postal": "zip", "zip5": "zip",
    "address": "address", "addr": "address", "street": "address", "address1": "address",
    "address2": "address", "birthplace": "address", "latitude": "address", "longitude": "address",
    "lat": "address", "lon": "address", "lng": "address", "geolocation": "address",
    "fname": "name", "lname": "name", "mname": "name", "firstname": "name", "lastname": "name",
    "surname": "name", "forename": "name", "maiden": "name", "fullname": "name", "nickname": "name",
    "ip": "ip_address", "ipv4": "ip_address", "ipv6": "ip_address", "ipaddress": "ip_address",
    "mrn": "identifier", "passport": "identifier", "drivers": "identifier", "username": "identifier",
    "pan": "card_number", "ccn": "card_number",
}
# Two-word phrases (read before single words).
PII_PHRASES: dict[tuple[str, ...], str] = {
    ("first", "name"): "name", ("last", "name"): "name", ("middle", "name"): "name",
    ("given", "name"): "name", ("family", "name"): "name", ("full", "name"): "name",
    ("maiden", "name"): "name", ("display", "name"): "name", ("sur", "name"): "name",
    ("user", "name"): "identifier", ("login", "name"): "identifier",
    ("social", "security"): "national_id", ("national", "id"): "national_id", ("tax", "id"): "national_id",
    ("birth", "date"): "birth_date", ("date", "of", "birth"): "birth_date", ("born", "on"): "birth_date",
    ("birth", "dt"): "birth_date",
    ("postal", "code"): "zip", ("post", "code"): "zip", ("zip", "code"): "zip",
    ("credit", "card"): "card_number", ("card", "number"): "card_number", ("card", "num"): "card_number",
    ("card", "no"): "card_number", ("cc", "num"): "card_number", ("cc", "number"): "card_number",
    ("cc", "no"): "card_number", ("remote", "addr"): "ip_address",
    ("medical", "record"): "identifier", ("record", "number"): "identifier",
    ("drivers", "license"): "identifier", ("driver", "license"): "identifier",
    ("license", "number"): "identifier", ("member", "id"): "identifier", ("subscriber", "id"): "identifier",
    ("account", "number"): "identifier", ("insurance", "id"): "identifier",
    ("accession", "number"): "identifier",
}
# People whose id is the data subject's key (customer_id), and words that make a column a person's.
PERSON_WORDS = frozenset("""customer customers cust patient patients person persons people user users client
clients employee employees contact contacts guest guests buyer buyers subscriber member members owner
recipient beneficiary applicant student emergency account holder cardholder shipping billing
home personal""".split())
SUBJECT_KEYS = frozenset("customer cust patient person user client employee guest buyer".split())
# Things other than a person whose name, phone, address or id a column may hold.
THING_WORDS = frozenset("""product products provider providers company companies organization organisation org
orgs store stores vendor vendors supplier suppliers payer payers plan plans group groups file files table
tables event events campaign campaigns brand brands practice practices facility facilities hospital
merchant merchants department dept category categories item items sku drug drugs device devices concept
concepts vocabulary vocabularies domain domains relationship relationships host hosts server servers app
apps application feature segment segments country countries region regions county city cities state
states panel test tests lab schema model models column columns project projectslocation location
locations site sites unit units claim claims order orders encounter encounters appointment visit
visits transaction transactions payment payments invoice invoices shipment shipments charge session
sessions batch job jobs run runs source sources target pipeline carrier carriers bank banks template
medication medications procedure procedures condition conditions observation immunization allergy
careplan careplans supply supplies imaging study series instance modality bodysite specialty
taxonomy credential npi tin dea business practitioner physician doctor prescriber rendering
attending referring facility billing_provider manufacturer network""".split())
# Words that make a column describe a PII value (a count, a flag, its kind), not hold it.
DESCRIBING_WORDS = frozenset("""count cnt counts total totals flag flags is has verified valid validated
confirmed bounced bounce opt optin optout opted consent subscribed unsubscribed type types kind status
format length len domain provider pct percent rate ratio share missing null present known changed
updated_at distinct unique hash hashed masked mask redacted encrypted token tokenized pseudonym
key sk surrogate bucket band group range generalized age_band zip3 region prefix suffix
template preference preferences frequency source quality score""".split())
# Event words: a date named so is not a birth date, whatever its values.
EVENT_WORDS = frozenset("""start stop end created updated modified loaded ingest ingested inserted
deleted order ordered signup signed registered opened closed shipped paid billed effective expiry
expires expiration valid from to file run batch snapshot processed received sent due period year
month week enrollment enrolled""".split())
SERVICE_WORDS = frozenset("""admission admit admitted discharge discharged service visit appointment
encounter procedure dispensing dispensed immunization vaccination occurrence collection result
death died deceased surgery diagnosis illness""".split())
# Tables of a person's healthcare events: their dates are dates of service (HIPAA).
CLINICAL_WORDS = frozenset("""encounter visit appointment procedure condition medication immunization
observation allergy allergies careplan device supply supplies imaging claim lab result diagnosis
admission prescription pharmacy vital vitals""".split())
# Administrative events: dates of these are not a person's dates of service.
ADMIN_WORDS = frozenset("""file ingest ingested loaded created updated modified paid billed processed
received snapshot run batch""".split())
DATE_LIKE = frozenset("start stop end from to".split())
DATE_WORDS = frozenset("date dt datetime time at timestamp ts day".split())
IDENTIFIER_ENDINGS = frozenset("id ids key number num no nbr code uuid guid".split())


@dataclass(frozen=True)
class NameReading:
    """What a name says. pii_type None with a strength: "not PII", as sure
    as the strength; pii_type None with strength 0: the name says nothing.
    `owned_by_thing`: a PII word of something else (a provider's phone), which
    values cannot overrule: a business's phone looks like anyone's."""

    pii_type: str | None
    strength: float
    evidence: str
    owned_by_thing: bool = False


NOTHING = NameReading(None, 0.0, "name says nothing either way")


def split_words(name: str) -> list[str]:
    """The lower-case words of a column name.

    >>> split_words("PrimaryPatientInsuranceID"), split_words("cc_num"), split_words("PATIENTID")
    (['primary', 'patient', 'insurance', 'id'], ['cc', 'num'], ['patient', 'id'])
    >>> split_words("homephone"), split_words("address_line_1"), split_words("DATE_OF_BIRTH")
    (['home', 'phone'], ['address', 'line', '1'], ['date', 'of', 'birth'])
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", spaced):
        part = part.lower()
        if not part:
            continue
        match = re.fullmatch(r"([a-z]+?)(\d+)", part)
        if match and part not in PII_WORDS:  # zip5, ipv4 stay whole; addr1 is addr
            words += [*_unglue(match.group(1)), match.group(2)]
        else:
            words += _unglue(part)
    return words


@lru_cache(maxsize=4096)
def _unglue(word: str) -> tuple[str, ...]:
    """A glued word split into known words, when it splits wholly; else itself.

    >>> _unglue("patientemail"), _unglue("medicaid")
    (('patient', 'email'), ('medicaid',))
    """
    known = GLUE_WORDS | set(PII_WORDS) | PERSON_WORDS
    if word in known or len(word) < 5:
        return (word,)
    best: list[tuple[str, ...] | None] = [()] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 12), end):
            piece, before = word[start:end], best[start]
            if before is not None and piece in known and len(piece) > 1:
                candidate = before + (piece,)
                if best[end] is None or len(candidate) < len(best[end]):  # fewest words
                    best[end] = candidate
    found = best[len(word)]
    return found if found else (word,)


def read_name(column: str, relation: str = "") -> NameReading:
    """What `column`'s name says, with `relation` (the table's name) as
    context for bare names such as ``name`` and ``id``.

    >>> read_name("dob").pii_type, read_name("cc_num").pii_type, read_name("tel").pii_type
    ('birth_date', 'card_number', 'phone')
    >>> read_name("zip_count").pii_type, read_name("phone_type").pii_type, read_name("order_id").pii_type
    (None, None, None)
    >>> read_name("name", "raw_customers").pii_type, read_name("name", "raw_products").pii_type
    ('name', None)
    >>> read_name("id", "patients").pii_type, read_name("PATIENT", "encounters").pii_type
    ('customer_id', 'customer_id')
    """
    words = split_words(column)
    if not words:
        return NOTHING
    context = [_singular(w) for w in split_words(relation) if not w.isdigit()]
    found = _pii_word(words)
    thing = [w for w in words if _singular(w) in THING_WORDS]
    person = [w for w in words if w in PERSON_WORDS]
    thing_table = [w for w in context if w in THING_WORDS] if not any(w in PERSON_WORDS for w in context) else []
    describing = [w for w in words[1:] if w in DESCRIBING_WORDS] + [w for w in words[:1] if w in ("is", "has")]
    if found is not None:
        pii_type, word = found
        if describing and not (pii_type == "card_number" and describing == ["num"]):
            return NameReading(None, 0.7, f'name has "{word}" but "{describing[0]}" says it describes it, '
                                          "not holds it")
        if (thing or thing_table) and not person and pii_type not in ("ip_address", "national_id", "identifier", "card_number"):
            owner = thing[0] if thing else thing_table[-1]
            return NameReading(None, 0.6, f'name is "{word}" of a {owner}, not a person', owned_by_thing=True)
        if pii_type == "national_id" and any(w in ("tin", "ein", "billing", "rendering", "facility") for w in words):
            return NameReading(None, 0.6, f'name is a business tax id ("{word}")')
        strength = 0.9 if len(word.split()) > 1 or word not in ("lat", "lon", "lng", "cell", "fax", "street",
                                                               "sin", "pan", "drivers") else 0.7
        return NameReading(pii_type, strength, f'name matches "{word}"')
    return _other_readings(words, context, thing, person, describing)


def _singular(word: str) -> str:
    """
    >>> _singular("organizations"), _singular("allergies"), _singular("address")
    ('organization', 'allergy', 'address')
    """
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _pii_word(words: list[str]) -> tuple[str, str] | None:
    """The first PII phrase or word in `words`, as (pii_type, the words)."""
    for size in (3, 2):
        for start in range(len(words) - size + 1):
            phrase = tuple(words[start:start + size])
            if phrase in PII_PHRASES:
                return PII_PHRASES[phrase], " ".join(phrase)
    for word in words:
        if word in PII_WORDS:
            return PII_WORDS[word], word
        if word == "mail" and "address" in words:
            return "email", "mail address"
    return None


def _other_readings(words: list[str], context: list[str], thing: list[str], person: list[str],
                    describing: list[str]) -> NameReading:
    """Names without a PII word: bare name/id/city, dates of service, ids of people or things."""
    head, last = words[0], words[-1]
    subject_table = any(w in SUBJECT_KEYS or w in PERSON_WORDS for w in context)
    thing_table = any(w in THING_WORDS for w in context)
    clinical_table = any(w in CLINICAL_WORDS for w in context)
    if describing:
        return NameReading(None, 0.7, f'name says it describes ("{describing[0]}")')
    if last in ("name", "names"):
        if thing or (thing_table and not person):
            owner = thing[0] if thing else context[-1]
            return NameReading(None, 0.8 if thing else 0.6, f'name is "name" of a {owner}, not a person')
        if person or subject_table:
            return NameReading("name", 0.8 if person else 0.6, 'name is "name" of a person'
                               + ("" if person else f' (table "{"_".join(context)}")'))
        return NameReading("name", 0.4, 'name is a bare "name": of a person?')
    if last in IDENTIFIER_ENDINGS or words in (["patient"], ["customer"], ["person"], ["user"], ["member"]):
        subjects = [w for w in words if w in SUBJECT_KEYS]
        if subjects and not thing:
            return NameReading("customer_id", 0.8, f'name is an id of a {subjects[0]}')
        if "member" in words or "subscriber" in words:
            return NameReading("identifier", 0.8, f'name is an id of a {"member" if "member" in words else "subscriber"}')
        if words in (["id"], ["key"], ["uuid"]) and subject_table and not thing_table:
            return NameReading("customer_id", 0.6, f'name is the id of table "{"_".join(context)}"')
        if thing or len(words) > 1 or thing_table:
            return NameReading(None, 0.7, "name is an id of something other than a person")
        return NameReading(None, 0.4, "name is a bare id")
    if words in (["first"], ["last"], ["middle"]) and subject_table:
        return NameReading("name", 0.6, f'name is "{head}" in a table of people')
    dated = any(w in DATE_WORDS or w in DATE_LIKE for w in words)
    if dated and not any(w in ADMIN_WORDS for w in words):
        service = [w for w in words if w in SERVICE_WORDS or w in CLINICAL_WORDS]
        if service:
            return NameReading("date_of_service", 0.7, f'name is a date of "{service[0]}"')
        if clinical_table and not any(w in EVENT_WORDS - DATE_LIKE for w in words):
            return NameReading("date_of_service", 0.6, f'name is a date in a table of healthcare events '
                                                       f'("{"_".join(context)}")')
    if any(w in DATE_WORDS for w in words) or "date" in last:
        if "birth" in words or "born" in words:
            return NameReading("birth_date", 0.9, 'name matches "birth"')
        event = [w for w in words if w in EVENT_WORDS]
        if event:
            return NameReading(None, 0.6, f'name is a date of "{event[0]}", not of a person')
        return NameReading(None, 0.3, "name is a date of something")
    if words[-1:] in (["city"], ["county"]):
        if person or (subject_table and not thing_table):
            return NameReading("address", 0.5, f'name is the {words[-1]} of a person')
        return NameReading(None, 0.5, f'name is a {words[-1]}, not a street address')
    if "birth" in words:
        return NameReading("birth_date", 0.7, 'name matches "birth"')
    event = [w for w in words if w in EVENT_WORDS]
    if event:
        return NameReading(None, 0.5, f'name is "{event[0]}" of something, not a person\'s')
    return NOTHING
