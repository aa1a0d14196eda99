"""The text keys the stores index moments by (``onething.cases.listing.utc_key``): comparing
two keys compares the instants, whatever their offsets and years, and a key reads back as its
instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from onething.cases.listing import NO_DUE, moment_of, utc_key
from onething.stores._sqlite_tables import utc_moment, utc_text

OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
#: aware moments whose UTC instant is a datetime too (the offset may not push it out of range)
MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=OFFSETS)


@given(MOMENTS, MOMENTS)
def test_keys_order_as_instants(a: datetime, b: datetime) -> None:
    assert len(utc_key(a)) == len(utc_key(b)) == len(NO_DUE)
    assert (utc_key(a) < utc_key(b)) == (a < b)
    assert (utc_key(a) == utc_key(b)) == (a == b)
    assert utc_key(a) < utc_key(None) == NO_DUE


@given(MOMENTS)
def test_a_key_reads_back_as_its_instant(moment: datetime) -> None:
    back = moment_of(utc_key(moment))
    assert back == moment and back is not None and back.utcoffset() == timedelta(0)
    assert back.tzinfo is not None and back.astimezone(UTC) == moment


@given(MOMENTS)
def test_the_sqlite_store_keeps_times_as_the_listing_does(moment: datetime) -> None:
    assert utc_text(moment) == utc_key(moment)
    assert utc_moment(utc_text(moment)) == moment
    assert utc_moment(None) is None
