//! `trailfence._trailfence`: the native module behind the `trailfence` Python
//! package. It converts Python values (numpy arrays, strings, i64 UTC
//! microseconds), releases the GIL around real work and delegates every rule
//! to the core crate; it re-implements nothing. Results come back as dicts of
//! numpy arrays and string lists, which the pure-Python façade turns into
//! pandas DataFrames.

mod convert;
mod monitor;
mod store;
mod zones;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use trailfence::{BreachOptions, CurfewOptions};

use crate::convert::*;
use crate::monitor::PyMonitor;
use crate::store::{PyParquetStore, PyTrailStore};
use crate::zones::PyZones;

/// A published heatmap from merged dwell counts (rows of a cell are summed;
/// subjects of different rows must be disjoint): (columns, suppressed cells, suppressed seconds).
#[pyfunction]
#[pyo3(signature = (cell, dwell_half_us, subjects, *, min_subjects=None))]
fn heatmap_from_counts<'py>(
    py: Python<'py>,
    cell: PyReadonlyArray1<'py, i64>,
    dwell_half_us: PyReadonlyArray1<'py, i64>,
    subjects: PyReadonlyArray1<'py, i64>,
    min_subjects: Option<u32>,
) -> PyResult<(Bound<'py, PyDict>, u64, f64)> {
    let min_subjects = min_subjects.unwrap_or(trailfence::DEFAULT_MIN_SUBJECTS);
    let c: Vec<u64> = cell.as_slice()?.iter().map(|&c| c as u64).collect();
    let n: Vec<u32> = subjects
        .as_slice()?
        .iter()
        .map(|&n| u32::try_from(n))
        .collect::<Result<_, _>>()
        .map_err(|_| ValidationError::new_err("subjects: counts must be 0 to 4294967295"))?;
    let counts = trailfence::DwellCounts::from_columns(&c, dwell_half_us.as_slice()?, &n).map_err(to_py)?;
    let h = counts.suppress(min_subjects);
    heatmap_tuple(py, &h)
}

/// The H3 cell (hex string) of (lon, lat) at `resolution`.
#[pyfunction]
fn h3_cell(lon: f64, lat: f64, resolution: u8) -> PyResult<String> {
    trailfence::validate_position(lon, lat)
        .map_err(|(_, r)| ValidationError::new_err(format!("({lon}, {lat}): {r}")))?;
    Ok(trailfence::h3_cell(lon, lat, resolution).map_err(to_py)?.to_string())
}

/// Zone-less wall-clock µs (local time in `tz`) → UTC µs, refusing DST gaps
/// and folds with the row named.
#[pyfunction]
fn wall_clock_to_us<'py>(
    py: Python<'py>,
    local_us: PyReadonlyArray1<'py, i64>,
    tz: &str,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let v = trailfence::wall_clock_to_us(local_us.as_slice()?, tz).map_err(to_py)?;
    Ok(PyArray1::from_vec(py, v))
}

/// Default option values of the core, for the façade's documentation.
#[pyfunction]
fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    let m = trailfence::MonitorOptions::default();
    let b = BreachOptions::default();
    d.set_item("max_gap_s", trailfence::DEFAULT_MAX_GAP_S)?;
    d.set_item("min_subjects", trailfence::DEFAULT_MIN_SUBJECTS)?;
    d.set_item("stop_radius_m", trailfence::DEFAULT_STOP_RADIUS_M)?;
    d.set_item("stop_min_duration_s", trailfence::DEFAULT_STOP_MIN_DURATION_S)?;
    d.set_item("grace_s", CurfewOptions::default().grace_s)?;
    d.set_item("min_fixes", b.min_fixes)?;
    d.set_item("min_duration_s", b.min_duration_s)?;
    d.set_item("merge_gap_s", b.merge_gap_s)?;
    d.set_item("allowed_lateness_s", m.allowed_lateness_s)?;
    d.set_item("history_s", m.history_s)?;
    d.set_item("signal_loss_s", m.signal_loss_s)?;
    let e = trailfence::evidence::EvidenceModel::default();
    let ev = PyDict::new(py);
    ev.set_item("accuracy_level", e.accuracy_level)?;
    ev.set_item("confirm_probability", e.confirm_probability)?;
    ev.set_item("drift_tau_s", e.drift_tau_s)?;
    ev.set_item("outlier_speed_mps", e.outlier_speed_mps)?;
    ev.set_item("path_fraction", e.path_fraction)?;
    ev.set_item("calibration", e.calibration.to_vec())?;
    ev.set_item("recalibration", e.recalibration.to_vec())?;
    ev.set_item(
        "recalibration_knots",
        trailfence::evidence::RECALIBRATION_KNOTS.to_vec(),
    )?;
    d.set_item("evidence", ev)?;
    Ok(d)
}

/// Parses a time with the core parser to UTC µs (RFC 3339 with offset, epoch, or local with `tz`).
#[pyfunction]
#[pyo3(signature = (text, tz=None))]
fn parse_time_us(text: &str, tz: Option<&str>) -> PyResult<i64> {
    Ok(trailfence::parse_time(text, tz).map_err(to_py)?.as_microsecond())
}

#[pymodule]
fn _trailfence(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTrailStore>()?;
    m.add_class::<PyZones>()?;
    m.add_class::<PyMonitor>()?;
    m.add_class::<PyParquetStore>()?;
    m.add_function(wrap_pyfunction!(heatmap_from_counts, m)?)?;
    m.add_function(wrap_pyfunction!(h3_cell, m)?)?;
    m.add_function(wrap_pyfunction!(parse_time_us, m)?)?;
    m.add_function(wrap_pyfunction!(wall_clock_to_us, m)?)?;
    m.add_function(wrap_pyfunction!(defaults, m)?)?;
    m.add_function(wrap_pyfunction!(store::verify_evidence_pack, m)?)?;
    m.add_function(wrap_pyfunction!(store::write_private, m)?)?;
    m.add("TrailfenceError", m.py().get_type::<TrailfenceError>())?;
    m.add("ValidationError", m.py().get_type::<ValidationError>())?;
    m.add("StorageError", m.py().get_type::<StorageError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
