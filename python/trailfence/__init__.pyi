import datetime
import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__version__: str

_TimeLike = datetime.datetime | np.datetime64 | str | None

class TrailfenceError(Exception): ...
class ValidationError(TrailfenceError, ValueError): ...

class Zones:
    def __init__(self, native: Any) -> None: ...
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
        max_gap_s: float = ...,
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
        max_gap_s: float = ...,
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
        max_gap_s: float = ...,
    ) -> TrailStore: ...
    def __len__(self) -> int: ...
    def subjects(self) -> list[str]: ...
    def report(self) -> dict[str, Any]: ...
    def ingest_summary(self) -> dict[str, int]: ...
    def trail(self, subject: str, start: _TimeLike = ..., end: _TimeLike = ...) -> pd.DataFrame: ...
    def breaches(
        self,
        zones: Zones,
        start: _TimeLike = ...,
        end: _TimeLike = ...,
        *,
        max_gap_s: float | None = ...,
        min_fixes: int = ...,
        min_duration_s: float = ...,
        merge_gap_s: float = ...,
        assumed_accuracy_m: float | None = ...,
    ) -> pd.DataFrame: ...
    def curfew(self, zones: Zones, start: _TimeLike = ..., end: _TimeLike = ..., *, grace_s: float = ...) -> pd.DataFrame: ...
    def near(self, lon: float, lat: float, radius_m: float, start: _TimeLike = ..., end: _TimeLike = ...) -> pd.DataFrame: ...
    def near_many(self, incidents: Any, *, rule_outs: bool = ...) -> pd.DataFrame: ...
    def proximity(
        self, subject_a: str, subject_b: str, distance_m: float, start: _TimeLike = ..., end: _TimeLike = ...
    ) -> pd.DataFrame: ...
    def stops(
        self, subject: str, start: _TimeLike = ..., end: _TimeLike = ..., *, radius_m: float = ..., min_duration_s: float = ...
    ) -> pd.DataFrame: ...
    def heatmap(self, resolution: int, start: _TimeLike = ..., end: _TimeLike = ..., *, min_subjects: int = ...) -> pd.DataFrame: ...

class Monitor:
    def __init__(
        self,
        zones: Zones,
        *,
        max_gap_s: float = ...,
        allowed_lateness_s: float = ...,
        history_s: float = ...,
        signal_loss_s: float = ...,
        assumed_accuracy_m: float | None = ...,
    ) -> None: ...
    def push(
        self, subject: str, time: _TimeLike, lon: float, lat: float, accuracy_m: float | None = ..., *, processing_time: _TimeLike = ...
    ) -> list[dict[str, Any]]: ...
    def push_many(self, frame: Any, *, processing_time: _TimeLike = ...) -> pd.DataFrame: ...
    def tick(self, now: _TimeLike = ...) -> list[dict[str, Any]]: ...
    def finish(self) -> list[dict[str, Any]]: ...
    def checkpoint(self) -> bytes: ...
    @classmethod
    def restore(cls, zones: Zones, data: bytes) -> Monitor: ...

def h3_cell(lon: float, lat: float, resolution: int) -> str: ...
