//! Conversions shared by the classes: the one error conversion, windows,
//! time parsers, store options, read reports and column dicts.

#![allow(unused_imports)]
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use trailfence::{Mode, TimeFormat, TimeParser, Window};

create_exception!(
    _trailfence,
    TrailfenceError,
    PyException,
    "Base class of every trailfence error."
);
create_exception!(
    _trailfence,
    ValidationError,
    TrailfenceError,
    "Bad input (record, time, option, zone). The façade also makes it a ValueError."
);

create_exception!(
    _trailfence,
    StorageError,
    TrailfenceError,
    "A file could not be read or written (the façade also makes it an OSError)."
);

/// The one conversion from core errors to Python exceptions: I/O failures
/// are `StorageError` (an `OSError` in the façade), everything else is bad
/// input, `ValidationError` (a `ValueError` in the façade).
pub(crate) fn to_py(e: trailfence::Error) -> PyErr {
    match e {
        trailfence::Error::Io { .. } => StorageError::new_err(e.to_string()),
        other => ValidationError::new_err(other.to_string()),
    }
}

pub(crate) fn window(start: Option<i64>, end: Option<i64>) -> PyResult<Window> {
    Window::try_from_us(start, end).map_err(to_py)
}

/// A store builder with the core's default `max_gap_s` unless one is given.
pub(crate) fn builder(max_gap_s: Option<f64>) -> Result<trailfence::TrailStoreBuilder, trailfence::Error> {
    let b = trailfence::TrailStore::builder();
    match max_gap_s {
        Some(g) => b.max_gap_s(g),
        None => Ok(b),
    }
}

/// Store options with the core's default `max_gap_s` unless one is given.
pub(crate) fn store_options(max_gap_s: Option<f64>) -> trailfence::StoreOptions {
    let mut o = trailfence::StoreOptions::default();
    if let Some(g) = max_gap_s {
        o.max_gap_s = g;
    }
    o
}

pub(crate) fn parser(tz: Option<&str>) -> PyResult<TimeParser> {
    let p = TimeParser::new(TimeFormat::Auto);
    match tz {
        Some(tz) => p.with_time_zone(tz).map_err(to_py),
        None => Ok(p),
    }
}

pub(crate) fn report_tuple(r: &trailfence::ReadReport) -> ReportTuple {
    (
        r.records,
        r.accepted,
        r.skipped,
        r.skipped_by_reason
            .iter()
            .map(|(k, v)| (format!("{k:?}"), *v))
            .collect(),
        r.examples.iter().map(ToString::to_string).collect(),
    )
}

pub(crate) type ReportTuple = (u64, u64, u64, Vec<(String, u64)>, Vec<String>);

/// A heatmap as (columns cell, seconds, subjects; suppressed cells; suppressed seconds).
pub(crate) fn heatmap_tuple<'py>(py: Python<'py>, h: &trailfence::Heatmap) -> PyResult<(Bound<'py, PyDict>, u64, f64)> {
    let cols = Columns::new(py)
        .str("cell", h.cells.iter().map(|c| c.cell.clone()).collect())?
        .f64("seconds", h.cells.iter().map(|c| c.seconds).collect())?
        .i64("subjects", h.cells.iter().map(|c| i64::from(c.subjects)).collect())?
        .done();
    Ok((cols, h.suppressed_cells, h.suppressed_seconds))
}

/// Builds a dict of columns.
pub(crate) struct Columns<'py> {
    pub(crate) py: Python<'py>,
    pub(crate) dict: Bound<'py, PyDict>,
}

impl<'py> Columns<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
        Columns {
            py,
            dict: PyDict::new(py),
        }
    }
    pub(crate) fn f64(self, name: &str, v: Vec<f64>) -> PyResult<Self> {
        self.dict.set_item(name, PyArray1::from_vec(self.py, v))?;
        Ok(self)
    }
    pub(crate) fn i64(self, name: &str, v: Vec<i64>) -> PyResult<Self> {
        self.dict.set_item(name, PyArray1::from_vec(self.py, v))?;
        Ok(self)
    }
    pub(crate) fn str(self, name: &str, v: Vec<String>) -> PyResult<Self> {
        self.dict.set_item(name, v)?;
        Ok(self)
    }
    /// Optional texts (`None` where absent).
    pub(crate) fn opt_str(self, name: &str, v: Vec<Option<String>>) -> PyResult<Self> {
        self.dict.set_item(name, v)?;
        Ok(self)
    }
    pub(crate) fn done(self) -> Bound<'py, PyDict> {
        self.dict
    }
}

/// The evidence model from a façade `evidence` dict (keys: the fields of
/// `trailfence::evidence::EvidenceModel` except `calibration`); `None` is the
/// core's default. An unknown key is a `ValidationError` naming it.
pub(crate) fn evidence_model(d: Option<&Bound<'_, PyDict>>) -> PyResult<trailfence::evidence::EvidenceModel> {
    let mut m = trailfence::evidence::EvidenceModel::default();
    if let Some(d) = d {
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            let v: f64 = v.extract()?;
            match key.as_str() {
                "accuracy_level" => m.accuracy_level = v,
                "confirm_probability" => m.confirm_probability = v,
                "drift_tau_s" => m.drift_tau_s = v,
                "outlier_speed_mps" => m.outlier_speed_mps = v,
                "path_fraction" => m.path_fraction = v,
                other => {
                    return Err(ValidationError::new_err(format!(
                        "evidence option {other:?} is unknown (accuracy_level, confirm_probability, drift_tau_s, \
                         outlier_speed_mps, path_fraction)"
                    )))
                }
            }
        }
    }
    m.validate().map_err(to_py)?;
    Ok(m)
}
