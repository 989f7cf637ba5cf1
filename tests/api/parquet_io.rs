//! Parquet in and out: column types, time zones, WKB geometry, and errors
//! naming the file, row and field.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BinaryArray, DictionaryArray, Float32Array, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampNanosecondArray,
};
use parquet::arrow::ArrowWriter;
use trailfence::io::{read_csv, read_parquet, write_trail, ReadOptions, TrailFormat};
use trailfence::{Error, Location, Mode, Reason, TimeParser, TrailStore};

use crate::util::{root, t, temp_dir, window};

fn write_batch(dir: &Path, name: &str, cols: Vec<(&str, ArrayRef)>) -> PathBuf {
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let path = dir.join(name);
    let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    path
}

fn read(path: &Path, options: &ReadOptions) -> Result<(TrailStore, trailfence::ReadReport), Error> {
    let mut b = TrailStore::builder();
    let r = read_parquet(path, options, &mut b)?;
    Ok((b.build(), r))
}

fn us(s: &str) -> i64 {
    t(s).as_microsecond()
}

/// 10:00, 10:01 and 10:02 UTC on 2024-07-01 as a zoned timestamp column.
fn three_utc_minutes() -> ArrayRef {
    let t = ["2024-07-01T10:00:00Z", "2024-07-01T10:01:00Z", "2024-07-01T10:02:00Z"];
    Arc::new(TimestampMicrosecondArray::from(t.iter().map(|s| us(s)).collect::<Vec<_>>()).with_timezone("UTC"))
}

#[test]
fn a_trail_written_as_parquet_reads_back_identically() {
    let dir = temp_dir("pq-roundtrip");
    let mut b = TrailStore::builder();
    read_csv(&root().join("data/fixes.csv"), &Default::default(), &mut b).unwrap();
    let mem = b.build();
    let w = window("2024-10-26T19:00:00Z", "2024-10-27T07:00:00Z");
    let answer = mem.trail("S0003", w).unwrap();
    let path = dir.join("trail.parquet");
    write_trail(&answer, TrailFormat::Parquet, std::fs::File::create(&path).unwrap()).unwrap();
    let (back, report) = read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(report.accepted as usize, answer.len());
    let key = |f: trailfence::FixRef| (f.t_us, f.lon, f.lat, f.accuracy_m);
    let again = back.trail("S0003", w).unwrap();
    assert!(again.fixes().map(key).eq(answer.fixes().map(key)));
}

#[test]
fn other_writers_types_are_accepted() {
    let dir = temp_dir("pq-types");
    // Dictionary subjects (pandas categoricals), nanosecond zoned timestamps,
    // float32 positions and integer accuracies.
    let subject: DictionaryArray<Int32Type> = vec!["A", "B", "A"].into_iter().collect();
    let time = TimestampNanosecondArray::from(vec![
        us("2024-07-01T10:00:00Z") * 1000,
        us("2024-07-01T10:00:00Z") * 1000,
        us("2024-07-01T10:01:00Z") * 1000,
    ])
    .with_timezone("Europe/London");
    let path = write_batch(
        &dir,
        "types.parquet",
        vec![
            ("subject", Arc::new(subject) as ArrayRef),
            ("time", Arc::new(time)),
            ("lon", Arc::new(Float32Array::from(vec![0.5, 1.0, 0.25]))),
            ("lat", Arc::new(Float64Array::from(vec![51.0, 52.0, 51.5]))),
            ("accuracy_m", Arc::new(Int32Array::from(vec![Some(5), None, Some(7)]))),
        ],
    );
    let (s, r) = read(&path, &ReadOptions::default()).unwrap();
    assert_eq!((r.records, r.accepted), (3, 3));
    let a = s.trail_of("A").unwrap();
    assert_eq!(a.times_us(), &[us("2024-07-01T10:00:00Z"), us("2024-07-01T10:01:00Z")]);
    assert_eq!(a.lons(), &[0.5, 0.25]);
    assert_eq!(s.trail_of("B").unwrap().accuracy_m(0), None);
    // Text times, as in CSV.
    let path = write_batch(
        &dir,
        "text.parquet",
        vec![
            ("subject", Arc::new(StringArray::from(vec!["A"])) as ArrayRef),
            ("time", Arc::new(StringArray::from(vec!["2024-07-01T11:00:00+01:00"]))),
            ("lon", Arc::new(Float64Array::from(vec![0.0]))),
            ("lat", Arc::new(Float64Array::from(vec![51.0]))),
        ],
    );
    let (s, _) = read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(s.trail_of("A").unwrap().times_us(), &[us("2024-07-01T10:00:00Z")]);
}

#[test]
fn zone_less_timestamps_need_a_named_zone_and_refuse_gaps_and_folds() {
    let dir = temp_dir("pq-naive");
    // Wall-clock microseconds as if the local time were UTC.
    let wall = |s: &str| us(s);
    let path = write_batch(
        &dir,
        "naive.parquet",
        vec![
            ("subject", Arc::new(StringArray::from(vec!["A", "A"])) as ArrayRef),
            (
                "time",
                Arc::new(TimestampMicrosecondArray::from(vec![
                    wall("2024-07-01T19:00:00Z"),
                    wall("2024-10-27T01:30:00Z"), // repeated in Europe/London
                ])),
            ),
            ("lon", Arc::new(Float64Array::from(vec![0.0, 0.0]))),
            ("lat", Arc::new(Float64Array::from(vec![51.0, 51.0]))),
        ],
    );
    let err = read(&path, &ReadOptions::default()).unwrap_err();
    let Error::Record(rec) = &err else { panic!("{err}") };
    assert_eq!(
        (rec.location, rec.field.as_str(), rec.reason),
        (Location::Row(1), "time", Reason::TimeWithoutOffset)
    );
    let london = ReadOptions {
        time: TimeParser::default().with_time_zone("Europe/London").unwrap(),
        mode: Mode::Lenient,
        ..Default::default()
    };
    let (s, r) = read(&path, &london).unwrap();
    assert_eq!(s.trail_of("A").unwrap().times_us(), &[us("2024-07-01T18:00:00Z")]);
    assert_eq!(r.skipped_by_reason.get(&Reason::AmbiguousLocalTime), Some(&1));
    assert_eq!(r.examples[0].location, Location::Row(2));
}

fn wkb_point(lon: f64, lat: f64) -> Vec<u8> {
    let mut b = vec![1u8, 1, 0, 0, 0];
    b.extend(lon.to_le_bytes());
    b.extend(lat.to_le_bytes());
    b
}

#[test]
fn wkb_geometry_is_read_when_there_are_no_lon_lat_columns() {
    let dir = temp_dir("pq-wkb");
    // Big-endian ISO point Z, as some writers produce.
    let mut be = vec![0u8];
    be.extend(1001u32.to_be_bytes());
    be.extend((-0.5f64).to_be_bytes());
    be.extend(51.25f64.to_be_bytes());
    be.extend(10.0f64.to_be_bytes());
    let mut line = vec![1u8, 2, 0, 0, 0, 1, 0, 0, 0];
    line.extend(wkb_point(0.0, 51.0)[5..].iter());
    let first = wkb_point(0.1, 51.5);
    let geoms: Vec<&[u8]> = vec![&first, &be, &line];
    let path = write_batch(
        &dir,
        "geo.parquet",
        vec![
            ("subject", Arc::new(StringArray::from(vec!["A", "A", "A"])) as ArrayRef),
            ("time", three_utc_minutes()),
            ("geometry", Arc::new(BinaryArray::from(geoms))),
        ],
    );
    let err = read(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(
        err.contains("geo.parquet: row 3: field `geometry`") && err.contains("Point"),
        "{err}"
    );
    let lenient = ReadOptions {
        mode: Mode::Lenient,
        ..Default::default()
    };
    let (s, r) = read(&path, &lenient).unwrap();
    assert_eq!((r.records, r.accepted, r.skipped), (3, 2, 1));
    assert_eq!(s.trail_of("A").unwrap().lons(), &[0.1, -0.5]);
    assert_eq!(s.trail_of("A").unwrap().lats(), &[51.5, 51.25]);
}

#[test]
fn bad_rows_and_columns_are_named() {
    let dir = temp_dir("pq-bad");
    let path = write_batch(
        &dir,
        "bad.parquet",
        vec![
            (
                "subject",
                Arc::new(StringArray::from(vec![Some("A"), None, Some("A")])) as ArrayRef,
            ),
            ("time", three_utc_minutes()),
            (
                "lon",
                Arc::new(Float64Array::from(vec![Some(0.0), Some(0.0), Some(200.0)])),
            ),
            ("lat", Arc::new(Float64Array::from(vec![Some(51.0), Some(51.0), None]))),
        ],
    );
    let err = read(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("bad.parquet: row 2: field `subject`"), "{err}");
    let (_, r) = read(
        &path,
        &ReadOptions {
            mode: Mode::Lenient,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.skipped_by_reason.get(&Reason::MissingSubject), Some(&1));
    assert_eq!(r.skipped_by_reason.get(&Reason::MissingField), Some(&1), "{r:?}");
    // A missing column, and a column of an unusable type.
    let path = write_batch(
        &dir,
        "nolat.parquet",
        vec![
            ("subject", Arc::new(StringArray::from(vec!["A"])) as ArrayRef),
            ("time", Arc::new(StringArray::from(vec!["2024-07-01T10:00:00Z"]))),
            ("lon", Arc::new(Float64Array::from(vec![0.0]))),
        ],
    );
    let err = read(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(
        err.contains("nolat.parquet") && err.contains("no column `lat`"),
        "{err}"
    );
    let path = write_batch(
        &dir,
        "textlon.parquet",
        vec![
            ("subject", Arc::new(StringArray::from(vec!["A"])) as ArrayRef),
            ("time", Arc::new(StringArray::from(vec!["2024-07-01T10:00:00Z"]))),
            ("lon", Arc::new(StringArray::from(vec!["0.0"]))),
            ("lat", Arc::new(Float64Array::from(vec![51.0]))),
        ],
    );
    let err = read(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("column `lon` has type Utf8"), "{err}");
    std::fs::write(dir.join("junk.parquet"), b"not parquet").unwrap();
    let err = read(&dir.join("junk.parquet"), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("junk.parquet") && err.contains("not a readable Parquet file"),
        "{err}"
    );
}
