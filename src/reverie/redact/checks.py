"""Check digits and range checks that tell a detected value from a look-alike.

The validators of :mod:`reverie.redact.patterns`: Luhn for payment cards,
mod-97 and country lengths for IBANs, the never-issued ranges of US SSNs, digit
counts of phone numbers, and the addresses (loopback, netmasks, versions, C++
scopes, slices) that are not worth redacting as IP addresses.

>>> luhn_ok("4111 1111 1111 1111"), iban_ok("GB82 WEST 1234 5698 7654 32")
(True, True)
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["card_ok", "iban_ok", "ipv4_ok", "ipv6_ok", "luhn_ok", "phone_ok", "ssn_ok"]


def luhn_ok(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn check (payment cards)."""
    total = 0
    for i, c in enumerate(reversed([c for c in number if c.isdigit()])):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# Visa 4, Mastercard 51-55 / 2221-2720, Amex 34 37, Diners 30 36 38, JCB 35, Discover etc. 6
_CARD_IIN = re.compile(r"4|5[1-5]|2(?:2[2-9]|[3-6]|7[01]|720)|3[0-8]|6")


def card_ok(value: str) -> bool:
    """A card number: 13-19 digits with a network prefix, plain (15/16) or grouped, Luhn-valid."""
    digits = value.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19 or not _CARD_IIN.match(digits):
        return False
    if value == digits and len(digits) not in (15, 16):  # long ids, epoch times: too many
        return False
    if value != digits:  # grouped: one separator kind, groups of 4 (Amex 4-6-5)
        groups = [len(g) for g in re.split(r"[ -]", value)]
        if ("-" in value and " " in value) or (
            groups[:-1] != [4] * (len(groups) - 1) and groups != [4, 6, 5]
        ):
            return False
    return luhn_ok(digits)


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26,
    "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(value: str) -> bool:
    """True for an IBAN of its country's length whose mod-97 check gives 1."""
    iban = value.replace(" ", "").upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def ssn_ok(value: str) -> bool:
    """A US SSN outside the never-issued areas (000, 666, 9xx), group 00 and serial 0000."""
    area, group, serial = value.split("-")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def phone_ok(value: str) -> bool:
    """A phone number of 10 to 15 digits."""
    return 10 <= sum(c.isdigit() for c in value) <= 15


def ipv4_ok(value: str) -> bool:
    """An IPv4 address worth redacting (not loopback, 0.x, a netmask or a version)."""
    octets = value.split(".")
    if any(len(o) > 1 and o[0] == "0" for o in octets) or any(int(o) > 255 for o in octets):
        return False
    if all(len(o) == 1 for o in octets):  # 2.0.0.3 is a version far more often than a host
        return False
    return octets[0] not in ("0", "127") and octets[:2] != ["255", "255"]


def ipv6_ok(value: str) -> bool:
    """An IPv6 address worth redacting (not ::1 or ::, not a C++ scope or a slice)."""
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_unspecified:
        return False
    # "::"-compressed forms must look like addresses, not like C++/Rust paths (a::b)
    # and not like slices (arr[1::4]): one group of 3+ hex digits, one decimal digit
    groups = [g for g in value.split(":") if g]
    return len(groups) >= 8 or (
        len(groups) >= 2 and any(len(g) >= 3 for g in groups) and any(c.isdigit() for c in value)
    )
