"""What sampled values say: for each pii_type a detector reads, the share of
a column's non-null sampled values it matches.

Each detector looks at one value; `value_shares` counts. Nothing here keeps
or returns a value: only counts and shares leave this module.

>>> shares = value_shares(["ann@example.com", "bo+news@example.org", None, "n/a"])
>>> shares.non_null, round(shares.shares["email"], 2)
(3, 0.67)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pii_guard.classify.person_names import GIVEN_NAMES, SURNAMES

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
SSN = re.compile(r"(\d{3})-?(\d{2})-?(\d{4})")
ZIP = re.compile(r"\d{5}(-\d{4})?")
PHONE_CHARACTERS = re.compile(r"\+?[\d\s().-]{7,24}(\s*(x|ext\.?)\s*\d{1,5})?", re.IGNORECASE)
# USPS street suffixes (Publication 28, the common ones) and unit words.
STREET_SUFFIXES = """st street ave avenue av rd road blvd boulevard ln lane dr drive ct court way pl place
ter terrace pkwy parkway hwy highway cir circle sq square trl trail xing crossing row loop aly alley
plz plaza pike path walk lock locks mill mills park ridge run bend cv cove crk creek est estates expy
fwy frk fork gdns gardens gln glen grn green hbr harbor hl hill holw hollow jct junction knl knoll lk
lake lndg landing mdw meadow mdws meadows mnr manor mt mount orch orchard pass pt point prt port ramp
rnch ranch rapid rpds rapids spg spring sta station strm stream vlg village vly valley vis vista
camp cmn common cor corner cors corners cres crescent dl dale dm dam ext extension fls falls frst forest
grv grove hts heights isle key lgt light lndg mews mall mnt opas overpass oval pne pines pr prairie
rdg riv river shr shore smt summit spur stra stravenue trce trace tunl tunnel un union via vw view
ville wall well wls wells""".split()
STREET = re.compile(r"\d{1,6}[A-Za-z]?\s+([A-Za-z0-9.'-]+\s+){0,5}(" + "|".join(STREET_SUFFIXES)
                    + r")\.?(\b.*)?", re.IGNORECASE)
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})([ T].*)?")
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# Issuer prefixes (IIN ranges) and lengths of the major card networks.
CARD_NETWORKS = [
    (re.compile(r"4"), (13, 16, 19)),  # Visa
    (re.compile(r"5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)"), (16,)),  # Mastercard
    (re.compile(r"3[47]"), (15,)),  # American Express
    (re.compile(r"6011|65|64[4-9]"), (16, 17, 18, 19)),  # Discover
    (re.compile(r"3(0[0-5]|[689])"), (14, 16, 19)),  # Diners Club
    (re.compile(r"35(2[89]|[3-8]\d)"), (16, 17, 18, 19)),  # JCB
]
OLDEST_AGE = 110


@dataclass
class ValueShares:
    """Per pii_type, the share of `non_null` sampled values that match it."""

    non_null: int
    shares: dict[str, float] = field(default_factory=dict)

    def best(self) -> tuple[str, float] | None:
        """The pii_type with the highest share, or None when none matched."""
        if not self.shares:
            return None
        pii_type = max(self.shares, key=lambda t: (self.shares[t], t))
        return (pii_type, self.shares[pii_type]) if self.shares[pii_type] > 0 else None


def is_email(text: str) -> bool:
    """
    >>> is_email("ann.lee+promo@example.co.uk"), is_email("ann@localhost"), is_email("@x.com")
    (True, False, False)
    """
    return EMAIL.fullmatch(text) is not None


def luhn_valid(digits: str) -> bool:
    """
    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_card_number(text: str) -> bool:
    """A payment card number: 13-19 digits (spaces or hyphens allowed), a
    network's prefix and length, and the Luhn check digit.

    >>> is_card_number("4111 1111 1111 1111"), is_card_number("378282246310005"), is_card_number("1234567812345670")
    (True, True, False)
    """
    digits = re.sub(r"[ -]", "", text)
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in CARD_NETWORKS)


def is_ssn(text: str) -> bool:
    """A US Social Security number as issued: area not 000, 666 or 900-999,
    group not 00, serial not 0000.

    >>> is_ssn("123-45-6789"), is_ssn("666-12-3456"), is_ssn("912-34-5678"), is_ssn("000-12-3456")
    (True, False, False, False)
    """
    match = SSN.fullmatch(text)
    if match is None:
        return False
    area, group, serial = match.groups()
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def is_phone(text: str, bare_digits: bool = False) -> bool:
    """A phone number: written as one (a leading +, or separators) with a NANP
    shape (10 digits, or 11 starting with 1; area and exchange not starting
    with 0 or 1) or an E.164 shape (+, 8-15 digits). A run of bare digits
    counts only when `bare_digits` (the name says phone): otherwise order
    numbers and amounts would.

    >>> is_phone("+1 (617) 555-0123"), is_phone("617.555.0199"), is_phone("+44 20 7946 0958")
    (True, True, True)
    >>> is_phone("6175550123"), is_phone("6175550123", bare_digits=True), is_phone("2023-01-17")
    (False, True, False)
    """
    text = text.strip()
    if PHONE_CHARACTERS.fullmatch(text) is None or DATE.fullmatch(text):
        return False
    main = re.split(r"(?i)\s*(x|ext)", text)[0]
    digits = re.sub(r"\D", "", main)
    formatted = main.startswith("+") or re.search(r"[\s().-]", main) is not None
    if not formatted and not bare_digits:
        return False
    if main.startswith("+") and not digits.startswith("1"):
        return 8 <= len(digits) <= 15
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return len(national) == 10 and national[0] not in "01" and national[3] not in "01"


def is_ip_address(text: str) -> bool:
    """
    >>> is_ip_address("203.0.113.7"), is_ip_address("2001:db8::8a2e:370:7334"), is_ip_address("1.2.840.1")
    (True, True, False)
    """
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def is_zip(text: str) -> bool:
    """
    >>> is_zip("02139"), is_zip("02140-1234"), is_zip("2139")
    (True, True, False)
    """
    return ZIP.fullmatch(text.strip()) is not None


def is_street_address(text: str) -> bool:
    """A house number, up to five words, and a street suffix.

    >>> is_street_address("1 Main St, Boston, MA 02139"), is_street_address("784 Stamm Lock Unit 46")
    (True, True)
    >>> is_street_address("12 apples"), is_street_address("Main Street")
    (False, False)
    """
    return STREET.fullmatch(text.strip()) is not None


def is_person_name(text: str) -> bool:
    """One to four words, each letters (Synthea's trailing digits dropped),
    at least one a common given name or surname.

    >>> is_person_name("Ann Lee"), is_person_name("Maria12 Garcia803"), is_person_name("Dr. Rivera")
    (True, True, True)
    >>> is_person_name("compostable cutlery - knife"), is_person_name("STURDY MEMORIAL HOSPITAL")
    (False, False)
    """
    words = [re.sub(r"\d+$", "", word).strip(".,").lower() for word in text.split()]
    if not 1 <= len(words) <= 4 or not all(re.fullmatch(r"[^\W\d_]+(['-][^\W\d_]+)*", w) for w in words if w):
        return False
    if any(word in NOT_NAMES for word in words):
        return False
    return any(word in GIVEN_NAMES or word in SURNAMES for word in words)


# Words that are never part of a person's name here, though the lists hold some as surnames.
NOT_NAMES = frozenset("""hospital clinic center centre health medical memorial inc llc ltd corp company
university school the of and for street avenue road white black asian hispanic latino native other
unknown male female""".split())


def parse_date(value: object) -> dt.date | None:
    """A date from a date, a datetime, or text as ISO (2024-06-30...) or US (6/30/2024).

    >>> parse_date("1990-06-15"), parse_date("2/29/2000"), parse_date("soon")
    (datetime.date(1990, 6, 15), datetime.date(2000, 2, 29), None)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if match := DATE.fullmatch(text):
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := US_DATE.fullmatch(text):
            return dt.date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None
    return None


def birth_date_share(dates: list[dt.date], today: dt.date) -> float:
    """The share of dates that could be a living person's birth date (age
    0-110, not in the future), when the dates spread over at least ten years,
    as birth dates do; dates bunched in a few years are events (orders,
    sign-ups), and get 0.

    >>> today = dt.date(2024, 6, 30)
    >>> birth_date_share([dt.date(1950 + 7 * i, 3, 1) for i in range(10)], today)
    1.0
    >>> birth_date_share([dt.date(2023, 1 + i, 1) for i in range(10)], today)
    0.0
    """
    if not dates:
        return 0.0
    years = [d.year for d in dates]
    if max(years) - min(years) < 10:
        return 0.0
    plausible = [d for d in dates if d <= today and today.year - d.year <= OLDEST_AGE]
    return len(plausible) / len(dates)


def value_shares(values: Iterable[object], phone_name: bool = False, birth_dates: bool = True,
                 today: dt.date | None = None) -> ValueShares:
    """Per pii_type, the share of the non-null values its detector matches.
    Numbers (not text) are read only as card numbers, phones and dates of
    birth: a ZIP code stored as a number has lost its leading zeros, and
    an integer id would otherwise look like one. `phone_name`: the name says
    phone (bare digits count); `birth_dates` False: the name says the dates
    are events (order, start), so they are not read as births.

    >>> value_shares(["1 Main St", "22 Elm Ave", "Ann"]).best()
    ('address', 0.6666666666666666)
    >>> value_shares([5001, 5002, 5003]).best() is None
    True
    """
    today = today or dt.date.today()
    present = [v for v in values if v is not None and str(v).strip() != ""]
    counts: dict[str, int] = {}
    dates: list[dt.date] = []

    def count(pii_type: str) -> None:
        counts[pii_type] = counts.get(pii_type, 0) + 1

    for value in present:
        date = parse_date(value)
        if date is not None:
            dates.append(date)
            continue
        text = str(value).strip()
        is_text = isinstance(value, str)
        if is_text and is_email(text):
            count("email")
        elif is_text and is_ssn(text) and "-" in text:
            count("national_id")
        elif is_card_number(text):
            count("card_number")
        elif is_text and is_ip_address(text):
            count("ip_address")
        elif is_phone(text, bare_digits=phone_name):
            count("phone")
        elif is_text and is_zip(text):
            count("zip")
        elif is_text and is_street_address(text):
            count("address")
        elif is_text and is_person_name(text):
            count("name")
    shares = {pii_type: found / len(present) for pii_type, found in counts.items()} if present else {}
    if dates and present and birth_dates:
        born = birth_date_share(dates, today) * len(dates) / len(present)
        if born:
            shares["birth_date"] = born
    return ValueShares(len(present), shares)
