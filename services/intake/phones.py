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
            "The phone number is not valid.", errors={field: [expected_format(region)]}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def expected_format(region: str) -> str:
    """What a valid number looks like: the region a number without "+" is read in, with
    an example, and the international form."""
    example = phonenumbers.example_number_for_type(
        region, phonenumbers.PhoneNumberType.MOBILE
    ) or phonenumbers.example_number(region)
    if example is None:
        return "Not a valid phone number: use the international form starting with +."
    local = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return (
        f"Not a valid phone number. A number without + is read as a number in {region} "
        f"(e.g. {local}); for another country use the international form (e.g. "
        f"{international})."
    )
