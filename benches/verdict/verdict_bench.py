"""The EM verdict benchmark: seeded ground-truth paths, a documented GNSS noise
model, three alerting methods side by side, and a scorer.

    python benches/verdict/verdict_bench.py --days 400 --seed 7 --out target/verdict
    python benches/verdict/verdict_bench.py --fit --days 400 --seed 1   # refit the calibration

Everything a subject does is a *true path* sampled every second (stationary
stays and straight legs at constant speed), in a local metric frame around
Nottingham. Zones are circles (homes, inclusion, curfew 19:00-07:00
Europe/London) and rectangles (exclusion zones), so ground truth is exact
arithmetic on the 1 s path, independent of trailfence.

A *true breach* is a maximal interval in which the true position is on the
violating side and at some point at least ``TRUTH_DEPTH_M`` beyond the
boundary (an excursion that never gets that far is *marginal*: finding it is
not required, and an alert during it is not false). An alert *detects* a
breach when it starts during it, +-60 s (onset matching: alerting all night
earns nothing). Unmatched alerts outside marginal excursions are *false
alerts*.

Noise model (sources in benches/verdict/README.md): per-axis Gauss-Markov
error whose size and correlation time depend on the environment - open sky
(68 % radius 3-5 m, 30 s), urban (8-20 m, 60 s), indoor (15-60 m, 600 s: slow
drift) -, accuracy reported as the 68 % radius, understated by 20-40 % on one
device in five, 0.7 % multipath outliers (a jump of 30-300 m the reported
accuracy does not show), 2 % of fixes lost, and device-off gaps.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

LON0, LAT0 = -1.15, 52.95
TZ = ZoneInfo("Europe/London")
FIX_INTERVAL_S = 60
TRUTH_DEPTH_M = 5.0
ONSET_TOLERANCE_S = 60

# WGS84 radii of curvature at LAT0: metres per radian north and east.
_A, _E2 = 6378137.0, 6.69437999014e-3
_S = math.sin(math.radians(LAT0))
M_RAD = _A * (1 - _E2) / (1 - _E2 * _S * _S) ** 1.5
N_RAD = _A / math.sqrt(1 - _E2 * _S * _S)
KX = N_RAD * math.cos(math.radians(LAT0)) * math.pi / 180.0  # metres per degree of longitude
KY = M_RAD * math.pi / 180.0  # metres per degree of latitude

# Environments: (68 % radius range in metres, correlation time in seconds).
ENV = {
    "open": ((3.0, 5.0), 30.0),
    "urban": ((8.0, 20.0), 60.0),
    "indoor": ((15.0, 60.0), 600.0),
}
SIGMA_PER_R68 = 1.0 / math.sqrt(-2.0 * math.log(1 - 0.68))
OUTLIER_RATE = 0.007
LOSS_RATE = 0.02


def to_lonlat(x, y):
    return LON0 + np.asarray(x) / KX, LAT0 + np.asarray(y) / KY


@dataclass
class Leg:
    """Constant-velocity piece of a true path: from p0 at t0 to p1 at t1."""
    t0: int
    t1: int
    p0: tuple
    p1: tuple
    env: str
    r68: float


@dataclass
class Day:
    subject: str
    start_utc: int  # seconds since epoch
    home: tuple
    home_r: float
    curfew: tuple  # (start, end) UTC seconds
    rects: list  # (zone_id, x0, y0, x1, y1)
    legs: list = field(default_factory=list)
    gaps: list = field(default_factory=list)
    night: str = ""
    day: str = ""


class Path:
    """Builds a subject-day's legs in time order."""

    def __init__(self, rng, t, p):
        self.rng, self.t, self.p, self.legs = rng, t, p, []

    def _r68(self, env):
        lo, hi = ENV[env][0]
        return float(self.rng.uniform(lo, hi))

    def stay(self, until, env, at=None):
        at = self.p if at is None else at
        if until > self.t:
            self.legs.append(Leg(self.t, int(until), at, at, env, self._r68(env)))
            self.t, self.p = int(until), at

    def move(self, to, speed, env):
        d = math.dist(self.p, to)
        dt = max(1, int(round(d / speed)))
        self.legs.append(Leg(self.t, self.t + dt, self.p, to, env, self._r68(env)))
        self.t, self.p = self.t + dt, to


def _utc(day0: datetime, hh: float) -> int:
    """Local time `hh` hours after local midnight of day0 as UTC seconds."""
    local = day0 + timedelta(hours=hh)
    return int(local.replace(tzinfo=TZ).timestamp())


def _polar(rng, r):
    a = rng.uniform(0, 2 * math.pi)
    return (r * math.cos(a), r * math.sin(a))


def make_day(rng, k: int, seed: int) -> Day:
    """One subject-day: local noon to noon with one curfew night."""
    day0 = datetime(2026, 3, 2) + timedelta(days=int(k % 60))
    t_start, t_end = _utc(day0, 12), _utc(day0, 36)
    curfew = (_utc(day0, 19), _utc(day0, 31))
    home = (0.0, 0.0)
    home_r = float(rng.uniform(40, 80))
    sp = Path(rng, t_start, home)
    night = rng.choice(["compliant", "garden", "doorstep", "absence", "late_return"], p=[0.45, 0.15, 0.15, 0.15, 0.10])
    dayk = rng.choice(["none", "entry_short", "entry_long", "drive_through", "near_edge_walk", "indoor_near_zone"],
                      p=[0.2, 0.15, 0.1, 0.2, 0.15, 0.2])
    # Day trip: out along a heading, something happens, back by 18:45 (or late).
    heading = rng.uniform(0, 2 * math.pi)
    u = (math.cos(heading), math.sin(heading))
    nrm = (-u[1], u[0])
    dist = float(rng.uniform(800, 2500))
    far = (u[0] * dist, u[1] * dist)
    sp.stay(_utc(day0, 12 + rng.uniform(0.2, 2.0)), "indoor")
    w, h = float(rng.uniform(100, 300)), float(rng.uniform(80, 200))
    mid = (u[0] * dist * 0.5, u[1] * dist * 0.5)

    def rect_at(c, w, h):
        return ("x", c[0] - w / 2, c[1] - h / 2, c[0] + w / 2, c[1] + h / 2)

    walk = float(rng.uniform(1.1, 1.6))
    if dayk == "drive_through":
        # The road passes through the zone: it is centred on the route.
        off = float(rng.uniform(-0.3, 0.3)) * h
        rect = rect_at((mid[0] + nrm[0] * off, mid[1] + nrm[1] * off), w, h)
        speed = float(rng.uniform(8, 20))
        sp.move(far, speed, "open")
    elif dayk in ("entry_short", "entry_long"):
        rect = rect_at(mid, w, h)
        sp.move(mid, walk, "urban")
        stay = rng.uniform(120, 300) if dayk == "entry_short" else rng.uniform(1200, 3600)
        sp.stay(sp.t + stay, "urban" if dayk == "entry_short" else "indoor")
        sp.move(far, walk, "urban")
    elif dayk == "near_edge_walk":
        # The trip runs east-west (rectangles are axis-aligned), 10-40 m
        # outside the zone's southern edge.
        gap = float(rng.uniform(10, 40))
        far = (dist if rng.random() < 0.5 else -dist, 0.0)
        rect = rect_at((far[0] * 0.5, h / 2 + gap), w, h)
        sp.move(far, walk, "urban")
    elif dayk == "indoor_near_zone":
        # An indoor stay 15-40 m outside the zone, on the side away from home.
        gap = float(rng.uniform(15, 40))
        side = 1.0 if far[0] >= 0 else -1.0
        rect = rect_at((far[0] + side * (w / 2 + gap), far[1]), w, h)
        sp.move(far, walk if rng.random() < 0.5 else 10.0, "urban")
    else:
        rect = rect_at((far[0] + 3000, far[1] + 3000), w, h)
        sp.move(far, walk, "urban")
    # Stay at the far place, then home.
    ret_speed = walk if dist < 1500 else 10.0
    back_dt = dist / ret_speed
    if night == "late_return":
        home_at = curfew[0] + rng.uniform(600, 5400)
    else:
        home_at = curfew[0] - rng.uniform(900, 3600)
    sp.stay(max(sp.t, home_at - back_dt), "indoor")
    sp.move(home, ret_speed, "urban")
    # Night.
    inside_pt = _polar(rng, rng.uniform(0, 8))
    sp.move(inside_pt, 1.0, "indoor")
    if night == "garden":
        t_g = rng.uniform(max(sp.t, curfew[0] + 1800), max(sp.t, curfew[1] - 7200))
        sp.stay(t_g, "indoor")
        g = _polar(rng, home_r - rng.uniform(2, 10))
        sp.move(g, 1.0, "urban")
        sp.stay(sp.t + rng.uniform(1200, 3600), "urban")
        sp.move(inside_pt, 1.0, "indoor")
    elif night == "doorstep":
        for _ in range(int(rng.integers(1, 3))):
            t_g = rng.uniform(sp.t + 600, max(sp.t + 600, curfew[1] - 5400))
            sp.stay(t_g, "indoor")
            g = _polar(rng, home_r + rng.uniform(10, 40))
            sp.move(g, 1.2, "urban")
            sp.stay(sp.t + rng.uniform(180, 600), "urban")
            sp.move(inside_pt, 1.2, "indoor")
    elif night == "absence":
        t_g = rng.uniform(sp.t + 600, max(sp.t + 600, curfew[1] - 4 * 3600))
        sp.stay(t_g, "indoor")
        g = _polar(rng, rng.uniform(300, 2000))
        sp.move(g, 1.4, "urban")
        sp.stay(sp.t + rng.uniform(1200, 10800), "indoor")
        sp.move(inside_pt, 1.4, "urban")
    # Morning: leave after the curfew ends.
    sp.stay(curfew[1] + rng.uniform(600, 10800), "indoor")
    g = _polar(rng, rng.uniform(800, 2000))
    sp.move(g, walk, "urban")
    sp.stay(max(sp.t + 60, t_end), "urban")
    day = Day(f"s{seed}_{k:04d}", t_start, home, home_r, curfew, [(f"x_{seed}_{k:04d}",) + rect[1:]], sp.legs,
              night=str(night), day=str(dayk))
    if rng.random() < 0.10:
        g0 = rng.uniform(t_start, t_end - 5400)
        day.gaps.append((int(g0), int(g0 + rng.uniform(900, 5400))))
    return day


def true_path(day: Day):
    """The 1 s true path: times (UTC s), x, y (metres), environment code and r68 per second."""
    t0, t1 = day.legs[0].t0, day.legs[-1].t1
    t = np.arange(t0, t1 + 1)
    x = np.empty(len(t))
    y = np.empty(len(t))
    env = np.empty(len(t), dtype=object)
    r68 = np.empty(len(t))
    for lg in day.legs:
        a, b = lg.t0 - t0, lg.t1 - t0
        s = (t[a:b + 1] - lg.t0) / max(1, lg.t1 - lg.t0)
        x[a:b + 1] = lg.p0[0] + s * (lg.p1[0] - lg.p0[0])
        y[a:b + 1] = lg.p0[1] + s * (lg.p1[1] - lg.p0[1])
        env[a:b + 1] = lg.env
        r68[a:b + 1] = lg.r68
    return t, x, y, env, r68


def depth_inclusion(day, x, y):
    """Metres beyond the home circle (positive outside)."""
    return np.hypot(x - day.home[0], y - day.home[1]) - day.home_r


def depth_rect(r, x, y):
    """Metres inside the rectangle (positive inside): distance to the nearest edge."""
    _, x0, y0, x1, y1 = r
    return np.minimum(np.minimum(x - x0, x1 - x), np.minimum(y - y0, y1 - y))


def runs(mask):
    """[start, end) index pairs of True runs."""
    m = np.concatenate([[False], mask, [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def truth(day, t, x, y):
    """True breaches and marginal excursions: lists of (zone, kind, start_s, end_s)."""
    breaches, marginal = [], []
    active = (t >= day.curfew[0]) & (t < day.curfew[1])
    dep = depth_inclusion(day, x, y)
    viol = (dep > 0) & active
    for a, b in runs(viol):
        (breaches if dep[a:b].max() >= TRUTH_DEPTH_M else marginal).append(("home", "inclusion", t[a], t[b - 1]))
    for r in day.rects:
        dep = depth_rect(r, x, y)
        for a, b in runs(dep >= 0):
            (breaches if dep[a:b].max() >= TRUTH_DEPTH_M else marginal).append((r[0], "exclusion", t[a], t[b - 1]))
    return breaches, marginal


def observe(day, t, x, y, env, r68, rng):
    """Fixes: every 60 s from a random phase, lost fixes and gaps removed, Gauss-Markov error."""
    phase = int(rng.integers(0, FIX_INTERVAL_S))
    idx = np.arange(phase, len(t), FIX_INTERVAL_S)
    keep = rng.random(len(idx)) >= LOSS_RATE
    for g0, g1 in day.gaps:
        keep &= ~((t[idx] >= g0) & (t[idx] < g1))
    idx = idx[keep]
    n = len(idx)
    understate = rng.random() < 0.2
    factor = rng.uniform(0.6, 0.8) if understate else 1.0
    ex, ey = np.zeros(n), np.zeros(n)
    zx, zy = rng.standard_normal(2)
    for k in range(n):
        tau = ENV[env[idx[k]]][1]
        if k > 0:
            rho = math.exp(-(t[idx[k]] - t[idx[k - 1]]) / tau)
            q = math.sqrt(1 - rho * rho)
            zx, zy = rho * zx + q * rng.standard_normal(), rho * zy + q * rng.standard_normal()
        sigma = r68[idx[k]] * SIGMA_PER_R68
        ex[k], ey[k] = sigma * zx, sigma * zy
    out = rng.random(n) < OUTLIER_RATE
    m = int(out.sum())
    if m:
        ang = rng.uniform(0, 2 * math.pi, m)
        mag = rng.uniform(30, 300, m)
        ex[out] += mag * np.cos(ang)
        ey[out] += mag * np.sin(ang)
    acc = r68[idx] * factor * rng.uniform(0.9, 1.1, n)
    fx, fy = x[idx] + ex, y[idx] + ey
    return t[idx], fx, fy, acc, out


def zones_geojson(days):
    feats = []
    for d in days:
        lon, lat = to_lonlat(*d.home)
        feats.append({"type": "Feature", "id": f"home_{d.subject}", "geometry": {"type": "Point",
                      "coordinates": [float(lon), float(lat)]},
                      "properties": {"kind": "inclusion", "radius_m": d.home_r, "subjects": [d.subject],
                                     "schedule": {"tz": "Europe/London",
                                                  "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "19:00", "end": "07:00"}]}}})
        for r in d.rects:
            zid, x0, y0, x1, y1 = r
            (a, c), (b, e) = to_lonlat([x0, x1], [y0, y1])
            ring = [[a, b], [c, b], [c, e], [a, e], [a, b]]
            feats.append({"type": "Feature", "id": zid, "geometry": {"type": "Polygon", "coordinates": [
                [[float(p), float(q)] for p, q in ring]]}, "properties": {"kind": "exclusion", "subjects": [d.subject]}})
    return {"type": "FeatureCollection", "features": feats}


@dataclass
class Bench:
    days: list
    fixes: dict  # column arrays
    breaches: list  # (subject, zone, kind, start_s, end_s)
    marginal: list
    outlier_flags: np.ndarray


def generate(n_days: int, seed: int) -> Bench:
    rng = np.random.default_rng(seed)
    days, cols, brs, mar, outl = [], {"subject": [], "t": [], "x": [], "y": [], "acc": []}, [], [], []
    for k in range(n_days):
        d = make_day(rng, k, seed)
        t, x, y, env, r68 = true_path(d)
        b, m = truth(d, t, x, y)
        zone_id = {"home": f"home_{d.subject}"}
        brs += [(d.subject, zone_id.get(z, z), kd, s, e) for z, kd, s, e in b]
        mar += [(d.subject, zone_id.get(z, z), kd, s, e) for z, kd, s, e in m]
        ft, fx, fy, acc, out = observe(d, t, x, y, env, r68, rng)
        cols["subject"] += [d.subject] * len(ft)
        cols["t"].append(ft)
        cols["x"].append(fx)
        cols["y"].append(fy)
        cols["acc"].append(acc)
        outl.append(out)
        days.append(d)
    fixes = {"subject": np.array(cols["subject"], dtype=object)}
    for c in ("t", "x", "y", "acc"):
        fixes[c] = np.concatenate(cols[c])
    return Bench(days, fixes, brs, mar, np.concatenate(outl))


# ---- methods ---------------------------------------------------------------

def per_fix_alerts(bench: Bench, min_run: int = 1):
    """Per-fix point-in-zone alerts: a run of consecutive violating fixes (at least
    `min_run`) is one alert starting at its first fix. Returns (subject, zone, kind, start_s)."""
    f = bench.fixes
    alerts = []
    by_subject = {}
    subj = f["subject"]
    bounds = np.flatnonzero(np.concatenate([[True], subj[1:] != subj[:-1], [True]]))
    for a, b in zip(bounds[:-1], bounds[1:]):
        by_subject[subj[a]] = (a, b)
    for d in bench.days:
        a, b = by_subject[d.subject]
        t, x, y = f["t"][a:b], f["x"][a:b], f["y"][a:b]
        active = (t >= d.curfew[0]) & (t < d.curfew[1])
        tests = [(f"home_{d.subject}", "inclusion", (depth_inclusion(d, x, y) > 0) & active)]
        for r in d.rects:
            tests.append((r[0], "exclusion", depth_rect(r, x, y) >= 0))
        for zid, kind, v in tests:
            for s, e in runs(v):
                if e - s >= min_run:
                    alerts.append((d.subject, zid, kind, int(t[s])))
    return alerts


def store_and_zones(bench: Bench):
    """The benchmark's fixes as a trailfence store, and its zones."""
    import pandas as pd
    import trailfence as tf

    f = bench.fixes
    lon, lat = to_lonlat(f["x"], f["y"])
    zones = tf.Zones.from_geojson(json.dumps(zones_geojson(bench.days)))
    store = tf.TrailStore.from_arrays(f["subject"], pd.to_datetime(f["t"], unit="s", utc=True), lon, lat, f["acc"])
    return store, zones


def trailfence_episodes(bench: Bench, evidence=None, monitor: bool = False):
    """trailfence's episodes (all, with probability) via the Python API; `monitor` runs the
    streaming monitor over the same fixes instead of batch breaches."""
    import pandas as pd
    import trailfence as tf

    f = bench.fixes
    lon, lat = to_lonlat(f["x"], f["y"])
    store, zones = store_and_zones(bench)
    if not monitor:
        eps = store.breaches(zones, evidence=evidence)
        return _with_seconds(eps[["subject", "zone", "kind", "start", "end", "fixes", "probability", "confidence",
                                  "supporting_fixes", "outlier_fixes", "combined_margin_sigma",
                                  "mean_error_m", "separation_before_sigma", "separation_after_sigma"]].copy())
    mon = tf.Monitor(zones, evidence=evidence)
    frame = pd.DataFrame({"subject": f["subject"], "time": pd.to_datetime(f["t"], unit="s", utc=True),
                          "lon": lon, "lat": lat, "accuracy_m": f["acc"]})
    ev = pd.concat([mon.push_many(frame, processing_time=pd.Timestamp(0, tz="UTC")), mon.finish()], ignore_index=True)
    ended = ev[ev["kind"].isin(["breach_ended", "curfew_violation_ended"])].rename(columns={"episode_kind": "ep_kind"})
    out = ended[["subject", "zone", "ep_kind", "start", "end", "fixes", "probability", "confidence",
                 "supporting_fixes", "outlier_fixes", "combined_margin_sigma", "mean_error_m",
                 "separation_before_sigma", "separation_after_sigma"]].rename(
        columns={"ep_kind": "kind"}).reset_index(drop=True)
    return _with_seconds(out)


def _with_seconds(eps):
    import pandas as pd

    epoch = pd.Timestamp(0, tz="UTC")
    eps["start_s"] = (eps["start"] - epoch) // pd.Timedelta(seconds=1)
    eps["end_s"] = (eps["end"] - epoch) // pd.Timedelta(seconds=1)
    return eps


def alerts_of(eps, threshold: float, probability=None):
    """Episodes at or above `threshold` (of `probability`, default the engine's) as alerts."""
    p = eps["probability"].to_numpy(dtype=float) if probability is None else probability
    sel = eps[p >= threshold]
    return list(zip(sel["subject"], sel["zone"], sel["kind"], sel["start_s"].astype(int)))


# ---- scoring ---------------------------------------------------------------

def score(bench: Bench, alerts, detail: bool = False) -> dict:
    """False alerts per 100 subject-days, missed breaches (onset matching), compliant nights
    flagged, median start-time error of detected breaches."""
    by = {}
    for s, z, k, a, b in bench.breaches:
        by.setdefault((s, z), []).append([a, b, None])
    marg = {}
    for s, z, k, a, b in bench.marginal:
        marg.setdefault((s, z), []).append((a, b))
    false = 0
    flagged_nights = set()
    for s, z, k, t in alerts:
        hit = False
        for br in by.get((s, z), []):
            if br[0] - ONSET_TOLERANCE_S <= t <= br[1] + ONSET_TOLERANCE_S:
                hit = True
                if br[2] is None or abs(t - br[0]) < abs(br[2] - br[0]):
                    br[2] = t
        if not hit and not any(a - ONSET_TOLERANCE_S <= t <= b + ONSET_TOLERANCE_S for a, b in marg.get((s, z), [])):
            false += 1
        if k == "inclusion":
            flagged_nights.add(s)
    all_br = [br for v in by.values() for br in v]
    missed = sum(1 for br in all_br if br[2] is None)
    errors = [abs(br[2] - br[0]) for br in all_br if br[2] is not None]
    night_breach = {s for s, z, k, a, b in bench.breaches if k == "inclusion"}
    compliant = [d.subject for d in bench.days if d.subject not in night_breach]
    flagged = sum(1 for s in compliant if s in flagged_nights)
    n = max(1, len(bench.days))
    out = {
        "subject_days": n,
        "true_breaches": len(all_br),
        "false_alerts_per_100_days": 100.0 * false / n,
        "missed": missed,
        "missed_pct": 100.0 * missed / max(1, len(all_br)),
        "compliant_nights": len(compliant),
        "compliant_nights_flagged_pct": 100.0 * flagged / max(1, len(compliant)),
        "median_start_error_s": float(np.median(errors)) if errors else float("nan"),
    }
    if detail:
        out.update(false_alerts=false, compliant_nights_flagged=flagged, _errors=errors)
    return out


def labels(bench: Bench, eps):
    """Whether each episode overlaps (+-60 s) a true violation (breach or marginal)."""
    spans = {}
    for s, z, k, a, b in bench.breaches + bench.marginal:
        spans.setdefault((s, z), []).append((a, b))
    out = np.zeros(len(eps), dtype=bool)
    for i, (s, z, a, b) in enumerate(zip(eps["subject"], eps["zone"], eps["start_s"], eps["end_s"])):
        out[i] = any(x - ONSET_TOLERANCE_S <= b and a <= y + ONSET_TOLERANCE_S for x, y in spans.get((s, z), []))
    return out


def calibration_table(prob, lab, bins=10):
    rows = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        m = (prob >= lo) & ((prob < hi) if k < bins - 1 else (prob <= hi))
        if m.sum():
            rows.append({"decile": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_p": float(prob[m].mean()),
                         "observed": float(lab[m].mean())})
    return rows


def evidence_group(n):
    """0: interpolation only, 1: one supporting fix, 2: two or more."""
    return np.minimum(np.asarray(n, dtype=int), 2)


TERMS = 7  # coefficients per kind of evidence (EvidenceModel::calibration)
SEPARATION_CAP_SIGMA = 20.0
SEPARATION_LOG_OFFSET = 0.1


def design(eps):
    """The calibration's features of each episode, as the engine computes them: 1, Z, ln E,
    ln n, ln Z, ln S-, ln S+ (S the separations, unknown = capped)."""
    z = eps["combined_margin_sigma"].to_numpy(dtype=float)
    e = np.maximum(eps["mean_error_m"].to_numpy(dtype=float), 0.5)
    n = eps["supporting_fixes"].to_numpy()

    def ln_sep(col):
        v = np.nan_to_num(eps[col].to_numpy(dtype=float), nan=SEPARATION_CAP_SIGMA)
        return np.log(np.clip(v, 0.0, SEPARATION_CAP_SIGMA) + SEPARATION_LOG_OFFSET)

    return np.column_stack([np.ones(len(eps)), z, np.log(e), np.log(np.maximum(n, 1)),
                            np.log(np.maximum(z, 0.05)), ln_sep("separation_before_sigma"),
                            ln_sep("separation_after_sigma")])


def _logistic_fit(X, y):
    """Logistic regression by damped Newton steps with a weak ridge (lambda = 1 keeps a
    separable group finite)."""
    w = np.zeros(X.shape[1])
    for _ in range(300):
        q = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (y - q) - w
        H = X.T @ (X * (q * (1 - q))[:, None]) + np.eye(X.shape[1])
        step = np.linalg.solve(H, grad)
        step *= min(1.0, 1.0 / max(1e-12, float(np.abs(step).max())))  # damped: at most 1 per step
        w += step
        if np.abs(step).max() < 1e-10:
            break
    return w


def fit_calibration(eps, lab):
    """Fits the calibration (TERMS coefficients x 3 evidence groups, see `design`). Episodes
    seen only between fixes (group 0) have no supporting fix and so no separations: their
    separation coefficients stay 0."""
    X = design(eps)
    g = evidence_group(eps["supporting_fixes"].to_numpy())
    out = []
    for k in range(3):
        ok = np.isfinite(X).all(axis=1) & (g == k)
        cols = 5 if k == 0 else TERMS
        w = np.zeros(TERMS)
        w[:cols] = _logistic_fit(X[ok][:, :cols], lab[ok].astype(float))
        out += [round(float(v), 4) for v in w]
    return out


def raw_probability(eps, calibration):
    """The logistic (before the recalibration map) of each episode, as the engine computes it."""
    X = design(eps)
    n = eps["supporting_fixes"].to_numpy()
    c = np.asarray(calibration, dtype=float).reshape(3, TERMS)[evidence_group(n)]
    x = (X * c).sum(axis=1)
    return np.where(np.isfinite(x), 1 / (1 + np.exp(-np.where(np.isfinite(x), x, 0))), 0.0)


def margin_cap(eps):
    """Phi(Z) for evidence from fixes (the engine never gives more), 1 for interpolation."""
    from math import erfc, sqrt

    z = np.nan_to_num(eps["combined_margin_sigma"].to_numpy(dtype=float), nan=0.0)
    phi = np.array([0.5 * erfc(-v / sqrt(2)) for v in z])
    return np.where(eps["supporting_fixes"].to_numpy() > 0, phi, 1.0)


def model_probability(eps, calibration, recalibration, knots):
    """The engine's probability for a calibration: logistic, recalibration map, margin cap."""
    p = np.interp(raw_probability(eps, calibration), knots, recalibration)
    evidence = np.isfinite(eps["combined_margin_sigma"].to_numpy(dtype=float))
    return np.where(evidence, np.minimum(p, margin_cap(eps)), 0.0)


def fit_recalibration(raw, lab, knots):
    """Isotonic regression (pool-adjacent-violators) of the labels on the raw probabilities,
    read at `knots` (linear between block centres): a monotone map."""
    order = np.argsort(raw, kind="stable")
    x, y = raw[order], lab[order].astype(float)
    blocks = []  # [sum_y, count, sum_x]
    for xi, yi in zip(x, y):
        blocks.append([yi, 1.0, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            b = blocks.pop()
            blocks[-1] = [blocks[-1][0] + b[0], blocks[-1][1] + b[1], blocks[-1][2] + b[2]]
    cx = np.array([b[2] / b[1] for b in blocks])
    cy = np.array([b[0] / b[1] for b in blocks])
    out = np.interp(knots, cx, cy)
    return [round(float(v), 4) for v in np.maximum.accumulate(np.clip(out, 0, 1))]


def fit_model(per_seed, knots):
    """The calibration (logistic on every seed's episodes pooled) and its recalibration map,
    fitted on out-of-seed predictions (each seed's logistic values from a fit on the other
    seeds), so the map corrects the logistic's optimism instead of learning it.
    `per_seed`: list of (episodes, labels)."""
    import pandas as pd

    eps = pd.concat([e for e, _ in per_seed], ignore_index=True)
    lab = np.concatenate([lab for _, lab in per_seed])
    cal = fit_calibration(eps, lab)
    if len(per_seed) > 1:
        raw = []
        for k, (e, _) in enumerate(per_seed):
            rest = [x for j, x in enumerate(per_seed) if j != k]
            c = fit_calibration(pd.concat([x for x, _ in rest], ignore_index=True), np.concatenate([y for _, y in rest]))
            raw.append(raw_probability(e, c))
        raw = np.concatenate(raw)
    else:
        raw = raw_probability(eps, cal)
    return cal, fit_recalibration(raw, lab, knots)


def seed_data(n_days: int, seed: int):
    """One seed's benchmark, trailfence's episodes and their labels."""
    bench = generate(n_days, seed)
    eps = trailfence_episodes(bench)
    return bench, eps, labels(bench, eps)


def pooled_score(parts) -> dict:
    """`score` over several seeds' (bench, alerts) together: counts add up, rates are of
    the totals, the median start error is over every detected breach."""
    rows = [score(b, al, detail=True) for b, al in parts]
    days = sum(r["subject_days"] for r in rows)
    true = sum(r["true_breaches"] for r in rows)
    compliant = sum(r["compliant_nights"] for r in rows)
    errors = [e for r in rows for e in r.pop("_errors")]
    return {
        "subject_days": days,
        "true_breaches": true,
        "false_alerts_per_100_days": 100.0 * sum(r["false_alerts"] for r in rows) / max(1, days),
        "missed": sum(r["missed"] for r in rows),
        "missed_pct": 100.0 * sum(r["missed"] for r in rows) / max(1, true),
        "compliant_nights": compliant,
        "compliant_nights_flagged_pct": 100.0 * sum(r["compliant_nights_flagged"] for r in rows) / max(1, compliant),
        "median_start_error_s": float(np.median(errors)) if errors else float("nan"),
    }


def run(n_days: int, seeds, out_dir: str | None, fit_seeds=None) -> dict:
    """Scores the three methods on `seeds` (each `n_days` subject-days, pooled and per seed)
    with the engine's default model; with `fit_seeds`, first fits a calibration on those
    seeds and scores it too (offline, as the engine would compute it)."""
    import trailfence as tf

    model_t = tf.DEFAULTS["evidence"]["confirm_probability"]
    knots = tf.DEFAULTS["evidence"]["recalibration_knots"]
    data = {s: seed_data(n_days, s) for s in seeds}
    result = {"seeds": list(seeds), "days_per_seed": n_days}
    if fit_seeds:
        train = [seed_data(n_days, s)[1:] for s in fit_seeds]
        cal, recal = fit_model(train, knots)
        result["fit_seeds"] = list(fit_seeds)
        result["fitted_calibration"] = cal
        result["fitted_recalibration"] = recal
        fitted = {s: model_probability(e, cal, recal, knots) for s, (_, e, _) in data.items()}
        result["fitted"] = pooled_score([(b, alerts_of(e, model_t, fitted[s])) for s, (b, e, _) in data.items()])
        result["fitted_calibration_table"] = calibration_table(
            np.concatenate(list(fitted.values())), np.concatenate([lab for _, _, lab in data.values()]))
    result["per_fix"] = pooled_score([(b, per_fix_alerts(b, 1)) for b, _, _ in data.values()])
    result["per_fix_2"] = pooled_score([(b, per_fix_alerts(b, 2)) for b, _, _ in data.values()])
    result["trailfence"] = pooled_score([(b, alerts_of(e, model_t)) for b, e, _ in data.values()])
    result["per_seed"] = {
        str(s): {"per_fix": score(b, per_fix_alerts(b, 1)), "trailfence": score(b, alerts_of(e, model_t))}
        for s, (b, e, _) in data.items()
    }
    result["calibration"] = calibration_table(
        np.concatenate([e["probability"].to_numpy(dtype=float) for _, e, _ in data.values()]),
        np.concatenate([lab for _, _, lab in data.values()]))
    result["fixes"] = int(sum(len(b.fixes["t"]) for b, _, _ in data.values()))
    result["episodes"] = int(sum(len(e) for _, e, _ in data.values()))
    thresholds = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99]
    result["curve"] = [{"threshold": th, **pooled_score([(b, alerts_of(e, th)) for b, e, _ in data.values()])}
                       for th in thresholds]
    if out_dir:
        plots(result, out_dir)
    return result


def plots(result: dict, out_dir: str) -> None:
    import os

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    c = result["curve"]
    ax.plot([r["false_alerts_per_100_days"] for r in c], [r["missed_pct"] for r in c], "o-", label="trailfence (threshold)")
    for r in c:
        ax.annotate(f'{r["threshold"]:g}', (r["false_alerts_per_100_days"], r["missed_pct"]), fontsize=7)
    for name, mark in (("per_fix", "s"), ("per_fix_2", "^")):
        r = result[name]
        ax.plot([r["false_alerts_per_100_days"]], [r["missed_pct"]], mark, label=name.replace("_", " "))
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("false alerts per 100 subject-days")
    ax.set_ylabel("missed true breaches, % (onset matching)")
    ax.set_title("Operating curve")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "operating_curve.png"), dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    cal = result["calibration"]
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.plot([r["mean_p"] for r in cal], [r["observed"] for r in cal], "o-")
    for r in cal:
        ax.annotate(str(r["n"]), (r["mean_p"], r["observed"]), fontsize=7)
    ax.set_xlabel("predicted probability (decile mean)")
    ax.set_ylabel("observed fraction truly in violation")
    ax.set_title("Calibration")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "calibration.png"), dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--seeds", default="7", help="comma-separated seeds to score (pooled and each)")
    ap.add_argument("--out", default=None, help="directory for the PNG plots and result.json")
    ap.add_argument("--fit", default=None, metavar="SEEDS",
                    help="comma-separated seeds to refit the calibration on (scored on --seeds too)")
    a = ap.parse_args(argv)
    seeds = [int(x) for x in a.seeds.split(",")]
    fit_seeds = [int(x) for x in a.fit.split(",")] if a.fit else None
    res = run(a.days, seeds, a.out, fit_seeds)
    text = json.dumps(res, indent=1)
    print(text)
    if a.out:
        with open(f"{a.out}/result.json", "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
