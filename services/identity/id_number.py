"""The 12-digit personal ID number (so dinh danh ca nhan): what its digits say. No I/O.

Digits: 3 province code of birth registration, 1 sex and century (0/1 male/female born 1900s,
2/3 in the 2000s, and so on by century), 2 year of birth, 6 random (Decree 137/2015/ND-CP art. 7
and the Ministry of Public Security circulars implementing it).
"""
from __future__ import annotations

import re
from datetime import date

_ID_RE = re.compile(r"^\d{12}$")


def sex_century_digit(date_of_birth: date, sex: str) -> int:
    """The 4th digit an ID number must have for this date of birth and sex."""
    century = (date_of_birth.year - 1900) // 100
    return century * 2 + (1 if sex == "Nữ" else 0)


def inconsistencies(id_number: str, date_of_birth: date, sex: str) -> list[str]:
    """What does not agree between an ID number and the date of birth and sex it belongs to."""
    if not _ID_RE.match(id_number):
        return ["not 12 digits"]
    found = []
    if date_of_birth.year < 1900:
        found.append("born before 1900")
    elif int(id_number[3]) != sex_century_digit(date_of_birth, sex):
        found.append("sex/century digit")
    if id_number[4:6] != f"{date_of_birth.year % 100:02d}":
        found.append("year digits")
    return found
