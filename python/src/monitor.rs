//! `Monitor`: the streaming monitor.

#![allow(unused_imports)]
use std::path::PathBuf;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use trailfence::io::{read_csv, ColumnNames, ReadOptions};
use trailfence::{BreachOptions, CurfewOptions, Incident, Mode, Target, TimeFormat, TimeParser, Window, ZoneSet};

use crate::convert::*;
use crate::zones::PyZones;
use trailfence::{Confidence, EpisodeKind, EventKind};

/// The streaming monitor.
#[pyclass(name = "Monitor", module = "trailfence._trailfence")]
pub(crate) struct PyMonitor {
    pub(crate) inner: trailfence::Monitor,
}

/// Events as columns (no JSON crosses the boundary): absent times are
/// `i64::MIN` (numpy's NaT), absent texts `""`, absent fix counts -1.
/// Repeated texts (kind, subject, zone, ...) are one Python string each,
/// shared by every row that has it (looked up by enum value or by the
/// address of the shared id, not by hashing text: this is the hot path of
/// `push_many`).
fn event_columns<'py>(py: Python<'py>, events: &[trailfence::MonitorEvent]) -> PyResult<Bound<'py, PyDict>> {
    use pyo3::types::{PyList, PyString};
    use std::sync::Arc;
    let text = |v: &str| PyString::new(py, v);
    // Small closed sets: one string per value.
    let kinds: Vec<_> = EventKind::ALL.into_iter().map(|k| (k, text(k.as_str()))).collect();
    let kind_of = |k: EventKind| kinds.iter().find(|(x, _)| *x == k).map(|(_, s)| s.clone());
    // Absent texts are None (the façade needs no masking pass).
    let (empty, none, episode_kinds, confidences) = (
        text(""),
        py.None().into_bound(py),
        [EpisodeKind::Exclusion, EpisodeKind::Inclusion, EpisodeKind::Buffer].map(|k| (k, text(k.as_str()).into_any())),
        [Confidence::Confirmed, Confidence::Possible].map(|c| (c, text(c.as_str()).into_any())),
    );
    // Shared ids (`Arc<str>`): one string per distinct id, by address.
    let mut by_address: std::collections::HashMap<usize, Bound<'py, PyString>> = std::collections::HashMap::new();
    let mut shared = |v: &Arc<str>| {
        by_address
            .entry(Arc::as_ptr(v) as *const u8 as usize)
            .or_insert_with(|| text(v))
            .clone()
    };
    let n = events.len();
    let mut version = Vec::with_capacity(n);
    let (mut kind, mut subject, mut zone, mut ek, mut conf, mut id) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut hex = [0u8; 16];
    for e in events {
        kind.push(kind_of(e.kind).unwrap_or_else(|| empty.clone()));
        subject.push(shared(&e.subject));
        zone.push(e.zone.as_ref().map_or_else(|| none.clone(), |z| shared(z).into_any()));
        version.push(
            e.zone_version
                .as_deref()
                .map_or_else(|| none.clone(), |v| text(v).into_any()),
        );
        ek.push(e.episode_kind.map_or_else(
            || none.clone(),
            |k| {
                episode_kinds
                    .iter()
                    .find(|(x, _)| *x == k)
                    .map_or_else(|| none.clone(), |(_, s)| s.clone())
            },
        ));
        conf.push(e.confidence.map_or_else(
            || none.clone(),
            |c| {
                confidences
                    .iter()
                    .find(|(x, _)| *x == c)
                    .map_or_else(|| none.clone(), |(_, s)| s.clone())
            },
        ));
        // 16 lower-case hex digits, as `EventId`'s Display, without an allocation.
        for (k, b) in hex.iter_mut().enumerate() {
            let nibble = (e.id.0 >> (60 - 4 * k)) & 0xf;
            *b = b"0123456789abcdef"[nibble as usize];
        }
        id.push(text(std::str::from_utf8(&hex).unwrap_or("")));
    }
    let d = PyDict::new(py);
    d.set_item("id", PyList::new(py, id)?)?;
    d.set_item("kind", PyList::new(py, kind)?)?;
    d.set_item("subject", PyList::new(py, subject)?)?;
    d.set_item("zone", PyList::new(py, zone)?)?;
    d.set_item("zone_version", PyList::new(py, version)?)?;
    d.set_item("episode_kind", PyList::new(py, ek)?)?;
    d.set_item("confidence", PyList::new(py, conf)?)?;
    let time = |f: &dyn Fn(&trailfence::MonitorEvent) -> Option<i64>| {
        events.iter().map(|e| f(e).unwrap_or(i64::MIN)).collect::<Vec<i64>>()
    };
    Columns { py, dict: d }
        .i64("start_us", time(&|e| e.start_us))?
        .i64("end_us", time(&|e| e.end_us))?
        .i64("old_start_us", time(&|e| e.old_start_us))?
        .i64("old_end_us", time(&|e| e.old_end_us))?
        .i64("fixes", events.iter().map(|e| e.fixes.map_or(-1, i64::from)).collect())?
        .f64(
            "probability",
            events.iter().map(|e| e.probability.unwrap_or(f64::NAN)).collect(),
        )?
        .i64(
            "supporting_fixes",
            events
                .iter()
                .map(|e| e.supporting_fixes.map_or(-1, i64::from))
                .collect(),
        )?
        .i64(
            "outlier_fixes",
            events.iter().map(|e| e.outlier_fixes.map_or(-1, i64::from)).collect(),
        )?
        .f64(
            "max_margin_sigma",
            events.iter().map(|e| e.max_margin_sigma.unwrap_or(f64::NAN)).collect(),
        )?
        .f64(
            "combined_margin_sigma",
            events
                .iter()
                .map(|e| e.combined_margin_sigma.unwrap_or(f64::NAN))
                .collect(),
        )?
        .f64(
            "mean_error_m",
            events.iter().map(|e| e.mean_error_m.unwrap_or(f64::NAN)).collect(),
        )?
        .f64(
            "separation_before_sigma",
            events
                .iter()
                .map(|e| e.separation_before_sigma.unwrap_or(f64::NAN))
                .collect(),
        )?
        .f64(
            "separation_after_sigma",
            events
                .iter()
                .map(|e| e.separation_after_sigma.unwrap_or(f64::NAN))
                .collect(),
        )?
        .i64("event_time_us", time(&|e| Some(e.event_time_us)))?
        .i64("processing_time_us", time(&|e| Some(e.processing_time_us)))
        .map(Columns::done)
}

#[pymethods]
impl PyMonitor {
    #[new]
    #[pyo3(signature = (zones, *, max_gap_s=None, allowed_lateness_s=None, history_s=None, signal_loss_s=None, assumed_accuracy_m=None, evidence=None))]
    fn new(
        zones: &PyZones,
        max_gap_s: Option<f64>,
        allowed_lateness_s: Option<f64>,
        history_s: Option<f64>,
        signal_loss_s: Option<f64>,
        assumed_accuracy_m: Option<f64>,
        evidence: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let d = trailfence::MonitorOptions::default();
        let options = trailfence::MonitorOptions {
            max_gap_s: max_gap_s.unwrap_or(d.max_gap_s),
            allowed_lateness_s: allowed_lateness_s.unwrap_or(d.allowed_lateness_s),
            history_s: history_s.unwrap_or(d.history_s),
            signal_loss_s: signal_loss_s.unwrap_or(d.signal_loss_s),
            assumed_accuracy_m: assumed_accuracy_m.or(d.assumed_accuracy_m),
            evidence: crate::convert::evidence_model(evidence.as_ref())?,
        };
        Ok(PyMonitor {
            inner: trailfence::Monitor::new(zones.inner.clone(), options).map_err(to_py)?,
        })
    }

    /// Pushes fixes (columns; subjects as codes into `names`, as
    /// `pandas.factorize` gives them, so no per-row string crosses the
    /// boundary); returns the events as columns.
    #[allow(clippy::too_many_arguments)]
    fn push_columns<'py>(
        &mut self,
        py: Python<'py>,
        codes: PyReadonlyArray1<'_, i64>,
        names: Vec<String>,
        t_us: PyReadonlyArray1<'_, i64>,
        lon: PyReadonlyArray1<'_, f64>,
        lat: PyReadonlyArray1<'_, f64>,
        accuracy_m: PyReadonlyArray1<'_, f64>,
        processing_time_us: i64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (codes, t, x, y, a) = (
            codes.as_slice()?,
            t_us.as_slice()?,
            lon.as_slice()?,
            lat.as_slice()?,
            accuracy_m.as_slice()?,
        );
        let n = codes.len();
        if [t.len(), x.len(), y.len(), a.len()].iter().any(|&l| l != n) {
            return Err(ValidationError::new_err("columns differ in length"));
        }
        if let Some(c) = codes.iter().find(|&&c| c < 0 || c as usize >= names.len()) {
            return Err(ValidationError::new_err(format!(
                "subject code {c} outside the {} names given",
                names.len()
            )));
        }
        let inner = &mut self.inner;
        let events = py.detach(|| {
            let batch: Vec<(&str, trailfence::TrackFix)> = (0..n)
                .map(|i| {
                    (
                        names[codes[i] as usize].as_str(),
                        trailfence::TrackFix {
                            t_us: t[i],
                            lon: x[i],
                            lat: y[i],
                            accuracy_m: (!a[i].is_nan()).then_some(a[i] as f32),
                        },
                    )
                })
                .collect();
            inner.push_many(&batch, processing_time_us)
        });
        event_columns(py, &events.map_err(to_py)?)
    }

    /// Signal-loss check at `now_us`; events as columns.
    fn tick<'py>(&mut self, py: Python<'py>, now_us: i64) -> PyResult<Bound<'py, PyDict>> {
        event_columns(py, &self.inner.tick(now_us))
    }

    /// End of stream: flush and close; events as columns.
    fn finish<'py>(&mut self, py: Python<'py>, processing_time_us: i64) -> PyResult<Bound<'py, PyDict>> {
        event_columns(py, &self.inner.finish(processing_time_us))
    }

    /// All state, versioned JSON bytes.
    fn checkpoint<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        Ok(pyo3::types::PyBytes::new(py, &self.inner.checkpoint().map_err(to_py)?))
    }

    /// Resumes from `checkpoint()` bytes taken over other zones: the
    /// retained history replayed under `zones`; returns the monitor and the
    /// migration's events as columns.
    #[staticmethod]
    fn restore_migrating<'py>(
        py: Python<'py>,
        zones: &PyZones,
        data: &[u8],
        processing_time_us: i64,
    ) -> PyResult<(Self, Bound<'py, PyDict>)> {
        let (inner, events) = py
            .detach(|| trailfence::Monitor::restore_migrating(zones.inner.clone(), data, processing_time_us))
            .map_err(to_py)?;
        Ok((PyMonitor { inner }, event_columns(py, &events)?))
    }

    /// Applies new licence conditions (`zones` with new versions, absences
    /// or suspensions): the retained history judged again; the amendments
    /// and withdrawals as columns.
    fn update_conditions<'py>(
        &mut self,
        py: Python<'py>,
        zones: &PyZones,
        processing_time_us: i64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let zones = zones.inner.clone();
        let inner = &mut self.inner;
        let events = py
            .detach(|| inner.update_conditions(zones, processing_time_us))
            .map_err(to_py)?;
        event_columns(py, &events)
    }

    /// Resumes from `checkpoint()` bytes over the same zones.
    #[staticmethod]
    fn restore(zones: &PyZones, data: &[u8]) -> PyResult<Self> {
        Ok(PyMonitor {
            inner: trailfence::Monitor::restore(zones.inner.clone(), data).map_err(to_py)?,
        })
    }
}
