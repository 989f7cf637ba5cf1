//! Parquet in and out: fixes from any Parquet file with subject, time and
//! position columns (the store's own files, pandas/pyarrow/DuckDB/GeoPandas
//! exports), and trail requests written as GeoParquet 1.1.
//!
//! Accepted column types — subject: utf8, large utf8, utf8 view or a
//! dictionary of utf8 (pandas categoricals); time: a timestamp of any unit
//! (with a time zone = UTC instants; without one = wall-clock times, accepted
//! only with a named IANA zone, gaps and folds refused), text (as in CSV) or
//! integer/float epoch seconds or milliseconds; lon/lat/accuracy: float64,
//! float32 or integers. Without lon/lat columns, a WKB `geometry` column of
//! points (GeoPandas, DuckDB) is read instead. Rows are numbered from 1 in
//! file order in every error.

use std::io::Write;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{accept, io_err, source_name, write_err, Num, ReadOptions, Tm};
use crate::error::{Error, Location, Reason, RecordError};
use crate::geoparquet::{encode_geoparquet, Rows};
use crate::report::ReadReport;
use crate::store::{TrailRequest, TrailStoreBuilder};

/// Reads fixes from a Parquet file (see the module docs for the accepted
/// column types).
///
/// # Errors
/// [`Error::Io`]; [`Error::Format`] for an unreadable file, a missing column
/// or a column of an unusable type (naming the column and its type); in
/// strict mode the first bad record (file, row, field, reason).
pub fn read_parquet(path: &Path, options: &ReadOptions, builder: &mut TrailStoreBuilder) -> Result<ReadReport, Error> {
    let name = source_name(path);
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    read_parquet_bytes(bytes::Bytes::from(bytes), &name, options, builder)
}

/// Reads fixes from a Parquet file held in memory; `source_name` names it in
/// errors. A panic inside the Parquet/Arrow decoders (their bugs, met by a
/// malformed or crafted file) is caught and reported as a located
/// [`Error::Format`].
///
/// # Errors
/// As [`read_parquet`].
pub fn read_parquet_bytes(
    bytes: bytes::Bytes,
    source_name: &str,
    options: &ReadOptions,
    builder: &mut TrailStoreBuilder,
) -> Result<ReadReport, Error> {
    crate::error::guard(source_name, || decode_parquet(bytes, source_name, options, builder))
}

fn decode_parquet(
    bytes: bytes::Bytes,
    name: &str,
    options: &ReadOptions,
    builder: &mut TrailStoreBuilder,
) -> Result<ReadReport, Error> {
    let name = name.to_string();
    let fmt = |e: &dyn std::fmt::Display| Error::format(&name, format!("not a readable Parquet file: {e}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| fmt(&e))?
        .with_batch_size(65_536)
        .build()
        .map_err(|e| fmt(&e))?;
    let mut report = ReadReport::new(&name);
    let mut row = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| fmt(&e))?;
        let cols = Columns::of(&batch, options, &name)?;
        for i in 0..batch.num_rows() {
            row += 1;
            let loc = Location::Row(row);
            let time = cols.time.get(i);
            let text_time;
            let time = match time {
                TimeCell::Tm(t) => t,
                TimeCell::Number(v) => {
                    text_time = v.map(|v| v.to_string());
                    Tm::Text(text_time.as_deref())
                }
            };
            let (lon, lat) = match &cols.position {
                Position::Columns(x, y) => (x.get(i), y.get(i)),
                Position::Wkb(g, field) => match wkb_point(g, i) {
                    Ok(Some((x, y))) => (Some(x), Some(y)),
                    Ok(None) => (None, None),
                    Err(()) => {
                        report.records += 1;
                        let e = RecordError::new(&name, loc, field, "<WKB>", Reason::BadGeometry);
                        report.reject(options.mode, e)?;
                        continue;
                    }
                },
            };
            accept(
                builder,
                &mut report,
                options,
                loc,
                cols.subject.as_ref().and_then(|s| s.get(i)),
                time,
                Num::Value(lon),
                Num::Value(lat),
                Num::Value(cols.accuracy.as_ref().and_then(|a| a.get(i))),
            )?;
        }
    }
    Ok(report)
}

/// Writes a trail request as one GeoParquet 1.1 file: columns `subject`,
/// `time` (timestamp µs, UTC), `lon`, `lat` (degrees), `accuracy_m` (float32,
/// null when not reported) and a WKB point `geometry` — the store's file
/// format, which pandas, pyarrow, DuckDB and GeoPandas read directly.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_parquet<W: Write>(answer: &TrailRequest<'_>, mut out: W) -> Result<(), Error> {
    let mut rows = Rows::default();
    for f in answer.fixes() {
        rows.push(answer.subject(), f.t_us, f.lon, f.lat, f.accuracy_m);
    }
    let bytes = encode_geoparquet(&rows)?;
    out.write_all(&bytes).map_err(write_err)?;
    out.flush().map_err(write_err)
}

/// The resolved columns of one record batch.
struct Columns<'a> {
    subject: Option<StrCol<'a>>,
    time: TimeCol<'a>,
    position: Position<'a>,
    accuracy: Option<NumCol<'a>>,
}

enum Position<'a> {
    Columns(NumCol<'a>, NumCol<'a>),
    Wkb(BinCol<'a>, &'a str),
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch, options: &'a ReadOptions, name: &str) -> Result<Self, Error> {
        let c = &options.columns;
        let names = || {
            batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let missing = |col: &str| Error::format(name, format!("no column `{col}` (columns: {})", names()));
        let wrong = |col: &str, a: &ArrayRef, want: &str| {
            Error::format(
                name,
                format!("column `{col}` has type {}; expected {want}", a.data_type()),
            )
        };
        let subject = match batch.column_by_name(&c.subject) {
            Some(a) => Some(StrCol::of(a).ok_or_else(|| wrong(&c.subject, a, "text"))?),
            None if options.subject.is_some() => None,
            None => return Err(missing(&c.subject)),
        };
        let t = batch.column_by_name(&c.time).ok_or_else(|| missing(&c.time))?;
        let time = TimeCol::of(t).ok_or_else(|| wrong(&c.time, t, "a timestamp, text or epoch numbers"))?;
        let num = |col: &str| -> Result<Option<NumCol<'a>>, Error> {
            match batch.column_by_name(col) {
                Some(a) => Ok(Some(NumCol::of(a).ok_or_else(|| wrong(col, a, "numbers"))?)),
                None => Ok(None),
            }
        };
        let position = match (num(&c.lon)?, num(&c.lat)?) {
            (Some(x), Some(y)) => Position::Columns(x, y),
            (None, None) => match batch.column_by_name("geometry") {
                Some(g) => Position::Wkb(
                    BinCol::of(g).ok_or_else(|| wrong("geometry", g, "WKB points (binary)"))?,
                    "geometry",
                ),
                None => return Err(missing(&c.lon)),
            },
            (None, _) => return Err(missing(&c.lon)),
            (_, None) => return Err(missing(&c.lat)),
        };
        let accuracy = num(&c.accuracy)?;
        Ok(Columns {
            subject,
            time,
            position,
            accuracy,
        })
    }
}

enum StrCol<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Dict(Vec<Option<usize>>, Box<StrCol<'a>>),
}

impl<'a> StrCol<'a> {
    fn of(a: &'a ArrayRef) -> Option<Self> {
        Self::of_dyn(a.as_ref())
    }

    fn of_dyn(a: &'a dyn Array) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Utf8 => StrCol::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => StrCol::Large(a.as_string::<i64>()),
            DataType::Utf8View => StrCol::View(a.as_string_view()),
            DataType::Dictionary(_, _) => {
                let d = a.as_any_dictionary_opt()?;
                let keys = d.normalized_keys();
                let idx = (0..a.len()).map(|i| (!a.is_null(i)).then(|| keys[i])).collect();
                StrCol::Dict(idx, Box::new(Self::of_dyn(d.values().as_ref())?))
            }
            _ => return None,
        })
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StrCol::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            StrCol::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            StrCol::View(a) => (!a.is_null(i)).then(|| a.value(i)),
            StrCol::Dict(idx, values) => idx[i].and_then(|k| values.get(k)),
        }
    }
}

enum NumCol<'a> {
    F64(&'a arrow_array::Float64Array),
    F32(&'a arrow_array::Float32Array),
    I64(&'a arrow_array::Int64Array),
    I32(&'a arrow_array::Int32Array),
}

impl<'a> NumCol<'a> {
    fn of(a: &'a ArrayRef) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Float64 => NumCol::F64(a.as_primitive::<Float64Type>()),
            DataType::Float32 => NumCol::F32(a.as_primitive::<Float32Type>()),
            DataType::Int64 => NumCol::I64(a.as_primitive::<Int64Type>()),
            DataType::Int32 => NumCol::I32(a.as_primitive::<Int32Type>()),
            _ => return None,
        })
    }

    fn get(&self, i: usize) -> Option<f64> {
        match self {
            NumCol::F64(a) => (!a.is_null(i)).then(|| a.value(i)),
            NumCol::F32(a) => (!a.is_null(i)).then(|| f64::from(a.value(i))),
            NumCol::I64(a) => (!a.is_null(i)).then(|| a.value(i) as f64),
            NumCol::I32(a) => (!a.is_null(i)).then(|| f64::from(a.value(i))),
        }
    }
}

enum TimeCol<'a> {
    /// Timestamps as (raw values, microseconds per unit or 0 for ns, has zone).
    Stamp(&'a dyn Array, Vec<i64>, bool),
    Text(StrCol<'a>),
    Number(NumCol<'a>),
}

enum TimeCell<'a> {
    Tm(Tm<'a>),
    Number(Option<f64>),
}

impl<'a> TimeCol<'a> {
    fn of(a: &'a ArrayRef) -> Option<Self> {
        if let DataType::Timestamp(unit, tz) = a.data_type() {
            let us: Vec<i64> = match unit {
                TimeUnit::Second => a
                    .as_primitive::<TimestampSecondType>()
                    .values()
                    .iter()
                    .map(|v| v.saturating_mul(1_000_000))
                    .collect(),
                TimeUnit::Millisecond => a
                    .as_primitive::<TimestampMillisecondType>()
                    .values()
                    .iter()
                    .map(|v| v.saturating_mul(1_000))
                    .collect(),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().values().to_vec(),
                TimeUnit::Nanosecond => a
                    .as_primitive::<TimestampNanosecondType>()
                    .values()
                    .iter()
                    .map(|v| v.div_euclid(1_000))
                    .collect(),
            };
            return Some(TimeCol::Stamp(a.as_ref(), us, tz.is_some()));
        }
        if let Some(s) = StrCol::of(a) {
            return Some(TimeCol::Text(s));
        }
        NumCol::of(a).map(TimeCol::Number)
    }

    fn get(&self, i: usize) -> TimeCell<'a> {
        match self {
            TimeCol::Stamp(a, us, zoned) => {
                let v = (!a.is_null(i)).then(|| us[i]);
                TimeCell::Tm(if *zoned { Tm::Instant(v) } else { Tm::WallClock(v) })
            }
            TimeCol::Text(s) => TimeCell::Tm(Tm::Text(s.get(i))),
            TimeCol::Number(n) => TimeCell::Number(n.get(i)),
        }
    }
}

enum BinCol<'a> {
    Small(&'a arrow_array::BinaryArray),
    Large(&'a arrow_array::LargeBinaryArray),
}

impl<'a> BinCol<'a> {
    fn of(a: &'a ArrayRef) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Binary => BinCol::Small(a.as_binary::<i32>()),
            DataType::LargeBinary => BinCol::Large(a.as_binary::<i64>()),
            _ => return None,
        })
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        match self {
            BinCol::Small(a) => (!a.is_null(i)).then(|| a.value(i)),
            BinCol::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

/// Decodes a WKB point (2D, or Z/M/ZM in ISO or EWKB form; the extra
/// ordinates are ignored). `Ok(None)` for a null cell; `Err` for anything
/// that is not a point with finite-or-not coordinates.
fn wkb_point(col: &BinCol<'_>, i: usize) -> Result<Option<(f64, f64)>, ()> {
    let Some(b) = col.get(i) else { return Ok(None) };
    if b.len() < 21 {
        return Err(());
    }
    let le = match b[0] {
        1 => true,
        0 => false,
        _ => return Err(()),
    };
    let word = |k: usize| -> u32 {
        let w: [u8; 4] = b[k..k + 4].try_into().unwrap_or([0; 4]);
        if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    };
    let ty = word(1);
    let has_srid = ty & 0x2000_0000 != 0;
    let base = (ty & 0x0FFF_FFFF) % 1000;
    if base != 1 {
        return Err(());
    }
    let at = if has_srid { 9 } else { 5 };
    if b.len() < at + 16 {
        return Err(());
    }
    let f = |k: usize| -> f64 {
        let w: [u8; 8] = b[k..k + 8].try_into().unwrap_or([0; 8]);
        if le {
            f64::from_le_bytes(w)
        } else {
            f64::from_be_bytes(w)
        }
    };
    Ok(Some((f(at), f(at + 8))))
}
