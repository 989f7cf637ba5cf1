//! KML 2.2 output for Google Earth: a LineString per continuous part and a
//! time-stamped Placemark per fix.

use std::io::{BufWriter, Write};

use super::gpx::xml_escape;
use super::{rfc3339, write_err};
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
    let mut w = BufWriter::new(out);
    let name = xml_escape(answer.subject());
    write!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document><name>{name}</name>\n"
    )
    .map_err(write_err)?;
    for part in answer.part_fixes() {
        if part.len() < 2 {
            continue;
        }
        write!(
            w,
            "<Placemark><name>{name} {} to {}</name><LineString><tessellate>1</tessellate><coordinates>",
            rfc3339(part[0].t_us),
            rfc3339(part[part.len() - 1].t_us)
        )
        .map_err(write_err)?;
        for (k, f) in part.iter().enumerate() {
            if k > 0 {
                w.write_all(b" ").map_err(write_err)?;
            }
            write!(w, "{},{}", f.lon, f.lat).map_err(write_err)?;
        }
        w.write_all(b"</coordinates></LineString></Placemark>\n")
            .map_err(write_err)?;
    }
    for f in answer.fixes() {
        let t = rfc3339(f.t_us);
        write!(w, "<Placemark><name>{t}</name><TimeStamp><when>{t}</when></TimeStamp>").map_err(write_err)?;
        if let Some(a) = f.accuracy_m {
            write!(w, "<description>accuracy {a} m</description>").map_err(write_err)?;
        }
        writeln!(
            w,
            "<Point><coordinates>{},{}</coordinates></Point></Placemark>",
            f.lon, f.lat
        )
        .map_err(write_err)?;
    }
    w.write_all(b"</Document>\n</kml>\n").map_err(write_err)?;
    w.flush().map_err(write_err)
}
