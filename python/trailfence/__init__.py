"""trailfence: GPS trail requests, zone breaches and curfew compliance.

The public façade over the private native module ``trailfence._trailfence``.
Every rule lives in the Rust core; this package converts Python values.

Example::

    import trailfence as tf
    store = tf.TrailStore.from_csv("data/fixes.csv")
    rows = store.trail("S0003", "2024-10-26T19:00:00+01:00", "2024-10-27T07:00:00Z")
"""

from __future__ import annotations

import datetime as _dt
import math as _math
from typing import Any, NamedTuple

from . import _trailfence

__version__: str = _trailfence.__version__
TrailfenceError = _trailfence.TrailfenceError


class ValidationError(_trailfence.ValidationError, ValueError):
    """Bad input: a record, a time, an option. Also a ``ValueError``."""


def _convert_errors(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _trailfence.ValidationError as e:
            raise ValidationError(str(e)) from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _time_text(t: Any) -> str:
    """A timezone-aware datetime or ISO 8601 string with offset -> RFC 3339 text.

    A naive ``datetime`` is a ``ValueError``: its instant is unknown.
    """
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None or t.tzinfo.utcoffset(t) is None:
            raise ValidationError(f"naive datetime {t!r}: give a timezone-aware datetime (e.g. tzinfo=UTC)")
        return t.astimezone(_dt.timezone.utc).isoformat()
    if isinstance(t, str):
        return t
    raise ValidationError(f"unsupported time {t!r}: use a timezone-aware datetime or an ISO 8601 string with offset")


class Fix(NamedTuple):
    """One fix of a trail answer: UTC time, lon/lat degrees, accuracy in metres (or None)."""

    time: _dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None


class TrailStore:
    """An immutable, indexed store of GPS trails (one per subject)."""

    def __init__(self, native: Any) -> None:
        self._native = native

    @classmethod
    @_convert_errors
    def from_csv(
        cls,
        path: str,
        *,
        strict: bool = True,
        subject: str = "subject",
        time: str = "time",
        lon: str = "lon",
        lat: str = "lat",
        accuracy: str = "accuracy_m",
        tz: str | None = None,
        max_gap_s: float = 600.0,
    ) -> "TrailStore":
        """Read fixes from a CSV file with a header row.

        ``strict=False`` skips bad records; see :meth:`report`.
        """
        return cls(
            _trailfence.TrailStore.from_csv(
                str(path), strict=strict, subject=subject, time=time, lon=lon, lat=lat,
                accuracy=accuracy, tz=tz, max_gap_s=max_gap_s,
            )
        )

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return repr(self._native)

    def subjects(self) -> list[str]:
        """Subject ids in first-seen order."""
        return self._native.subjects()

    def report(self) -> dict[str, Any]:
        """What reading accepted and skipped, by reason, with the first examples."""
        records, accepted, skipped, by_reason, examples = self._native.report()
        return {"records": records, "accepted": accepted, "skipped": skipped,
                "skipped_by_reason": dict(by_reason), "examples": examples}

    @_convert_errors
    def trail(self, subject: str, start: Any, end: Any) -> list[Fix]:
        """Fixes of ``subject`` with ``start <= t < end``, in time order."""
        t, lon, lat, acc = self._native.trail_columns(subject, _time_text(start), _time_text(end))
        utc = _dt.timezone.utc
        epoch = _dt.datetime(1970, 1, 1, tzinfo=utc)
        return [
            Fix(epoch + _dt.timedelta(microseconds=ti), x, y, None if _math.isnan(a) else a)
            for ti, x, y, a in zip(t, lon, lat, acc)
        ]


__all__ = ["Fix", "TrailStore", "TrailfenceError", "ValidationError", "__version__"]
