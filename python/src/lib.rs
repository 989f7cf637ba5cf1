//! `trailfence._trailfence`: the native module behind the `trailfence` Python
//! package. It converts Python values, releases the GIL around real work and
//! delegates every rule to the core crate; it re-implements nothing.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use trailfence::io::{read_csv, ColumnNames, ReadOptions};
use trailfence::{parse_time, Mode, TimeFormat, TimeParser, Window};

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
    "Bad input (record, time, option). Also catchable as ValueError through the Python façade."
);

/// The one conversion from core errors to Python exceptions.
fn to_py(e: trailfence::Error) -> PyErr {
    match e {
        trailfence::Error::Io { .. } => TrailfenceError::new_err(e.to_string()),
        other => ValidationError::new_err(other.to_string()),
    }
}

/// An immutable, indexed store of GPS trails.
#[pyclass(name = "TrailStore", module = "trailfence._trailfence", frozen)]
struct PyTrailStore {
    inner: trailfence::TrailStore,
    report: trailfence::ReadReport,
}

#[pymethods]
impl PyTrailStore {
    /// Reads fixes from a CSV file. `strict=False` skips bad records and
    /// itemises them in `report()`.
    #[staticmethod]
    #[pyo3(signature = (path, *, strict=true, subject="subject", time="time", lon="lon", lat="lat", accuracy="accuracy_m", tz=None, max_gap_s=600.0))]
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
        max_gap_s: f64,
    ) -> PyResult<Self> {
        let mut parser = TimeParser::new(TimeFormat::Auto);
        if let Some(tz) = tz {
            parser = parser.with_time_zone(tz).map_err(to_py)?;
        }
        let options = ReadOptions {
            mode: if strict { Mode::Strict } else { Mode::Lenient },
            columns: ColumnNames {
                subject: subject.into(),
                time: time.into(),
                lon: lon.into(),
                lat: lat.into(),
                accuracy: accuracy.into(),
            },
            time: parser,
            subject: None,
        };
        py.detach(|| {
            let mut builder = trailfence::TrailStore::builder().max_gap_s(max_gap_s)?;
            let report = read_csv(&path, &options, &mut builder)?;
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

    /// The lenient-mode report: (records, accepted, skipped, {reason: count}, [examples]).
    fn report(&self) -> (u64, u64, u64, Vec<(String, u64)>, Vec<String>) {
        let r = &self.report;
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

    /// Fixes with start <= t < end as columns: (times in UTC microseconds, lon, lat, accuracy_m or NaN).
    fn trail_columns(&self, py: Python<'_>, subject: &str, start: &str, end: &str) -> PyResult<TrailColumns> {
        py.detach(|| {
            let w = Window::new(parse_time(start, None)?, parse_time(end, None)?)?;
            let answer = self.inner.trail(subject, w)?;
            let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for f in answer.fixes() {
                cols.0.push(f.t_us);
                cols.1.push(f.lon);
                cols.2.push(f.lat);
                cols.3.push(f.accuracy_m.map_or(f64::NAN, f64::from));
            }
            Ok(cols)
        })
        .map_err(to_py)
    }

    fn __repr__(&self) -> String {
        format!(
            "TrailStore(subjects={}, fixes={})",
            self.inner.subject_count(),
            self.inner.fix_count()
        )
    }
}

type TrailColumns = (Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>);

#[pymodule]
fn _trailfence(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTrailStore>()?;
    m.add("TrailfenceError", m.py().get_type::<TrailfenceError>())?;
    m.add("ValidationError", m.py().get_type::<ValidationError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
