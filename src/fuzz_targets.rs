//! Fuzz targets: every reader and decoder of untrusted bytes, each with its
//! contract asserted (not only "no crash"). Shared by the coverage-guided
//! fuzzers in `fuzz/` (cargo-afl) and by the in-process fuzz smoke test of
//! the test suite, so both check exactly the same thing.
//!
//! Contract of a fix reader: it returns, never panics; on success (lenient
//! mode) the report adds up (`records = accepted + skipped`), the store holds
//! at most the accepted fixes (duplicates and conflicts are set aside, and
//! counted), and every stored fix is valid (WGS84 position, finite accuracy
//! within bounds, strictly increasing times per subject); a rejection names
//! its source, and a record error also its location and field; strict mode
//! succeeds exactly when lenient mode skips nothing.
//!
//! Not part of the supported API (hidden from the docs).

use crate::error::Error;
use crate::fix::{validate_accuracy, validate_position};
use crate::io::{read_csv_from, read_geojson_str, read_gpx_str, read_parquet_bytes, ReadOptions};
use crate::report::{Mode, ReadReport};
use crate::store::TrailStore;

/// The fuzz targets, by name: `csv`, `geojson`, `gpx`, `parquet`, `zones`,
/// `manifest`, `checkpoint`, `stream` (the monitor's CSV input), `pack` (an
/// evidence pack's zip, as `evidence verify` reads it).
pub const TARGETS: [&str; 9] = [
    "csv",
    "geojson",
    "gpx",
    "parquet",
    "zones",
    "manifest",
    "checkpoint",
    "stream",
    "pack",
];

/// Runs target `name` on `data`, panicking only when a contract is broken
/// (or the reader itself panicked).
pub fn run(name: &str, data: &[u8]) {
    match name {
        "csv" => fixes(|o, b| read_csv_from(data, "fuzz.csv", o, b)),
        "geojson" => text(data, |t| fixes(|o, b| read_geojson_str(t, "fuzz.geojson", o, b))),
        "gpx" => text(data, |t| fixes(|o, b| read_gpx_str(t, "fuzz.gpx", "S", o, b))),
        "parquet" => fixes(|o, b| read_parquet_bytes(bytes::Bytes::copy_from_slice(data), "fuzz.parquet", o, b)),
        "zones" => text(data, zones),
        "manifest" => manifest(data),
        "checkpoint" => checkpoint(data),
        "stream" => stream(data),
        "pack" => pack(data),
        other => panic!("no fuzz target {other:?}"),
    }
}

/// An evidence pack's zip: verified (never a panic, never unbounded
/// memory), or refused with an error naming the pack; a pack that verifies
/// lists only plain names, each present.
fn pack(data: &[u8]) {
    match crate::pack::verify_zip(std::io::Cursor::new(data), "fuzz.zip") {
        Ok(s) => {
            assert!(s
                .manifest
                .files
                .iter()
                .all(|f| !f.path.contains('/') && !f.path.is_empty()));
            assert_eq!(s.manifest_sha256.len(), 64);
        }
        Err(e) => check_error(&e),
    }
}

fn text(data: &[u8], f: impl FnOnce(&str)) {
    if let Ok(t) = std::str::from_utf8(data) {
        f(t);
    }
}

fn check_error(e: &Error) {
    let msg = e.to_string();
    assert!(!msg.is_empty());
    match e {
        Error::Record(r) => {
            assert!(r.source_name.starts_with("fuzz"), "{msg}");
            assert!(!r.field.is_empty(), "{msg}");
        }
        Error::Format {
            source_name, reason, ..
        } => {
            assert!(source_name.starts_with("fuzz"), "{msg}");
            assert!(!reason.is_empty(), "{msg}");
        }
        Error::Io { .. } | Error::Time { .. } | Error::Option { .. } => {}
        other => panic!("a reader returned an unexpected error kind: {other}"),
    }
}

fn fixes(read: impl Fn(&ReadOptions, &mut crate::store::TrailStoreBuilder) -> Result<ReadReport, Error>) {
    let lenient = ReadOptions {
        mode: Mode::Lenient,
        ..Default::default()
    };
    let mut b = TrailStore::builder();
    let report = read(&lenient, &mut b);
    let mut sb = TrailStore::builder();
    let strict = read(&ReadOptions::default(), &mut sb);
    match (&report, &strict) {
        (Ok(r), _) => {
            assert_eq!(r.records, r.accepted + r.skipped, "report does not add up: {r}");
            assert_eq!(r.skipped_by_reason.values().sum::<u64>(), r.skipped);
            let store = b.build();
            assert!(store.fix_count() as u64 <= r.accepted);
            let s = store.ingest_summary();
            assert_eq!(
                s.fixes_received,
                s.fixes_stored + s.duplicates_dropped + s.conflicting_fixes,
                "ingest does not add up"
            );
            for k in 0..store.subject_count() {
                let t = store.trail_at(k);
                assert!(t.times_us().windows(2).all(|w| w[0] < w[1]), "times not increasing");
                for i in 0..t.len() {
                    assert!(validate_position(t.lons()[i], t.lats()[i]).is_ok());
                    assert!(validate_accuracy(t.accuracy_m_f64(i)).is_ok());
                }
            }
            match &strict {
                Ok(sr) => assert_eq!(r.skipped, 0, "strict accepted what lenient skipped ({sr})"),
                Err(Error::Record(_)) => assert!(r.skipped > 0, "strict refused a record lenient accepted"),
                Err(e) => panic!("strict failed where lenient succeeded: {e}"),
            }
        }
        (Err(e), _) => check_error(e),
    }
    if let Err(e) = &strict {
        check_error(e);
    }
}

fn zones(text: &str) {
    match crate::zone::zones_from_geojson_str(text, "fuzz.geojson") {
        Ok(z) => {
            let mut ids = std::collections::HashSet::new();
            for p in z.zones() {
                assert!(ids.insert(p.zone.id.clone()), "duplicate zone id accepted");
                if let crate::zone::ZoneShape::Polygon(mp) = &p.zone.shape {
                    for poly in &mp.0 {
                        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                            assert!(crate::zone::ring_area_m2(&ring.0) >= crate::zone::MIN_RING_AREA_M2);
                        }
                    }
                }
            }
        }
        Err(e) => match &e {
            Error::Zone { source_name, field, .. } => {
                assert_eq!(source_name, "fuzz.geojson");
                assert!(!field.is_empty());
            }
            Error::Format { source_name, .. } => assert_eq!(source_name, "fuzz.geojson"),
            other => panic!("zones returned an unexpected error kind: {other}"),
        },
    }
}

fn manifest(data: &[u8]) {
    match crate::store::parse_manifest(data) {
        Ok(paths) => {
            for p in paths {
                assert!(p.starts_with("day=") && !p.contains("..") && !p.starts_with('/'), "{p}");
            }
        }
        Err(e) => assert!(matches!(e, Error::Format { .. }), "{e}"),
    }
}

fn checkpoint(data: &[u8]) {
    let zones = crate::zone::zones_from_geojson_str(CHECKPOINT_ZONES, "z").expect("fixed zones");
    match crate::monitor::Monitor::restore(zones.clone(), data) {
        Ok(m) => {
            // A restored monitor checkpoints and restores again to the same bytes.
            let bytes = m.checkpoint().expect("checkpoint of a restored monitor");
            let again = crate::monitor::Monitor::restore(zones, &bytes).expect("restore of its own checkpoint");
            assert_eq!(again.checkpoint().unwrap(), bytes);
        }
        Err(e) => assert!(matches!(e, Error::Format { .. } | Error::Option { .. }), "{e}"),
    }
}

/// The zones the checkpoint target's seeds were written over.
pub const CHECKPOINT_ZONES: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","id":"home","properties":{"kind":"inclusion","radius_m":100,"subjects":["A"],
  "schedule":{"tz":"Europe/London","windows":[{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"19:00","end":"07:00"}]}},
  "geometry":{"type":"Point","coordinates":[-0.1,51.5]}},
 {"type":"Feature","id":"street","properties":{"kind":"exclusion","buffer_m":20},
  "geometry":{"type":"Polygon","coordinates":[[[-0.12,51.49],[-0.11,51.49],[-0.11,51.495],[-0.12,51.495],[-0.12,51.49]]]}}]}"#;

/// Deterministic mutations of a seed (bit flips, byte changes, chunk
/// deletion, duplication and insertion, truncation, splices with `other`),
/// for the in-process fuzz smoke test: `rounds` mutants of `seed`.
pub fn mutants(seed: &[u8], other: &[u8], rounds: usize, rng_seed: u64) -> Vec<Vec<u8>> {
    let mut rng = crate::generate::SplitMix64::new(rng_seed);
    let mut below = |n: usize| {
        if n == 0 {
            0
        } else {
            (rng.next_u64() % n as u64) as usize
        }
    };
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut m = seed.to_vec();
        let edits = 1 + below(4);
        for _ in 0..edits {
            let n = m.len();
            match below(8) {
                0 if n > 0 => {
                    let i = below(n);
                    m[i] ^= 1 << below(8);
                }
                1 if n > 0 => {
                    let i = below(n);
                    m[i] = [0u8, 0xff, b'"', b',', b'<', b'9', b'-', b'\n', 0x80][below(9)];
                }
                2 if n > 1 => {
                    let (a, len) = (below(n), 1 + below(16));
                    m.drain(a..(a + len).min(n));
                }
                3 if n > 1 => {
                    let (a, len) = (below(n), 1 + below(64));
                    let chunk = m[a..(a + len).min(n)].to_vec();
                    let at = below(n);
                    m.splice(at..at, chunk);
                }
                4 => m.truncate(below(n + 1)),
                5 if !other.is_empty() => {
                    let (a, b) = (below(n + 1), below(other.len()));
                    m.truncate(a);
                    m.extend_from_slice(&other[b..]);
                }
                6 if n > 0 => {
                    let i = below(n);
                    let digits = ["0", "-1", "1e308", "NaN", "99999999999999999999", "4294967296", "-0.0"][below(7)];
                    m.splice(i..i, digits.bytes());
                }
                _ if n > 3 => {
                    // Overwrite 4 bytes with an interesting little-endian integer.
                    let i = below(n - 3);
                    let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, 65_536][below(6)];
                    m[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
                _ => {}
            }
        }
        out.push(m);
    }
    out
}

/// The polygon validity check alone (for the validity benchmark): `Err`
/// holds the reason.
pub fn polygon_validity(polygons: &[geo::Polygon<f64>]) -> Result<(), String> {
    crate::zone::validity_check(polygons)
}

/// The monitor's input stream (`trailfence monitor`): every record is a
/// valid fix the monitor accepts, or a located record error (file, line,
/// field); malformed CSV stops the stream with a located format error; the
/// events never repeat an id.
fn stream(data: &[u8]) {
    use crate::io::CsvFixStream;
    use crate::monitor::{Monitor, MonitorOptions};
    let zones = crate::zone::zones_from_geojson_str(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"z","properties":
        {"kind":"exclusion","radius_m":200},"geometry":{"type":"Point","coordinates":[-0.1276,51.5072]}}]}"#,
        "z",
    )
    .expect("a valid zone");
    let mut monitor = Monitor::new(zones, MonitorOptions::default()).expect("default options");
    let mut ids = std::collections::HashSet::new();
    let mut stream = match CsvFixStream::new(data, "fuzz.csv", &ReadOptions::default()) {
        Ok(s) => s,
        Err(e) => return check_error(&e),
    };
    let mut last_end = 0;
    loop {
        let rec = match stream.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return check_error(&e),
        };
        assert!(
            rec.end_byte >= last_end && rec.end_byte as usize <= data.len(),
            "positions move forward"
        );
        last_end = rec.end_byte;
        match rec.fix {
            Ok(f) => {
                let fix = f.track_fix();
                let events = monitor
                    .push(f.subject, fix, 0)
                    .unwrap_or_else(|e| panic!("the monitor refused a fix the reader accepted: {e}"));
                for e in events {
                    assert!(ids.insert(e.id), "event sent twice: {e:?}");
                }
            }
            Err(r) => {
                assert!(r.source_name == "fuzz.csv" && !r.field.is_empty(), "located: {r}");
                assert_eq!(r.location, crate::error::Location::Line(rec.line));
            }
        }
    }
    for e in monitor.finish(0) {
        assert!(ids.insert(e.id), "event sent twice: {e:?}");
    }
}
