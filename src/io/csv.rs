//! CSV fixes: a header row, then one fix per row; column names configurable.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use super::text::Out;
use super::{accept, io_err, source_name, Num, ReadOptions, Tm};
use crate::error::{Error, Location, Reason, RecordError};
use crate::report::ReadReport;
use crate::store::{TrailRequest, TrailStoreBuilder};

/// Reads fixes from a CSV file with a header row into `builder`.
///
/// Required columns: subject (unless [`ReadOptions::subject`] names one),
/// time, lon, lat; the accuracy column is optional and an empty cell means
/// "not reported". Every row must have as many fields as the header (a row
/// with more or fewer is a bad record of field `row`, never re-aligned).
/// Line numbers in errors are 1-based file lines.
///
/// # Errors
/// [`Error::Io`], [`Error::Format`] (missing column, malformed CSV) or, in
/// strict mode, the first bad record.
pub fn read_csv(path: &Path, options: &ReadOptions, builder: &mut TrailStoreBuilder) -> Result<ReadReport, Error> {
    let file = File::open(path).map_err(io_err(path))?;
    read_csv_from(file, &source_name(path), options, builder)
}

/// Reads CSV fixes from any reader; `source_name` names it in errors.
///
/// # Errors
/// As [`read_csv`].
pub fn read_csv_from<R: Read>(
    input: R,
    source_name: &str,
    options: &ReadOptions,
    builder: &mut TrailStoreBuilder,
) -> Result<ReadReport, Error> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = rdr
        .headers()
        .map_err(|e| Error::format_from(source_name, format!("cannot read the header row: {e}"), e))?
        .clone();
    let c = &options.columns;
    let find = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| {
            Error::format(
                source_name,
                format!(
                    "line 1: no column `{name}` in the header (columns: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            )
        })
    };
    let subject_col = if options.subject.is_some() {
        find(&c.subject)
    } else {
        Some(need(&c.subject)?)
    };
    let (time_col, lon_col, lat_col) = (need(&c.time)?, need(&c.lon)?, need(&c.lat)?);
    let acc_col = find(&c.accuracy);
    let mut report = ReadReport::new(source_name);
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(Error::format(source_name, format!("line {line}: malformed CSV: {e}")));
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != headers.len() {
            // A decimal comma or a stray separator shifts every later value
            // into the wrong column: the row is not the fix it looks like.
            report.records += 1;
            let value = format!("{} fields, the header has {}", rec.len(), headers.len());
            let err = RecordError::new(source_name, Location::Line(line), "row", &value, Reason::FieldCount);
            report.reject(options.mode, err)?;
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i));
        accept(
            builder,
            &mut report,
            options,
            Location::Line(line),
            get(subject_col),
            Tm::Text(get(Some(time_col)).filter(|s| !s.is_empty())),
            Num::Text(get(Some(lon_col))),
            Num::Text(get(Some(lat_col))),
            Num::Text(get(acc_col)),
        )?;
    }
    Ok(report)
}

/// Writes a trail request as CSV: `subject,time,lon,lat,accuracy_m` with RFC
/// 3339 UTC times and an empty accuracy cell when not reported.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_csv<W: Write>(answer: &TrailRequest<'_>, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    let subject = csv_field(answer.subject());
    o.s("subject,time,lon,lat,accuracy_m\n");
    for f in answer.fixes() {
        o.s(&subject)
            .s(",")
            .time(f.t_us)
            .s(",")
            .f64(f.lon)
            .s(",")
            .f64(f.lat)
            .s(",");
        if let Some(a) = f.accuracy_m {
            o.f32(a);
        }
        o.s("\n").maybe_flush()?;
    }
    o.finish()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
