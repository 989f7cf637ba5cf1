//! Building a store: grouping by subject, ordering, de-duplication, conflicts.

use std::collections::HashMap;

use rstar::RTree;

use super::index::build_runs;
use super::{StoreOptions, TrailStore};
use crate::error::{Error, Location, Reason, RecordError};
use crate::fix::Fix;
use crate::report::{Mode, ReadReport};
use crate::time::{from_us, to_us};
use crate::trail::Trail;

/// Fixes of one subject at one instant with different positions. None of them
/// is stored: the store cannot tell which is true.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conflict {
    /// The subject.
    pub subject: String,
    /// The instant, UTC microseconds.
    pub t_us: i64,
    /// The distinct (lon, lat, accuracy_m) readings at that instant.
    pub readings: Vec<(f64, f64, Option<f32>)>,
}

/// What ingest did beyond storing fixes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IngestSummary {
    /// Fixes received by the builder.
    pub fixes_received: u64,
    /// Fixes stored in trails.
    pub fixes_stored: u64,
    /// Exact duplicates (same subject, instant and position) dropped.
    pub duplicates_dropped: u64,
    /// Fixes kept out of the trails because of conflicts.
    pub conflicting_fixes: u64,
    /// Late fixes: earlier in time than the latest fix received before them
    /// (they are placed in order).
    pub out_of_order: u64,
    /// The conflicts, in subject then time order.
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Default)]
struct Staging {
    t_us: Vec<i64>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    acc: Vec<f32>,
}

/// Collects fixes in any order, then builds an immutable [`TrailStore`].
#[derive(Debug)]
pub struct TrailStoreBuilder {
    options: StoreOptions,
    subjects: Vec<String>,
    lookup: HashMap<String, u32>,
    staging: Vec<Staging>,
    received: u64,
}

/// Resolves a column of times to UTC µs; a row that does not resolve gets a
/// placeholder and is listed (row, reason, the value as text) as a bad
/// record of field `time`.
fn resolve_times<T>(
    column: &[T],
    resolve: impl Fn(&T) -> Result<jiff::Timestamp, Reason>,
    text: impl Fn(&T) -> String,
) -> (Vec<i64>, Vec<(usize, Reason, String)>) {
    let mut t_us = Vec::with_capacity(column.len());
    let mut bad = Vec::new();
    for (i, t) in column.iter().enumerate() {
        match resolve(t) {
            Ok(ts) => t_us.push(crate::time::to_us(ts)),
            Err(r) => {
                t_us.push(0);
                bad.push((i, r, text(t)));
            }
        }
    }
    (t_us, bad)
}

impl TrailStoreBuilder {
    /// An empty builder.
    pub fn new(options: StoreOptions) -> Self {
        TrailStoreBuilder {
            options,
            subjects: Vec::new(),
            lookup: HashMap::new(),
            staging: Vec::new(),
            received: 0,
        }
    }

    /// Sets the longest interpolated interval, seconds.
    ///
    /// # Errors
    /// [`Error::Option`] unless `max_gap_s` is finite and > 0.
    pub fn max_gap_s(mut self, max_gap_s: f64) -> Result<Self, Error> {
        crate::options::positive_seconds("max_gap_s", max_gap_s)?;
        self.options.max_gap_s = max_gap_s;
        Ok(self)
    }

    /// Fixes received so far.
    pub fn len(&self) -> u64 {
        self.received
    }

    /// Whether no fix was received.
    pub fn is_empty(&self) -> bool {
        self.received == 0
    }

    pub(crate) fn subject_slot(&mut self, subject: &str) -> usize {
        if let Some(&i) = self.lookup.get(subject) {
            return i as usize;
        }
        let i = self.subjects.len();
        self.subjects.push(subject.to_string());
        self.lookup.insert(subject.to_string(), i as u32);
        self.staging.push(Staging::default());
        i
    }

    /// Adds an already validated fix to subject slot `slot`.
    #[inline]
    pub(crate) fn push_valid(&mut self, slot: usize, t_us: i64, lon: f64, lat: f64, acc: Option<f64>) {
        let s = &mut self.staging[slot];
        s.t_us.push(t_us);
        s.lon.push(lon);
        s.lat.push(lat);
        s.acc.push(acc.map_or(f32::NAN, |a| a as f32));
        self.received += 1;
    }

    /// Validates and adds one fix.
    ///
    /// # Errors
    /// [`Error::Record`] naming the field (location: the fix's 0-based row
    /// number among the fixes pushed so far).
    pub fn push(&mut self, fix: &Fix) -> Result<(), Error> {
        if let Err(bad) = crate::fix::check(Some(&fix.subject), fix.lon, fix.lat, fix.accuracy_m) {
            return Err(bad.at("<memory>", Location::Row(self.received as usize), None).into());
        }
        let slot = self.subject_slot(&fix.subject);
        self.push_valid(slot, to_us(fix.time), fix.lon, fix.lat, fix.accuracy_m);
        Ok(())
    }

    /// Validates and adds fixes from parallel in-memory columns: subject ids,
    /// UTC microseconds since the epoch, longitudes and latitudes in degrees,
    /// optional accuracies in metres (NaN = not reported).
    ///
    /// # Errors
    /// [`Error::Option`] if the columns differ in length; in strict mode the
    /// first bad row as [`Error::Record`] (location: 0-based row).
    pub fn extend_columns<S: AsRef<str>>(
        &mut self,
        subject: &[S],
        t_us: &[i64],
        lon: &[f64],
        lat: &[f64],
        accuracy_m: Option<&[f64]>,
        mode: Mode,
    ) -> Result<ReadReport, Error> {
        self.extend_columns_checked(subject, t_us, &[], lon, lat, accuracy_m, mode)
    }

    #[allow(clippy::too_many_arguments)]
    /// [`TrailStoreBuilder::extend_columns`] with times as text (RFC 3339,
    /// epoch seconds/milliseconds, or local times when `parser` names a zone);
    /// an unparseable time is a bad record of field `time` at its row.
    ///
    /// # Errors
    /// As [`TrailStoreBuilder::extend_columns`].
    pub fn extend_columns_text_times<S: AsRef<str>, T: AsRef<str>>(
        &mut self,
        subject: &[S],
        times: &[T],
        parser: &crate::time::TimeParser,
        lon: &[f64],
        lat: &[f64],
        accuracy_m: Option<&[f64]>,
        mode: Mode,
    ) -> Result<ReadReport, Error> {
        let (t_us, bad_rows) = resolve_times(times, |t| parser.parse(t.as_ref()), |t| t.as_ref().to_string());
        self.extend_columns_checked(subject, &t_us, &bad_rows, lon, lat, accuracy_m, mode)
    }

    #[allow(clippy::too_many_arguments)]
    /// [`TrailStoreBuilder::extend_columns`] with zone-less wall-clock times
    /// (e.g. a pandas `datetime64` column without a time zone): microseconds
    /// since 1970-01-01T00:00 *local time* in `parser`'s IANA zone. Each is
    /// resolved to its UTC instant; a local time that a DST change skips or
    /// repeats is a bad record of field `time` at its row, never a guess.
    ///
    /// # Errors
    /// [`Error::Option`] (`tz`) when `parser` names no time zone: a naive time
    /// has no instant without one. Otherwise as
    /// [`TrailStoreBuilder::extend_columns`].
    pub fn extend_columns_wall_clock<S: AsRef<str>>(
        &mut self,
        subject: &[S],
        local_us: &[i64],
        parser: &crate::time::TimeParser,
        lon: &[f64],
        lat: &[f64],
        accuracy_m: Option<&[f64]>,
        mode: Mode,
    ) -> Result<ReadReport, Error> {
        if !parser.has_time_zone() {
            return Err(crate::time::naive_without_zone());
        }
        let (t_us, bad_rows) = resolve_times(
            local_us,
            |&us| parser.wall_clock(us),
            |&us| crate::time::wall_clock_text(us),
        );
        self.extend_columns_checked(subject, &t_us, &bad_rows, lon, lat, accuracy_m, mode)
    }

    #[allow(clippy::too_many_arguments)]
    fn extend_columns_checked<S: AsRef<str>>(
        &mut self,
        subject: &[S],
        t_us: &[i64],
        bad_times: &[(usize, Reason, String)],
        lon: &[f64],
        lat: &[f64],
        accuracy_m: Option<&[f64]>,
        mode: Mode,
    ) -> Result<ReadReport, Error> {
        let n = subject.len();
        let mut bad_time = bad_times.iter().peekable();
        if t_us.len() != n || lon.len() != n || lat.len() != n || accuracy_m.is_some_and(|a| a.len() != n) {
            return Err(Error::Option {
                name: "columns",
                value: format!(
                    "subject {}, time {}, lon {}, lat {}, accuracy {:?}",
                    n,
                    t_us.len(),
                    lon.len(),
                    lat.len(),
                    accuracy_m.map(<[f64]>::len)
                ),
                reason: "all columns must have the same length",
            });
        }
        let mut report = ReadReport::new("<memory>");
        report.records = n as u64;
        // Pass 1: validate and find each row's subject slot; count rows per slot
        // so every column is allocated once at its final size (no regrowth,
        // no shrink copy: resident memory stays at the columns' size).
        let mut slots: Vec<u32> = Vec::with_capacity(n);
        let mut last: Option<(&str, usize)> = None;
        for i in 0..n {
            let s = subject[i].as_ref();
            let acc = accuracy_m.map(|a| a[i]).filter(|a| !a.is_nan());
            let time_bad = match bad_time.peek() {
                Some(&&(row, r, ref text)) if row == i => {
                    bad_time.next();
                    Some(("time", text.clone(), r))
                }
                _ => None,
            };
            let bad = if let Err(b) = crate::fix::check_subject(s) {
                Some((b.field, b.value, b.reason))
            } else if time_bad.is_some() {
                time_bad
            } else if let Err(b) = crate::fix::check(None, lon[i], lat[i], acc) {
                Some((b.field, b.value, b.reason))
            } else if from_us(t_us[i]).as_microsecond() != t_us[i] {
                Some(("time", t_us[i].to_string(), Reason::UnparseableTime))
            } else {
                None
            };
            if let Some((field, value, reason)) = bad {
                report.reject(
                    mode,
                    RecordError::new("<memory>", Location::Row(i), field, &value, reason),
                )?;
                slots.push(u32::MAX);
                continue;
            }
            let slot = match last {
                Some((name, slot)) if name == s => slot,
                _ => {
                    let slot = self.subject_slot(s);
                    last = Some((s, slot));
                    slot
                }
            };
            slots.push(slot as u32);
        }
        let mut counts = vec![0usize; self.staging.len()];
        for &s in &slots {
            if s != u32::MAX {
                counts[s as usize] += 1;
            }
        }
        for (st, &c) in self.staging.iter_mut().zip(&counts) {
            st.t_us.reserve_exact(c);
            st.lon.reserve_exact(c);
            st.lat.reserve_exact(c);
            st.acc.reserve_exact(c);
        }
        // Pass 2: append.
        for (i, &slot) in slots.iter().enumerate() {
            if slot == u32::MAX {
                continue;
            }
            let acc = accuracy_m.map(|a| a[i]).filter(|a| !a.is_nan());
            self.push_valid(slot as usize, t_us[i], lon[i], lat[i], acc);
            report.accepted += 1;
        }
        Ok(report)
    }

    /// Orders every subject's fixes, drops exact duplicates, sets conflicts
    /// aside and bulk-loads the R-tree.
    pub fn build(self) -> TrailStore {
        let mut summary = IngestSummary {
            fixes_received: self.received,
            ..Default::default()
        };
        let mut trails = Vec::with_capacity(self.staging.len());
        for (slot, st) in self.staging.into_iter().enumerate() {
            trails.push(finish_trail(
                st,
                &self.subjects[slot],
                self.options.max_gap_s,
                &mut summary,
            ));
        }
        summary.fixes_stored = trails.iter().map(|t: &Trail| t.len() as u64).sum();
        let runs = build_runs(&trails);
        let max_accuracy_m = trails
            .iter()
            .flat_map(|t| t.acc.iter().copied())
            .filter(|a| !a.is_nan())
            .fold(0.0f32, f32::max) as f64;
        TrailStore {
            max_accuracy_m,
            options: self.options,
            subjects: self.subjects,
            lookup: self.lookup,
            trails,
            index: RTree::bulk_load(runs),
            summary,
        }
    }
}

fn finish_trail(mut st: Staging, subject: &str, max_gap_s: f64, summary: &mut IngestSummary) -> Trail {
    let n = st.t_us.len();
    let sorted = st.t_us.windows(2).all(|w| w[0] < w[1]);
    if sorted {
        st.t_us.shrink_to_fit();
        st.lon.shrink_to_fit();
        st.lat.shrink_to_fit();
        st.acc.shrink_to_fit();
        return Trail::from_parts(st.t_us, st.lon, st.lat, st.acc, max_gap_s);
    }
    // Late fixes: earlier than the latest fix received before them.
    let mut latest = i64::MIN;
    for &t in &st.t_us {
        if t < latest {
            summary.out_of_order += 1;
        }
        latest = latest.max(t);
    }
    let mut perm: Vec<u32> = (0..n as u32).collect();
    perm.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        st.t_us[a]
            .cmp(&st.t_us[b])
            .then(st.lon[a].total_cmp(&st.lon[b]))
            .then(st.lat[a].total_cmp(&st.lat[b]))
            .then(st.acc[a].total_cmp(&st.acc[b]))
    });
    let mut out = Staging {
        t_us: Vec::with_capacity(n),
        lon: Vec::with_capacity(n),
        lat: Vec::with_capacity(n),
        acc: Vec::with_capacity(n),
    };
    let mut g = 0;
    while g < n {
        let t = st.t_us[perm[g] as usize];
        let mut h = g + 1;
        while h < n && st.t_us[perm[h] as usize] == t {
            h += 1;
        }
        // Distinct positions in the group [g, h); perm is sorted by position.
        let mut readings: Vec<(f64, f64, Option<f32>)> = Vec::new();
        for &p in &perm[g..h] {
            let p = p as usize;
            let same = readings.last().is_some_and(|r| r.0 == st.lon[p] && r.1 == st.lat[p]);
            if !same {
                let a = st.acc[p];
                readings.push((st.lon[p], st.lat[p], (!a.is_nan()).then_some(a)));
            }
        }
        if readings.len() == 1 {
            let p = perm[g] as usize;
            out.t_us.push(t);
            out.lon.push(st.lon[p]);
            out.lat.push(st.lat[p]);
            out.acc.push(st.acc[p]);
            summary.duplicates_dropped += (h - g - 1) as u64;
        } else {
            summary.conflicting_fixes += (h - g) as u64;
            summary.conflicts.push(Conflict {
                subject: subject.to_string(),
                t_us: t,
                readings,
            });
        }
        g = h;
    }
    out.t_us.shrink_to_fit();
    out.lon.shrink_to_fit();
    out.lat.shrink_to_fit();
    out.acc.shrink_to_fit();
    Trail::from_parts(out.t_us, out.lon, out.lat, out.acc, max_gap_s)
}
