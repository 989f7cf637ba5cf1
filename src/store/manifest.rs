//! The store manifest: the list of committed data files, its own checksum,
//! and the checks every manifest passes before anything trusts it.
//!
//! A manifest is untrusted input (it lives on disk next to the data): its
//! checksum must match, every path must be relative, inside the store and of
//! the one layout the store writes (`day=YYYY-MM-DD/bucket=NN/part-….parquet`,
//! agreeing with the entry's day and bucket), bucket numbers must be below a
//! bucket count of at least 1, row counts must fit the file's size, and no
//! path may appear twice. A manifest failing any check is refused with the
//! reason, before any file is read, written or removed.

use std::collections::HashSet;
use std::path::Path;

use super::parquet::StoredFile;
use crate::durable::{write_atomic_with, FileModes, Vfs};
use crate::error::Error;
use crate::time::from_us;

/// The manifest's file name inside the store directory.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The store format version this release reads and writes.
pub(crate) const VERSION: u32 = 1;
/// Most subject-hash buckets a store may have.
pub(crate) const MAX_BUCKETS: u32 = 65_536;
/// Microseconds per day.
pub(crate) const DAY_US: i64 = 86_400_000_000;
/// Day numbers a store may hold (jiff's range, years -9999..=9999).
const DAY_RANGE: std::ops::RangeInclusive<i64> = -4_371_587..=2_932_896;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Manifest {
    pub(crate) version: u32,
    pub(crate) buckets: u32,
    /// Incremented by every commit; readers that find a listed file gone
    /// reload the manifest when the generation moved on.
    #[serde(default)]
    pub(crate) generation: u64,
    pub(crate) files: Vec<StoredFile>,
    /// XXH3-64 of the manifest written without this field (absent in
    /// manifests of earlier releases, which are still read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checksum: Option<String>,
}

/// Whether `rel` has the shape of a data file path the store writes
/// (`day=YYYY-MM-DD/bucket=NN/part-<hex>.parquet`: relative, inside the store).
pub(crate) fn is_data_path(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    matches!(parts.as_slice(), [d, b, f]
        if d.strip_prefix("day=").is_some_and(|x| x.len() == 10 && x.bytes().all(|c| c.is_ascii_digit() || c == b'-'))
        && b.strip_prefix("bucket=").is_some_and(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit()))
        && f.strip_prefix("part-").and_then(|x| x.strip_suffix(".parquet"))
            .is_some_and(|h| !h.is_empty() && h.len() <= 64 && h.bytes().all(|c| c.is_ascii_hexdigit())))
}

/// `YYYY-MM-DD` of a day number.
pub(crate) fn day_string(day: i64) -> String {
    from_us(day.saturating_mul(DAY_US)).to_string()[..10].to_string()
}

impl Manifest {
    /// An empty manifest with `buckets` buckets.
    pub(crate) fn new(buckets: u32) -> Self {
        Manifest {
            version: VERSION,
            buckets,
            generation: 0,
            files: Vec::new(),
            checksum: None,
        }
    }

    fn body(&self) -> Result<Vec<u8>, Error> {
        let mut m = self.clone();
        m.checksum = None;
        serde_json::to_vec_pretty(&m).map_err(|e| Error::format_from("<manifest>", e.to_string(), e))
    }

    /// The manifest's bytes with its checksum set.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut m = self.clone();
        m.checksum = Some(crate::hash::file_checksum(&self.body()?));
        serde_json::to_vec_pretty(&m).map_err(|e| Error::format_from("<manifest>", e.to_string(), e))
    }

    /// Reads and checks the manifest of the store in `dir`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Format`] naming the
    /// manifest and the first failed check.
    pub(crate) fn read(vfs: &dyn Vfs, dir: &Path) -> Result<Self, Error> {
        let path = dir.join(MANIFEST);
        let bytes = vfs.read(&path).map_err(|e| Error::io(path.display(), e))?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Parses and checks manifest bytes; `name` names it in errors.
    pub(crate) fn parse(bytes: &[u8], name: &str) -> Result<Self, Error> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| Error::format_from(name, format!("corrupt manifest: {e}"), e))?;
        m.check().map_err(|reason| Error::format(name, reason))?;
        Ok(m)
    }

    /// Writes the manifest atomically (with its checksum).
    pub(crate) fn write(&self, vfs: &dyn Vfs, dir: &Path, modes: FileModes) -> Result<(), Error> {
        write_atomic_with(vfs, &dir.join(MANIFEST), &self.to_bytes()?, modes)
    }

    fn check(&self) -> Result<(), String> {
        if self.version != VERSION {
            return Err(format!(
                "unknown store version {} (this release reads {VERSION})",
                self.version
            ));
        }
        if let Some(sum) = &self.checksum {
            let body = self.body().map_err(|e| e.to_string())?;
            let got = crate::hash::recompute_checksum(sum, &body);
            if &got != sum {
                return Err(format!(
                    "manifest checksum mismatch (recorded {sum}, computed {got}): it was edited or damaged; \
                     restore it from a backup or run `trailfence verify --repair` after checking the files"
                ));
            }
        }
        if !(1..=MAX_BUCKETS).contains(&self.buckets) {
            return Err(format!("buckets = {}: must be 1 to {MAX_BUCKETS}", self.buckets));
        }
        let mut seen = HashSet::new();
        for (k, f) in self.files.iter().enumerate() {
            let at = |why: String| format!("files[{k}] ({:?}): {why}", f.path);
            if !DAY_RANGE.contains(&f.day) {
                return Err(at(format!("day {} is outside the years -9999..9999", f.day)));
            }
            if f.bucket >= self.buckets {
                return Err(at(format!(
                    "bucket {} is not below the store's {} buckets",
                    f.bucket, self.buckets
                )));
            }
            let prefix = format!("day={}/bucket={:02}/part-", day_string(f.day), f.bucket);
            let name_ok = f
                .path
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".parquet"))
                .is_some_and(|hex| !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
            if !name_ok {
                return Err(at(format!(
                    "path must be {prefix}<hex>.parquet (relative, inside the store, matching its day and bucket)"
                )));
            }
            if f.rows > f.bytes {
                return Err(at(format!("{} rows cannot fit in {} bytes", f.rows, f.bytes)));
            }
            if !seen.insert(f.path.as_str()) {
                return Err(at("listed twice".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, day: i64, bucket: u32) -> StoredFile {
        StoredFile {
            path: path.into(),
            day,
            bucket,
            rows: 10,
            bytes: 1000,
            checksum: "xxh3:0000000000000000".into(),
        }
    }

    #[test]
    fn every_untrusted_value_is_checked_before_use() {
        let good = entry("day=2024-10-26/bucket=03/part-0123abcd.parquet", 20_022, 3);
        let mut m = Manifest::new(16);
        m.files.push(good.clone());
        let ok = m.to_bytes().unwrap();
        assert_eq!(Manifest::parse(&ok, "m").unwrap().files, vec![good.clone()]);
        let bad = |f: &dyn Fn(&mut Manifest), needle: &str| {
            let mut m2 = m.clone();
            f(&mut m2);
            let e = Manifest::parse(&m2.to_bytes().unwrap(), "m").unwrap_err().to_string();
            assert!(e.contains(needle), "{e} should mention {needle}");
        };
        bad(&|m| m.buckets = 0, "buckets = 0");
        bad(&|m| m.files[0].path = "../outside/x.parquet".into(), "inside the store");
        bad(&|m| m.files[0].path = "/etc/passwd".into(), "inside the store");
        bad(
            &|m| m.files[0].path = "day=2024-10-26/bucket=03/part-../../x.parquet".into(),
            "inside the store",
        );
        bad(
            &|m| m.files[0].path = "day=2024-10-27/bucket=03/part-0123abcd.parquet".into(),
            "matching its day",
        );
        bad(&|m| m.files[0].bucket = 16, "not below");
        bad(&|m| m.files[0].rows = u64::MAX, "cannot fit");
        bad(&|m| m.files[0].day = i64::MAX, "outside the years");
        bad(&|m| m.files.push(m.files[0].clone()), "listed twice");
        // An edit after the checksum was written.
        let edited = String::from_utf8(ok).unwrap().replace("\"rows\": 10", "\"rows\": 11");
        let e = Manifest::parse(edited.as_bytes(), "m").unwrap_err().to_string();
        assert!(e.contains("checksum mismatch"), "{e}");
        // Manifests of earlier releases have no checksum and are still read.
        let mut old = m.clone();
        old.checksum = None;
        let legacy = serde_json::to_vec(&old).unwrap();
        assert!(Manifest::parse(&legacy, "m").is_ok());
    }
}
