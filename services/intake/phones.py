"""Phone numbers: validated and stored in E.164, read in the organisation's region."""

from __future__ import annotations

import phonenumbers

from shared.errors import Unprocessable


def normalise_phone(raw: str, region: str, field: str = "phone") -> str:
    """Return the number in E.164, reading it in the organisation's default region."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Unprocessable(
            "The phone number is not valid.", errors={field: ["Not a valid phone number."]}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
