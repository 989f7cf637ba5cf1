//! GPX 1.1 fixes: `<trkpt>` (and `<wpt>`/`<rtept>`) elements in; one track
//! with a segment per continuous part out.
//!
//! The subject is [`ReadOptions::subject`] if given, else the enclosing
//! `<trk><name>`, else the file stem. Accuracy in metres is read from an
//! `<extensions>` child named `accuracy_m` (any namespace prefix), the element
//! the writer emits; GPX's own `hdop` is dimensionless and is not taken as metres.

use std::io::Write;
use std::path::Path;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::text::Out;
use super::{accept, Num, ReadOptions, Tm};
use crate::error::{Error, Location, Reason, RecordError};
use crate::report::ReadReport;
use crate::store::{TrailRequest, TrailStoreBuilder};

/// Reads GPX 1.1 track points into `builder`. Line numbers in errors are the
/// 1-based line of the point's `<trkpt>` tag.
///
/// # Errors
/// [`Error::Io`], [`Error::Format`] (malformed XML) or, in strict mode, the
/// first bad point.
pub fn read_gpx(path: &Path, options: &ReadOptions, builder: &mut TrailStoreBuilder) -> Result<ReadReport, Error> {
    let text = super::read_text(path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
    read_gpx_str(&text, &path.display().to_string(), &stem, options, builder)
}

/// Most attributes a GPX point element may carry (GPX 1.1 defines two).
pub const MAX_XML_ATTRIBUTES: usize = 64;

#[derive(Default)]
struct Point {
    line: u64,
    lat: Option<String>,
    lon: Option<String>,
    time: Option<String>,
    accuracy: Option<String>,
}

/// Reads GPX text; `source_name` names it in errors and `default_subject`
/// is used when neither the options nor a `<trk><name>` give one.
///
/// # Errors
/// As [`read_gpx`].
pub fn read_gpx_str(
    text: &str,
    source_name: &str,
    default_subject: &str,
    options: &ReadOptions,
    builder: &mut TrailStoreBuilder,
) -> Result<ReadReport, Error> {
    let mut reader = Reader::from_str(text);
    let mut report = ReadReport::new(source_name);
    // Incremental byte-offset → line mapping.
    let (mut scanned, mut line) = (0usize, 1u64);
    let mut line_at = |pos: usize| {
        let pos = pos.min(text.len());
        if pos > scanned {
            line += text.as_bytes()[scanned..pos].iter().filter(|&&b| b == b'\n').count() as u64;
            scanned = pos;
        }
        line
    };
    let mut stack: Vec<String> = Vec::new();
    let mut trk_name: Option<String> = None;
    let mut point: Option<Point> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let ev = reader.read_event().map_err(|e| {
            Error::format(
                source_name,
                format!("line {}: malformed XML: {e}", line_at(reader.error_position() as usize)),
            )
        })?;
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if matches!(name.as_str(), "trkpt" | "wpt" | "rtept") {
                    let mut p = Point {
                        line: line_at(pos),
                        ..Default::default()
                    };
                    // Unchecked attributes: quick-xml's duplicate check is
                    // quadratic (200,000 attributes took 79 s); the count is
                    // bounded instead.
                    for (k, a) in e.attributes().with_checks(false).flatten().enumerate() {
                        if k >= MAX_XML_ATTRIBUTES {
                            return Err(Error::format(
                                source_name,
                                format!(
                                    "line {}: a <{name}> with more than {MAX_XML_ATTRIBUTES} attributes is not a GPS point",
                                    p.line
                                ),
                            ));
                        }
                        let v = a.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
                        match a.key.local_name().as_ref() {
                            b"lat" => p.lat = Some(v),
                            b"lon" => p.lon = Some(v),
                            _ => {}
                        }
                    }
                    point = Some(p);
                }
                stack.push(name);
            }
            Event::Text(_) | Event::GeneralRef(_) | Event::CData(_) => {
                let Some(top) = stack.last() else { continue };
                let value = match ev {
                    Event::Text(t) => t.decode().map(|v| v.into_owned()).unwrap_or_default(),
                    Event::CData(t) => t.decode().map(|v| v.into_owned()).unwrap_or_default(),
                    Event::GeneralRef(r) => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => match &*r {
                            b"amp" => "&".into(),
                            b"lt" => "<".into(),
                            b"gt" => ">".into(),
                            b"quot" => "\"".into(),
                            b"apos" => "'".into(),
                            other => format!("&{};", String::from_utf8_lossy(other)),
                        },
                    },
                    _ => String::new(),
                };
                if let Some(p) = point.as_mut() {
                    match top.as_str() {
                        "time" => p.time.get_or_insert_with(String::new).push_str(&value),
                        "accuracy_m" => p.accuracy.get_or_insert_with(String::new).push_str(&value),
                        _ => {}
                    }
                } else if top == "name" && stack.len() >= 2 && stack[stack.len() - 2] == "trk" {
                    trk_name.get_or_insert_with(String::new).push_str(&value);
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if matches!(name.as_str(), "trkpt" | "wpt" | "rtept") {
                    if let Some(p) = point.take() {
                        let subject = trk_name.as_deref().map(str::trim).unwrap_or(default_subject);
                        finish_point(p, builder, &mut report, options, subject)?;
                    }
                }
                if name == "trk" {
                    trk_name = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(report)
}

fn finish_point(
    p: Point,
    builder: &mut TrailStoreBuilder,
    report: &mut ReadReport,
    options: &ReadOptions,
    subject: &str,
) -> Result<(), Error> {
    let subject = options.subject.as_deref().unwrap_or(subject);
    if p.time.is_none() {
        report.records += 1;
        return report.reject(
            options.mode,
            RecordError::new(
                &report.source_name.clone(),
                Location::Line(p.line),
                "time",
                "",
                Reason::MissingField,
            ),
        );
    }
    accept(
        builder,
        report,
        options,
        Location::Line(p.line),
        Some(subject),
        Tm::Text(p.time.as_deref()),
        Num::Text(p.lon.as_deref()),
        Num::Text(p.lat.as_deref()),
        Num::Text(p.accuracy.as_deref()),
    )
}

/// Escapes text for XML and HTML element content and attribute values;
/// control characters other than tab and newline (not allowed in XML 1.0)
/// become U+FFFD.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes a trail request as GPX 1.1: one `<trk>` named after the subject, one
/// `<trkseg>` per continuous part, `<time>` in RFC 3339 UTC and the accuracy
/// in `<extensions><tf:accuracy_m>` (metres).
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_gpx<W: Write>(answer: &TrailRequest<'_>, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    o.s("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"trailfence\" xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:tf=\"https://trailfence.dev/gpx/1\">\n<trk><name>");
    o.s(&xml_escape(answer.subject())).s("</name>\n");
    for part in answer.part_fixes() {
        o.s("<trkseg>\n");
        for f in part {
            o.s("<trkpt lat=\"")
                .f64(f.lat)
                .s("\" lon=\"")
                .f64(f.lon)
                .s("\"><time>")
                .time(f.t_us)
                .s("</time>");
            if let Some(a) = f.accuracy_m {
                o.s("<extensions><tf:accuracy_m>")
                    .f32(a)
                    .s("</tf:accuracy_m></extensions>");
            }
            o.s("</trkpt>\n").maybe_flush()?;
        }
        o.s("</trkseg>\n");
    }
    o.s("</trk>\n</gpx>\n");
    o.finish()
}
