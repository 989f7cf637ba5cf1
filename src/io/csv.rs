//! CSV fixes: a header row, then one fix per row; column names configurable.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use super::text::Out;
use super::{io_err, source_name, validate_record, Num, ReadOptions, Tm, ValidRecord};
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
    let mut stream = CsvFixStream::new(input, source_name, options)?;
    let mut report = ReadReport::new(source_name);
    while let Some(rec) = stream.next_record()? {
        report.records += 1;
        match rec.fix {
            Ok(f) => {
                let slot = builder.subject_slot(f.subject);
                builder.push_valid(slot, f.t_us, f.lon, f.lat, f.accuracy_m);
                report.accepted += 1;
            }
            Err(e) => report.reject(options.mode, e)?,
        }
    }
    Ok(report)
}

/// A CSV fix stream read one record at a time — the batch CSV reader and
/// the streaming monitor's input (`trailfence monitor`) are the same code:
/// columns found by name in the header, every record validated by the one
/// path every reader uses, a bad record a located [`RecordError`] (the
/// stream goes on), malformed CSV a located [`Error::Format`] (it stops).
pub struct CsvFixStream<R: Read> {
    rdr: csv::Reader<R>,
    source_name: String,
    options: ReadOptions,
    header_len: usize,
    subject_col: Option<usize>,
    time_col: usize,
    lon_col: usize,
    lat_col: usize,
    acc_col: Option<usize>,
    rec: csv::StringRecord,
}

/// One record of a [`CsvFixStream`], borrowing the stream until the next
/// call (no allocation per record: the batch CSV reader goes through here).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord<'a> {
    /// Line of the record (1 is the header).
    pub line: u64,
    /// Byte offset just after the record: where to resume.
    pub end_byte: u64,
    /// The valid fix, or why the record is refused (file, line, field).
    pub fix: Result<ValidRecord<'a>, RecordError>,
}

impl<R: Read> CsvFixStream<R> {
    /// Reads the header of `input` and finds the columns named by
    /// `options.columns` (`subject`, `time`, `lon`, `lat`, optional
    /// `accuracy_m`).
    ///
    /// # Errors
    /// [`Error::Format`] naming line 1 when the header cannot be read or
    /// lacks a column.
    pub fn new(input: R, source_name: &str, options: &ReadOptions) -> Result<Self, Error> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let headers = rdr
            .headers()
            .map_err(|e| Error::format_from(source_name, format!("line 1: cannot read the header row: {e}"), e))?
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
        Ok(CsvFixStream {
            header_len: headers.len(),
            subject_col,
            time_col: need(&c.time)?,
            lon_col: need(&c.lon)?,
            lat_col: need(&c.lat)?,
            acc_col: find(&c.accuracy),
            rdr,
            source_name: source_name.to_string(),
            options: options.clone(),
            rec: csv::StringRecord::new(),
        })
    }

    /// The next record, `None` at the end of the input.
    ///
    /// # Errors
    /// [`Error::Format`] naming the line for malformed CSV (bad quoting,
    /// bytes that are not UTF-8): the stream cannot go on.
    pub fn next_record(&mut self) -> Result<Option<StreamRecord<'_>>, Error> {
        match self.rdr.read_record(&mut self.rec) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(Error::format(
                    &self.source_name,
                    format!("line {line}: malformed CSV: {e}"),
                ));
            }
        }
        let rec = &self.rec;
        let line = rec.position().map_or(0, |p| p.line());
        let end_byte = self.rdr.position().byte();
        let location = Location::Line(line);
        let fix = if rec.len() != self.header_len {
            // A decimal comma or a stray separator shifts every later value
            // into the wrong column: the row is not the fix it looks like.
            let value = format!("{} fields, the header has {}", rec.len(), self.header_len);
            Err(RecordError::new(
                &self.source_name,
                location,
                "row",
                &value,
                Reason::FieldCount,
            ))
        } else {
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i));
            validate_record(
                &self.options,
                &self.source_name,
                location,
                get(self.subject_col),
                Tm::Text(get(Some(self.time_col)).filter(|s| !s.is_empty())),
                Num::Text(get(Some(self.lon_col))),
                Num::Text(get(Some(self.lat_col))),
                Num::Text(get(self.acc_col)),
            )
        };
        Ok(Some(StreamRecord { line, end_byte, fix }))
    }

    /// The fields of the record last returned, joined by commas (for
    /// dead-letter files; built only when asked for).
    pub fn current_raw(&self) -> String {
        self.rec.iter().collect::<Vec<_>>().join(",")
    }
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
