//! The evidence pack: everything a trail request disclosed, in one folder
//! or zip file, with a manifest that names every file and its SHA-256.
//!
//! [`build_evidence_pack`] makes the files in memory from the library's own
//! writers: the HTML trail report, the trail in GeoJSON, CSV, KML and GPX
//! (every fix, never simplified), the zone file as given, and the verdict
//! tables (breach episodes, the fixes behind each, curfew nights, stops).
//! `manifest.json` records the query, the options, the software version,
//! the store's manifest generation and each file's size and SHA-256.
//! Nothing in a pack depends on the clock, so the same store, zones and
//! query give byte-identical files (and, with the fixed entry times and
//! order of [`EvidencePack::write_zip`], an identical zip).
//!
//! [`verify_evidence_pack`] treats a pack as untrusted input: the manifest
//! must parse, every path must be a plain file name, every listed file must
//! be present with its size and SHA-256, and no unlisted file may be there.

use std::io::{Read, Write};
use std::path::Path;

use crate::audit::sha256_hex;
use crate::breach::evidence_of;
use crate::durable::{write_atomic, FileModes};
use crate::error::Error;
use crate::io::{write_breaches, write_curfew, write_evidence, write_stops, write_trail, TableFormat, TrailFormat};
use crate::store::TrailStore;
use crate::time::from_us;
use crate::trail_report::{trail_report, ReportRequest};
use crate::zone::ZoneSet;

/// The manifest's file name inside a pack.
pub const PACK_MANIFEST: &str = "manifest.json";
/// The pack format this release writes and verifies.
pub const PACK_FORMAT: &str = "trailfence-evidence-pack/1";
/// Largest file a pack may hold when verified, bytes (files are hashed as
/// they stream, so this bounds time, not memory).
pub const MAX_PACK_FILE_BYTES: u64 = 4 << 30;
/// Largest `manifest.json` verified, bytes (it is read into memory).
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Most entries a zip pack may have when verified.
pub const MAX_PACK_FILES: usize = 1_000;

/// One file of a pack.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackFile {
    /// File name inside the pack (no folders).
    pub path: String,
    /// Size, bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// What it holds.
    pub description: String,
}

/// `manifest.json` of a pack.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackManifest {
    /// [`PACK_FORMAT`].
    pub format: String,
    /// `trailfence <version>` that built it.
    pub software: String,
    /// The subject.
    pub subject: String,
    /// Window start, RFC 3339 UTC (inclusive).
    pub window_start: String,
    /// Window end, RFC 3339 UTC (exclusive).
    pub window_end: String,
    /// IANA zone the report shows times in.
    pub display_tz: String,
    /// The store's manifest generation the data was read at (`None` for a
    /// file input).
    pub store_generation: Option<u64>,
    /// Where the data and zones came from (label, value).
    pub provenance: Vec<(String, String)>,
    /// The options, as `name = value` lines of the report's query table.
    pub options: Vec<(String, String)>,
    /// Content hash of the zone set (`None` without zones).
    pub zone_set_hash: Option<String>,
    /// Fixes in the window (all of them are in the trail files).
    pub fixes: u64,
    /// Every other file of the pack.
    pub files: Vec<PackFile>,
}

/// A built pack: its files (name, bytes) and manifest.
#[derive(Debug, Clone)]
pub struct EvidencePack {
    /// The files, in manifest order, `manifest.json` last.
    pub files: Vec<(String, Vec<u8>)>,
    /// The manifest.
    pub manifest: PackManifest,
}

/// Builds the pack of `request` (see the module docs). `zones` is the zone
/// set with the bytes of the file it was read from (kept as given).
///
/// # Errors
/// As [`trail_report`].
pub fn build_evidence_pack(
    store: &TrailStore,
    zones: Option<(&ZoneSet, &[u8])>,
    request: &ReportRequest,
    store_generation: Option<u64>,
) -> Result<EvidencePack, Error> {
    let zone_set = zones.map(|z| z.0);
    let report = trail_report(store, zone_set, request)?;
    let answer = store.trail(&request.subject, request.window)?;
    let mut files: Vec<(String, Vec<u8>, &str)> = Vec::new();
    files.push((
        "report.html".into(),
        report.to_html().into_bytes(),
        "the trail report (open in a browser; prints on A4)",
    ));
    for (name, format, what) in [
        (
            "trail.geojson",
            TrailFormat::GeoJson,
            "every fix in the window, GeoJSON",
        ),
        ("trail.csv", TrailFormat::Csv, "every fix in the window, CSV"),
        (
            "trail.kml",
            TrailFormat::Kml,
            "every fix in the window, KML (Google Earth)",
        ),
        ("trail.gpx", TrailFormat::Gpx, "every fix in the window, GPX 1.1"),
    ] {
        let mut buf = Vec::new();
        write_trail(&answer, format, &mut buf)?;
        files.push((name.into(), buf, what));
    }
    if let Some((z, bytes)) = zones {
        files.push((
            "zones.geojson".into(),
            bytes.to_vec(),
            "the zones and licence conditions evaluated, as given",
        ));
        let mut buf = Vec::new();
        write_breaches(&report.episodes, TableFormat::Csv, &mut buf)?;
        files.push(("breaches.csv".into(), buf, "breach episodes with their verdicts"));
        let rows = evidence_of(store, z, &report.episodes, &request.breach);
        let mut buf = Vec::new();
        write_evidence(&rows, TableFormat::Csv, &mut buf)?;
        files.push((
            "breach-evidence.csv".into(),
            buf,
            "the fixes behind each episode: margins, errors, outliers",
        ));
        let mut buf = Vec::new();
        write_curfew(&report.curfew, TableFormat::Csv, &mut buf)?;
        files.push(("curfew.csv".into(), buf, "curfew compliance per night"));
    }
    let mut buf = Vec::new();
    write_stops(&report.stops, TableFormat::Csv, &mut buf)?;
    files.push(("stops.csv".into(), buf, "stops (stays) in the window"));
    let b = &request.breach;
    let e = &b.evidence;
    let options = vec![
        ("min_fixes".into(), b.min_fixes.to_string()),
        ("min_duration_s".into(), b.min_duration_s.to_string()),
        ("merge_gap_s".into(), b.merge_gap_s.to_string()),
        (
            "assumed_accuracy_m".into(),
            b.assumed_accuracy_m.map_or("none".into(), |a| a.to_string()),
        ),
        ("max_gap_s".into(), b.max_gap_s.unwrap_or(store.max_gap_s()).to_string()),
        ("grace_s".into(), request.curfew.grace_s.to_string()),
        ("accuracy_level".into(), e.accuracy_level.to_string()),
        ("confirm_probability".into(), e.confirm_probability.to_string()),
        ("drift_tau_s".into(), e.drift_tau_s.to_string()),
        ("outlier_speed_mps".into(), e.outlier_speed_mps.to_string()),
        ("stop_radius_m".into(), request.stop_radius_m.to_string()),
        ("stop_min_duration_s".into(), request.stop_min_duration_s.to_string()),
        ("max_map_points".into(), request.max_map_points.to_string()),
        (
            "tile_url".into(),
            request.tile_url.clone().unwrap_or_else(|| "none".into()),
        ),
    ];
    let manifest = PackManifest {
        format: PACK_FORMAT.into(),
        software: format!("trailfence {}", env!("CARGO_PKG_VERSION")),
        subject: request.subject.clone(),
        window_start: from_us(request.window.start_us).to_string(),
        window_end: from_us(request.window.end_us).to_string(),
        display_tz: request.tz.clone(),
        store_generation,
        provenance: request.provenance.clone(),
        options,
        zone_set_hash: zone_set.map(|z| z.content_hash().to_string()),
        fixes: report.quality.fixes,
        files: files
            .iter()
            .map(|(name, bytes, what)| PackFile {
                path: name.clone(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
                description: (*what).to_string(),
            })
            .collect(),
    };
    let mut out: Vec<(String, Vec<u8>)> = files.into_iter().map(|(n, b, _)| (n, b)).collect();
    out.push((PACK_MANIFEST.into(), manifest_bytes(&manifest)?));
    Ok(EvidencePack { files: out, manifest })
}

fn manifest_bytes(m: &PackManifest) -> Result<Vec<u8>, Error> {
    let mut v = serde_json::to_vec_pretty(m).map_err(|e| Error::format(PACK_MANIFEST, e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

impl EvidencePack {
    /// The SHA-256 of `manifest.json`, which pins every other file: record
    /// it (the audit log does) to detect a pack replaced as a whole.
    pub fn manifest_sha256(&self) -> String {
        self.files
            .iter()
            .find(|(n, _)| n == PACK_MANIFEST)
            .map(|(_, b)| sha256_hex(b))
            .unwrap_or_default()
    }

    /// Writes the pack into the new folder `dir` (each file atomically,
    /// owner-only; the manifest last).
    ///
    /// # Errors
    /// [`Error::Io`] when `dir` exists (a pack is never merged into another)
    /// or a file cannot be written.
    pub fn write_dir(&self, dir: &Path) -> Result<(), Error> {
        if dir.exists() {
            return Err(Error::io(
                dir.display(),
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already exists: an evidence pack is written into a new folder",
                ),
            ));
        }
        let modes = FileModes::default();
        crate::durable::create_dir_all_mode(dir, modes.dir).map_err(|e| Error::io(dir.display(), e))?;
        for (name, bytes) in &self.files {
            write_atomic(&dir.join(name), bytes, modes)?;
        }
        Ok(())
    }

    /// The pack as one zip file: deflated entries in manifest order with a
    /// fixed time (1980-01-01) and permissions, so it is reproducible.
    ///
    /// # Errors
    /// [`Error::Io`] on a zip encoding failure.
    pub fn zip_bytes(&self) -> Result<Vec<u8>, Error> {
        let fail = |e: zip::result::ZipError| Error::io("evidence pack zip", std::io::Error::other(e.to_string()));
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o600);
        for (name, bytes) in &self.files {
            w.start_file(name.as_str(), options).map_err(fail)?;
            w.write_all(bytes).map_err(|e| Error::io("evidence pack zip", e))?;
        }
        Ok(w.finish().map_err(fail)?.into_inner())
    }

    /// Writes the pack to `output`: a zip file when its name ends in `.zip`
    /// (any case), else a new folder. Returns what was disclosed as the
    /// audit log names it: the zip and its SHA-256, or the folder's
    /// manifest and the manifest's SHA-256 (which pins every other file).
    ///
    /// # Errors
    /// As [`EvidencePack::write_zip`] and [`EvidencePack::write_dir`].
    pub fn write_to(&self, output: &Path) -> Result<crate::audit::AuditOutput, Error> {
        if output.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            let bytes = self.zip_bytes()?;
            write_atomic(output, &bytes, FileModes::default())?;
            Ok(crate::audit::AuditOutput {
                path: output.display().to_string(),
                sha256: sha256_hex(&bytes),
            })
        } else {
            self.write_dir(output)?;
            Ok(crate::audit::AuditOutput {
                path: output.join(PACK_MANIFEST).display().to_string(),
                sha256: self.manifest_sha256(),
            })
        }
    }

    /// Writes [`EvidencePack::zip_bytes`] to `path` atomically (owner-only).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    pub fn write_zip(&self, path: &Path) -> Result<(), Error> {
        write_atomic(path, &self.zip_bytes()?, FileModes::default())
    }
}

/// What [`verify_evidence_pack`] found in an intact pack.
#[derive(Debug, Clone, PartialEq)]
pub struct PackSummary {
    /// The manifest.
    pub manifest: PackManifest,
    /// SHA-256 of `manifest.json`.
    pub manifest_sha256: String,
}

/// Checks a pack (a folder, or a `.zip` file): see the module docs.
///
/// # Errors
/// [`Error::Format`] naming the pack and the file that is missing, changed
/// (size or SHA-256), unlisted or not a plain name, or a manifest that does
/// not parse; [`Error::Io`] when the pack cannot be read.
pub fn verify_evidence_pack(path: &Path) -> Result<PackSummary, Error> {
    let name = path.display().to_string();
    let bad = |why: String| Error::format(&name, why);
    let mut seen = Seen::default();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| Error::io(path.display(), e))?;
        for e in entries {
            let e = e.map_err(|e| Error::io(path.display(), e))?;
            let n = e.file_name().to_string_lossy().into_owned();
            if !e.path().is_file() {
                return Err(bad(format!("`{n}` is not a file: a pack holds plain files only")));
            }
            let mut f = std::fs::File::open(e.path()).map_err(|err| Error::io(e.path().display(), err))?;
            seen.take(n, &mut f, &name)?;
        }
        return seen.check(&name);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.display(), e))?;
    verify_zip(file, &name)
}

/// [`verify_evidence_pack`] of a zip read from `reader`, named `name` in
/// errors (also the fuzz target `pack`).
///
/// # Errors
/// As [`verify_evidence_pack`].
pub fn verify_zip<R: Read + std::io::Seek>(reader: R, name: &str) -> Result<PackSummary, Error> {
    crate::error::guard(name, || verify_zip_unguarded(reader, name))
}

fn verify_zip_unguarded<R: Read + std::io::Seek>(reader: R, name: &str) -> Result<PackSummary, Error> {
    let bad = |why: String| Error::format(name, why);
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| bad(format!("not a readable zip file: {e}")))?;
    if zip.len() > MAX_PACK_FILES {
        return Err(bad(format!("{} entries: more than any pack holds", zip.len())));
    }
    let mut seen = Seen::default();
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| bad(format!("zip entry {i} cannot be read: {e}")))?;
        let n = String::from_utf8_lossy(f.name_raw()).into_owned();
        if f.is_dir() {
            return Err(bad(format!("`{n}` is a folder: a pack holds plain files only")));
        }
        seen.take(n, &mut f, name)?;
    }
    seen.check(name)
}

/// The files of a pack as read: each hashed as it streams (only the
/// manifest is kept), none over its limit, so a crafted pack cannot fill
/// memory.
#[derive(Default)]
struct Seen {
    files: Vec<(String, u64, String)>,
    manifest: Option<Vec<u8>>,
}

impl Seen {
    fn take(&mut self, n: String, reader: &mut dyn Read, name: &str) -> Result<(), Error> {
        let bad = |why: String| Error::format(name, why);
        if n == PACK_MANIFEST {
            let mut buf = Vec::new();
            reader
                .take(MAX_MANIFEST_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| bad(format!("`{n}` cannot be read: {e}")))?;
            if buf.len() as u64 > MAX_MANIFEST_BYTES {
                return Err(bad(format!("`{n}` is larger than any pack manifest")));
            }
            self.files.push((n, buf.len() as u64, sha256_hex(&buf)));
            self.manifest = Some(buf);
            return Ok(());
        }
        let mut h = crate::audit::Sha256Writer::new(std::io::sink());
        let len = std::io::copy(&mut reader.take(MAX_PACK_FILE_BYTES + 1), &mut h)
            .map_err(|e| bad(format!("`{n}` cannot be read: {e}")))?;
        if len > MAX_PACK_FILE_BYTES {
            return Err(bad(format!(
                "`{n}` is larger than any pack file ({MAX_PACK_FILE_BYTES} bytes)"
            )));
        }
        self.files.push((n, len, h.finish()));
        Ok(())
    }

    /// Checks what was read against the manifest.
    fn check(self, name: &str) -> Result<PackSummary, Error> {
        let bad = |why: String| Error::format(name, why);
        let files = self.files;
        let manifest_bytes = self.manifest;
        let plain =
            |n: &str| !n.is_empty() && n != "." && n != ".." && !n.contains(['/', '\\', '\0']) && n.len() <= 255;
        if let Some((n, ..)) = files.iter().find(|(n, ..)| !plain(n)) {
            return Err(bad(format!("`{n}` is not a plain file name")));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some((n, ..)) = files.iter().find(|(n, ..)| !seen.insert(n.clone())) {
            return Err(bad(format!("`{n}` appears twice")));
        }
        let Some(mbytes) = &manifest_bytes else {
            return Err(bad(format!("no {PACK_MANIFEST}: not an evidence pack")));
        };
        let manifest: PackManifest =
            serde_json::from_slice(mbytes).map_err(|e| bad(format!("{PACK_MANIFEST} does not parse: {e}")))?;
        if manifest.format != PACK_FORMAT {
            return Err(bad(format!(
                "{PACK_MANIFEST}: format {:?} (this release verifies {PACK_FORMAT:?})",
                manifest.format
            )));
        }
        let mut listed = std::collections::HashSet::new();
        for f in &manifest.files {
            if !plain(&f.path) || f.path == PACK_MANIFEST || !listed.insert(f.path.as_str()) {
                return Err(bad(format!("{PACK_MANIFEST}: file entry `{}` is not valid", f.path)));
            }
            let Some((_, len, sum)) = files.iter().find(|(n, ..)| n == &f.path) else {
                return Err(bad(format!("`{}` is listed in the manifest but missing", f.path)));
            };
            if *len != f.bytes {
                return Err(bad(format!(
                    "`{}` has been changed: {len} bytes, the manifest says {}",
                    f.path, f.bytes
                )));
            }
            if *sum != f.sha256 {
                return Err(bad(format!(
                    "`{}` has been changed: SHA-256 {sum}, the manifest says {}",
                    f.path, f.sha256
                )));
            }
        }
        if let Some((n, ..)) = files
            .iter()
            .find(|(n, ..)| n != PACK_MANIFEST && !listed.contains(n.as_str()))
        {
            return Err(bad(format!(
                "`{n}` is not listed in the manifest: added after the pack was made"
            )));
        }
        Ok(PackSummary {
            manifest_sha256: sha256_hex(mbytes),
            manifest,
        })
    }
}
