//! Reading zones from a GeoJSON FeatureCollection, with validation that names
//! the feature (index and id), the field and the reason.

use std::collections::HashSet;
use std::path::Path;

use jiff::tz::TimeZone;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use super::schedule::{parse_local_time, parse_weekday, resolve_local, Schedule, WeeklyWindow};
use super::{Absence, Conditions, Effective, Suspension, Zone, ZoneKind, ZoneSet, ZoneShape};
use crate::error::Error;
use crate::fix::validate_position;
use crate::time::{parse_time, to_us};

/// Reads and prepares zones from a GeoJSON file.
///
/// # Errors
/// [`Error::Io`], [`Error::Format`] (not a FeatureCollection) or
/// [`Error::Zone`] naming the feature, field and reason.
pub fn read_zones(path: &Path) -> Result<ZoneSet, Error> {
    let text = crate::io::read_text(path)?;
    zones_from_geojson_str(&text, &path.display().to_string())
}

struct Ctx<'a> {
    source: &'a str,
    index: usize,
    id: Option<String>,
}

impl Ctx<'_> {
    fn err(&self, field: &str, reason: impl Into<String>) -> Error {
        Error::Zone {
            source_name: self.source.to_string(),
            index: self.index,
            id: self.id.clone(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// Parses and prepares zones from GeoJSON bytes, which must be UTF-8 (a
/// located error names the first bad line otherwise).
///
/// # Errors
/// As [`read_zones`].
pub fn zones_from_geojson_bytes(bytes: &[u8], source_name: &str) -> Result<ZoneSet, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| crate::io::not_utf8(source_name, bytes, e))?;
    zones_from_geojson_str(text, source_name)
}

/// Parses and prepares zones from GeoJSON text; `source_name` names it in errors.
///
/// Each feature: `id` (feature id or `properties.id`, unique), `properties.kind`
/// (`"exclusion"` / `"inclusion"`), a Polygon, MultiPolygon or Point geometry
/// (a Point needs `properties.radius_m`), optional `subjects`, `buffer_m`
/// (exclusion zones only) and `schedule`
/// (`{"tz", "windows": [{"days", "start", "end"}], "from", "until"}`).
///
/// Licence conditions (schema: `docs/schema/zones.schema.json`): a feature
/// may be one *version* of a zone — `version` (a label), `effective_from`,
/// `effective_until` — and features sharing an id must all be labelled and
/// must not overlap in time. The collection may carry a `conditions` member
/// with `absences` (`subject`, `from`, `until`, optional `zones`, `reason`,
/// optional `reference`) and `suspensions` (`subjects`, `from`, `until`,
/// `reason`, optional `reference`). Instants are RFC 3339 with an offset,
/// or local date-times (`2024-11-01T00:00`, or a date for midnight)
/// resolved in the IANA zone named by the feature's or entry's `tz`, else
/// the collection's `tz`, else (for a version) its schedule's, with the
/// schedule policy at DST changes (a skipped local time → the first instant
/// after the gap; a repeated one → the earlier).
///
/// # Errors
/// As [`read_zones`].
///
/// # Example
/// ```
/// let zones = trailfence::zones_from_geojson_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","id":"home","properties":{"kind":"inclusion","radius_m":100,
///    "schedule":{"tz":"Europe/London","windows":[{"days":["mon","tue"],"start":"19:00","end":"07:00"}]}},
///    "geometry":{"type":"Point","coordinates":[-0.1276,51.5072]}}]}"#, "zones.geojson")?;
/// assert_eq!(zones.len(), 1);
/// # Ok::<(), trailfence::Error>(())
/// ```
pub fn zones_from_geojson_str(text: &str, source_name: &str) -> Result<ZoneSet, Error> {
    crate::error::guard(source_name, || parse_zones(text, source_name))
}

fn parse_zones(text: &str, source_name: &str) -> Result<ZoneSet, Error> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| Error::format_from(source_name, format!("line {}: not valid JSON: {e}", e.line()), e))?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(Error::format(source_name, "not a GeoJSON FeatureCollection"));
    }
    let feats = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::format(source_name, "FeatureCollection has no `features` array"))?;
    let file_tz = match doc.get("tz").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(
            v.as_str()
                .and_then(|n| TimeZone::get(n).ok())
                .ok_or_else(|| Error::format(source_name, format!("`tz`: not a known IANA time zone (got {v})")))?,
        ),
    };
    let mut zones = Vec::with_capacity(feats.len());
    let mut seen = HashSet::new();
    for (index, f) in feats.iter().enumerate() {
        let mut ctx = Ctx {
            source: source_name,
            index,
            id: None,
        };
        let props = f.get("properties").filter(|p| p.is_object());
        let prop = |k: &str| props.and_then(|p| p.get(k)).filter(|v| !v.is_null());
        let id = match f.get("id").filter(|v| !v.is_null()).or_else(|| prop("id")) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => return Err(ctx.err("id", format!("must be a non-empty string (got {other})"))),
            None => return Err(ctx.err("id", "missing: give the feature an `id` or a `properties.id`")),
        };
        ctx.id = Some(id.clone());
        let version = match prop("version") {
            None => None,
            Some(Value::String(v)) if !v.trim().is_empty() => Some(v.clone()),
            Some(other) => return Err(ctx.err("version", format!("must be a non-empty string (got {other})"))),
        };
        if !seen.insert((id.clone(), version.clone())) {
            return Err(ctx.err(
                "id",
                match &version {
                    Some(v) => format!("duplicate version {v:?} of this zone"),
                    None => "duplicate zone id (versions of one zone need a `version` label each)".to_string(),
                },
            ));
        }
        let kind = match prop("kind").and_then(Value::as_str) {
            Some("exclusion") => ZoneKind::Exclusion,
            Some("inclusion") => ZoneKind::Inclusion,
            other => {
                return Err(ctx.err(
                    "kind",
                    format!(
                        "must be \"exclusion\" or \"inclusion\" (got {})",
                        other.map_or("nothing".to_string(), |s| format!("{s:?}"))
                    ),
                ))
            }
        };
        let geom = f
            .get("geometry")
            .filter(|g| g.is_object())
            .ok_or_else(|| ctx.err("geometry", "missing"))?;
        let shape = parse_shape(geom, prop("radius_m"), &ctx)?;
        let subjects = match prop("subjects") {
            None => None,
            Some(Value::Array(a)) => {
                let mut v = Vec::with_capacity(a.len());
                for (k, s) in a.iter().enumerate() {
                    match s.as_str().filter(|s| !s.trim().is_empty()) {
                        Some(s) => v.push(s.to_string()),
                        None => return Err(ctx.err(&format!("subjects[{k}]"), "must be a non-empty string")),
                    }
                }
                Some(v)
            }
            Some(_) => return Err(ctx.err("subjects", "must be a list of subject ids")),
        };
        let buffer_m = match prop("buffer_m") {
            None => None,
            Some(v) => {
                let d = v.as_f64().filter(|d| d.is_finite() && *d >= 0.0);
                let d = d.ok_or_else(|| ctx.err("buffer_m", format!("must be a number of metres >= 0 (got {v})")))?;
                if kind == ZoneKind::Inclusion {
                    return Err(ctx.err("buffer_m", "a warning buffer applies to exclusion zones only"));
                }
                Some(d)
            }
        };
        let schedule = match prop("schedule") {
            None => None,
            Some(s) => Some(parse_schedule(s, &ctx)?),
        };
        let tz = match prop("tz") {
            None => file_tz
                .clone()
                .or_else(|| schedule.as_ref().and_then(|s| TimeZone::get(&s.tz_name).ok())),
            Some(v) => Some(
                v.as_str()
                    .and_then(|n| TimeZone::get(n).ok())
                    .ok_or_else(|| ctx.err("tz", format!("not a known IANA time zone (got {v})")))?,
            ),
        };
        let instant = |name: &str| -> Result<Option<i64>, Error> {
            prop(name)
                .map(|v| parse_instant(v, tz.as_ref()).map_err(|r| ctx.err(name, r)))
                .transpose()
        };
        let effective = Effective {
            from_us: instant("effective_from")?,
            until_us: instant("effective_until")?,
            version,
        };
        if let (Some(f), Some(u)) = (effective.from_us, effective.until_us) {
            if f >= u {
                return Err(ctx.err("effective_until", "must be after `effective_from`"));
            }
        }
        zones.push(Zone {
            id,
            kind,
            shape,
            subjects,
            buffer_m,
            schedule,
            effective,
        });
    }
    let conditions = match doc.get("conditions").filter(|v| !v.is_null()) {
        None => Conditions::default(),
        Some(c) => parse_conditions(c, file_tz.as_ref(), source_name)?,
    };
    ZoneSet::with_conditions(zones, conditions).map_err(|e| match e {
        Error::Zone {
            index,
            id,
            field,
            reason,
            ..
        } => Error::Zone {
            source_name: source_name.to_string(),
            index,
            id,
            field,
            reason,
        },
        Error::Condition {
            list,
            index,
            field,
            reason,
            ..
        } => Error::Condition {
            source_name: source_name.to_string(),
            list,
            index,
            field,
            reason,
        },
        other => other,
    })
}

/// An instant: RFC 3339 with an offset, or a local date-time or date
/// resolved in `tz` with the schedule policy (see [`resolve_local`]).
fn parse_instant(v: &Value, tz: Option<&TimeZone>) -> Result<i64, String> {
    let text = v
        .as_str()
        .ok_or_else(|| format!("must be a time such as \"2024-11-01T00:00:00Z\" (got {v})"))?;
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(to_us(t));
    }
    let dt = text
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            text.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|_| {
            format!("not a time (got {text:?}): use RFC 3339 (\"2024-11-01T00:00:00Z\") or a local date-time")
        })?;
    let tz = tz.ok_or_else(|| {
        format!(
            "{text:?} is a local time: give it an offset, or name its IANA zone in `tz` (here or on the collection)"
        )
    })?;
    Ok(to_us(resolve_local(tz, dt)))
}

/// The collection's `conditions` member.
fn parse_conditions(c: &Value, file_tz: Option<&TimeZone>, source: &str) -> Result<Conditions, Error> {
    let err = |list: &str, index: usize, field: &str, reason: String| Error::Condition {
        source_name: source.to_string(),
        list: list.to_string(),
        index,
        field: field.to_string(),
        reason,
    };
    if !c.is_object() {
        return Err(Error::format(
            source,
            "`conditions` must be an object with `absences` and/or `suspensions`",
        ));
    }
    if let Some(k) = c
        .as_object()
        .and_then(|o| o.keys().find(|k| !matches!(k.as_str(), "absences" | "suspensions")))
    {
        return Err(Error::format(
            source,
            format!("`conditions.{k}`: unknown member (expected `absences` or `suspensions`)"),
        ));
    }
    let list = |name: &str| -> Result<&[Value], Error> {
        match c.get(name).filter(|v| !v.is_null()) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a.as_slice()),
            Some(_) => Err(Error::format(source, format!("`conditions.{name}` must be a list"))),
        }
    };
    let mut out = Conditions::default();
    for (list_name, entries) in [("absences", list("absences")?), ("suspensions", list("suspensions")?)] {
        for (i, e) in entries.iter().enumerate() {
            let e_err = |field: &str, reason: String| err(list_name, i, field, reason);
            let Some(members) = e.as_object() else {
                return Err(e_err("", "must be an object".into()));
            };
            // A misspelt member (`zone` for `zones`) must not widen an
            // authorisation silently.
            let known: &[&str] = if list_name == "absences" {
                &["subject", "from", "until", "zones", "reason", "reference", "tz"]
            } else {
                &["subjects", "from", "until", "reason", "reference", "tz"]
            };
            if let Some(k) = members.keys().find(|k| !known.contains(&k.as_str())) {
                return Err(e_err(
                    k,
                    format!("unknown member (expected one of {})", known.join(", ")),
                ));
            }
            let get = |k: &str| e.get(k).filter(|v| !v.is_null());
            let text = |k: &str, required: bool| -> Result<Option<String>, Error> {
                match get(k) {
                    None if required => Err(e_err(k, "missing".into())),
                    None => Ok(None),
                    Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                    Some(other) => Err(e_err(k, format!("must be a non-empty string (got {other})"))),
                }
            };
            let tz = match get("tz") {
                None => file_tz.cloned(),
                Some(v) => Some(
                    v.as_str()
                        .and_then(|n| TimeZone::get(n).ok())
                        .ok_or_else(|| e_err("tz", format!("not a known IANA time zone (got {v})")))?,
                ),
            };
            let instant = |k: &str| -> Result<i64, Error> {
                let v = get(k).ok_or_else(|| e_err(k, "missing".into()))?;
                parse_instant(v, tz.as_ref()).map_err(|r| e_err(k, r))
            };
            let strings = |k: &str| -> Result<Option<Vec<String>>, Error> {
                match get(k) {
                    None => Ok(None),
                    Some(Value::Array(a)) if !a.is_empty() => a
                        .iter()
                        .enumerate()
                        .map(|(j, v)| match v {
                            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                            other => Err(e_err(
                                &format!("{k}[{j}]"),
                                format!("must be a non-empty string (got {other})"),
                            )),
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(Some),
                    Some(other) => Err(e_err(k, format!("must be a non-empty list of ids (got {other})"))),
                }
            };
            let (from_us, until_us) = (instant("from")?, instant("until")?);
            if from_us >= until_us {
                return Err(e_err("until", "must be after `from`".into()));
            }
            let reason = text("reason", true)?.unwrap_or_default();
            let reference = text("reference", false)?;
            if list_name == "absences" {
                out.absences.push(Absence {
                    subject: text("subject", true)?.unwrap_or_default(),
                    from_us,
                    until_us,
                    zones: strings("zones")?,
                    reason,
                    reference,
                });
            } else {
                out.suspensions.push(Suspension {
                    subjects: strings("subjects")?.ok_or_else(|| e_err("subjects", "missing".into()))?,
                    from_us,
                    until_us,
                    reason,
                    reference,
                });
            }
        }
    }
    Ok(out)
}

fn parse_position(v: &Value, field: &str, ctx: &Ctx<'_>) -> Result<Coord<f64>, Error> {
    let a = v
        .as_array()
        .filter(|a| a.len() >= 2)
        .ok_or_else(|| ctx.err(field, format!("a position must be [lon, lat] (got {v})")))?;
    let lon = a[0]
        .as_f64()
        .ok_or_else(|| ctx.err(field, format!("longitude is not a number (got {})", a[0])))?;
    let lat = a[1]
        .as_f64()
        .ok_or_else(|| ctx.err(field, format!("latitude is not a number (got {})", a[1])))?;
    validate_position(lon, lat).map_err(|(_, r)| ctx.err(field, format!("[{lon}, {lat}]: {r}")))?;
    Ok(Coord { x: lon, y: lat })
}

fn parse_ring(v: &Value, field: &str, ctx: &Ctx<'_>) -> Result<LineString<f64>, Error> {
    let a = v
        .as_array()
        .ok_or_else(|| ctx.err(field, "a ring must be a list of positions"))?;
    if a.len() < 4 {
        return Err(ctx.err(field, format!("a ring needs at least 4 positions (got {})", a.len())));
    }
    let mut coords = Vec::with_capacity(a.len());
    for (k, p) in a.iter().enumerate() {
        // The common case without building the field name (a million
        // positions would format a million strings); on any doubt, the
        // full check names the position.
        let fast = p
            .as_array()
            .filter(|c| c.len() >= 2)
            .and_then(|c| Some((c[0].as_f64()?, c[1].as_f64()?)));
        match fast {
            Some((x, y)) if validate_position(x, y).is_ok() => coords.push(Coord { x, y }),
            _ => coords.push(parse_position(p, &format!("{field}[{k}]"), ctx)?),
        }
    }
    if coords[0] != coords[coords.len() - 1] {
        return Err(ctx.err(
            field,
            format!(
                "ring is not closed: first position [{}, {}] differs from last [{}, {}]",
                coords[0].x,
                coords[0].y,
                coords[coords.len() - 1].x,
                coords[coords.len() - 1].y
            ),
        ));
    }
    Ok(LineString(coords))
}

fn parse_polygon(v: &Value, field: &str, ctx: &Ctx<'_>) -> Result<Polygon<f64>, Error> {
    let rings = v
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ctx.err(field, "a polygon must be a non-empty list of rings"))?;
    let mut parsed = rings
        .iter()
        .enumerate()
        .map(|(k, r)| parse_ring(r, &format!("{field}[{k}]"), ctx))
        .collect::<Result<Vec<_>, _>>()?;
    let exterior = parsed.remove(0);
    let poly = Polygon::new(exterior, parsed);
    super::validity::check(std::slice::from_ref(&poly)).map_err(|e| ctx.err(field, format!("invalid polygon: {e}")))?;
    // Checked after validity, so a self-intersecting ring is named as such.
    for (k, ring) in std::iter::once(poly.exterior()).chain(poly.interiors()).enumerate() {
        let area = super::polygon::ring_area_m2(&ring.0);
        if area < super::polygon::MIN_RING_AREA_M2 {
            return Err(ctx.err(
                &format!("{field}[{k}]"),
                format!("ring has (almost) zero area ({area:.3} m², under 1 m²): its positions lie on one line, so it can contain nothing"),
            ));
        }
    }
    Ok(poly)
}

fn parse_shape(geom: &Value, radius: Option<&Value>, ctx: &Ctx<'_>) -> Result<ZoneShape, Error> {
    let coords = geom
        .get("coordinates")
        .ok_or_else(|| ctx.err("geometry.coordinates", "missing"))?;
    match geom.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(ZoneShape::Polygon(MultiPolygon(vec![parse_polygon(
            coords,
            "geometry.coordinates",
            ctx,
        )?]))),
        Some("MultiPolygon") => {
            let polys = coords
                .as_array()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| ctx.err("geometry.coordinates", "a MultiPolygon needs at least one polygon"))?;
            let mp = MultiPolygon(
                polys
                    .iter()
                    .enumerate()
                    .map(|(k, p)| parse_polygon(p, &format!("geometry.coordinates[{k}]"), ctx))
                    .collect::<Result<Vec<_>, _>>()?,
            );
            super::validity::check(&mp.0).map_err(|e| ctx.err("geometry", format!("invalid multipolygon: {e}")))?;
            Ok(ZoneShape::Polygon(mp))
        }
        Some("Point") => {
            let c = parse_position(coords, "geometry.coordinates", ctx)?;
            let r = radius.ok_or_else(|| ctx.err("radius_m", "a Point zone needs `radius_m` (metres)"))?;
            let radius_m = r
                .as_f64()
                .filter(|r| r.is_finite() && *r > 0.0)
                .ok_or_else(|| ctx.err("radius_m", format!("must be a number of metres > 0 (got {r})")))?;
            Ok(ZoneShape::Circle {
                lon: c.x,
                lat: c.y,
                radius_m,
            })
        }
        other => Err(ctx.err(
            "geometry.type",
            format!(
                "must be Polygon, MultiPolygon or Point (got {})",
                other.unwrap_or("nothing")
            ),
        )),
    }
}

fn parse_schedule(s: &Value, ctx: &Ctx<'_>) -> Result<Schedule, Error> {
    let tz = s.get("tz").and_then(Value::as_str).ok_or_else(|| {
        ctx.err(
            "schedule.tz",
            "missing: name an IANA time zone such as \"Europe/London\"",
        )
    })?;
    let windows = s
        .get("windows")
        .and_then(Value::as_array)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| ctx.err("schedule.windows", "must be a non-empty list"))?;
    if windows.len() > super::schedule::MAX_SCHEDULE_WINDOWS {
        return Err(ctx.err(
            "schedule.windows",
            format!(
                "{} windows: a schedule may have at most {} (each occurrence is a curfew row per subject)",
                windows.len(),
                super::schedule::MAX_SCHEDULE_WINDOWS
            ),
        ));
    }
    let mut parsed = Vec::with_capacity(windows.len());
    for (k, w) in windows.iter().enumerate() {
        let f = |name: &str| format!("schedule.windows[{k}].{name}");
        let days_v = w
            .get("days")
            .and_then(Value::as_array)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| ctx.err(&f("days"), "must be a non-empty list such as [\"mon\", \"tue\"]"))?;
        let mut days = [false; 7];
        for d in days_v {
            let i = d
                .as_str()
                .and_then(parse_weekday)
                .ok_or_else(|| ctx.err(&f("days"), format!("unknown weekday {d} (use mon, tue, ..., sun)")))?;
            days[i] = true;
        }
        let time = |name: &str| {
            let v = w.get(name).and_then(Value::as_str).unwrap_or("");
            parse_local_time(v).ok_or_else(|| ctx.err(&f(name), format!("must be a local time HH:MM (got {v:?})")))
        };
        parsed.push(WeeklyWindow {
            days,
            start: time("start")?,
            end: time("end")?,
        });
    }
    let instant = |name: &str| -> Result<Option<i64>, Error> {
        match s.get(name).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(v) => {
                let text = v.as_str().unwrap_or("");
                parse_time(text, None)
                    .map(|t| Some(to_us(t)))
                    .map_err(|e| ctx.err(&format!("schedule.{name}"), e.to_string()))
            }
        }
    };
    let (from, until) = (instant("from")?, instant("until")?);
    Schedule::new(tz, parsed, from, until).map_err(|r| ctx.err("schedule", r))
}
