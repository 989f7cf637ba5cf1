"""trailfence.dask: store-level questions over a Dask cluster, same answers as one machine.

Install with ``pip install ./python[dask]``. Each function takes a :class:`~trailfence.ParquetStore`
(or its directory) and splits the work by the store's subject-hash buckets: every task opens the
store on its worker and loads, straight from Parquet, only its buckets' files for the window's
days. A subject lives in exactly one bucket, so each task holds whole trails for the window —
episodes crossing midnight or file boundaries are never cut — and task results are disjoint.
They are concatenated and sorted; heatmaps are merged as exact integer dwell counts and
suppressed once, on the global counts. The rules all run in the Rust core, which releases the
GIL, so a worker with several threads uses them.

The store directory must be readable at the same path by every worker (a local disk for a
``LocalCluster``, a shared file system for a real cluster).

Run locally (the threaded scheduler, no cluster)::

    import trailfence.dask as tfd
    episodes = tfd.breaches("store", zones, "2024-10-24T00:00:00Z", "2024-10-31T00:00:00Z")

On a cluster: create a ``distributed.Client`` first (it becomes the default), or pass ``client=``::

    from distributed import Client
    client = Client("tcp://scheduler:8786")
    episodes = tfd.breaches("store", zones, start, end)
"""

from __future__ import annotations

import os as _os
import uuid as _uuid
from typing import Any

import numpy as _np

from . import ParquetStore, TrailStore, ValidationError, Zones, _as_us_column, _to_pandas, _to_us, heatmap_from_counts

__all__ = ["breaches", "curfew", "heatmap", "near_many", "trails", "tasks"]

_SORT = {
    "breaches": ["subject", "zone", "start", "end"],
    "curfew": ["subject", "zone", "window_start"],
    "near_many": ["incident", "subject"],
    "trails": ["subject", "time"],
}


def _dask() -> Any:
    try:
        import dask
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("trailfence.dask needs dask: pip install './python[dask]'") from e
    return dask


def _store_dir(store: ParquetStore | str | _os.PathLike) -> str:
    if isinstance(store, ParquetStore):
        return store.dir
    return _os.fspath(store)


def tasks(store: ParquetStore | str | _os.PathLike, buckets_per_task: int = 1) -> list[list[int]]:
    """How the work is split: lists of bucket numbers, one list per task."""
    st = store if isinstance(store, ParquetStore) else ParquetStore.open(store)
    if buckets_per_task < 1:
        raise ValidationError(f"buckets_per_task {buckets_per_task}: must be 1 or more")
    b = list(range(st.buckets))
    return [b[k:k + buckets_per_task] for k in range(0, len(b), buckets_per_task)]


def _stamp(us: int | None) -> Any:
    if us is None:
        return None
    return _np.datetime64(us, "us")


def _load(store_dir: str, buckets: list[int], start_us: int | None, end_us: int | None, max_gap_s: float | None,
          access: Any = None, operation: str = "load") -> TrailStore:
    return ParquetStore.open(store_dir).load(_stamp(start_us), _stamp(end_us), buckets=buckets, max_gap_s=max_gap_s,
                                             access=access, operation=operation)


def _task(kind: str, store_dir: str, buckets: list[int], start_us: int | None, end_us: int | None,
          max_gap_s: float | None, args: dict[str, Any]) -> Any:
    """One task: load the buckets' trails for the window on this worker and answer (the read is
    checked against the store's access policy and, with ``access``, recorded by the worker)."""
    trails = _load(store_dir, buckets, start_us, end_us, max_gap_s, args.get("access"), f"dask.{kind}")
    start, end = _stamp(start_us), _stamp(end_us)
    if kind == "breaches":
        return trails.breaches(args["zones"], start, end, **args["options"])
    if kind == "curfew":
        return trails.curfew(args["zones"], start, end, grace_s=args["grace_s"])
    if kind == "near_many":
        return trails.near_many(args["incidents"], rule_outs=args["rule_outs"], tz=args["tz"])
    if kind == "heatmap":
        return trails.dwell_counts(args["resolution"], start, end)
    if kind == "trails":
        import pandas as pd

        wanted = args["subjects"]
        names = [s for s in trails.subjects() if wanted is None or s in wanted]
        frames = [trails.trail(s, start, end) for s in names]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({"subject": pd.Series([], dtype=object), "time": pd.Series([], dtype="datetime64[us, UTC]"),
                                 "lon": [], "lat": [], "accuracy_m": []})
        return pd.concat(frames, ignore_index=True)
    raise ValueError(kind)  # pragma: no cover


def _run(kind: str, store: Any, groups: list[list[int]], start: Any, end: Any, max_gap_s: float | None,
         args: dict[str, Any], client: Any) -> list[Any]:
    dask = _dask()
    store_dir = _store_dir(store)
    s, e = _to_us(start), _to_us(end)
    # Task keys are unique per call: two calls (concurrent, or sequential while the first one's
    # futures are alive) must never share a key, or the scheduler hands one call the other's
    # result. Not derived from the arguments alone either: the store may change between calls.
    call = _uuid.uuid4().hex
    delayed = [
        dask.delayed(_task, pure=False)(kind, store_dir, g, s, e, max_gap_s, args,
                                        dask_key_name=f"trailfence-{kind}-{call}-{i}")
        for i, g in enumerate(groups)
    ]
    if client is not None:
        return client.gather(client.compute(delayed))
    return list(dask.compute(*delayed))


def _concat(kind: str, parts: list[Any]) -> Any:
    import pandas as pd

    parts = [p for p in parts if len(p)] or parts[:1]
    df = pd.concat(parts, ignore_index=True)
    keys = [k for k in _SORT[kind] if k in df.columns]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def breaches(store: ParquetStore | str | _os.PathLike, zones: Zones, start: Any = None, end: Any = None, *,
             max_gap_s: float | None = None, buckets_per_task: int = 1, client: Any = None, access: Any = None,
             **options: Any) -> Any:
    """Breach episodes of every subject in the store (see :meth:`TrailStore.breaches` for the
    columns and ``options``), sorted by subject, zone, start, end. ``access`` (an
    :class:`~trailfence.AccessContext`) is checked and recorded by every task's read."""
    parts = _run("breaches", store, tasks(store, buckets_per_task), start, end, max_gap_s,
                 {"zones": zones, "options": options, "access": access}, client)
    return _concat("breaches", parts)


def curfew(store: ParquetStore | str | _os.PathLike, zones: Zones, start: Any = None, end: Any = None, *,
           grace_s: float | None = None, max_gap_s: float | None = None, buckets_per_task: int = 1, client: Any = None,
           access: Any = None) -> Any:
    """Curfew compliance per subject, zone and night (see :meth:`TrailStore.curfew`), sorted by
    subject, zone, window_start. ``access`` as in :func:`breaches`."""
    parts = _run("curfew", store, tasks(store, buckets_per_task), start, end, max_gap_s,
                 {"zones": zones, "grace_s": grace_s, "access": access}, client)
    return _concat("curfew", parts)


def near_many(store: ParquetStore | str | _os.PathLike, incidents: Any, *, rule_outs: bool = False,
              tz: str | None = None,
              max_gap_s: float | None = None, buckets_per_task: int = 1, client: Any = None, access: Any = None) -> Any:
    """Near queries for a table of incidents (see :meth:`TrailStore.near_many`), over the
    partitions from the earliest incident start to the latest end; sorted by incident, subject.

    With ``rule_outs``, every subject of the loaded partitions gets a row per incident, exactly
    as ``ParquetStore.load(earliest start, latest end).near_many(...)`` on one machine."""
    df = _to_pandas(incidents)
    for name in ("start", "end"):
        if name not in df.columns:
            raise ValidationError(f"incidents have no column {name!r}")
    starts = [int(u) for u in _as_us_column(df["start"], tz)]
    ends = [int(u) for u in _as_us_column(df["end"], tz)]
    start = _stamp(min(starts)) if starts else None
    end = _stamp(max(ends)) if ends else None
    parts = _run("near_many", store, tasks(store, buckets_per_task), start, end, max_gap_s,
                 {"incidents": df, "rule_outs": rule_outs, "tz": tz, "access": access}, client)
    return _concat("near_many", parts)


def heatmap(store: ParquetStore | str | _os.PathLike, resolution: int, start: Any = None, end: Any = None, *,
            min_subjects: int | None = None, max_gap_s: float | None = None, buckets_per_task: int = 1, client: Any = None,
            access: Any = None) -> Any:
    """The H3 dwell heatmap of every subject (see :meth:`TrailStore.heatmap`): tasks return exact
    dwell counts, which are summed per cell before ``min_subjects`` suppression (default: the
    core's, as on one machine and the CLI) is applied to the global counts."""
    parts = _run("heatmap", store, tasks(store, buckets_per_task), start, end, max_gap_s,
                 {"resolution": int(resolution), "access": access}, client)
    import pandas as pd

    return heatmap_from_counts(pd.concat(parts, ignore_index=True), min_subjects=min_subjects)


def trails(store: ParquetStore | str | _os.PathLike, start: Any = None, end: Any = None, *,
           subjects: list[str] | None = None, max_gap_s: float | None = None, buckets_per_task: int = 1,
           client: Any = None, access: Any = None) -> Any:
    """Bulk trail export: the fixes with ``start <= t < end`` of ``subjects`` (everyone when
    ``None``) as one DataFrame (subject, time, lon, lat, accuracy_m) sorted by subject and time.
    Only the buckets holding the requested subjects are read (every subject of a bucket read is
    recorded with ``access``, as in :func:`breaches`)."""
    st = store if isinstance(store, ParquetStore) else ParquetStore.open(store)
    groups = tasks(st, buckets_per_task)
    wanted = None
    if subjects is not None:
        wanted = {str(s) for s in subjects}
        needed = {st.bucket_of(s) for s in wanted}
        groups = [[b for b in g if b in needed] for g in groups]
        groups = [g for g in groups if g]
        if not groups:
            groups = [[0]]
    parts = _run("trails", st.dir, groups, start, end, max_gap_s, {"subjects": wanted, "access": access}, client)
    return _concat("trails", parts)
