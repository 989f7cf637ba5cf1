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

/// Writes breach episodes: subject, zone, kind, start, end, duration_s, fixes, confidence.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_breaches<W: Write>(episodes: &[BreachEpisode], format: TableFormat, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    match format {
        TableFormat::Csv => {
            o.s("subject,zone,kind,start,end,duration_s,fixes,confidence\n");
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
                o.f64(e.duration_s()).s(",").int(e.fixes as i64).s(",").s(conf).s("\n");
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
                    .s("\"}");
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
/// inside_s, outside_s, unknown_s, violations, first_exit (empty/null if none).
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_curfew<W: Write>(rows: &[CurfewRow], format: TableFormat, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    match format {
        TableFormat::Csv => {
            o.s(
                "subject,zone,window_start,window_end,scheduled_s,inside_s,outside_s,unknown_s,violations,first_exit\n",
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
                o.s(",").f64(r.inside_s).s(",").f64(r.outside_s).s(",").f64(r.unknown_s);
                o.s(",").int(r.violations as i64).s(",");
                if let Some(t) = r.first_exit_us {
                    o.time(t);
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
                    .s(",\"unknown_s\":")
                    .f64(r.unknown_s);
                o.s(",\"violations\":").int(r.violations as i64).s(",\"first_exit\":");
                match r.first_exit_us {
                    Some(t) => {
                        o.s("\"").time(t).s("\"");
                    }
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
