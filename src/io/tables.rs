//! Writers for result tables: breach episodes and curfew rows as CSV or JSON
//! (an array of objects), times as RFC 3339 UTC.

use std::io::Write;

use super::text::Out;
use crate::breach::{BreachEpisode, Confidence};
use crate::curfew::CurfewRow;
use crate::error::Error;

/// Table output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl TableFormat {
    /// Parses `csv` or `json`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(TableFormat::Csv),
            "json" => Some(TableFormat::Json),
            _ => None,
        }
    }
}

fn text(o: &mut Out<impl Write>, s: &str, format: TableFormat) {
    match format {
        TableFormat::Json => {
            o.s(&serde_json::to_string(s).unwrap_or_default());
        }
        TableFormat::Csv => {
            if s.contains([',', '"', '\n', '\r']) {
                o.s("\"").s(&s.replace('"', "\"\"")).s("\"");
            } else {
                o.s(s);
            }
        }
    }
}

/// Writes breach episodes: subject, zone, kind, start, end, duration_s, fixes,
/// confidence, probability, supporting_fixes, outlier_fixes, max_margin_sigma,
/// combined_margin_sigma, mean_error_m, separation_before_sigma,
/// separation_after_sigma (empty/null without evidence or when unknown),
/// zone_version (empty/null for a zone with one version).
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_breaches<W: Write>(episodes: &[BreachEpisode], format: TableFormat, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    match format {
        TableFormat::Csv => {
            o.s("subject,zone,kind,start,end,duration_s,fixes,confidence,probability,supporting_fixes,outlier_fixes,max_margin_sigma,combined_margin_sigma,mean_error_m,separation_before_sigma,separation_after_sigma,zone_version\n");
        }
        TableFormat::Json => {
            o.s("[");
        }
    }
    for (k, e) in episodes.iter().enumerate() {
        let conf = match e.confidence {
            Confidence::Confirmed => "confirmed",
            Confidence::Possible => "possible",
        };
        match format {
            TableFormat::Csv => {
                text(&mut o, &e.subject, format);
                o.s(",");
                text(&mut o, &e.zone, format);
                o.s(",")
                    .s(e.kind.as_str())
                    .s(",")
                    .time(e.start_us)
                    .s(",")
                    .time(e.end_us)
                    .s(",");
                o.f64(e.duration_s()).s(",").int(e.fixes as i64).s(",").s(conf).s(",");
                o.f64(e.probability).s(",").int(e.supporting_fixes as i64).s(",");
                o.int(e.outlier_fixes as i64).s(",").f64(e.max_margin_sigma);
                for v in [
                    e.combined_margin_sigma,
                    e.mean_error_m,
                    e.separation_before_sigma,
                    e.separation_after_sigma,
                ] {
                    o.s(",");
                    if let Some(v) = v {
                        o.f64(v);
                    }
                }
                o.s(",");
                if let Some(v) = &e.zone_version {
                    text(&mut o, v, format);
                }
                o.s("\n");
            }
            TableFormat::Json => {
                o.s(if k > 0 { ",\n{" } else { "\n{" }).s("\"subject\":");
                text(&mut o, &e.subject, format);
                o.s(",\"zone\":");
                text(&mut o, &e.zone, format);
                o.s(",\"kind\":\"")
                    .s(e.kind.as_str())
                    .s("\",\"start\":\"")
                    .time(e.start_us);
                o.s("\",\"end\":\"")
                    .time(e.end_us)
                    .s("\",\"duration_s\":")
                    .f64(e.duration_s());
                o.s(",\"fixes\":")
                    .int(e.fixes as i64)
                    .s(",\"confidence\":\"")
                    .s(conf)
                    .s("\",\"probability\":")
                    .f64(e.probability);
                o.s(",\"supporting_fixes\":")
                    .int(e.supporting_fixes as i64)
                    .s(",\"outlier_fixes\":")
                    .int(e.outlier_fixes as i64)
                    .s(",\"max_margin_sigma\":")
                    .f64(e.max_margin_sigma);
                for (name, v) in [
                    (",\"combined_margin_sigma\":", e.combined_margin_sigma),
                    (",\"mean_error_m\":", e.mean_error_m),
                    (",\"separation_before_sigma\":", e.separation_before_sigma),
                    (",\"separation_after_sigma\":", e.separation_after_sigma),
                ] {
                    o.s(name);
                    match v {
                        Some(v) => o.f64(v),
                        None => o.s("null"),
                    };
                }
                o.s(",\"zone_version\":");
                match &e.zone_version {
                    Some(v) => text(&mut o, v, format),
                    None => {
                        o.s("null");
                    }
                }
                o.s("}");
            }
        }
        o.maybe_flush()?;
    }
    if format == TableFormat::Json {
        o.s("\n]\n");
    }
    o.finish()
}

/// Writes curfew rows: subject, zone, window_start, window_end, scheduled_s,
/// inside_s, outside_s, confirmed_outside_s, possible_outside_s, unknown_s,
/// violations (confirmed), possible_violations, first_exit (empty/null if
/// none), authorised_s, suspended_s, zone_version (empty/null if none).
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_curfew<W: Write>(rows: &[CurfewRow], format: TableFormat, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    match format {
        TableFormat::Csv => {
            o.s(
                "subject,zone,window_start,window_end,scheduled_s,inside_s,outside_s,confirmed_outside_s,possible_outside_s,unknown_s,violations,possible_violations,first_exit,authorised_s,suspended_s,zone_version\n",
            );
        }
        TableFormat::Json => {
            o.s("[");
        }
    }
    for (k, r) in rows.iter().enumerate() {
        match format {
            TableFormat::Csv => {
                text(&mut o, &r.subject, format);
                o.s(",");
                text(&mut o, &r.zone, format);
                o.s(",")
                    .time(r.window_start_us)
                    .s(",")
                    .time(r.window_end_us)
                    .s(",")
                    .f64(r.scheduled_s);
                o.s(",")
                    .f64(r.inside_s)
                    .s(",")
                    .f64(r.outside_s)
                    .s(",")
                    .f64(r.confirmed_outside_s);
                o.s(",").f64(r.possible_outside_s).s(",").f64(r.unknown_s);
                o.s(",")
                    .int(r.violations as i64)
                    .s(",")
                    .int(r.possible_violations as i64)
                    .s(",");
                if let Some(t) = r.first_exit_us {
                    o.time(t);
                }
                o.s(",").f64(r.authorised_s).s(",").f64(r.suspended_s).s(",");
                if let Some(v) = &r.zone_version {
                    text(&mut o, v, format);
                }
                o.s("\n");
            }
            TableFormat::Json => {
                o.s(if k > 0 { ",\n{" } else { "\n{" }).s("\"subject\":");
                text(&mut o, &r.subject, format);
                o.s(",\"zone\":");
                text(&mut o, &r.zone, format);
                o.s(",\"window_start\":\"")
                    .time(r.window_start_us)
                    .s("\",\"window_end\":\"")
                    .time(r.window_end_us);
                o.s("\",\"scheduled_s\":")
                    .f64(r.scheduled_s)
                    .s(",\"inside_s\":")
                    .f64(r.inside_s);
                o.s(",\"outside_s\":")
                    .f64(r.outside_s)
                    .s(",\"confirmed_outside_s\":")
                    .f64(r.confirmed_outside_s);
                o.s(",\"possible_outside_s\":")
                    .f64(r.possible_outside_s)
                    .s(",\"unknown_s\":")
                    .f64(r.unknown_s);
                o.s(",\"violations\":")
                    .int(r.violations as i64)
                    .s(",\"possible_violations\":")
                    .int(r.possible_violations as i64)
                    .s(",\"first_exit\":");
                match r.first_exit_us {
                    Some(t) => {
                        o.s("\"").time(t).s("\"");
                    }
                    None => {
                        o.s("null");
                    }
                }
                o.s(",\"authorised_s\":")
                    .f64(r.authorised_s)
                    .s(",\"suspended_s\":")
                    .f64(r.suspended_s)
                    .s(",\"zone_version\":");
                match &r.zone_version {
                    Some(v) => text(&mut o, v, format),
                    None => {
                        o.s("null");
                    }
                }
                o.s("}");
            }
        }
        o.maybe_flush()?;
    }
    if format == TableFormat::Json {
        o.s("\n]\n");
    }
    o.finish()
}

/// Writes any serialisable rows as CSV (header from field names) or a JSON array.
/// An empty table still gets its CSV header (`header`, the field names), so
/// "no rows" is never confused with a failed or truncated run.
fn write_rows<W: Write, T: serde::Serialize>(
    rows: &[T],
    header: &[&str],
    format: TableFormat,
    out: W,
) -> Result<(), Error> {
    match format {
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            if rows.is_empty() {
                w.write_record(header).map_err(|e| match e.into_kind() {
                    csv::ErrorKind::Io(io) => super::write_err(io),
                    other => Error::format("<output>", format!("{other:?}")),
                })?;
            }
            for r in rows {
                w.serialize(r).map_err(|e| match e.into_kind() {
                    csv::ErrorKind::Io(io) => super::write_err(io),
                    other => Error::format("<output>", format!("{other:?}")),
                })?;
            }
            w.flush().map_err(super::write_err)
        }
        TableFormat::Json => {
            let mut out = out;
            serde_json::to_writer(&mut out, rows).map_err(|e| match e.io_error_kind() {
                Some(kind) => super::write_err(std::io::Error::from(kind)),
                None => Error::format("<output>", e.to_string()),
            })?;
            out.write_all(b"\n").map_err(super::write_err)
        }
    }
}

fn ts(t: Option<i64>) -> String {
    t.map(|t| crate::time::from_us(t).to_string()).unwrap_or_default()
}

const EVIDENCE_HEADER: &[&str] = &[
    "subject",
    "zone",
    "kind",
    "episode_start",
    "time",
    "lon",
    "lat",
    "accuracy_m",
    "error_m",
    "margin_m",
    "margin_sigma",
    "outlier",
    "supporting",
];

/// Writes the fixes behind breach episodes ([`crate::breach_evidence`]):
/// subject, zone, kind, episode_start, time, lon, lat, accuracy_m, error_m,
/// margin_m, margin_sigma (empty/null without an accuracy), outlier,
/// supporting.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_evidence<W: Write>(rows: &[crate::EvidenceFix], format: TableFormat, out: W) -> Result<(), Error> {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        subject: &'a str,
        zone: &'a str,
        kind: &'static str,
        episode_start: String,
        time: String,
        lon: f64,
        lat: f64,
        accuracy_m: Option<f64>,
        error_m: Option<f64>,
        margin_m: f64,
        margin_sigma: Option<f64>,
        outlier: bool,
        supporting: bool,
    }
    let view: Vec<Row<'_>> = rows
        .iter()
        .map(|r| Row {
            subject: &r.subject,
            zone: &r.zone,
            kind: r.kind.as_str(),
            episode_start: ts(Some(r.episode_start_us)),
            time: ts(Some(r.t_us)),
            lon: r.lon,
            lat: r.lat,
            accuracy_m: r.accuracy_m,
            error_m: r.error_m,
            margin_m: r.margin_m,
            margin_sigma: r.margin_sigma,
            outlier: r.outlier,
            supporting: r.supporting,
        })
        .collect();
    write_rows(&view, EVIDENCE_HEADER, format, out)
}

const NEAR_HEADER: &[&str] = &[
    "subject",
    "min_distance_m",
    "closest_time",
    "first_time",
    "last_time",
    "seconds_within",
    "fixes_within",
    "verdict",
];

/// Writes near rows (with the incident id when not empty): subject, min_distance_m,
/// closest_time, first_time, last_time, seconds_within, fixes_within, verdict.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_near<W: Write>(rows: &[crate::near::IncidentRow], format: TableFormat, out: W) -> Result<(), Error> {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        incident: Option<&'a str>,
        subject: &'a str,
        min_distance_m: Option<f64>,
        closest_time: String,
        first_time: String,
        last_time: String,
        seconds_within: f64,
        fixes_within: u32,
        verdict: &'static str,
    }
    let view: Vec<Row<'_>> = rows
        .iter()
        .map(|r| Row {
            incident: Some(r.incident.as_str()).filter(|i| !i.is_empty()),
            subject: &r.row.subject,
            min_distance_m: Some(r.row.min_distance_m).filter(|d| d.is_finite()),
            closest_time: ts(r.row.closest_time_us),
            first_time: ts(r.row.first_time_us),
            last_time: ts(r.row.last_time_us),
            seconds_within: r.row.seconds_within,
            fixes_within: r.row.fixes_within,
            verdict: r.row.verdict.as_str(),
        })
        .collect();
    write_rows(&view, NEAR_HEADER, format, out)
}

/// Writes proximity episodes: start, end, duration_s, min_distance_m, closest_time.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_proximity<W: Write>(
    eps: &[crate::proximity::ProximityEpisode],
    format: TableFormat,
    out: W,
) -> Result<(), Error> {
    #[derive(serde::Serialize)]
    struct Row {
        start: String,
        end: String,
        duration_s: f64,
        min_distance_m: f64,
        closest_time: String,
    }
    let view: Vec<Row> = eps
        .iter()
        .map(|e| Row {
            start: ts(Some(e.start_us)),
            end: ts(Some(e.end_us)),
            duration_s: e.duration_s(),
            min_distance_m: e.min_distance_m,
            closest_time: ts(Some(e.closest_time_us)),
        })
        .collect();
    write_rows(
        &view,
        &["start", "end", "duration_s", "min_distance_m", "closest_time"],
        format,
        out,
    )
}

/// Writes stops: start, end, lon, lat, duration_s, fixes.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_stops<W: Write>(stops: &[crate::stops::Stop], format: TableFormat, out: W) -> Result<(), Error> {
    #[derive(serde::Serialize)]
    struct Row {
        start: String,
        end: String,
        lon: f64,
        lat: f64,
        duration_s: f64,
        fixes: u32,
    }
    let view: Vec<Row> = stops
        .iter()
        .map(|s| Row {
            start: ts(Some(s.start_us)),
            end: ts(Some(s.end_us)),
            lon: s.lon,
            lat: s.lat,
            duration_s: s.duration_s(),
            fixes: s.fixes,
        })
        .collect();
    write_rows(
        &view,
        &["start", "end", "lon", "lat", "duration_s", "fixes"],
        format,
        out,
    )
}

/// Writes heatmap cells: cell, seconds, subjects.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_heatmap<W: Write>(h: &crate::heatmap::Heatmap, format: TableFormat, out: W) -> Result<(), Error> {
    write_rows(&h.cells, &["cell", "seconds", "subjects"], format, out)
}

/// Reads crime incidents from CSV: `id,lon,lat,radius_m,start,end` (times RFC
/// 3339, epoch, or local with `parser`'s zone). Every bad row is an error
/// naming the file, line and field.
///
/// # Errors
/// [`Error::Io`], [`Error::Format`], [`Error::Record`].
pub fn read_incidents(
    path: &std::path::Path,
    parser: &crate::time::TimeParser,
) -> Result<Vec<crate::near::Incident>, Error> {
    use crate::error::{Location, Reason, RecordError};
    let src = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&src, e))?;
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
    let headers = rdr
        .headers()
        .map_err(|e| Error::format_from(&src, e.to_string(), e))?
        .clone();
    let col = |n: &str| {
        headers.iter().position(|h| h == n).ok_or_else(|| {
            Error::format(
                &src,
                format!("line 1: no column `{n}` (need id,lon,lat,radius_m,start,end)"),
            )
        })
    };
    let (ci, cx, cy, cr, cs, ce) = (
        col("id")?,
        col("lon")?,
        col("lat")?,
        col("radius_m")?,
        col("start")?,
        col("end")?,
    );
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::format_from(&src, e.to_string(), e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let err = |field: &str, value: &str, reason: Reason| -> Error {
            RecordError::new(&src, Location::Line(line), field, value, reason).into()
        };
        let get = |i: usize| rec.get(i).unwrap_or("");
        let num = |i: usize, f: &str| {
            get(i)
                .parse::<f64>()
                .map_err(|_| err(f, get(i), Reason::UnparseableNumber))
        };
        let (lon, lat, radius_m) = (num(cx, "lon")?, num(cy, "lat")?, num(cr, "radius_m")?);
        let start = parser.parse(get(cs)).map_err(|r| err("start", get(cs), r))?;
        let end = parser.parse(get(ce)).map_err(|r| err("end", get(ce), r))?;
        let incident = crate::near::Incident {
            id: get(ci).to_string(),
            lon,
            lat,
            radius_m,
            start_us: start.as_microsecond(),
            end_us: end.as_microsecond(),
        };
        incident.validate_at(&src, Location::Line(line))?;
        out.push(incident);
    }
    Ok(out)
}
