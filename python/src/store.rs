//! `TrailStore` (in memory) and `ParquetStore` (on disk): the query methods.

#![allow(unused_imports)]
use std::path::PathBuf;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use trailfence::io::{read_csv, ColumnNames, ReadOptions};
use trailfence::{BreachOptions, CurfewOptions, Incident, Mode, Target, TimeFormat, TimeParser, Window, ZoneSet};

use crate::convert::*;
use crate::zones::PyZones;

/// An immutable, indexed store of GPS trails.
#[pyclass(name = "TrailStore", module = "trailfence._trailfence", frozen)]
pub(crate) struct PyTrailStore {
    pub(crate) inner: trailfence::TrailStore,
    pub(crate) report: trailfence::ReadReport,
}

#[pymethods]
impl PyTrailStore {
    /// Reads fixes from a CSV file.
    #[staticmethod]
    #[pyo3(signature = (path, *, strict=true, subject="subject", time="time", lon="lon", lat="lat", accuracy="accuracy_m", tz=None, max_gap_s=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_csv(
        py: Python<'_>,
        path: PathBuf,
        strict: bool,
        subject: &str,
        time: &str,
        lon: &str,
        lat: &str,
        accuracy: &str,
        tz: Option<&str>,
        max_gap_s: Option<f64>,
    ) -> PyResult<Self> {
        let options = ReadOptions {
            mode: if strict { Mode::Strict } else { Mode::Lenient },
            columns: ColumnNames {
                subject: subject.into(),
                time: time.into(),
                lon: lon.into(),
                lat: lat.into(),
                accuracy: accuracy.into(),
            },
            time: parser(tz)?,
            subject: None,
        };
        py.detach(|| {
            let mut builder = builder(max_gap_s)?;
            let report = read_csv(&path, &options, &mut builder)?;
            Ok(PyTrailStore {
                inner: builder.build(),
                report,
            })
        })
        .map_err(to_py)
    }

    /// Reads fixes from a file, choosing the reader by extension (.csv,
    /// .geojson/.json, .gpx, .parquet).
    #[staticmethod]
    #[pyo3(signature = (path, *, strict=true, tz=None, subject=None, max_gap_s=None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        strict: bool,
        tz: Option<&str>,
        subject: Option<String>,
        max_gap_s: Option<f64>,
    ) -> PyResult<Self> {
        let options = ReadOptions {
            mode: if strict { Mode::Strict } else { Mode::Lenient },
            time: parser(tz)?,
            subject,
            ..Default::default()
        };
        py.detach(|| {
            let mut builder = builder(max_gap_s)?;
            let report = trailfence::io::read_path(&path, &options, &mut builder)?;
            Ok(PyTrailStore {
                inner: builder.build(),
                report,
            })
        })
        .map_err(to_py)
    }

    /// From columns: subject ids, times as UTC µs (`t_us`), as zone-less
    /// wall-clock µs resolved in `tz` (`t_local_us`) or as strings, lon, lat,
    /// accuracy (NaN = none).
    #[staticmethod]
    #[pyo3(signature = (subject, lon, lat, *, t_us=None, t_local_us=None, times=None, accuracy_m=None, strict=true, tz=None, max_gap_s=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_columns(
        py: Python<'_>,
        subject: Vec<String>,
        lon: PyReadonlyArray1<'_, f64>,
        lat: PyReadonlyArray1<'_, f64>,
        t_us: Option<PyReadonlyArray1<'_, i64>>,
        t_local_us: Option<PyReadonlyArray1<'_, i64>>,
        times: Option<Vec<String>>,
        accuracy_m: Option<PyReadonlyArray1<'_, f64>>,
        strict: bool,
        tz: Option<&str>,
        max_gap_s: Option<f64>,
    ) -> PyResult<Self> {
        let mode = if strict { Mode::Strict } else { Mode::Lenient };
        let (lon, lat) = (lon.as_slice()?, lat.as_slice()?);
        let acc = match &accuracy_m {
            Some(a) => Some(a.as_slice()?),
            None => None,
        };
        let t = match &t_us {
            Some(t) => Some(t.as_slice()?),
            None => None,
        };
        let local = match &t_local_us {
            Some(t) => Some(t.as_slice()?),
            None => None,
        };
        let p = parser(tz)?;
        py.detach(|| {
            let mut builder = builder(max_gap_s)?;
            let report = match (t, local, &times) {
                (Some(t), None, None) => builder.extend_columns(&subject, t, lon, lat, acc, mode)?,
                (None, Some(l), None) => builder.extend_columns_wall_clock(&subject, l, &p, lon, lat, acc, mode)?,
                (None, None, Some(texts)) => {
                    builder.extend_columns_text_times(&subject, texts, &p, lon, lat, acc, mode)?
                }
                _ => {
                    return Err(trailfence::Error::Option {
                        name: "time",
                        value: "none or several".into(),
                        reason: "give exactly one of t_us, t_local_us or times",
                    })
                }
            };
            Ok(PyTrailStore {
                inner: builder.build(),
                report,
            })
        })
        .map_err(to_py)
    }

    fn __len__(&self) -> usize {
        self.inner.fix_count()
    }

    /// Subject ids in first-seen order.
    fn subjects(&self) -> Vec<String> {
        self.inner.subjects().to_vec()
    }

    /// Longest interpolated interval, seconds.
    fn max_gap_s(&self) -> f64 {
        self.inner.max_gap_s()
    }

    /// The reading report: (records, accepted, skipped, [(reason, count)], [examples]).
    fn report(&self) -> ReportTuple {
        report_tuple(&self.report)
    }

    /// Ingest summary: (received, stored, duplicates dropped, conflicting fixes, out of order).
    fn ingest_summary(&self) -> (u64, u64, u64, u64, u64) {
        let s = self.inner.ingest_summary();
        (
            s.fixes_received,
            s.fixes_stored,
            s.duplicates_dropped,
            s.conflicting_fixes,
            s.out_of_order,
        )
    }

    /// A trail request as columns.
    #[pyo3(signature = (subject, start=None, end=None))]
    fn trail<'py>(
        &self,
        py: Python<'py>,
        subject: &str,
        start: Option<i64>,
        end: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let answer = self.inner.trail(subject, w).map_err(to_py)?;
        let r = answer.range();
        let t = answer.trail();
        let acc: Vec<f64> = r.clone().map(|i| t.accuracy_m_f64(i).unwrap_or(f64::NAN)).collect();
        Columns::new(py)
            .i64("time", t.times_us()[r.clone()].to_vec())?
            .f64("lon", t.lons()[r.clone()].to_vec())?
            .f64("lat", t.lats()[r].to_vec())?
            .f64("accuracy_m", acc)
            .map(Columns::done)
    }

    /// The trail report of `subject` in the window as HTML, with a summary
    /// (see `trailfence::trail_report`); `options` as in `report_request`.
    #[pyo3(signature = (subject, start=None, end=None, *, zones=None, options=None, provenance=None))]
    #[allow(clippy::too_many_arguments)]
    fn trail_report<'py>(
        &self,
        py: Python<'py>,
        subject: &str,
        start: Option<i64>,
        end: Option<i64>,
        zones: Option<&PyZones>,
        options: Option<Bound<'py, PyDict>>,
        provenance: Option<Vec<(String, String)>>,
    ) -> PyResult<(String, Bound<'py, PyDict>)> {
        let request = report_request(subject, window(start, end)?, options.as_ref(), provenance)?;
        let report = py
            .detach(|| trailfence::trail_report::trail_report(&self.inner, zones.map(|z| &z.inner), &request))
            .map_err(to_py)?;
        let summary = report_summary(py, &report)?;
        Ok((report.to_html(), summary))
    }

    /// Breach episodes as columns.
    #[pyo3(signature = (zones, start=None, end=None, *, max_gap_s=None, min_fixes=None, min_duration_s=None, merge_gap_s=None, assumed_accuracy_m=None, evidence=None))]
    #[allow(clippy::too_many_arguments)]
    fn breaches<'py>(
        &self,
        py: Python<'py>,
        zones: &PyZones,
        start: Option<i64>,
        end: Option<i64>,
        max_gap_s: Option<f64>,
        min_fixes: Option<u32>,
        min_duration_s: Option<f64>,
        merge_gap_s: Option<f64>,
        assumed_accuracy_m: Option<f64>,
        evidence: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let opts = breach_options(
            max_gap_s,
            min_fixes,
            min_duration_s,
            merge_gap_s,
            assumed_accuracy_m,
            evidence.as_ref(),
        )?;
        let eps = py
            .detach(|| trailfence::breaches(&self.inner, &zones.inner, w, &opts))
            .map_err(to_py)?;
        Columns::new(py)
            .str("subject", eps.iter().map(|e| e.subject.clone()).collect())?
            .str("zone", eps.iter().map(|e| e.zone.clone()).collect())?
            .str("kind", eps.iter().map(|e| e.kind.as_str().to_string()).collect())?
            .i64("start", eps.iter().map(|e| e.start_us).collect())?
            .i64("end", eps.iter().map(|e| e.end_us).collect())?
            .f64("duration_s", eps.iter().map(|e| e.duration_s()).collect())?
            .i64("fixes", eps.iter().map(|e| e.fixes as i64).collect())?
            .str(
                "confidence",
                eps.iter().map(|e| e.confidence.as_str().to_string()).collect(),
            )?
            .f64("probability", eps.iter().map(|e| e.probability).collect())?
            .i64(
                "supporting_fixes",
                eps.iter().map(|e| e.supporting_fixes as i64).collect(),
            )?
            .i64("outlier_fixes", eps.iter().map(|e| e.outlier_fixes as i64).collect())?
            .f64("max_margin_sigma", eps.iter().map(|e| e.max_margin_sigma).collect())?
            .f64(
                "combined_margin_sigma",
                eps.iter()
                    .map(|e| e.combined_margin_sigma.unwrap_or(f64::NAN))
                    .collect(),
            )?
            .f64(
                "mean_error_m",
                eps.iter().map(|e| e.mean_error_m.unwrap_or(f64::NAN)).collect(),
            )?
            .f64(
                "separation_before_sigma",
                eps.iter()
                    .map(|e| e.separation_before_sigma.unwrap_or(f64::NAN))
                    .collect(),
            )?
            .f64(
                "separation_after_sigma",
                eps.iter()
                    .map(|e| e.separation_after_sigma.unwrap_or(f64::NAN))
                    .collect(),
            )?
            .opt_str("zone_version", eps.iter().map(|e| e.zone_version.clone()).collect())
            .map(Columns::done)
    }

    /// The fixes behind each breach episode as columns (see
    /// `trailfence::breach_evidence`).
    #[pyo3(signature = (zones, start=None, end=None, *, max_gap_s=None, min_fixes=None, min_duration_s=None, merge_gap_s=None, assumed_accuracy_m=None, evidence=None))]
    #[allow(clippy::too_many_arguments)]
    fn breach_evidence<'py>(
        &self,
        py: Python<'py>,
        zones: &PyZones,
        start: Option<i64>,
        end: Option<i64>,
        max_gap_s: Option<f64>,
        min_fixes: Option<u32>,
        min_duration_s: Option<f64>,
        merge_gap_s: Option<f64>,
        assumed_accuracy_m: Option<f64>,
        evidence: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let opts = breach_options(
            max_gap_s,
            min_fixes,
            min_duration_s,
            merge_gap_s,
            assumed_accuracy_m,
            evidence.as_ref(),
        )?;
        let rows = py
            .detach(|| trailfence::breach_evidence(&self.inner, &zones.inner, w, &opts))
            .map_err(to_py)?;
        let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        Columns::new(py)
            .str("subject", rows.iter().map(|r| r.subject.clone()).collect())?
            .str("zone", rows.iter().map(|r| r.zone.clone()).collect())?
            .str("kind", rows.iter().map(|r| r.kind.as_str().to_string()).collect())?
            .i64("episode_start", rows.iter().map(|r| r.episode_start_us).collect())?
            .i64("time", rows.iter().map(|r| r.t_us).collect())?
            .f64("lon", rows.iter().map(|r| r.lon).collect())?
            .f64("lat", rows.iter().map(|r| r.lat).collect())?
            .f64("accuracy_m", rows.iter().map(|r| nan(r.accuracy_m)).collect())?
            .f64("error_m", rows.iter().map(|r| nan(r.error_m)).collect())?
            .f64("margin_m", rows.iter().map(|r| r.margin_m).collect())?
            .f64("margin_sigma", rows.iter().map(|r| nan(r.margin_sigma)).collect())?
            .i64("outlier", rows.iter().map(|r| i64::from(r.outlier)).collect())?
            .i64("supporting", rows.iter().map(|r| i64::from(r.supporting)).collect())
            .map(Columns::done)
    }

    /// Curfew rows as columns.
    #[pyo3(signature = (zones, start=None, end=None, *, grace_s=None, assumed_accuracy_m=None, evidence=None))]
    #[allow(clippy::too_many_arguments)]
    fn curfew<'py>(
        &self,
        py: Python<'py>,
        zones: &PyZones,
        start: Option<i64>,
        end: Option<i64>,
        grace_s: Option<f64>,
        assumed_accuracy_m: Option<f64>,
        evidence: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let d = CurfewOptions::default();
        let opts = CurfewOptions {
            grace_s: grace_s.unwrap_or(d.grace_s),
            assumed_accuracy_m: assumed_accuracy_m.or(d.assumed_accuracy_m),
            evidence: crate::convert::evidence_model(evidence.as_ref())?,
        };
        let rows = py
            .detach(|| trailfence::curfew(&self.inner, &zones.inner, w, &opts))
            .map_err(to_py)?;
        Columns::new(py)
            .str("subject", rows.iter().map(|r| r.subject.clone()).collect())?
            .str("zone", rows.iter().map(|r| r.zone.clone()).collect())?
            .i64("window_start", rows.iter().map(|r| r.window_start_us).collect())?
            .i64("window_end", rows.iter().map(|r| r.window_end_us).collect())?
            .f64("scheduled_s", rows.iter().map(|r| r.scheduled_s).collect())?
            .f64("inside_s", rows.iter().map(|r| r.inside_s).collect())?
            .f64("outside_s", rows.iter().map(|r| r.outside_s).collect())?
            .f64(
                "confirmed_outside_s",
                rows.iter().map(|r| r.confirmed_outside_s).collect(),
            )?
            .f64(
                "possible_outside_s",
                rows.iter().map(|r| r.possible_outside_s).collect(),
            )?
            .f64("unknown_s", rows.iter().map(|r| r.unknown_s).collect())?
            .i64("violations", rows.iter().map(|r| r.violations as i64).collect())?
            .i64(
                "possible_violations",
                rows.iter().map(|r| r.possible_violations as i64).collect(),
            )?
            .i64(
                "first_exit",
                rows.iter().map(|r| r.first_exit_us.unwrap_or(i64::MIN)).collect(),
            )?
            .f64("authorised_s", rows.iter().map(|r| r.authorised_s).collect())?
            .f64("suspended_s", rows.iter().map(|r| r.suspended_s).collect())?
            .opt_str("zone_version", rows.iter().map(|r| r.zone_version.clone()).collect())
            .map(Columns::done)
    }

    /// Near query (point) as columns.
    #[pyo3(signature = (lon, lat, radius_m, start=None, end=None))]
    fn near<'py>(
        &self,
        py: Python<'py>,
        lon: f64,
        lat: f64,
        radius_m: f64,
        start: Option<i64>,
        end: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let rows = py
            .detach(|| trailfence::near(&self.inner, &Target::Point(lon, lat), radius_m, w))
            .map_err(to_py)?;
        near_columns(py, None, rows.iter().collect())
    }

    /// Near queries for many incidents as columns.
    #[pyo3(signature = (ids, lon, lat, radius_m, start, end, *, rule_outs=false))]
    #[allow(clippy::too_many_arguments)]
    fn near_many<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        lon: PyReadonlyArray1<'py, f64>,
        lat: PyReadonlyArray1<'py, f64>,
        radius_m: PyReadonlyArray1<'py, f64>,
        start: PyReadonlyArray1<'py, i64>,
        end: PyReadonlyArray1<'py, i64>,
        rule_outs: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (lon, lat, r, s, e) = (
            lon.as_slice()?,
            lat.as_slice()?,
            radius_m.as_slice()?,
            start.as_slice()?,
            end.as_slice()?,
        );
        let n = ids.len();
        if [lon.len(), lat.len(), r.len(), s.len(), e.len()]
            .iter()
            .any(|&l| l != n)
        {
            return Err(ValidationError::new_err("incident columns differ in length"));
        }
        let mut incidents = Vec::with_capacity(n);
        for i in 0..n {
            incidents.push(Incident {
                id: ids[i].clone(),
                lon: lon[i],
                lat: lat[i],
                radius_m: r[i],
                start_us: s[i],
                end_us: e[i],
            });
        }
        let rows = py
            .detach(|| trailfence::near_many(&self.inner, &incidents, rule_outs))
            .map_err(to_py)?;
        let inc: Vec<String> = rows.iter().map(|r| r.incident.clone()).collect();
        near_columns(py, Some(inc), rows.iter().map(|r| &r.row).collect())
    }

    /// Two-trail proximity episodes as columns.
    #[pyo3(signature = (subject_a, subject_b, distance_m, start=None, end=None))]
    fn proximity<'py>(
        &self,
        py: Python<'py>,
        subject_a: &str,
        subject_b: &str,
        distance_m: f64,
        start: Option<i64>,
        end: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let eps = py
            .detach(|| trailfence::proximity(&self.inner, subject_a, subject_b, distance_m, w))
            .map_err(to_py)?;
        Columns::new(py)
            .i64("start", eps.iter().map(|e| e.start_us).collect())?
            .i64("end", eps.iter().map(|e| e.end_us).collect())?
            .f64("duration_s", eps.iter().map(|e| e.duration_s()).collect())?
            .f64("min_distance_m", eps.iter().map(|e| e.min_distance_m).collect())?
            .i64("closest_time", eps.iter().map(|e| e.closest_time_us).collect())
            .map(Columns::done)
    }

    /// Stops as columns.
    #[pyo3(signature = (subject, start=None, end=None, *, radius_m=None, min_duration_s=None))]
    fn stops<'py>(
        &self,
        py: Python<'py>,
        subject: &str,
        start: Option<i64>,
        end: Option<i64>,
        radius_m: Option<f64>,
        min_duration_s: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let radius_m = radius_m.unwrap_or(trailfence::DEFAULT_STOP_RADIUS_M);
        let min_duration_s = min_duration_s.unwrap_or(trailfence::DEFAULT_STOP_MIN_DURATION_S);
        let st = py
            .detach(|| trailfence::stops(&self.inner, subject, w, radius_m, min_duration_s))
            .map_err(to_py)?;
        Columns::new(py)
            .i64("start", st.iter().map(|s| s.start_us).collect())?
            .i64("end", st.iter().map(|s| s.end_us).collect())?
            .f64("lon", st.iter().map(|s| s.lon).collect())?
            .f64("lat", st.iter().map(|s| s.lat).collect())?
            .f64("duration_s", st.iter().map(|s| s.duration_s()).collect())?
            .i64("fixes", st.iter().map(|s| s.fixes as i64).collect())
            .map(Columns::done)
    }

    /// H3 dwell heatmap: (columns, suppressed cells, suppressed seconds).
    #[pyo3(signature = (resolution, start=None, end=None, *, min_subjects=None))]
    fn heatmap<'py>(
        &self,
        py: Python<'py>,
        resolution: u8,
        start: Option<i64>,
        end: Option<i64>,
        min_subjects: Option<u32>,
    ) -> PyResult<(Bound<'py, PyDict>, u64, f64)> {
        let w = window(start, end)?;
        let min_subjects = min_subjects.unwrap_or(trailfence::DEFAULT_MIN_SUBJECTS);
        let h = py
            .detach(|| trailfence::heatmap(&self.inner, resolution, w, min_subjects))
            .map_err(to_py)?;
        heatmap_tuple(py, &h)
    }

    /// Fix-in-zone flags: every (fix, zone) pair where the zone covers the fix
    /// and applies to its subject (schedules not applied): columns subject
    /// (index into `subjects()`), time, zone (index into the zone ids).
    #[pyo3(signature = (zones, start=None, end=None))]
    fn zone_hits<'py>(
        &self,
        py: Python<'py>,
        zones: &PyZones,
        start: Option<i64>,
        end: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let hits = py.detach(|| trailfence::fix_zone_hits(&self.inner, &zones.inner, w));
        let t: Vec<i64> = hits
            .iter()
            .map(|h| self.inner.trail_at(h.subject as usize).times_us()[h.fix as usize])
            .collect();
        Columns::new(py)
            .i64("subject", hits.iter().map(|h| i64::from(h.subject)).collect())?
            .i64("time", t)?
            .i64("zone", hits.iter().map(|h| i64::from(h.zone)).collect())
            .map(Columns::done)
    }

    /// Unsuppressed dwell counts (the mergeable form of a heatmap): columns
    /// cell (H3 index as int64), dwell_half_us (int64), subjects.
    #[pyo3(signature = (resolution, start=None, end=None))]
    fn dwell_counts<'py>(
        &self,
        py: Python<'py>,
        resolution: u8,
        start: Option<i64>,
        end: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let w = window(start, end)?;
        let counts = py
            .detach(|| trailfence::dwell_counts(&self.inner, resolution, w))
            .map_err(to_py)?;
        let (c, d, n) = counts.to_columns();
        Columns::new(py)
            .i64("cell", c.into_iter().map(|c| c as i64).collect())?
            .i64("dwell_half_us", d)?
            .i64("subjects", n.into_iter().map(i64::from).collect())
            .map(Columns::done)
    }

    fn __repr__(&self) -> String {
        format!(
            "TrailStore(subjects={}, fixes={}, max_gap_s={})",
            self.inner.subject_count(),
            self.inner.fix_count(),
            self.inner.max_gap_s()
        )
    }
}

pub(crate) fn near_columns<'py>(
    py: Python<'py>,
    incident: Option<Vec<String>>,
    rows: Vec<&trailfence::NearRow>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut c = Columns::new(py);
    if let Some(inc) = incident {
        c = c.str("incident", inc)?;
    }
    let opt = |v: Option<i64>| v.unwrap_or(i64::MIN);
    c.str("subject", rows.iter().map(|r| r.subject.clone()).collect())?
        .f64("min_distance_m", rows.iter().map(|r| r.min_distance_m).collect())?
        .i64("closest_time", rows.iter().map(|r| opt(r.closest_time_us)).collect())?
        .i64("first_time", rows.iter().map(|r| opt(r.first_time_us)).collect())?
        .i64("last_time", rows.iter().map(|r| opt(r.last_time_us)).collect())?
        .f64("seconds_within", rows.iter().map(|r| r.seconds_within).collect())?
        .i64("fixes_within", rows.iter().map(|r| r.fixes_within as i64).collect())?
        .str("verdict", rows.iter().map(|r| r.verdict.as_str().to_string()).collect())
        .map(Columns::done)
}

/// The persistent GeoParquet store (see the core crate's `ParquetStore`).
#[pyclass(name = "ParquetStore", module = "trailfence._trailfence")]
pub(crate) struct PyParquetStore {
    pub(crate) inner: trailfence::ParquetStore,
}

#[pymethods]
impl PyParquetStore {
    /// Opens a store (reads only its manifest); with `create`, makes an empty one if there is none.
    #[staticmethod]
    #[pyo3(signature = (path, *, create=false))]
    fn open(path: PathBuf, create: bool) -> PyResult<Self> {
        let inner = if create {
            trailfence::ParquetStore::open_or_create(&path)
        } else {
            trailfence::ParquetStore::open(&path)
        };
        Ok(PyParquetStore {
            inner: inner.map_err(to_py)?,
        })
    }

    /// Subject-hash buckets per day.
    fn buckets(&self) -> u32 {
        self.inner.buckets()
    }

    /// The bucket a subject's fixes are stored in.
    fn bucket_of(&self, subject: &str) -> u32 {
        self.inner.bucket_of(subject)
    }

    /// The store directory.
    fn dir(&self) -> PathBuf {
        self.inner.dir().to_path_buf()
    }

    /// Committed files as columns: path, day (days since 1970-01-01), bucket, rows, bytes, checksum.
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let f = self.inner.files();
        Columns::new(py)
            .str("path", f.iter().map(|f| f.path.clone()).collect())?
            .i64("day", f.iter().map(|f| f.day).collect())?
            .i64("bucket", f.iter().map(|f| i64::from(f.bucket)).collect())?
            .i64("rows", f.iter().map(|f| f.rows as i64).collect())?
            .i64("bytes", f.iter().map(|f| f.bytes as i64).collect())?
            .str("checksum", f.iter().map(|f| f.checksum.clone()).collect())
            .map(Columns::done)
    }

    /// Loads the window's partitions, of `subjects` or of `buckets` (all
    /// when neither), as a consultation: the store's access policy is
    /// checked, and with `access` (requested_by, purpose, case_reference) the
    /// read is recorded in its audit log as `operation`.
    #[pyo3(signature = (start=None, end=None, *, subjects=None, buckets=None, max_gap_s=None, access=None, operation="load".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn load(
        &self,
        py: Python<'_>,
        start: Option<i64>,
        end: Option<i64>,
        subjects: Option<Vec<String>>,
        buckets: Option<Vec<u32>>,
        max_gap_s: Option<f64>,
        access: Option<(String, String, Option<String>)>,
        operation: String,
    ) -> PyResult<PyTrailStore> {
        let w = window(start, end)?;
        let options = store_options(max_gap_s);
        let context = access.map(access_context);
        let store = py
            .detach(|| match (&subjects, &buckets) {
                (Some(_), Some(_)) => Err(trailfence::Error::Option {
                    name: "subjects/buckets",
                    value: "both".into(),
                    reason: "give subjects or buckets, not both",
                }),
                (Some(s), None) => {
                    let names: Vec<&str> = s.iter().map(String::as_str).collect();
                    self.inner
                        .load_for_access(w, Some(&names), None, options, context.as_ref(), &operation)
                }
                (None, Some(b)) => self
                    .inner
                    .load_for_access(w, None, Some(b), options, context.as_ref(), &operation),
                (None, None) => self
                    .inner
                    .load_for_access(w, None, None, options, context.as_ref(), &operation),
            })
            .map_err(to_py)?;
        Ok(PyTrailStore {
            inner: store,
            report: trailfence::ReadReport::new("<store>"),
        })
    }

    /// The trail report of `subject` (a disclosure: the access policy is
    /// checked first; with `access` it is recorded with the SHA-256 of the
    /// HTML, written atomically to `path` when given). Returns the HTML and
    /// a summary.
    #[pyo3(signature = (subject, start, end, *, zones=None, options=None, access=None, path=None))]
    #[allow(clippy::too_many_arguments)]
    fn report<'py>(
        &self,
        py: Python<'py>,
        subject: &str,
        start: Option<i64>,
        end: Option<i64>,
        zones: Option<&PyZones>,
        options: Option<Bound<'py, PyDict>>,
        access: Option<(String, String, Option<String>)>,
        path: Option<PathBuf>,
    ) -> PyResult<(String, Bound<'py, PyDict>)> {
        let w = window(start, end)?;
        let context = access.map(access_context);
        let mut request = report_request(subject, w, options.as_ref(), None)?;
        request.provenance = vec![
            ("Store".into(), self.inner.dir().display().to_string()),
            ("Store manifest generation".into(), self.inner.generation().to_string()),
        ];
        let report = py
            .detach(|| {
                trailfence::check_access(self.inner.dir(), context.as_ref())?;
                let store = self
                    .inner
                    .load(w, Some(&[subject]), trailfence::StoreOptions::default())?;
                trailfence::trail_report::trail_report(&store, zones.map(|z| &z.inner), &request)
            })
            .map_err(to_py)?;
        let html = report.to_html();
        if let Some(p) = &path {
            trailfence::durable::write_atomic(p, html.as_bytes(), Default::default()).map_err(to_py)?;
        }
        let output = trailfence::AuditOutput {
            path: path.map_or_else(|| "<python>".to_string(), |p| p.display().to_string()),
            sha256: trailfence::sha256_hex(html.as_bytes()),
        };
        self.record(context.as_ref(), "report", subject, w, output)?;
        let summary = report_summary(py, &report)?;
        Ok((html, summary))
    }

    /// Writes the evidence pack of `subject` to `output` (a new folder, or a
    /// `.zip` file), a disclosure recorded like `report`; returns the
    /// manifest's SHA-256 and the number of files.
    #[pyo3(signature = (subject, start, end, output, *, zones=None, zones_text=None, options=None, access=None))]
    #[allow(clippy::too_many_arguments)]
    fn evidence_pack<'py>(
        &self,
        py: Python<'py>,
        subject: &str,
        start: Option<i64>,
        end: Option<i64>,
        output: PathBuf,
        zones: Option<&PyZones>,
        zones_text: Option<Vec<u8>>,
        options: Option<Bound<'py, PyDict>>,
        access: Option<(String, String, Option<String>)>,
    ) -> PyResult<(String, usize)> {
        let w = window(start, end)?;
        let context = access.map(access_context);
        let mut request = report_request(subject, w, options.as_ref(), None)?;
        request.provenance = vec![
            ("Store".into(), self.inner.dir().display().to_string()),
            ("Store manifest generation".into(), self.inner.generation().to_string()),
        ];
        let generation = self.inner.generation();
        let (digest, n, recorded) = py
            .detach(|| -> Result<_, trailfence::Error> {
                trailfence::check_access(self.inner.dir(), context.as_ref())?;
                let store = self
                    .inner
                    .load(w, Some(&[subject]), trailfence::StoreOptions::default())?;
                let z = match (zones, &zones_text) {
                    (Some(z), Some(t)) => Some((&z.inner, t.as_slice())),
                    (Some(_), None) => {
                        return Err(trailfence::Error::Option {
                            name: "zones",
                            value: "without text".into(),
                            reason: "an evidence pack keeps the zone file as given: load the zones from GeoJSON",
                        })
                    }
                    _ => None,
                };
                let pack = trailfence::pack::build_evidence_pack(&store, z, &request, Some(generation))?;
                let written = pack.write_to(&output)?;
                Ok((pack.manifest_sha256(), pack.files.len(), written))
            })
            .map_err(to_py)?;
        self.record(context.as_ref(), "evidence-pack", subject, w, recorded)?;
        Ok((digest, n))
    }

    /// Removes fixes before `before` (UTC µs) and/or of `subject` from every
    /// partition and the quarantine, recorded in the audit log first (see
    /// `ParquetStore::purge`); returns the summary.
    #[pyo3(signature = (access, *, before=None, subject=None))]
    fn purge<'py>(
        &mut self,
        py: Python<'py>,
        access: (String, String, Option<String>),
        before: Option<i64>,
        subject: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let context = access_context(access);
        let request = trailfence::PurgeRequest {
            before_us: before,
            subject,
        };
        let s = py.detach(|| self.inner.purge(&request, &context)).map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("fixes_removed", s.fixes_removed)?;
        d.set_item("partitions_rewritten", s.partitions_rewritten)?;
        d.set_item("files_deleted", s.files_deleted)?;
        d.set_item("quarantine_fixes_removed", s.quarantine_fixes_removed)?;
        d.set_item("quarantine_files_changed", s.quarantine_files_changed)?;
        d.set_item("interrupted_purge_files_deleted", s.interrupted_purge_files_deleted)?;
        Ok(d)
    }

    /// Imports the fixes of an in-memory store: (offered, added, already stored, conflicts, partitions written).
    fn import_trails(&mut self, py: Python<'_>, trails: &PyTrailStore) -> PyResult<(u64, u64, u64, u64, u64)> {
        let s = py.detach(|| self.inner.import(&trails.inner)).map_err(to_py)?;
        Ok((s.offered, s.added, s.already_stored, s.conflicts, s.partitions_written))
    }

    /// Merges partitions held in several files: (partitions compacted, files before, files after).
    fn compact(&mut self, py: Python<'_>) -> PyResult<(u64, u64, u64)> {
        let s = py.detach(|| self.inner.compact(&mut |_, _| {})).map_err(to_py)?;
        Ok((s.partitions_compacted, s.files_before, s.files_after))
    }

    /// Checks (or with `repair`, repairs) the store: (files checked, fixes
    /// verified, repaired, quarantined files, problems as columns).
    #[pyo3(signature = (*, repair=false))]
    fn verify<'py>(&mut self, py: Python<'py>, repair: bool) -> PyResult<(u64, u64, bool, u64, Bound<'py, PyDict>)> {
        let r = py
            .detach(|| {
                if repair {
                    self.inner.repair()
                } else {
                    self.inner.verify()
                }
            })
            .map_err(to_py)?;
        let p = &r.problems;
        let cols = Columns::new(py)
            .str("path", p.iter().map(|x| x.path.clone()).collect())?
            .str("kind", p.iter().map(|x| x.kind.as_str().to_string()).collect())?
            .str("detail", p.iter().map(|x| x.detail.clone()).collect())?
            .str("day", p.iter().map(|x| x.day.clone().unwrap_or_default()).collect())?
            .i64("bucket", p.iter().map(|x| x.bucket.map_or(-1, i64::from)).collect())?
            .i64("fixes", p.iter().map(|x| x.fixes as i64).collect())?
            .done();
        Ok((r.files_checked, r.fixes_checked, r.repaired, r.quarantined_files, cols))
    }
}

impl PyParquetStore {
    /// Records a disclosure of `subject` in `w` with its output, when there
    /// is an access context.
    fn record(
        &self,
        context: Option<&trailfence::AccessContext>,
        operation: &str,
        subject: &str,
        w: Window,
        output: trailfence::AuditOutput,
    ) -> PyResult<()> {
        if let Some(c) = context {
            trailfence::record_disclosure(
                self.inner.dir(),
                c,
                operation,
                vec![subject.to_string()],
                w,
                vec![output],
            )
            .map_err(to_py)?;
        }
        Ok(())
    }
}

/// Breach options from the façade's keywords over the core's defaults.
fn breach_options(
    max_gap_s: Option<f64>,
    min_fixes: Option<u32>,
    min_duration_s: Option<f64>,
    merge_gap_s: Option<f64>,
    assumed_accuracy_m: Option<f64>,
    evidence: Option<&Bound<'_, PyDict>>,
) -> PyResult<BreachOptions> {
    let d = BreachOptions::default();
    Ok(BreachOptions {
        min_fixes: min_fixes.unwrap_or(d.min_fixes),
        min_duration_s: min_duration_s.unwrap_or(d.min_duration_s),
        merge_gap_s: merge_gap_s.unwrap_or(d.merge_gap_s),
        assumed_accuracy_m: assumed_accuracy_m.or(d.assumed_accuracy_m),
        max_gap_s: max_gap_s.or(d.max_gap_s),
        evidence: crate::convert::evidence_model(evidence)?,
    })
}

/// An access context from the façade's (requested_by, purpose, case_reference).
fn access_context(a: (String, String, Option<String>)) -> trailfence::AccessContext {
    trailfence::AccessContext {
        requested_by: a.0,
        purpose: a.1,
        case_reference: a.2,
    }
}

/// A report request from the façade's options dict (unknown keys refused):
/// tz, max_map_points, grace_s, min_duration_s, assumed_accuracy_m,
/// stop_radius_m, stop_min_duration_s, evidence (dict).
fn report_request(
    subject: &str,
    w: Window,
    options: Option<&Bound<'_, PyDict>>,
    provenance: Option<Vec<(String, String)>>,
) -> PyResult<trailfence::trail_report::ReportRequest> {
    let mut r = trailfence::trail_report::ReportRequest::new(subject, w);
    let mut evidence = None;
    if let Some(o) = options {
        for (k, v) in o.iter() {
            let key: String = k.extract()?;
            match key.as_str() {
                "tz" => r.tz = v.extract()?,
                "max_map_points" => r.max_map_points = v.extract()?,
                "grace_s" => r.curfew.grace_s = v.extract()?,
                "min_duration_s" => r.breach.min_duration_s = v.extract()?,
                "assumed_accuracy_m" => {
                    let a: Option<f64> = v.extract()?;
                    r.breach.assumed_accuracy_m = a;
                    r.curfew.assumed_accuracy_m = a;
                }
                "stop_radius_m" => r.stop_radius_m = v.extract()?,
                "stop_min_duration_s" => r.stop_min_duration_s = v.extract()?,
                "tile_url" => r.tile_url = v.extract()?,
                "tile_attribution" => r.tile_attribution = v.extract()?,
                "evidence" => evidence = Some(v.cast_into::<PyDict>().map_err(PyErr::from)?),
                other => {
                    return Err(to_py(trailfence::Error::Option {
                        name: "report option",
                        value: other.to_string(),
                        reason: "unknown (tz, max_map_points, grace_s, min_duration_s, assumed_accuracy_m, stop_radius_m, stop_min_duration_s, tile_url, tile_attribution, evidence)",
                    }))
                }
            }
        }
    }
    let model = crate::convert::evidence_model(evidence.as_ref())?;
    r.breach.evidence = model;
    r.curfew.evidence = model;
    r.breach.validate().map_err(to_py)?;
    r.curfew.validate().map_err(to_py)?;
    if let Some(p) = provenance {
        r.provenance = p;
    }
    Ok(r)
}

/// The headline figures of a report, for the façade.
fn report_summary<'py>(py: Python<'py>, r: &trailfence::trail_report::TrailReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let confirmed = r
        .episodes
        .iter()
        .filter(|e| e.confidence == trailfence::Confidence::Confirmed)
        .count();
    d.set_item("fixes", r.quality.fixes)?;
    d.set_item("map_points", r.map_points)?;
    d.set_item("episodes", r.episodes.len())?;
    d.set_item("confirmed_episodes", confirmed)?;
    d.set_item("curfew_nights", r.curfew.len())?;
    d.set_item("curfew_violations", r.curfew.iter().map(|c| c.violations).sum::<u32>())?;
    d.set_item("stops", r.stops.len())?;
    d.set_item("gaps", r.gaps.len())?;
    Ok(d)
}

/// Checks an evidence pack (folder or .zip): the manifest's SHA-256 and the
/// manifest's fields, or a `ValidationError` naming what changed.
#[pyfunction]
pub(crate) fn verify_evidence_pack<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let s = py
        .detach(|| trailfence::pack::verify_evidence_pack(&path))
        .map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("manifest_sha256", s.manifest_sha256)?;
    d.set_item("subject", s.manifest.subject)?;
    d.set_item("window_start", s.manifest.window_start)?;
    d.set_item("window_end", s.manifest.window_end)?;
    d.set_item("store_generation", s.manifest.store_generation)?;
    d.set_item("software", s.manifest.software)?;
    d.set_item(
        "files",
        s.manifest.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
    )?;
    Ok(d)
}

/// Writes `data` to `path` through the core's one durable path (temporary
/// file, fsync, rename, owner-only): how the façade saves a report.
#[pyfunction]
pub(crate) fn write_private(py: Python<'_>, path: PathBuf, data: Vec<u8>) -> PyResult<()> {
    py.detach(|| trailfence::durable::write_atomic(&path, &data, Default::default()))
        .map_err(to_py)
}
