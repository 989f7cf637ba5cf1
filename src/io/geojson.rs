//! GeoJSON fixes: a FeatureCollection of Point features with properties in;
//! a FeatureCollection of LineStrings (one per continuous part) and Points out.

use std::io::Write;
use std::path::Path;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
/// The `features` array is streamed: each feature is decoded, validated and
/// pushed before the next is read, so memory is the text plus the fixes
/// kept (not a document tree several times the file's size).
///
/// # Errors
/// As [`read_geojson`].
pub fn read_geojson_str(
    text: &str,
    source_name: &str,
    options: &ReadOptions,
    builder: &mut TrailStoreBuilder,
) -> Result<ReadReport, Error> {
    let mut sink = FeatureSink {
        source_name,
        options,
        builder,
        report: ReadReport::new(source_name),
        next: 0,
        failed: None,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let outcome = CollectionSeed { sink: &mut sink }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(e) = sink.failed.take() {
        return Err(e);
    }
    match outcome {
        Ok(()) => Ok(sink.report),
        Err(e) if e.is_data() && e.to_string().starts_with(SHAPE) => {
            let msg = e.to_string();
            let msg = msg[SHAPE.len()..].split(" at line ").next().unwrap_or("").to_string();
            Err(Error::format(source_name, msg))
        }
        Err(e) => Err(Error::format(
            source_name,
            format!("line {}: not valid JSON: {e}", e.line()),
        )),
    }
}

/// Marks a serde error that is about the document's shape (not a
/// FeatureCollection), so it is reported without "not valid JSON".
const SHAPE: &str = "\u{1}shape:";

/// Receives the features of one collection, in order.
struct FeatureSink<'a> {
    source_name: &'a str,
    options: &'a ReadOptions,
    builder: &'a mut TrailStoreBuilder,
    report: ReadReport,
    /// 0-based index of the next feature.
    next: usize,
    /// A strict-mode rejection, kept here while serde unwinds.
    failed: Option<Error>,
}

/// One feature: only its geometry and properties are kept.
#[derive(serde::Deserialize)]
struct RawFeature {
    #[serde(default)]
    geometry: Option<Value>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, Value>>,
}

struct CollectionSeed<'s, 'a> {
    sink: &'s mut FeatureSink<'a>,
}

impl<'de> DeserializeSeed<'de> for CollectionSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CollectionSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut kind: Option<String> = None;
        let mut features = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => kind = Some(map.next_value::<Value>()?.as_str().unwrap_or("").to_string()),
                "features" if !features => {
                    features = true;
                    map.next_value_seed(FeaturesSeed { sink: &mut *self.sink })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if kind.as_deref() != Some("FeatureCollection") {
            return Err(shape(
                "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
            ));
        }
        if !features {
            return Err(shape("FeatureCollection has no `features` array"));
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Err(shape(
            "not a GeoJSON FeatureCollection (`type` must be \"FeatureCollection\")",
        ))
    }
}

fn shape<E: serde::de::Error>(msg: &str) -> E {
    E::custom(format_args!("{SHAPE}{msg}"))
}

struct FeaturesSeed<'s, 'a> {
    sink: &'s mut FeatureSink<'a>,
}

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a `features` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(feature) = seq.next_element::<RawFeature>()? {
            let i = self.sink.next;
            self.sink.next += 1;
            if let Err(e) = self.sink.feature(i, &feature) {
                self.sink.failed = Some(e);
                return Err(serde::de::Error::custom("stopped at a rejected feature"));
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(shape("FeatureCollection has no `features` array"))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Err(shape("FeatureCollection has no `features` array"))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Err(shape("FeatureCollection has no `features` array"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Err(shape("FeatureCollection has no `features` array"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Err(shape("FeatureCollection has no `features` array"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Err(shape("FeatureCollection has no `features` array"))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Err(shape("FeatureCollection has no `features` array"))
    }
}

impl FeatureSink<'_> {
    /// Validates one feature and pushes its fix, or rejects it.
    fn feature(&mut self, i: usize, f: &RawFeature) -> Result<(), Error> {
        let source_name = self.source_name;
        let options = self.options;
        let report = &mut self.report;
        let loc = Location::Feature(i);
        let coords = f
            .geometry
            .as_ref()
            .filter(|g| g.get("type").and_then(Value::as_str) == Some("Point"))
            .and_then(|g| g.get("coordinates"))
            .and_then(Value::as_array)
            .filter(|c| c.len() >= 2);
        let Some(coords) = coords else {
            report.records += 1;
            let got = f.geometry.as_ref().map(|g| g.to_string()).unwrap_or_default();
            return report.reject(
                options.mode,
                RecordError::new(source_name, loc, "geometry", &got, Reason::BadGeometry),
            );
        };
        let c = &options.columns;
        let prop = |name: &str| f.properties.as_ref().and_then(|p| p.get(name)).filter(|v| !v.is_null());
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let time_text = prop(&c.time).map(text);
        let subject_text = prop(&c.subject).map(text);
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
            return report.reject(
                options.mode,
                RecordError::new(source_name, loc, field, &got, Reason::UnparseableNumber),
            );
        }
        let (Ok(lon), Ok(lat), Ok(acc)) = (lon, lat, acc) else {
            return Ok(());
        };
        accept(
            self.builder,
            report,
            options,
            loc,
            subject_text.as_deref(),
            Tm::Text(time_text.as_deref()),
            Num::Value(lon),
            Num::Value(lat),
            Num::Value(acc),
        )
    }
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
