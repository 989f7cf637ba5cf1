//! GeoJSON fixes: a FeatureCollection of Point features with properties in;
//! a FeatureCollection of LineStrings (one per continuous part) and Points out.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::text::Out;
use super::{accept, source_name, Num, ReadOptions, Tm};
use crate::error::{Error, Location, Reason, RecordError};
use crate::report::ReadReport;
use crate::store::{TrailRequest, TrailStoreBuilder};

/// Reads fixes from a GeoJSON FeatureCollection of Point features into
/// `builder`. Properties are named by [`ReadOptions::columns`] (`subject`,
/// `time`, `accuracy_m` by default); the time may be a string or an epoch
/// number. Feature indices in errors are 0-based.
///
/// # Errors
/// [`Error::Io`], [`Error::Format`] (not JSON, not a FeatureCollection) or, in
/// strict mode, the first bad feature.
pub fn read_geojson(path: &Path, options: &ReadOptions, builder: &mut TrailStoreBuilder) -> Result<ReadReport, Error> {
    let text = super::read_text(path)?;
    read_geojson_str(&text, &source_name(path), options, builder)
}

/// Reads GeoJSON fixes from text; `source_name` names it in errors.
///
/// # Errors
/// As [`read_geojson`].
pub fn read_geojson_str(
    text: &str,
    source_name: &str,
    options: &ReadOptions,
    builder: &mut TrailStoreBuilder,
) -> Result<ReadReport, Error> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| Error::format(source_name, format!("line {}: not valid JSON: {e}", e.line())))?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(Error::format(
            source_name,
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::format(source_name, "FeatureCollection has no `features` array"))?;
    let mut report = ReadReport::new(source_name);
    let c = &options.columns;
    for (i, f) in features.iter().enumerate() {
        let loc = Location::Feature(i);
        let coords = f
            .get("geometry")
            .filter(|g| g.get("type").and_then(Value::as_str) == Some("Point"))
            .and_then(|g| g.get("coordinates"))
            .and_then(Value::as_array)
            .filter(|c| c.len() >= 2);
        let Some(coords) = coords else {
            report.records += 1;
            let got = f.get("geometry").map(|g| g.to_string()).unwrap_or_default();
            report.reject(
                options.mode,
                RecordError::new(source_name, loc, "geometry", &got, Reason::BadGeometry),
            )?;
            continue;
        };
        let props = f.get("properties");
        let prop = |name: &str| props.and_then(|p| p.get(name)).filter(|v| !v.is_null());
        let time_text = prop(&c.time).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let subject_text = prop(&c.subject).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let number = |v: Option<&Value>| -> Result<Option<f64>, String> {
            match v {
                None => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(other) => Err(other.to_string()),
            }
        };
        let lon = number(coords.first());
        let lat = number(coords.get(1));
        let acc = number(prop(&c.accuracy));
        // A non-numeric value is rejected with its field named.
        let bad = [(&c.lon, &lon), (&c.lat, &lat), (&c.accuracy, &acc)]
            .into_iter()
            .find_map(|(field, v)| v.as_ref().err().map(|got| (field, got.clone())));
        if let Some((field, got)) = bad {
            report.records += 1;
            report.reject(
                options.mode,
                RecordError::new(source_name, loc, field, &got, Reason::UnparseableNumber),
            )?;
            continue;
        }
        let (Ok(lon), Ok(lat), Ok(acc)) = (lon, lat, acc) else {
            continue;
        };
        accept(
            builder,
            &mut report,
            options,
            loc,
            subject_text.as_deref(),
            Tm::Text(time_text.as_deref()),
            Num::Value(lon),
            Num::Value(lat),
            Num::Value(acc),
        )?;
    }
    Ok(report)
}

/// Writes a trail request as a GeoJSON FeatureCollection: one LineString
/// feature per continuous part with at least two fixes (properties: subject,
/// start, end, fixes), then one Point feature per fix (properties: subject,
/// time as RFC 3339 UTC, accuracy_m or null).
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_geojson<W: Write>(answer: &TrailRequest<'_>, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    let subject = serde_json::to_string(answer.subject()).unwrap_or_else(|_| "\"\"".into());
    // Each fix's `[lon,lat]` is formatted once and used by both its part's
    // LineString and its Point feature.
    let parts = answer.part_fixes();
    let mut coords = Out::new(Vec::new());
    let mut ends: Vec<usize> = Vec::with_capacity(answer.len() + 1);
    ends.push(0);
    for f in parts.iter().flatten() {
        coords.s("[").f64(f.lon).s(",").f64(f.lat).s("]");
        ends.push(coords.len());
    }
    let text = coords.bytes();
    o.s("{\"type\":\"FeatureCollection\",\"features\":[");
    let mut sep = "\n";
    let mut k = 0;
    for part in &parts {
        if part.len() >= 2 {
            o.s(sep)
                .s("{\"type\":\"Feature\",\"properties\":{\"subject\":")
                .s(&subject);
            o.s(",\"start\":\"")
                .time(part[0].t_us)
                .s("\",\"end\":\"")
                .time(part[part.len() - 1].t_us);
            o.s("\",\"fixes\":").int(part.len() as i64);
            o.s("},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
            for j in k..k + part.len() {
                if j > k {
                    o.s(",");
                }
                o.raw(&text[ends[j]..ends[j + 1]]);
            }
            o.s("]}}").maybe_flush()?;
            sep = ",\n";
        }
        k += part.len();
    }
    for (j, f) in parts.iter().flatten().enumerate() {
        o.s(sep)
            .s("{\"type\":\"Feature\",\"properties\":{\"subject\":")
            .s(&subject);
        o.s(",\"time\":\"").time(f.t_us).s("\",\"accuracy_m\":");
        match f.accuracy_m {
            Some(a) => o.f32(a),
            None => o.s("null"),
        };
        o.s("},\"geometry\":{\"type\":\"Point\",\"coordinates\":")
            .raw(&text[ends[j]..ends[j + 1]])
            .s("}}");
        o.maybe_flush()?;
        sep = ",\n";
    }
    o.s("\n]}\n");
    o.finish()
}
