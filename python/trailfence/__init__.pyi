import datetime
from typing import Any, NamedTuple

__version__: str

class TrailfenceError(Exception): ...
class ValidationError(TrailfenceError, ValueError): ...

class Fix(NamedTuple):
    time: datetime.datetime
    lon: float
    lat: float
    accuracy_m: float | None

class TrailStore:
    @classmethod
    def from_csv(
        cls,
        path: str,
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
    def trail(self, subject: str, start: datetime.datetime | str, end: datetime.datetime | str) -> list[Fix]: ...
