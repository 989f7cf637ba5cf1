//! GeoParquet 1.1 fix files: the one place that encodes them (the store's
//! partitions and `--format parquet` output share [`encode_geoparquet`]) and
//! that knows their columns when decoding (`FixColumns`, typed views of a
//! decoded batch). Reading Parquet files from elsewhere — other column names
//! and types, WKB points only — is `io::read_parquet`'s business; the
//! store's file handling (row-group pruning, checksums) is `store::parquet`'s.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{BinaryArray, Float32Array, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::error::Error;

/// The columns a store file is read for (the WKB geometry is not).
pub(crate) const FIX_COLUMNS: [&str; 5] = ["subject", "time", "lon", "lat", "accuracy_m"];

/// Typed views of the fix columns of one decoded batch.
pub(crate) struct FixColumns<'a> {
    pub(crate) subject: &'a StringArray,
    pub(crate) time: &'a TimestampMicrosecondArray,
    pub(crate) lon: &'a Float64Array,
    pub(crate) lat: &'a Float64Array,
    pub(crate) acc: &'a Float32Array,
}

impl<'a> FixColumns<'a> {
    pub(crate) fn of(batch: &'a RecordBatch, path: &Path) -> Result<Self, Error> {
        let name = path.display().to_string();
        fn get<'b, T: 'static>(batch: &'b RecordBatch, col: &str, name: &str) -> Result<&'b T, Error> {
            batch
                .column_by_name(col)
                .ok_or_else(|| Error::format(name, format!("no column `{col}`")))?
                .as_any()
                .downcast_ref::<T>()
                .ok_or_else(|| Error::format(name, format!("column `{col}` has an unexpected type")))
        }
        Ok(FixColumns {
            subject: get(batch, "subject", &name)?,
            time: get(batch, "time", &name)?,
            lon: get(batch, "lon", &name)?,
            lat: get(batch, "lat", &name)?,
            acc: get(batch, "accuracy_m", &name)?,
        })
    }
}

/// Rows of one partition, column-wise.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) subject: Vec<String>,
    pub(crate) t_us: Vec<i64>,
    pub(crate) lon: Vec<f64>,
    pub(crate) lat: Vec<f64>,
    pub(crate) acc: Vec<Option<f32>>,
}

impl Rows {
    pub(crate) fn push(&mut self, subject: &str, t_us: i64, lon: f64, lat: f64, acc: Option<f32>) {
        self.subject.push(subject.to_string());
        self.t_us.push(t_us);
        self.lon.push(lon);
        self.lat.push(lat);
        self.acc.push(acc);
    }

    /// Appends every row of one decoded batch.
    pub(crate) fn push_batch(&mut self, c: &FixColumns<'_>) {
        use arrow_array::Array;
        for i in 0..c.subject.len() {
            self.push(
                c.subject.value(i),
                c.time.value(i),
                c.lon.value(i),
                c.lat.value(i),
                (!c.acc.is_null(i)).then(|| c.acc.value(i)),
            );
        }
    }

    pub(crate) fn append(&mut self, other: Rows) {
        self.subject.extend(other.subject);
        self.t_us.extend(other.t_us);
        self.lon.extend(other.lon);
        self.lat.extend(other.lat);
        self.acc.extend(other.acc);
    }
}

/// Encodes fixes as one GeoParquet 1.1 file (sorted by subject and time):
/// the store's file format, also used for `--format parquet` output.
pub(crate) fn encode_geoparquet(rows: &Rows) -> Result<Vec<u8>, Error> {
    let n = rows.subject.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| (&rows.subject[a], rows.t_us[a]).cmp(&(&rows.subject[b], rows.t_us[b])));
    let subject = StringArray::from_iter_values(order.iter().map(|&i| rows.subject[i].as_str()));
    let time = TimestampMicrosecondArray::from_iter_values(order.iter().map(|&i| rows.t_us[i])).with_timezone("UTC");
    let lon = Float64Array::from_iter_values(order.iter().map(|&i| rows.lon[i]));
    let lat = Float64Array::from_iter_values(order.iter().map(|&i| rows.lat[i]));
    let acc: Float32Array = order.iter().map(|&i| rows.acc[i]).collect();
    let wkb: Vec<[u8; 21]> = order
        .iter()
        .map(|&i| {
            let mut b = [0u8; 21];
            b[0] = 1; // little endian
            b[1..5].copy_from_slice(&1u32.to_le_bytes()); // Point
            b[5..13].copy_from_slice(&rows.lon[i].to_le_bytes());
            b[13..21].copy_from_slice(&rows.lat[i].to_le_bytes());
            b
        })
        .collect();
    let geometry = BinaryArray::from_iter_values(wkb.iter().map(|b| &b[..]));
    let bbox = order.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, &i| {
        [
            b[0].min(rows.lon[i]),
            b[1].min(rows.lat[i]),
            b[2].max(rows.lon[i]),
            b[3].max(rows.lat[i]),
        ]
    });
    let schema = Arc::new(Schema::new(vec![
        Field::new("subject", DataType::Utf8, false),
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("lon", DataType::Float64, false),
        Field::new("lat", DataType::Float64, false),
        Field::new("accuracy_m", DataType::Float32, true),
        Field::new("geometry", DataType::Binary, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(subject),
            Arc::new(time),
            Arc::new(lon),
            Arc::new(lat),
            Arc::new(acc),
            Arc::new(geometry),
        ],
    )
    .map_err(|e| Error::format_from("<parquet>", e.to_string(), e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(8_192))
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props))
        .map_err(|e| Error::format_from("<parquet>", e.to_string(), e))?;
    let geo = serde_json::json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"], "bbox": bbox}}
    });
    w.append_key_value_metadata(KeyValue::new("geo".to_string(), geo.to_string()));
    w.write(&batch)
        .map_err(|e| Error::format_from("<parquet>", e.to_string(), e))?;
    w.close()
        .map_err(|e| Error::format_from("<parquet>", e.to_string(), e))?;
    Ok(buf)
}
