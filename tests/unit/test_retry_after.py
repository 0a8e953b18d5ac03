"""A provider's Retry-After, as seconds or an HTTP date, bounded."""

from datetime import UTC, datetime

from services.notifications.channels.sms import MAX_RETRY_AFTER_SECONDS, retry_after_seconds


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("Mon, 30 Nov 2026 08:01:30 GMT", now) == 90
    assert retry_after_seconds("Mon, 30 Nov 2026 07:59:00 GMT", now) == 0  # already past


def test_a_missing_odd_or_huge_retry_after_is_bounded_or_ignored():
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("nan") is None
    assert retry_after_seconds("-5") == 0
    assert retry_after_seconds("99999999") == MAX_RETRY_AFTER_SECONDS
