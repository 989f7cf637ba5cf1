//! Readers and writers: CSV, GeoJSON, GPX 1.1 and Parquet in; CSV, GeoJSON,
//! GPX 1.1, KML and GeoParquet out.
//!
//! Readers validate every record and feed a [`TrailStoreBuilder`]; a bad
//! record is an error naming the file, the line or feature, and the field
//! ([`Mode::Strict`]) or a counted skip in the [`ReadReport`]
//! ([`Mode::Lenient`]). Writers take a [`TrailRequest`] and write what
//! practitioners open in QGIS or Google Earth.

mod csv;
mod geojson;
mod gpx;
mod kml;
mod parquet;
mod tables;
mod text;

pub use self::csv::{read_csv, read_csv_from, write_csv, CsvFixStream, StreamRecord};
pub use self::geojson::{read_geojson, read_geojson_str, write_geojson};
pub(crate) use self::gpx::xml_escape;
pub use self::gpx::{read_gpx, read_gpx_str, write_gpx, MAX_XML_ATTRIBUTES};
pub use self::kml::write_kml;
pub use self::parquet::{read_parquet, read_parquet_bytes, write_parquet};
pub use self::tables::{
    read_incidents, write_breaches, write_curfew, write_evidence, write_heatmap, write_near, write_proximity,
    write_stops, TableFormat,
};

use std::io::Write;
use std::path::Path;

use crate::error::{guard, Error, Location, Reason, RecordError};
use crate::report::{Mode, ReadReport};
use crate::store::{TrailRequest, TrailStoreBuilder};
use crate::time::TimeParser;

/// Names of the input fields (CSV columns, GeoJSON properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnNames {
    /// Subject id column (default `subject`).
    pub subject: String,
    /// Time column (default `time`).
    pub time: String,
    /// Longitude column, degrees (default `lon`).
    pub lon: String,
    /// Latitude column, degrees (default `lat`).
    pub lat: String,
    /// Accuracy column, metres (default `accuracy_m`); optional in the input.
    pub accuracy: String,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            subject: "subject".into(),
            time: "time".into(),
            lon: "lon".into(),
            lat: "lat".into(),
            accuracy: "accuracy_m".into(),
        }
    }
}

/// How to read an input file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Strict (fail on the first bad record) or lenient (skip and report).
    pub mode: Mode,
    /// Field names.
    pub columns: ColumnNames,
    /// How times are parsed (format and optional IANA zone for times without offset).
    pub time: TimeParser,
    /// Subject id for inputs without one (GPX, or records lacking the field).
    pub subject: Option<String>,
}

/// Output formats of a trail request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailFormat {
    /// CSV with columns subject,time,lon,lat,accuracy_m.
    Csv,
    /// GeoJSON FeatureCollection: a LineString per continuous part plus Point features.
    GeoJson,
    /// GPX 1.1: one track, a segment per continuous part.
    Gpx,
    /// KML 2.2: a LineString per continuous part plus time-stamped points.
    Kml,
    /// GeoParquet 1.1 (binary): the store's file format, one row per fix.
    Parquet,
}

impl TrailFormat {
    /// Parses a format name (`csv`, `geojson`/`json`, `gpx`, `kml`, `parquet`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "csv" => TrailFormat::Csv,
            "geojson" | "json" => TrailFormat::GeoJson,
            "gpx" => TrailFormat::Gpx,
            "kml" => TrailFormat::Kml,
            "parquet" | "geoparquet" => TrailFormat::Parquet,
            _ => return None,
        })
    }
}

/// Writes a trail request in `format`.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_trail<W: Write>(answer: &TrailRequest<'_>, format: TrailFormat, out: W) -> Result<(), Error> {
    match format {
        TrailFormat::Csv => write_csv(answer, out),
        TrailFormat::GeoJson => write_geojson(answer, out),
        TrailFormat::Gpx => write_gpx(answer, out),
        TrailFormat::Kml => write_kml(answer, out),
        TrailFormat::Parquet => write_parquet(answer, out),
    }
}

/// Reads a fix file, choosing the reader by extension (`.csv`, `.geojson` /
/// `.json`, `.gpx`, `.parquet`).
///
/// # Errors
/// [`Error::Format`] for an unknown extension; otherwise the reader's errors.
pub fn read_path(path: &Path, options: &ReadOptions, builder: &mut TrailStoreBuilder) -> Result<ReadReport, Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = source_name(path);
    match ext.as_str() {
        "csv" => guard(&name, || read_csv(path, options, builder)),
        "geojson" | "json" => guard(&name, || read_geojson(path, options, builder)),
        "gpx" => guard(&name, || read_gpx(path, options, builder)),
        "parquet" | "geoparquet" | "pq" => read_parquet(path, options, builder),
        _ => Err(Error::format(
            &path.display().to_string(),
            "unknown input format: expected a .csv, .geojson, .json, .gpx or .parquet file",
        )),
    }
}

/// The time field of one record: text to parse, or (Parquet) a UTC instant
/// or a zone-less wall-clock time, in microseconds.
pub(crate) enum Tm<'a> {
    Text(Option<&'a str>),
    Instant(Option<i64>),
    WallClock(Option<i64>),
}

/// Parsed numeric fields of one record (GeoJSON gives numbers, not text).
pub(crate) enum Num<'a> {
    Text(Option<&'a str>),
    Value(Option<f64>),
}

/// Validates one record and pushes it, or rejects it into the report.
#[allow(clippy::too_many_arguments)]
pub(crate) fn accept(
    builder: &mut TrailStoreBuilder,
    report: &mut ReadReport,
    options: &ReadOptions,
    location: Location,
    subject: Option<&str>,
    time: Tm<'_>,
    lon: Num<'_>,
    lat: Num<'_>,
    accuracy: Num<'_>,
) -> Result<(), Error> {
    report.records += 1;
    let src = report.source_name.clone();
    match validate_record(options, &src, location, subject, time, lon, lat, accuracy) {
        Ok(r) => {
            let slot = builder.subject_slot(r.subject);
            builder.push_valid(slot, r.t_us, r.lon, r.lat, r.accuracy_m);
            report.accepted += 1;
            Ok(())
        }
        Err(e) => report.reject(options.mode, e),
    }
}

/// One valid record: what every reader extracts, before it is stored or
/// (the monitor stream) pushed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidRecord<'a> {
    /// Subject id (trimmed; the reader's default subject when the record has none).
    pub subject: &'a str,
    /// UTC µs.
    pub t_us: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Accuracy radius, metres, when given.
    pub accuracy_m: Option<f64>,
}

impl ValidRecord<'_> {
    /// The fix as the monitor takes it (accuracy stored as `f32`, as in
    /// trails).
    pub fn track_fix(&self) -> crate::breach::TrackFix {
        crate::breach::TrackFix {
            t_us: self.t_us,
            lon: self.lon,
            lat: self.lat,
            accuracy_m: self.accuracy_m.map(|a| a as f32),
        }
    }
}

/// The one validation path of every reader: parses and checks one record's
/// fields in a fixed order (subject, time, lon, lat, accuracy), or names the
/// first bad field (with the input's column names) at `location`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn validate_record<'a>(
    options: &'a ReadOptions,
    src: &str,
    location: Location,
    subject: Option<&'a str>,
    time: Tm<'_>,
    lon: Num<'_>,
    lat: Num<'_>,
    accuracy: Num<'_>,
) -> Result<ValidRecord<'a>, RecordError> {
    let c = &options.columns;
    let reject = |field: &str, value: &str, reason: Reason| Err(RecordError::new(src, location, field, value, reason));
    let subject = subject
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or(options.subject.as_deref());
    let subject = match subject.map(|s| (s, crate::fix::check_subject(s))) {
        Some((s, Ok(()))) => s,
        Some((_, Err(bad))) => return Err(bad.at(src, location, Some(c))),
        None => return reject(&c.subject, "", Reason::MissingSubject),
    };
    let t = match time {
        Tm::Text(None) | Tm::Instant(None) | Tm::WallClock(None) => return reject(&c.time, "", Reason::MissingField),
        Tm::Text(Some(text)) => match options.time.parse(text) {
            Ok(t) => t,
            Err(r) => return reject(&c.time, text, r),
        },
        Tm::Instant(Some(us)) => match jiff::Timestamp::from_microsecond(us) {
            Ok(t) => t,
            Err(_) => return reject(&c.time, &us.to_string(), Reason::UnparseableTime),
        },
        Tm::WallClock(Some(us)) => match options.time.wall_clock(us) {
            Ok(t) => t,
            Err(r) => return reject(&c.time, &format!("{us} µs (no time zone)"), r),
        },
    };
    let num = |n: Num<'_>, required: bool| -> Result<Option<f64>, (String, Reason)> {
        match n {
            Num::Value(v) => match v {
                None if required => Err((String::new(), Reason::MissingField)),
                v => Ok(v),
            },
            Num::Text(None) => {
                if required {
                    Err((String::new(), Reason::MissingField))
                } else {
                    Ok(None)
                }
            }
            Num::Text(Some(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    return if required {
                        Err((String::new(), Reason::MissingField))
                    } else {
                        Ok(None)
                    };
                }
                s.parse::<f64>()
                    .map(Some)
                    .map_err(|_| (s.to_string(), Reason::UnparseableNumber))
            }
        }
    };
    let lon = match num(lon, true) {
        Ok(v) => v.unwrap_or(f64::NAN),
        Err((v, r)) => return reject(&c.lon, &v, r),
    };
    let lat = match num(lat, true) {
        Ok(v) => v.unwrap_or(f64::NAN),
        Err((v, r)) => return reject(&c.lat, &v, r),
    };
    let acc = match num(accuracy, false) {
        Ok(v) => v,
        Err((v, r)) => {
            // An unparseable accuracy is reported after a bad position.
            if let Err(bad) = crate::fix::check(None, lon, lat, None) {
                return Err(bad.at(src, location, Some(c)));
            }
            return reject(&c.accuracy, &v, r);
        }
    };
    if let Err(bad) = crate::fix::check(None, lon, lat, acc) {
        return Err(bad.at(src, location, Some(c)));
    }
    Ok(ValidRecord {
        subject,
        t_us: crate::time::to_us(t),
        lon,
        lat,
        accuracy_m: acc,
    })
}

/// Reads a text file; bytes that are not UTF-8 are bad input (a located
/// [`Error::Format`], exit code 2), not an I/O failure.
pub(crate) fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    String::from_utf8(bytes).map_err(|e| not_utf8(&source_name(path), e.as_bytes(), e.utf8_error()))
}

/// The error for text that is not UTF-8, naming the line and byte.
pub(crate) fn not_utf8(source_name: &str, bytes: &[u8], e: std::str::Utf8Error) -> Error {
    let at = e.valid_up_to();
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    Error::format(
        source_name,
        format!("line {line}: byte {at} is not valid UTF-8 (the file must be UTF-8 text)"),
    )
}

pub(crate) fn source_name(path: &Path) -> String {
    path.display().to_string()
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path.display(), e)
}

pub(crate) fn write_err(e: std::io::Error) -> Error {
    Error::io("<output>", e)
}

#[cfg(test)]
#[path = "io_tests.rs"]
mod tests;
