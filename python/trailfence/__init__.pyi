import datetime
import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__version__: str

_TimeLike = datetime.datetime | np.datetime64 | str | None

DEFAULTS: dict[str, Any]

class TrailfenceError(Exception): ...
class ValidationError(TrailfenceError, ValueError): ...
class StorageError(TrailfenceError, OSError): ...

class Zones:
    def __init__(self, native: Any, text: str | None = ..., source: str = ...) -> None: ...
    def __reduce__(self) -> Any: ...
    @classmethod
    def from_geojson(cls, path_or_text: str | os.PathLike[str]) -> Zones: ...
    def __len__(self) -> int: ...
    def ids(self) -> list[str]: ...
    def covers(self, zone_id: str, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]: ...

class TrailStore:
    def __init__(self, native: Any) -> None: ...
    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        *,
        strict: bool = ...,
        subject: str = ...,
        time: str = ...,
        lon: str = ...,
        lat: str = ...,
        accuracy: str = ...,
        tz: str | None = ...,
        max_gap_s: float | None = ...,
    ) -> TrailStore: ...
    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        strict: bool = ...,
        tz: str | None = ...,
        subject: str | None = ...,
        max_gap_s: float | None = ...,
    ) -> TrailStore: ...
    @classmethod
    def from_arrays(
        cls,
        subject: Any,
        time: Any,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        accuracy_m: npt.ArrayLike | None = ...,
        *,
        strict: bool = ...,
        tz: str | None = ...,
        max_gap_s: float | None = ...,
    ) -> TrailStore: ...
    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        strict: bool = ...,
        subject: str = ...,
        time: str = ...,
        lon: str = ...,
        lat: str = ...,
        accuracy: str = ...,
        tz: str | None = ...,
        max_gap_s: float | None = ...,
    ) -> TrailStore: ...
    def __len__(self) -> int: ...
    def subjects(self) -> list[str]: ...
    def read_report(self) -> dict[str, Any]: ...
    def report(
        self,
        subject: str | None = ...,
        start: _TimeLike = ...,
        end: _TimeLike = ...,
        *,
        zones: Zones | None = ...,
        tz: str = ...,
        max_map_points: int | None = ...,
        grace_s: float | None = ...,
        min_duration_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
        tile_url: str | None = ...,
        tile_attribution: str | None = ...,
    ) -> Any: ...
    def ingest_summary(self) -> dict[str, int]: ...
    def trail(self, subject: str, start: _TimeLike = ..., end: _TimeLike = ...) -> pd.DataFrame: ...
    def breaches(
        self,
        zones: Zones,
        start: _TimeLike = ...,
        end: _TimeLike = ...,
        *,
        max_gap_s: float | None = ...,
        min_fixes: int | None = ...,
        min_duration_s: float | None = ...,
        merge_gap_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
    ) -> pd.DataFrame: ...
    def breach_evidence(
        self,
        zones: Zones,
        start: _TimeLike = ...,
        end: _TimeLike = ...,
        *,
        max_gap_s: float | None = ...,
        min_fixes: int | None = ...,
        min_duration_s: float | None = ...,
        merge_gap_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
    ) -> pd.DataFrame: ...
    def curfew(
        self,
        zones: Zones,
        start: _TimeLike = ...,
        end: _TimeLike = ...,
        *,
        grace_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
    ) -> pd.DataFrame: ...
    def near(self, lon: float, lat: float, radius_m: float, start: _TimeLike = ..., end: _TimeLike = ...) -> pd.DataFrame: ...
    def near_many(self, incidents: Any, *, rule_outs: bool = ..., tz: str | None = ...) -> pd.DataFrame: ...
    def proximity(
        self, subject_a: str, subject_b: str, distance_m: float, start: _TimeLike = ..., end: _TimeLike = ...
    ) -> pd.DataFrame: ...
    def stops(
        self, subject: str, start: _TimeLike = ..., end: _TimeLike = ..., *, radius_m: float | None = ..., min_duration_s: float | None = ...
    ) -> pd.DataFrame: ...
    def heatmap(self, resolution: int, start: _TimeLike = ..., end: _TimeLike = ..., *, min_subjects: int | None = ...) -> pd.DataFrame: ...
    def zone_hits(self, zones: Zones, start: _TimeLike = ..., end: _TimeLike = ...) -> pd.DataFrame: ...
    def dwell_counts(self, resolution: int, start: _TimeLike = ..., end: _TimeLike = ...) -> pd.DataFrame: ...

def heatmap_from_counts(counts: Any, *, min_subjects: int | None = ...) -> pd.DataFrame: ...

class TrailReport:
    html: str
    summary: dict[str, int]
    def __init__(self, html: str, summary: dict[str, int]) -> None: ...
    def save(self, path: str | os.PathLike[str]) -> None: ...

class AccessContext:
    requested_by: str
    purpose: str
    case_reference: str | None
    def __init__(self, requested_by: str, purpose: str, case_reference: str | None = ...) -> None: ...

def verify_evidence_pack(path: str | os.PathLike[str]) -> dict[str, Any]: ...

class ParquetStore:
    def __init__(self, native: Any) -> None: ...
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = ...) -> ParquetStore: ...
    @property
    def dir(self) -> str: ...
    @property
    def buckets(self) -> int: ...
    def bucket_of(self, subject: str) -> int: ...
    def files(self) -> pd.DataFrame: ...
    def load(
        self,
        start: _TimeLike = ...,
        end: _TimeLike = ...,
        *,
        subjects: list[str] | None = ...,
        buckets: list[int] | None = ...,
        max_gap_s: float | None = ...,
        access: Any = ...,
        operation: str = ...,
    ) -> TrailStore: ...
    def report(
        self,
        subject: str,
        start: _TimeLike,
        end: _TimeLike,
        *,
        zones: Zones | None = ...,
        access: Any = ...,
        path: str | os.PathLike[str] | None = ...,
        tz: str = ...,
        max_map_points: int | None = ...,
        grace_s: float | None = ...,
        min_duration_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
        tile_url: str | None = ...,
        tile_attribution: str | None = ...,
    ) -> TrailReport: ...
    def evidence_pack(
        self,
        subject: str,
        start: _TimeLike,
        end: _TimeLike,
        output: str | os.PathLike[str],
        *,
        zones: Zones | None = ...,
        access: Any = ...,
        tz: str = ...,
        max_map_points: int | None = ...,
        grace_s: float | None = ...,
        min_duration_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
    ) -> dict[str, Any]: ...
    def purge(self, *, access: Any, before: _TimeLike = ..., subject: str | None = ...) -> dict[str, int]: ...
    def import_trails(self, trails: TrailStore) -> dict[str, int]: ...
    def compact(self) -> dict[str, int]: ...
    def verify(self, *, repair: bool = ...) -> pd.DataFrame: ...

class Monitor:
    migration_events: pd.DataFrame | None
    def __init__(
        self,
        zones: Zones,
        *,
        max_gap_s: float | None = ...,
        allowed_lateness_s: float | None = ...,
        history_s: float | None = ...,
        signal_loss_s: float | None = ...,
        assumed_accuracy_m: float | None = ...,
        evidence: dict[str, float] | None = ...,
    ) -> None: ...
    def push(
        self, subject: str, time: _TimeLike, lon: float, lat: float, accuracy_m: float | None = ..., *, processing_time: _TimeLike = ...
    ) -> pd.DataFrame: ...
    def push_many(self, frame: Any, *, processing_time: _TimeLike = ..., tz: str | None = ...) -> pd.DataFrame: ...
    def tick(self, now: _TimeLike = ...) -> pd.DataFrame: ...
    def finish(self) -> pd.DataFrame: ...
    def checkpoint(self) -> bytes: ...
    def update_conditions(self, zones: Zones, *, processing_time: _TimeLike = ...) -> pd.DataFrame: ...
    @classmethod
    def restore(cls, zones: Zones, data: bytes, *, migrate: bool = ...) -> Monitor: ...

def h3_cell(lon: float, lat: float, resolution: int) -> str: ...

# Private helpers shared with trailfence.dask (same conversions, one place).
def _to_us(t: Any) -> int | None: ...
def _to_pandas(frame: Any) -> pd.DataFrame: ...
def _as_us_column(values: Any, tz: str | None = ...) -> npt.NDArray[np.int64]: ...
