"""trailfence: GPS trail requests, zone breaches, curfews and crime-scene correlation.

The public façade over the private native module ``trailfence._trailfence``.
Every rule lives in the Rust core; this package only converts Python values
(pandas, numpy, pyarrow, polars, datetimes, strings) and builds DataFrames.

Times out are timezone-aware UTC pandas columns. Times in may be a
timezone-aware ``datetime`` or pandas ``Timestamp``, a ``numpy.datetime64``
scalar (taken as UTC), or an ISO 8601 string with an offset; a naive
``datetime`` is a ``ValueError``. A *column* of zone-less datetimes (pandas
``datetime64`` without a zone, numpy ``datetime64`` arrays) holds wall-clock
times: it is localised with ``tz=`` (times a DST change skips or repeats are
refused, naming the row) and refused without it.

Option defaults live in the Rust core: ``None`` means "the core default"
(``trailfence.DEFAULTS`` lists them).

Example::

    import trailfence as tf
    store = tf.TrailStore.from_csv("data/fixes.csv")
    zones = tf.Zones.from_geojson("data/zones.geojson")
    trail = store.trail("S0003", "2024-10-26T19:00:00+01:00", "2024-10-27T07:00:00Z")
    episodes = store.breaches(zones, min_duration_s=60)
"""

from __future__ import annotations

import datetime as _dt
import functools as _functools
import os as _os
from typing import Any

import numpy as _np

from . import _trailfence

__version__: str = _trailfence.__version__
TrailfenceError = _trailfence.TrailfenceError
_I64_MIN = _np.iinfo(_np.int64).min


class ValidationError(_trailfence.ValidationError, ValueError):
    """Bad input: a record, a time, an option, a zone. Also a ``ValueError``."""


class StorageError(_trailfence.StorageError, OSError):
    """A file or store could not be read or written. Also an ``OSError``."""


def _convert_errors(fn):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValidationError, StorageError):
            raise
        except _trailfence.ValidationError as e:
            raise ValidationError(str(e)) from None
        except _trailfence.StorageError as e:
            raise StorageError(str(e)) from None

    return wrapper


def _pd():
    import pandas

    return pandas


# ---------------------------------------------------------------- times in


def _to_us(t: Any) -> int | None:
    """One instant → UTC microseconds (``None`` stays ``None``)."""
    if t is None:
        return None
    if isinstance(t, str):
        return _trailfence.parse_time_us(t)
    if isinstance(t, _np.datetime64):
        return int(t.astype("datetime64[us]").astype(_np.int64))
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None or t.tzinfo.utcoffset(t) is None:
            raise ValidationError(
                f"naive datetime {t!r}: its instant is unknown; give a timezone-aware datetime "
                "(e.g. tzinfo=datetime.timezone.utc) or an ISO 8601 string with an offset"
            )
        delta = t.astimezone(_dt.timezone.utc) - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        nanos = getattr(t, "nanosecond", 0)
        return us + nanos // 1000
    raise ValidationError(
        f"unsupported time {t!r}: use a timezone-aware datetime, pandas Timestamp, numpy.datetime64 or an ISO 8601 string"
    )


class _Times:
    """A converted time column: exactly one of UTC µs, zone-less wall-clock µs, or strings."""

    __slots__ = ("utc_us", "local_us", "texts")

    def __init__(self, utc_us: Any = None, local_us: Any = None, texts: list[str] | None = None) -> None:
        self.utc_us, self.local_us, self.texts = utc_us, local_us, texts

    def to_utc_us(self, tz: str | None) -> Any:
        """UTC µs for every row: wall-clock times resolved in ``tz`` by the core (refused without
        one), strings parsed by the core (local ones in ``tz``)."""
        if self.utc_us is not None:
            return _np.ascontiguousarray(self.utc_us, dtype=_np.int64)
        if self.local_us is not None:
            if tz is None:
                raise ValidationError(_NAIVE_COLUMN)
            return _trailfence.wall_clock_to_us(_np.ascontiguousarray(self.local_us, dtype=_np.int64), tz)
        assert self.texts is not None
        return _np.array([_trailfence.parse_time_us(t, tz) for t in self.texts], dtype=_np.int64)


_NAIVE_COLUMN = (
    "invalid option `tz` (got none): the time column has no time zone (naive datetimes are wall-clock "
    "times with no known instant): pass tz=\"Europe/London\" (their IANA zone) or give timezone-aware times"
)


def _time_column(values: Any) -> _Times:
    """A column of times → UTC µs (zone-aware), wall-clock µs (zone-less) or strings for the core parser."""
    pd = _pd()
    if isinstance(values, (pd.Series, pd.Index)):
        values = pd.Series(values)
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            naive = values.dt.tz_convert("UTC").dt.tz_localize(None)
            return _Times(utc_us=naive.astype("datetime64[us]").to_numpy().astype(_np.int64))
        if pd.api.types.is_datetime64_dtype(values.dtype):
            return _Times(local_us=values.astype("datetime64[us]").to_numpy().astype(_np.int64))
        if pd.api.types.is_string_dtype(values.dtype) and not values.isna().any():
            return _Times(texts=values.astype(str).tolist())
        values = values.to_numpy(dtype=object)
    arr = _np.asarray(values)
    if _np.issubdtype(arr.dtype, _np.datetime64):
        return _Times(local_us=arr.astype("datetime64[us]").astype(_np.int64))
    if arr.dtype.kind in "US":
        return _Times(texts=[str(v) for v in arr])
    if arr.dtype == object:
        if all(isinstance(v, str) for v in arr):
            return _Times(texts=list(arr))
        return _Times(utc_us=_np.array([_to_us(v) for v in arr], dtype=_np.int64))
    raise ValidationError(
        f"time column of dtype {arr.dtype}: give datetimes (timezone-aware, or zone-less with tz=) "
        "or strings (RFC 3339 with offset)"
    )


# --------------------------------------------------------------- frames out


def _times(col: Any) -> Any:
    """int64 UTC microseconds (int64 min = missing) → a tz-aware UTC datetime array."""
    pd = _pd()
    a = _np.asarray(col, dtype=_np.int64)
    missing = a == _I64_MIN
    if missing.any():
        a = a.copy()
        a[missing] = 0
    values = a.view("datetime64[us]")
    if missing.any():
        values = values.copy()
        values[missing] = _np.datetime64("NaT")
    return pd.DatetimeIndex(values, copy=False).tz_localize("UTC")


def _frame(cols: dict, time_columns: tuple[str, ...] = (), first: tuple[str, Any] | None = None) -> Any:
    pd = _pd()
    data = {}
    if first is not None:
        n = len(next(iter(cols.values()))) if cols else 0
        # An object Series skips pandas' string inference (the costly part);
        # empty + fill is ~10x faster than np.full for object arrays.
        values = _np.empty(n, dtype=object)
        values.fill(first[1])
        data[first[0]] = pd.Series(values, dtype=object, copy=False)
    for k, v in cols.items():
        data[k] = _times(v) if k in time_columns else v
    return pd.DataFrame(data, copy=False)


def _to_pandas(frame: Any) -> Any:
    """pandas, polars, pyarrow or anything with ``__arrow_c_stream__`` → pandas."""
    pd = _pd()
    if isinstance(frame, pd.DataFrame):
        return frame
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    if hasattr(frame, "__arrow_c_stream__"):
        import pyarrow

        return pyarrow.table(frame).to_pandas()
    raise ValidationError(f"unsupported frame {type(frame).__name__}: give pandas, polars, pyarrow or an Arrow stream")


# ----------------------------------------------------------------- classes


class Zones:
    """Exclusion and inclusion zones, prepared once for query-many use."""

    def __init__(self, native: Any, text: str | None = None, source: str = "<text>") -> None:
        self._native = native
        self._text = text
        self._source = source

    def __reduce__(self) -> Any:
        # Pickled as their GeoJSON text (re-validated and re-prepared on
        # load), so zones travel to Dask workers and subprocesses.
        if self._text is None:
            raise TypeError("these Zones were not made from GeoJSON text and cannot be pickled")
        return (_zones_from_text, (self._text, self._source))

    @classmethod
    @_convert_errors
    def from_geojson(cls, path_or_text: str | _os.PathLike) -> "Zones":
        """Zones from a GeoJSON FeatureCollection file path or text.

        >>> zones = Zones.from_geojson("data/zones.geojson")  # doctest: +SKIP
        """
        text = str(path_or_text)
        if text.lstrip().startswith("{"):
            return cls(_trailfence.Zones.from_geojson_text(text, "<text>"), text, "<text>")
        with open(text, "rb") as f:
            data = f.read()
        native = _trailfence.Zones.from_geojson_bytes(data, text)
        return cls(native, data.decode("utf-8"), text)

    def __len__(self) -> int:
        return len(self._native)

    def ids(self) -> list[str]:
        """Zone ids in file order."""
        return self._native.ids()

    @_convert_errors
    def covers(self, zone_id: str, lon: Any, lat: Any) -> Any:
        """Whether zone ``zone_id`` covers each (lon, lat) point (boundary inside): a bool array."""
        return self._native.covers(zone_id, _np.asarray(lon, dtype=_np.float64), _np.asarray(lat, dtype=_np.float64))

    def __repr__(self) -> str:
        kinds = self._native.kinds()
        n_ex = sum(1 for _, k in kinds if k == "exclusion")
        return f"Zones({len(kinds)} zones: {n_ex} exclusion, {len(kinds) - n_ex} inclusion)"


@_convert_errors
def _zones_from_text(text: str, source: str) -> Zones:
    return Zones(_trailfence.Zones.from_geojson_text(text, source), text, source)


class TrailStore:
    """An immutable, indexed store of GPS trails (one per subject)."""

    def __init__(self, native: Any) -> None:
        self._native = native

    # -- construction

    @classmethod
    @_convert_errors
    def from_csv(
        cls,
        path: str | _os.PathLike,
        *,
        strict: bool = True,
        subject: str = "subject",
        time: str = "time",
        lon: str = "lon",
        lat: str = "lat",
        accuracy: str = "accuracy_m",
        tz: str | None = None,
        max_gap_s: float | None = None,
    ) -> "TrailStore":
        """Read fixes from a CSV file with a header row (column names configurable).

        ``strict=False`` skips bad records and itemises them in :meth:`report`.
        """
        return cls(
            _trailfence.TrailStore.from_csv(
                str(path), strict=strict, subject=subject, time=time, lon=lon, lat=lat,
                accuracy=accuracy, tz=tz, max_gap_s=max_gap_s,
            )
        )

    @classmethod
    @_convert_errors
    def from_file(
        cls,
        path: str | _os.PathLike,
        *,
        strict: bool = True,
        tz: str | None = None,
        subject: str | None = None,
        max_gap_s: float | None = None,
    ) -> "TrailStore":
        """Read fixes from a .csv, .geojson/.json, .gpx or .parquet file (reader chosen by extension).

        ``subject`` names the subject of files without one (GPX); ``tz`` is the IANA zone of
        times written without an offset (and of zone-less Parquet timestamps).
        """
        return cls(
            _trailfence.TrailStore.from_file(str(path), strict=strict, tz=tz, subject=subject, max_gap_s=max_gap_s)
        )

    @classmethod
    @_convert_errors
    def from_arrays(
        cls,
        subject: Any,
        time: Any,
        lon: Any,
        lat: Any,
        accuracy_m: Any = None,
        *,
        strict: bool = True,
        tz: str | None = None,
        max_gap_s: float | None = None,
    ) -> "TrailStore":
        """Fixes from arrays: subject ids, times, lon/lat degrees, optional accuracy in metres.

        Zone-less times (pandas/numpy ``datetime64`` without a zone, strings without an offset)
        are wall-clock times in ``tz``; without ``tz`` they are refused."""
        times = _time_column(time)
        acc = None if accuracy_m is None else _np.asarray(accuracy_m, dtype=_np.float64)
        subjects = _subject_list(subject)
        return cls(
            _trailfence.TrailStore.from_columns(
                subjects,
                _np.ascontiguousarray(lon, dtype=_np.float64),
                _np.ascontiguousarray(lat, dtype=_np.float64),
                t_us=None if times.utc_us is None else _np.ascontiguousarray(times.utc_us, dtype=_np.int64),
                t_local_us=None if times.local_us is None else _np.ascontiguousarray(times.local_us, dtype=_np.int64),
                times=times.texts,
                accuracy_m=None if acc is None else _np.ascontiguousarray(acc),
                strict=strict,
                tz=tz,
                max_gap_s=max_gap_s,
            )
        )

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        strict: bool = True,
        subject: str = "subject",
        time: str = "time",
        lon: str = "lon",
        lat: str = "lat",
        accuracy: str = "accuracy_m",
        tz: str | None = None,
        max_gap_s: float | None = None,
    ) -> "TrailStore":
        """Fixes from a pandas, polars or pyarrow frame (or any ``__arrow_c_stream__``)."""
        df = _to_pandas(frame)
        for name in (subject, time, lon, lat):
            if name not in df.columns:
                raise ValidationError(f"frame has no column {name!r} (columns: {', '.join(map(str, df.columns))})")
        acc = df[accuracy] if accuracy in df.columns else None
        return cls.from_arrays(
            df[subject], df[time], df[lon], df[lat], acc, strict=strict, tz=tz, max_gap_s=max_gap_s
        )

    # -- information

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return repr(self._native)

    def subjects(self) -> list[str]:
        """Subject ids in first-seen order."""
        return self._native.subjects()

    def read_report(self) -> dict[str, Any]:
        """What reading accepted and skipped, by reason, with the first examples."""
        records, accepted, skipped, by_reason, examples = self._native.report()
        return {"records": records, "accepted": accepted, "skipped": skipped,
                "skipped_by_reason": dict(by_reason), "examples": examples}

    @_convert_errors
    def report(self, subject: str | None = None, start: Any = None, end: Any = None, *,
               zones: Zones | None = None, tz: str = "Europe/London", max_map_points: int | None = None,
               grace_s: float | None = None, min_duration_s: float | None = None,
               assumed_accuracy_m: float | None = None, evidence: dict[str, float] | None = None,
               tile_url: str | None = None, tile_attribution: str | None = None) -> Any:
        """The trail report of ``subject`` between ``start`` and ``end`` (a :class:`TrailReport`:
        one self-contained HTML page with the map, timelines and tables; shown inline in
        notebooks, ``.save(path)`` writes it). Times are shown in ``tz``. ``tile_url`` (a
        ``{z}/{x}/{y}`` template) adds a base map, fetched when the page is opened.

        Called without a subject, returns :meth:`read_report` (what reading accepted and skipped),
        as in earlier releases."""
        if subject is None:
            return self.read_report()
        html, summary = self._native.trail_report(
            subject, _to_us(start), _to_us(end), zones=None if zones is None else zones._native,
            options=_report_options(tz, max_map_points, grace_s, min_duration_s, assumed_accuracy_m, evidence,
                                    tile_url, tile_attribution),
        )
        return TrailReport(html, summary)

    def ingest_summary(self) -> dict[str, int]:
        """Fixes received and stored, exact duplicates dropped, conflicting fixes set aside, out-of-order fixes."""
        keys = ("received", "stored", "duplicates_dropped", "conflicting_fixes", "out_of_order")
        return dict(zip(keys, self._native.ingest_summary()))

    # -- questions

    @_convert_errors
    def trail(self, subject: str, start: Any = None, end: Any = None) -> Any:
        """Fixes of ``subject`` with ``start <= t < end``: DataFrame subject, time, lon, lat, accuracy_m."""
        cols = self._native.trail(subject, _to_us(start), _to_us(end))
        return _frame(cols, ("time",), first=("subject", subject))

    @_convert_errors
    def breaches(
        self,
        zones: Zones,
        start: Any = None,
        end: Any = None,
        *,
        max_gap_s: float | None = None,
        min_fixes: int | None = None,
        min_duration_s: float | None = None,
        merge_gap_s: float | None = None,
        assumed_accuracy_m: float | None = None,
        evidence: dict[str, float] | None = None,
    ) -> Any:
        """Breach episodes: DataFrame subject, zone, kind, start, end, duration_s, fixes, confidence,
        probability (that the subject really was on the violating side), supporting_fixes,
        outlier_fixes, max_margin_sigma (the strongest fix's margin beyond the boundary in units of
        its error), combined_margin_sigma (all the evidence's margin, σ), mean_error_m (its
        typical error σ, metres), separation_before_sigma / separation_after_sigma (how far the
        first / last supporting fix is from the fix before / after it, in σ: near 0 when the fixes
        scatter about one place across the boundary, large when the subject moved there; NaN
        when unknown), zone_version. ``evidence`` overrides fields of the evidence model (accuracy_level,
        confirm_probability, drift_tau_s, outlier_speed_mps, path_fraction)."""
        cols = self._native.breaches(
            zones._native, _to_us(start), _to_us(end), max_gap_s=max_gap_s, min_fixes=min_fixes,
            min_duration_s=min_duration_s, merge_gap_s=merge_gap_s, assumed_accuracy_m=assumed_accuracy_m,
            evidence=evidence,
        )
        return _frame(cols, ("start", "end"))

    @_convert_errors
    def breach_evidence(
        self,
        zones: Zones,
        start: Any = None,
        end: Any = None,
        *,
        max_gap_s: float | None = None,
        min_fixes: int | None = None,
        min_duration_s: float | None = None,
        merge_gap_s: float | None = None,
        assumed_accuracy_m: float | None = None,
        evidence: dict[str, float] | None = None,
    ) -> Any:
        """Why each verdict of :meth:`breaches` (same arguments) is what it is: a row per fix in
        violation, keyed by subject, zone, kind, episode_start, with time, lon, lat, accuracy_m,
        error_m (the σ the model uses; NaN without an accuracy), margin_m (beyond the boundary),
        margin_sigma (in units of error_m), outlier and supporting (booleans)."""
        cols = self._native.breach_evidence(
            zones._native, _to_us(start), _to_us(end), max_gap_s=max_gap_s, min_fixes=min_fixes,
            min_duration_s=min_duration_s, merge_gap_s=merge_gap_s, assumed_accuracy_m=assumed_accuracy_m,
            evidence=evidence,
        )
        for c in ("outlier", "supporting"):
            cols[c] = _np.asarray(cols[c]).astype(bool)
        return _frame(cols, ("episode_start", "time"))

    @_convert_errors
    def curfew(self, zones: Zones, start: Any = None, end: Any = None, *, grace_s: float | None = None,
               assumed_accuracy_m: float | None = None, evidence: dict[str, float] | None = None) -> Any:
        """Curfew compliance per subject, zone and night: window_start, window_end, scheduled_s,
        inside_s, outside_s (= confirmed_outside_s + possible_outside_s), unknown_s, violations
        (confirmed only), possible_violations, first_exit (first confirmed violation),
        authorised_s and suspended_s (time under an authorised absence or a suspension:
        scheduled_s = inside_s + outside_s + unknown_s + authorised_s + suspended_s), and
        zone_version (the version of the zone the row was judged under; None for a zone with one
        version)."""
        cols = self._native.curfew(zones._native, _to_us(start), _to_us(end), grace_s=grace_s,
                                   assumed_accuracy_m=assumed_accuracy_m, evidence=evidence)
        return _frame(cols, ("window_start", "window_end", "first_exit"))

    @_convert_errors
    def near(self, lon: float, lat: float, radius_m: float, start: Any = None, end: Any = None) -> Any:
        """Who came within ``radius_m`` metres of (lon, lat): subject, min_distance_m, closest_time,
        first_time, last_time, seconds_within, fixes_within, verdict (hit / possible)."""
        cols = self._native.near(float(lon), float(lat), float(radius_m), _to_us(start), _to_us(end))
        return _frame(cols, ("closest_time", "first_time", "last_time"))

    @_convert_errors
    def near_many(self, incidents: Any, *, rule_outs: bool = False, tz: str | None = None) -> Any:
        """Near queries for a table of incidents (id, lon, lat, radius_m, start, end), with an
        ``incident`` column; ``rule_outs=True`` adds ruled_out / no_data rows for everyone else.
        Zone-less start/end columns are wall-clock times in ``tz`` (refused without)."""
        df = _to_pandas(incidents)
        for name in ("id", "lon", "lat", "radius_m", "start", "end"):
            if name not in df.columns:
                raise ValidationError(f"incidents have no column {name!r}")
        start = _as_us_column(df["start"], tz)
        end = _as_us_column(df["end"], tz)
        cols = self._native.near_many(
            [str(v) for v in df["id"]],
            _np.ascontiguousarray(df["lon"], dtype=_np.float64),
            _np.ascontiguousarray(df["lat"], dtype=_np.float64),
            _np.ascontiguousarray(df["radius_m"], dtype=_np.float64),
            start, end, rule_outs=rule_outs,
        )
        return _frame(cols, ("closest_time", "first_time", "last_time"))

    @_convert_errors
    def proximity(self, subject_a: str, subject_b: str, distance_m: float, start: Any = None, end: Any = None) -> Any:
        """When two subjects were within ``distance_m`` metres: start, end, duration_s, min_distance_m, closest_time."""
        cols = self._native.proximity(subject_a, subject_b, float(distance_m), _to_us(start), _to_us(end))
        return _frame(cols, ("start", "end", "closest_time"))

    @_convert_errors
    def stops(self, subject: str, start: Any = None, end: Any = None, *, radius_m: float | None = None,
              min_duration_s: float | None = None) -> Any:
        """Stays: start, end, lon, lat (centre), duration_s, fixes."""
        cols = self._native.stops(subject, _to_us(start), _to_us(end), radius_m=radius_m, min_duration_s=min_duration_s)
        return _frame(cols, ("start", "end"))

    @_convert_errors
    def heatmap(self, resolution: int, start: Any = None, end: Any = None, *, min_subjects: int | None = None) -> Any:
        """H3 dwell heatmap: cell, seconds, subjects. Cells with fewer than ``min_subjects`` subjects
        (default: the core's, ``DEFAULTS["min_subjects"]`` = 5, as on the CLI and in Dask) are suppressed; ``df.attrs`` holds ``suppressed_cells`` and ``suppressed_seconds``."""
        cols, n, secs = self._native.heatmap(int(resolution), _to_us(start), _to_us(end), min_subjects=min_subjects)
        return _heatmap_frame(cols, n, secs)

    @_convert_errors
    def zone_hits(self, zones: Zones, start: Any = None, end: Any = None) -> Any:
        """Fix-in-zone flags: one row per (fix, zone) where the zone covers the fix (boundary
        inside) and applies to its subject; schedules are not applied. Columns subject, time, zone
        (subject and zone as categoricals), sorted by subject, time and zone."""
        pd = _pd()
        cols = self._native.zone_hits(zones._native, _to_us(start), _to_us(end))
        return pd.DataFrame({
            "subject": pd.Categorical.from_codes(cols["subject"], categories=self.subjects()),
            "time": _times(cols["time"]),
            "zone": pd.Categorical.from_codes(cols["zone"], categories=zones.ids()),
        })

    @_convert_errors
    def dwell_counts(self, resolution: int, start: Any = None, end: Any = None) -> Any:
        """Unsuppressed dwell per H3 cell, the exact and mergeable form of :meth:`heatmap`:
        cell (H3 index, int64), dwell_half_us (dwell in half-microseconds, int64), subjects.

        Counts of disjoint sets of subjects add up exactly; :func:`heatmap_from_counts` then
        suppresses on the merged counts."""
        return _frame(self._native.dwell_counts(int(resolution), _to_us(start), _to_us(end)))


def _heatmap_frame(cols: dict, n: int, secs: float) -> Any:
    df = _frame(cols)
    df.attrs["suppressed_cells"] = n
    df.attrs["suppressed_seconds"] = secs
    return df


@_convert_errors
def heatmap_from_counts(counts: Any, *, min_subjects: int | None = None) -> Any:
    """The published heatmap (cell, seconds, subjects; ``attrs`` suppressed_cells and
    suppressed_seconds) from dwell counts of disjoint subject sets, e.g. the concatenated
    :meth:`TrailStore.dwell_counts` of several store buckets: rows of a cell are summed
    exactly, then cells with fewer than ``min_subjects`` subjects are suppressed."""
    df = _to_pandas(counts)
    for name in ("cell", "dwell_half_us", "subjects"):
        if name not in df.columns:
            raise ValidationError(f"dwell counts have no column {name!r}")
    cols, n, secs = _trailfence.heatmap_from_counts(
        _np.ascontiguousarray(df["cell"], dtype=_np.int64),
        _np.ascontiguousarray(df["dwell_half_us"], dtype=_np.int64),
        _np.ascontiguousarray(df["subjects"], dtype=_np.int64),
        min_subjects=min_subjects,
    )
    return _heatmap_frame(cols, n, secs)


def _report_options(tz: str, max_map_points: int | None, grace_s: float | None, min_duration_s: float | None,
                    assumed_accuracy_m: float | None, evidence: dict[str, float] | None,
                    tile_url: str | None = None, tile_attribution: str | None = None) -> dict[str, Any]:
    o: dict[str, Any] = {"tz": str(tz)}
    for k, v in (("max_map_points", max_map_points), ("grace_s", grace_s), ("min_duration_s", min_duration_s),
                 ("assumed_accuracy_m", assumed_accuracy_m), ("evidence", evidence), ("tile_url", tile_url),
                 ("tile_attribution", tile_attribution)):
        if v is not None:
            o[k] = v
    return o


class TrailReport:
    """A trail report: ``html`` (one self-contained page: map, timelines, tables; prints on A4)
    and ``summary`` (fixes, map_points, episodes, confirmed_episodes, curfew_nights,
    curfew_violations, stops, gaps). Notebooks show it inline (in an isolated frame)."""

    def __init__(self, html: str, summary: dict[str, int]) -> None:
        self.html = html
        self.summary = dict(summary)

    @_convert_errors
    def save(self, path: str | _os.PathLike) -> None:
        """Write the HTML to ``path`` (UTF-8; atomically, readable by its owner only: personal data)."""
        _trailfence.write_private(_os.fspath(path), self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        import html as _html

        return ('<iframe title="trailfence trail report" style="width:100%;height:900px;border:1px solid #ccc" '
                f'sandbox srcdoc="{_html.escape(self.html, quote=True)}"></iframe>')

    def __repr__(self) -> str:
        s = self.summary
        return (f"TrailReport({s['fixes']} fixes, {s['episodes']} episodes ({s['confirmed_episodes']} confirmed), "
                f"{s['curfew_nights']} curfew nights, {s['stops']} stops)")


class AccessContext:
    """Who reads a store's data and why: recorded in the store's audit log with every read,
    report, evidence pack and purge (``access=`` takes one of these, or a dict with the same
    keys, or a ``(requested_by, purpose[, case_reference])`` tuple)."""

    def __init__(self, requested_by: str, purpose: str, case_reference: str | None = None) -> None:
        self.requested_by = str(requested_by)
        self.purpose = str(purpose)
        self.case_reference = None if case_reference is None else str(case_reference)

    def __repr__(self) -> str:
        return f"AccessContext({self.requested_by!r}, {self.purpose!r}, {self.case_reference!r})"

    def __reduce__(self) -> Any:
        return (AccessContext, (self.requested_by, self.purpose, self.case_reference))


def _access(access: Any) -> tuple[str, str, str | None] | None:
    if access is None:
        return None
    if isinstance(access, AccessContext):
        return (access.requested_by, access.purpose, access.case_reference)
    if isinstance(access, dict):
        unknown = set(access) - {"requested_by", "purpose", "case_reference"}
        if unknown:
            raise ValidationError(f"access: unknown keys {sorted(unknown)} (requested_by, purpose, case_reference)")
        return (str(access.get("requested_by", "")), str(access.get("purpose", "")),
                None if access.get("case_reference") is None else str(access["case_reference"]))
    if isinstance(access, (tuple, list)) and len(access) in (2, 3):
        return (str(access[0]), str(access[1]), None if len(access) == 2 or access[2] is None else str(access[2]))
    raise ValidationError("access: give an AccessContext, a dict or a (requested_by, purpose[, case_reference]) tuple")


@_convert_errors
def verify_evidence_pack(path: str | _os.PathLike) -> dict[str, Any]:
    """Check an evidence pack (folder or .zip): every file listed in its manifest with its size and
    SHA-256, nothing missing or added. Returns the manifest's SHA-256 and fields; raises
    ``ValidationError`` naming the file that changed."""
    return dict(_trailfence.verify_evidence_pack(_os.fspath(path)))


class ParquetStore:
    """The persistent store: a directory of GeoParquet files partitioned by UTC day and
    subject-hash bucket, made by ``trailfence import`` or :meth:`import_trails`.

    Opening reads only the manifest; :meth:`load` reads only the partitions (and row groups)
    a window and a set of subjects or buckets need, checking every file's checksum.
    """

    def __init__(self, native: Any) -> None:
        self._native = native

    @classmethod
    @_convert_errors
    def open(cls, path: str | _os.PathLike, *, create: bool = False) -> "ParquetStore":
        """Open the store in ``path``; with ``create=True`` make an empty one if there is none."""
        return cls(_trailfence.ParquetStore.open(str(path), create=create))

    @property
    def dir(self) -> str:
        """The store directory."""
        return str(self._native.dir())

    @property
    def buckets(self) -> int:
        """Subject-hash buckets per day: every subject's fixes live in exactly one bucket."""
        return self._native.buckets()

    def bucket_of(self, subject: str) -> int:
        """The bucket ``subject``'s fixes are stored in."""
        return self._native.bucket_of(subject)

    def files(self) -> Any:
        """Committed files: path, day (UTC date), bucket, rows, bytes, checksum."""
        df = _frame(self._native.files())
        df["day"] = _pd().to_datetime(df["day"], unit="D").dt.date
        return df

    @_convert_errors
    def load(
        self,
        start: Any = None,
        end: Any = None,
        *,
        subjects: list[str] | None = None,
        buckets: list[int] | None = None,
        max_gap_s: float | None = None,
        access: Any = None,
        operation: str = "load",
    ) -> TrailStore:
        """An in-memory :class:`TrailStore` of the fixes of ``subjects`` (or of every subject in
        ``buckets``; everyone when neither) in the partitions the window touches, plus a day on
        each side so interpolation reaches the window's ends.

        A consultation of personal data: a store whose policy requires an access context refuses
        the read without ``access`` (an :class:`AccessContext`); with one, the read is recorded in
        the store's audit log as ``operation`` with the subjects loaded and the window."""
        return TrailStore(
            self._native.load(
                _to_us(start), _to_us(end),
                subjects=None if subjects is None else [str(s) for s in subjects],
                buckets=None if buckets is None else [int(b) for b in buckets],
                max_gap_s=max_gap_s, access=_access(access), operation=str(operation),
            )
        )

    @_convert_errors
    def report(self, subject: str, start: Any, end: Any, *, zones: Zones | None = None, access: Any = None,
               path: str | _os.PathLike | None = None, tz: str = "Europe/London", max_map_points: int | None = None,
               grace_s: float | None = None, min_duration_s: float | None = None,
               assumed_accuracy_m: float | None = None, evidence: dict[str, float] | None = None,
               tile_url: str | None = None, tile_attribution: str | None = None) -> TrailReport:
        """The trail report of ``subject`` (see :meth:`TrailStore.report`), read from the store: a
        disclosure, recorded with ``access`` in the audit log with the SHA-256 of the HTML (written
        to ``path`` when given)."""
        html, summary = self._native.report(
            subject, _to_us(start), _to_us(end), zones=None if zones is None else zones._native,
            options=_report_options(tz, max_map_points, grace_s, min_duration_s, assumed_accuracy_m, evidence,
                                    tile_url, tile_attribution),
            access=_access(access), path=None if path is None else _os.fspath(path),
        )
        return TrailReport(html, summary)

    @_convert_errors
    def evidence_pack(self, subject: str, start: Any, end: Any, output: str | _os.PathLike, *,
                      zones: Zones | None = None, access: Any = None, tz: str = "Europe/London",
                      max_map_points: int | None = None, grace_s: float | None = None,
                      min_duration_s: float | None = None, assumed_accuracy_m: float | None = None,
                      evidence: dict[str, float] | None = None) -> dict[str, Any]:
        """Write the evidence pack of ``subject`` to ``output`` (a new folder, or a ``.zip`` file):
        the report, the trail in GeoJSON, CSV, KML and GPX, the zones as given, the verdict tables
        and a manifest with every file's SHA-256. A disclosure, recorded with ``access``. Returns
        ``manifest_sha256`` and ``files``."""
        text = None if zones is None or zones._text is None else zones._text.encode("utf-8")
        digest, n = self._native.evidence_pack(
            subject, _to_us(start), _to_us(end), _os.fspath(output),
            zones=None if zones is None else zones._native, zones_text=text,
            options=_report_options(tz, max_map_points, grace_s, min_duration_s, assumed_accuracy_m, evidence),
            access=_access(access),
        )
        return {"manifest_sha256": digest, "files": n}

    @_convert_errors
    def purge(self, *, access: Any, before: Any = None, subject: str | None = None) -> dict[str, int]:
        """Remove every fix before ``before`` (retention) and/or of ``subject`` (erasure) from every
        partition and the quarantine, crash-safely; recorded in the audit log (``access`` required)
        before anything is removed."""
        a = _access(access)
        if a is None:
            raise ValidationError("purge is always recorded in the store's audit log: give access=")
        return dict(self._native.purge(a, before=_to_us(before), subject=subject))

    @_convert_errors
    def import_trails(self, trails: TrailStore) -> dict[str, int]:
        """Merge the fixes of ``trails`` into the store (crash-safe, idempotent): offered, added,
        already_stored, conflicts (same subject and instant, other position: not stored),
        partitions_written."""
        keys = ("offered", "added", "already_stored", "conflicts", "partitions_written")
        return dict(zip(keys, self._native.import_trails(trails._native)))

    @_convert_errors
    def compact(self) -> dict[str, int]:
        """Merge every partition held in several files into one: partitions_compacted,
        files_before, files_after."""
        keys = ("partitions_compacted", "files_before", "files_after")
        return dict(zip(keys, self._native.compact()))

    @_convert_errors
    def verify(self, *, repair: bool = False) -> Any:
        """Check every stored file against the manifest (exists, size, checksum, readable, fix
        count), and look for unlisted files and leftovers of interrupted writers. Returns a
        DataFrame of problems (path, kind, detail, day, bucket, fixes; empty when the store is
        clean) with ``attrs`` files_checked, fixes_verified, repaired, quarantined_files.

        ``repair=True`` (under the writer lock) moves broken and unlisted files to
        ``quarantine/`` (never deletes them), removes leftovers and rewrites the manifest without
        the broken files: the ``fixes`` of each broken file's (day, bucket) are then no longer in
        the store and must be re-imported."""
        pd = _pd()
        files, fixes, repaired, quarantined, cols = self._native.verify(repair=repair)
        df = pd.DataFrame(cols)
        df.attrs.update(files_checked=files, fixes_verified=fixes, repaired=repaired, quarantined_files=quarantined)
        return df

    def __repr__(self) -> str:
        return f"ParquetStore({self.dir!r}, {len(self._native.files()['path'])} files, {self.buckets} buckets)"


class Monitor:
    """The streaming monitor: push fixes as they arrive, get breach, curfew and
    signal events; late fixes amend earlier events; ``checkpoint()`` /
    ``Monitor.restore()`` resume after a restart (event ``id`` values are
    deterministic, so a consumer can drop re-emitted events)."""

    @_convert_errors
    def __init__(self, zones: Zones, *, max_gap_s: float | None = None, allowed_lateness_s: float | None = None,
                 history_s: float | None = None, signal_loss_s: float | None = None,
                 assumed_accuracy_m: float | None = None, evidence: dict[str, float] | None = None,
                 _native: Any = None) -> None:
        self._native = _native if _native is not None else _trailfence.Monitor(
            zones._native, max_gap_s=max_gap_s, allowed_lateness_s=allowed_lateness_s,
            history_s=history_s, signal_loss_s=signal_loss_s, assumed_accuracy_m=assumed_accuracy_m,
            evidence=evidence)
        #: Amendments from ``restore(..., migrate=True)`` (empty otherwise).
        self.migration_events: Any = None

    @_convert_errors
    def push(self, subject: str, time: Any, lon: float, lat: float, accuracy_m: float | None = None,
             *, processing_time: Any = None) -> Any:
        """Push one fix; returns the events it causes as a DataFrame (the schema of every
        Monitor method: see ``push_many``)."""
        pt = _to_us(processing_time) if processing_time is not None else _now_us()
        return _events_frame(self._native.push_columns(
            _np.zeros(1, dtype=_np.int64), [subject], _np.array([_to_us(time)], dtype=_np.int64),
            _np.array([lon], dtype=_np.float64),
            _np.array([lat], dtype=_np.float64),
            _np.array([_np.nan if accuracy_m is None else accuracy_m], dtype=_np.float64), pt))

    @_convert_errors
    def push_many(self, frame: Any, *, processing_time: Any = None, tz: str | None = None) -> Any:
        """Push a frame of fixes in row (arrival) order, subjects evaluated in parallel; returns the
        events as a DataFrame (exactly those of pushing the rows one by one, grouped by subject in
        order of first appearance). A bad row raises ``ValidationError`` naming it (from 1) and
        changes nothing. A zone-less time column is wall-clock time in ``tz`` (refused without).

        Every Monitor method returns this schema: ``id``, ``kind``, ``subject``, ``zone``,
        ``zone_version`` (for zones with several versions), ``episode_kind``, ``start``, ``end``, ``old_start``, ``old_end`` (UTC-aware times, NaT when
        absent), ``fixes`` (nullable integer), ``confidence``, ``probability``, ``supporting_fixes``,
        ``outlier_fixes``, ``max_margin_sigma``, ``combined_margin_sigma``, ``mean_error_m``,
        ``separation_before_sigma``, ``separation_after_sigma`` (the verdict's evidence, on ended
        and amended events; NaN / NA otherwise), ``event_time``, ``processing_time``; absent texts are None."""
        df = _to_pandas(frame)
        t_us = _time_column(df["time"]).to_utc_us(tz)
        acc = df["accuracy_m"] if "accuracy_m" in df.columns else _np.full(len(df), _np.nan)
        pt = _to_us(processing_time) if processing_time is not None else _now_us()
        codes, names = _pd().factorize(df["subject"], use_na_sentinel=False)
        return _events_frame(self._native.push_columns(
            _np.ascontiguousarray(codes, dtype=_np.int64), names.astype(str).tolist(),
            _np.ascontiguousarray(t_us, dtype=_np.int64),
            _np.ascontiguousarray(df["lon"], dtype=_np.float64), _np.ascontiguousarray(df["lat"], dtype=_np.float64),
            _np.ascontiguousarray(acc, dtype=_np.float64), pt))

    def tick(self, now: Any = None) -> Any:
        """Signal-loss check at processing time ``now`` (default: the wall clock); events as a
        DataFrame (schema: ``push_many``)."""
        return _events_frame(self._native.tick(_to_us(now) if now is not None else _now_us()))

    def finish(self) -> Any:
        """End of stream: every buffered fix becomes final and open episodes close; events as a
        DataFrame (schema: ``push_many``)."""
        return _events_frame(self._native.finish(_now_us()))

    def checkpoint(self) -> bytes:
        """All state as versioned bytes."""
        return self._native.checkpoint()

    @_convert_errors
    def update_conditions(self, zones: Zones, *, processing_time: Any = None) -> Any:
        """Apply new licence conditions while running: ``zones`` read from the updated file (a
        new zone version, an absence authorised after the event, a suspension). The retained
        history (the last ``history_s``) is judged again; the amendments and withdrawals of the
        episodes that change are returned as a DataFrame (schema: ``push_many``), with
        deterministic ids. Episodes that ended before the retained history keep their verdict."""
        pt = _to_us(processing_time) if processing_time is not None else _now_us()
        return _events_frame(self._native.update_conditions(zones._native, pt))

    @classmethod
    @_convert_errors
    def restore(cls, zones: Zones, data: bytes, *, migrate: bool = False) -> "Monitor":
        """Resume from :meth:`checkpoint` bytes over the same zones. Zones that changed since
        (geometry, kind, subjects, buffer, schedule, zones added or removed) are refused unless
        ``migrate=True``: then each subject's retained history is replayed under the new zones and
        the differences to what was reported are in ``monitor.migration_events`` (amendments, in the
        schema of ``push_many``); episodes that ended before the retained history keep their verdict."""
        if migrate:
            native, cols = _trailfence.Monitor.restore_migrating(zones._native, data, _now_us())
        else:
            native, cols = _trailfence.Monitor.restore(zones._native, data), _NO_EVENTS
        m = cls(zones, _native=native)
        m.migration_events = _events_frame(cols)
        return m


def _subject_list(values: Any) -> list[str]:
    """Subject ids as strings; missing values become "" (rejected by the core as a missing subject)."""
    pd = _pd()
    s = pd.Series(values, copy=False)
    if pd.api.types.is_string_dtype(s.dtype) and not s.isna().any():
        return s.astype(str).tolist()
    return [str(v) if v is not None and v == v else "" for v in s.to_numpy(dtype=object)]


def _now_us() -> int:
    import time as _time

    return _time.time_ns() // 1000


# The verdict's evidence on ended and amended monitor events (NaN otherwise).
_EVIDENCE_FLOATS = ("probability", "max_margin_sigma", "combined_margin_sigma", "mean_error_m",
                    "separation_before_sigma", "separation_after_sigma")

_NO_EVENTS: dict = {
    **{c: [] for c in ("id", "kind", "subject", "zone", "zone_version", "episode_kind", "confidence")},
    **{c: _np.empty(0, dtype=_np.int64) for c in ("start_us", "end_us", "old_start_us", "old_end_us", "fixes",
                                                  "supporting_fixes", "outlier_fixes",
                                                  "event_time_us", "processing_time_us")},
    **{c: _np.empty(0, dtype=_np.float64) for c in _EVIDENCE_FLOATS},
}


def _events_frame(cols: dict) -> Any:
    """Monitor events from the native columns: one schema for every method. Absent texts come
    as None, absent counts as -1, absent times as the minimum int64 (NaT)."""
    pd = _pd()
    utc = pd.DatetimeTZDtype("us", "UTC")
    data: dict[str, Any] = {}
    # Object columns (pandas 3 would infer `str` for some frames and not for
    # empty ones: one schema for every call).
    for c in ("id", "kind", "subject", "zone", "zone_version", "episode_kind"):
        data[c] = pd.Series(cols[c], dtype=object)
    for c in ("start_us", "end_us", "old_start_us", "old_end_us"):
        data[c.removesuffix("_us")] = pd.array(_np.asarray(cols[c]).view("datetime64[us]"), dtype=utc)

    def counts(v: Any) -> Any:
        v = _np.asarray(v)
        return pd.arrays.IntegerArray(_np.where(v < 0, 0, v), v < 0)

    data["fixes"] = counts(cols["fixes"])
    data["confidence"] = pd.Series(cols["confidence"], dtype=object)
    data["probability"] = _np.asarray(cols["probability"], dtype=_np.float64)
    data["supporting_fixes"] = counts(cols["supporting_fixes"])
    data["outlier_fixes"] = counts(cols["outlier_fixes"])
    for c in _EVIDENCE_FLOATS[1:]:
        data[c] = _np.asarray(cols[c], dtype=_np.float64)
    for c in ("event_time_us", "processing_time_us"):
        data[c.removesuffix("_us")] = pd.array(_np.asarray(cols[c]).view("datetime64[us]"), dtype=utc)
    return pd.DataFrame(data)


def _as_us_column(values: Any, tz: str | None = None) -> Any:
    return _time_column(values).to_utc_us(tz)


@_convert_errors
def h3_cell(lon: float, lat: float, resolution: int) -> str:
    """The H3 cell (15-character hex) of (lon, lat) at ``resolution``."""
    return _trailfence.h3_cell(float(lon), float(lat), int(resolution))


DEFAULTS: dict[str, Any] = dict(_trailfence.defaults())
"""The core's option defaults (what ``None`` means): max_gap_s, min_subjects, grace_s, ..."""

__all__ = [
    "DEFAULTS", "AccessContext", "Monitor", "ParquetStore", "StorageError", "TrailReport", "TrailStore", "Zones",
    "TrailfenceError", "ValidationError", "h3_cell", "verify_evidence_pack",
    "heatmap_from_counts", "__version__",
]
