//! KML 2.2 output for Google Earth: a LineString per continuous part and a
//! time-stamped Placemark per fix.

use std::io::Write;

use super::gpx::xml_escape;
use super::text::Out;
use crate::error::Error;
use crate::store::TrailRequest;

/// Writes a trail request as KML 2.2: a Document named after the subject, one
/// Placemark with a LineString per continuous part of two or more fixes, and
/// one Placemark per fix with `<TimeStamp><when>` in RFC 3339 UTC (so Google
/// Earth's time slider works) and the accuracy in metres in its description.
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_kml<W: Write>(answer: &TrailRequest<'_>, out: W) -> Result<(), Error> {
    let mut o = Out::new(out);
    let name = xml_escape(answer.subject());
    o.s("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document><name>");
    o.s(&name).s("</name>\n");
    for part in answer.part_fixes() {
        if part.len() < 2 {
            continue;
        }
        o.s("<Placemark><name>")
            .s(&name)
            .s(" ")
            .time(part[0].t_us)
            .s(" to ")
            .time(part[part.len() - 1].t_us);
        o.s("</name><LineString><tessellate>1</tessellate><coordinates>");
        for (k, f) in part.iter().enumerate() {
            o.s(if k > 0 { " " } else { "" }).f64(f.lon).s(",").f64(f.lat);
        }
        o.s("</coordinates></LineString></Placemark>\n").maybe_flush()?;
    }
    for f in answer.fixes() {
        o.s("<Placemark><name>")
            .time(f.t_us)
            .s("</name><TimeStamp><when>")
            .time(f.t_us)
            .s("</when></TimeStamp>");
        if let Some(a) = f.accuracy_m {
            o.s("<description>accuracy ").f32(a).s(" m</description>");
        }
        o.s("<Point><coordinates>")
            .f64(f.lon)
            .s(",")
            .f64(f.lat)
            .s("</coordinates></Point></Placemark>\n");
        o.maybe_flush()?;
    }
    o.s("</Document>\n</kml>\n");
    o.finish()
}
