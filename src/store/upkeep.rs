//! What a store writer does around its work, and how a store is checked.
//!
//! * **One writer at a time.** Every import, compaction and repair holds an
//!   exclusive advisory lock on `DIR/.lock` for its whole run and re-reads
//!   the manifest after taking it, so two writers can never commit over each
//!   other's files. Readers take no lock: they read one manifest generation,
//!   and if a file it lists has since been replaced by a writer they reload
//!   the manifest and read the newer generation.
//! * **Temporary files** (reserved prefix [`TEMP_PREFIX`]) are never data:
//!   the next writer removes any a crash or a full disk left behind.
//! * **Nothing is deleted on the strength of the manifest alone.** A file
//!   under `day=*/bucket=*` that the manifest does not list (left by a crash
//!   between a file's rename and the manifest commit, or put there by
//!   someone) is *moved* to `DIR/quarantine/`, and reported; a directory that
//!   holds partitions but no manifest is refused as a store to write into.
//! * **verify / repair.** [`ParquetStore::verify`] checks every listed file
//!   (exists, size, checksum, readable, fix count) and looks for unlisted
//!   files and leftovers; [`ParquetStore::repair`] quarantines what is
//!   broken, rewrites the manifest without it and reports exactly which
//!   partitions' fixes are no longer in the store.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::manifest::{Manifest, MANIFEST};
use super::parquet::{ParquetStore, StoredFile};
use crate::durable::{create_dir_all_mode, TEMP_PREFIX};
use crate::error::Error;

/// The lock file of a store (reserved name).
pub(crate) const LOCK: &str = ".lock";
/// The quarantine directory of a store (reserved name).
pub const QUARANTINE: &str = "quarantine";

/// The exclusive writer lock of one store, released when dropped.
#[derive(Debug)]
pub(crate) struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the writer lock of the store in `dir`, waiting for another
    /// writer to finish when `wait`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the lock file: it cannot be opened, or (without
    /// `wait`) another writer holds it, named by its process id.
    pub(crate) fn acquire(dir: &Path, wait: bool) -> Result<Self, Error> {
        let path = dir.join(LOCK);
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(path.display(), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) if wait => {
                file.lock().map_err(|e| Error::io(path.display(), e))?;
            }
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                return Err(Error::io(
                    path.display(),
                    io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "another trailfence writer (pid {}) is importing into or compacting this store; \
                             retry when it has finished",
                            holder.trim()
                        ),
                    ),
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(path.display(), e)),
        }
        // The holder's pid, for the message another writer prints.
        let _ = file.set_len(0);
        let _ = write!(file, "{}", std::process::id());
        Ok(WriterLock { _file: file })
    }

    /// The pid of the process holding the lock of the store in `dir`, when
    /// one holds it now (for a "waiting for …" message).
    pub(crate) fn holder(dir: &Path) -> Option<String> {
        let path = dir.join(LOCK);
        let file = fs::OpenOptions::new().read(true).write(true).open(&path).ok()?;
        match file.try_lock() {
            Ok(()) => None,
            Err(_) => Some(fs::read_to_string(&path).unwrap_or_default().trim().to_string()),
        }
    }
}

/// What kind of problem [`ParquetStore::verify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A listed file does not exist.
    Missing,
    /// A listed file's size or checksum differs from the manifest's.
    Corrupt,
    /// A listed file is not a readable store file.
    Unreadable,
    /// A listed file holds another number of fixes than the manifest says.
    WrongFixCount,
    /// A file under `day=*/bucket=*` that the manifest does not list.
    Unlisted,
    /// A temporary file left by an interrupted writer.
    Leftover,
}

impl ProblemKind {
    /// `missing`, `corrupt`, `unreadable`, `wrong_fix_count`, `unlisted` or `leftover`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::Corrupt => "corrupt",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::WrongFixCount => "wrong_fix_count",
            ProblemKind::Unlisted => "unlisted",
            ProblemKind::Leftover => "leftover",
        }
    }
}

/// One problem found in a store.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoreProblem {
    /// The file, relative to the store directory.
    pub path: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Details (sizes, checksums, the decoder's message).
    pub detail: String,
    /// For a listed file: its partition's UTC day (`YYYY-MM-DD`).
    pub day: Option<String>,
    /// For a listed file: its subject-hash bucket.
    pub bucket: Option<u32>,
    /// For a listed file: the fixes the manifest says it holds — after a
    /// repair, the fixes of that partition no longer in the store.
    pub fixes: u64,
}

/// The result of [`ParquetStore::verify`] or [`ParquetStore::repair`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct VerifyReport {
    /// Listed files checked.
    pub files_checked: u64,
    /// Fixes in the listed files that passed every check.
    pub fixes_checked: u64,
    /// Everything found wrong, by path.
    pub problems: Vec<StoreProblem>,
    /// Whether a repair acted on the problems (quarantined broken and
    /// unlisted files, removed leftovers, rewrote the manifest).
    pub repaired: bool,
    /// Files already in `quarantine/` (for information; not a problem).
    pub quarantined_files: u64,
}

impl VerifyReport {
    /// No problem found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Fixes listed in the manifest whose files are missing or broken.
    pub fn fixes_lost(&self) -> u64 {
        self.problems.iter().filter(|p| p.day.is_some()).map(|p| p.fixes).sum()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} files checked, {} fixes verified, {} problems{}",
            self.files_checked,
            self.fixes_checked,
            self.problems.len(),
            if self.quarantined_files > 0 {
                format!(", {} files in {QUARANTINE}/", self.quarantined_files)
            } else {
                String::new()
            }
        )?;
        for p in &self.problems {
            write!(f, "{}: {}: {}", p.path, p.kind.as_str(), p.detail)?;
            if let (Some(day), Some(bucket)) = (&p.day, p.bucket) {
                let verb = if self.repaired {
                    "no longer in the store"
                } else {
                    "at risk"
                };
                write!(f, " ({} fixes of day {day}, bucket {bucket}: {verb})", p.fixes)?;
            }
            writeln!(f)?;
        }
        if self.repaired && !self.problems.is_empty() {
            writeln!(
                f,
                "repaired: broken and unlisted files moved to {QUARANTINE}/, leftovers removed, manifest rewritten; \
                 {} fixes are no longer in the store (re-import their extracts)",
                self.fixes_lost()
            )?;
        }
        Ok(())
    }
}

/// Every file under `day=*/bucket=*` (relative path) plus every temporary
/// file anywhere in the store's own folders (absolute path).
fn scan(dir: &Path) -> (Vec<String>, Vec<PathBuf>) {
    let (mut data, mut temps) = (Vec::new(), Vec::new());
    let list = |p: &Path| -> Vec<fs::DirEntry> { fs::read_dir(p).map(|d| d.flatten().collect()).unwrap_or_default() };
    let is_temp = |name: &str| name.starts_with(TEMP_PREFIX) || name.contains(".tmp");
    for top in list(dir) {
        let name = top.file_name().to_string_lossy().into_owned();
        if is_temp(&name) {
            temps.push(top.path());
            continue;
        }
        if !name.starts_with("day=") || !top.path().is_dir() {
            continue;
        }
        for bucket in list(&top.path()) {
            let bname = bucket.file_name().to_string_lossy().into_owned();
            if is_temp(&bname) {
                temps.push(bucket.path());
                continue;
            }
            if !bucket.path().is_dir() {
                data.push(format!("{name}/{bname}"));
                continue;
            }
            for f in list(&bucket.path()) {
                let fname = f.file_name().to_string_lossy().into_owned();
                if is_temp(&fname) {
                    temps.push(f.path());
                } else {
                    data.push(format!("{name}/{bname}/{fname}"));
                }
            }
        }
    }
    data.sort();
    temps.sort();
    (data, temps)
}

impl ParquetStore {
    /// Removes temporary files an interrupted writer left (they are never
    /// data); returns how many. Called by every writer after taking the lock.
    pub(crate) fn remove_leftovers(&self) -> u64 {
        let (_, temps) = scan(&self.dir);
        temps.iter().filter(|p| fs::remove_file(p).is_ok()).count() as u64
    }

    /// Moves every file under `day=*/bucket=*` that the manifest does not
    /// list into `quarantine/<generation>/`, keeping its relative path;
    /// returns the paths moved. Never deletes.
    pub(crate) fn quarantine_unlisted(&self) -> Result<Vec<String>, Error> {
        let listed: std::collections::HashSet<&str> = self.manifest.files.iter().map(|f| f.path.as_str()).collect();
        // Files an interrupted purge replaced are deleted, never kept.
        let pending = self.pending_purge();
        let (mut data, _) = scan(&self.dir);
        data.retain(|r| !pending.contains(r));
        let mut moved = Vec::new();
        for rel in data.into_iter().filter(|r| !listed.contains(r.as_str())) {
            self.quarantine(&rel)?;
            moved.push(rel);
        }
        Ok(moved)
    }

    /// Moves one file (relative path) into the quarantine.
    pub(crate) fn quarantine(&self, rel: &str) -> Result<(), Error> {
        let to = self
            .dir
            .join(QUARANTINE)
            .join(format!("generation-{}", self.manifest.generation))
            .join(rel);
        if let Some(parent) = to.parent() {
            create_dir_all_mode(parent, self.modes.dir).map_err(|e| Error::io(parent.display(), e))?;
        }
        let from = self.dir.join(rel);
        self.fs.rename(&from, &to).map_err(|e| {
            Error::io(
                from.display(),
                io::Error::new(e.kind(), format!("moving to quarantine: {e}")),
            )
        })
    }

    /// Checks every listed file (exists, size, checksum, readable, fix
    /// count; files in parallel) and looks for unlisted files and leftovers.
    /// Reads the manifest afresh (a writer may have committed since open).
    ///
    /// # Errors
    /// [`Error::Io`] / [`Error::Format`] when the manifest itself cannot be
    /// read or fails its checks (see `manifest.rs`).
    pub fn verify(&self) -> Result<VerifyReport, Error> {
        let fresh = ParquetStore {
            manifest: Manifest::read(self.fs.as_ref(), &self.dir)?,
            ..self.clone()
        };
        Ok(fresh.check_files())
    }

    fn check_files(&self) -> VerifyReport {
        let checked: Vec<Result<u64, StoreProblem>> =
            self.manifest.files.par_iter().map(|f| self.check_file(f)).collect();
        let mut report = VerifyReport {
            files_checked: self.manifest.files.len() as u64,
            ..Default::default()
        };
        for c in checked {
            match c {
                Ok(n) => report.fixes_checked += n,
                Err(p) => report.problems.push(p),
            }
        }
        let listed: std::collections::HashSet<&str> = self.manifest.files.iter().map(|f| f.path.as_str()).collect();
        let (data, temps) = scan(&self.dir);
        for rel in data.into_iter().filter(|r| !listed.contains(r.as_str())) {
            report.problems.push(StoreProblem {
                path: rel,
                kind: ProblemKind::Unlisted,
                detail: "not in the manifest (left by an interrupted writer, or put there by hand)".into(),
                day: None,
                bucket: None,
                fixes: 0,
            });
        }
        for p in temps {
            report.problems.push(StoreProblem {
                path: p.strip_prefix(&self.dir).unwrap_or(&p).display().to_string(),
                kind: ProblemKind::Leftover,
                detail: "temporary file of an interrupted writer".into(),
                day: None,
                bucket: None,
                fixes: 0,
            });
        }
        report.quarantined_files = count_files(&self.dir.join(QUARANTINE));
        report
    }

    fn check_file(&self, f: &StoredFile) -> Result<u64, StoreProblem> {
        let problem = |kind, detail: String| StoreProblem {
            path: f.path.clone(),
            kind,
            detail,
            day: Some(super::manifest::day_string(f.day)),
            bucket: Some(f.bucket),
            fixes: f.rows,
        };
        let path = self.dir.join(&f.path);
        match fs::metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(problem(
                    ProblemKind::Missing,
                    "listed in the manifest but not on disk".into(),
                ))
            }
            Err(e) => return Err(problem(ProblemKind::Unreadable, e.to_string())),
            Ok(_) => {}
        }
        match self.decode_file(f, None) {
            Ok(batches) => {
                let n: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
                if n == f.rows {
                    Ok(n)
                } else {
                    Err(problem(
                        ProblemKind::WrongFixCount,
                        format!("holds {n} fixes, the manifest says {}", f.rows),
                    ))
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let kind = if msg.contains("checksum mismatch") {
                    ProblemKind::Corrupt
                } else {
                    ProblemKind::Unreadable
                };
                Err(problem(kind, msg))
            }
        }
    }

    /// [`ParquetStore::verify`], then acts on every problem under the writer
    /// lock: broken listed files and unlisted files are moved to
    /// `quarantine/` (never deleted), leftovers are removed, and the
    /// manifest is rewritten without the broken files. The report names each
    /// partition whose fixes are no longer in the store, and how many.
    ///
    /// # Errors
    /// As [`ParquetStore::verify`]; [`Error::Io`] when a file cannot be
    /// moved or the manifest cannot be written (the store keeps its last
    /// committed state).
    pub fn repair(&mut self) -> Result<VerifyReport, Error> {
        let _lock = WriterLock::acquire(&self.dir, self.wait_for_writer)?;
        self.manifest = Manifest::read(self.fs.as_ref(), &self.dir)?;
        self.take_pending()?;
        let mut report = self.check_files();
        if report.is_clean() {
            return Ok(report);
        }
        let broken: std::collections::HashSet<String> = report
            .problems
            .iter()
            .filter(|p| p.day.is_some())
            .map(|p| p.path.clone())
            .collect();
        if !broken.is_empty() {
            self.manifest.files.retain(|f| !broken.contains(&f.path));
            self.commit()?;
        }
        for p in &report.problems {
            match p.kind {
                ProblemKind::Missing => {}
                ProblemKind::Leftover => {
                    let _ = fs::remove_file(self.dir.join(&p.path));
                }
                _ => self.quarantine(&p.path)?,
            }
        }
        report.repaired = true;
        report.quarantined_files = count_files(&self.dir.join(QUARANTINE));
        Ok(report)
    }

    /// Refuses a directory that holds partitions but no manifest: writing a
    /// new, empty manifest there would hide (and a later clean-up quarantine)
    /// every stored fix.
    pub(crate) fn refuse_partitions_without_manifest(dir: &Path) -> Result<(), Error> {
        let has_partitions = fs::read_dir(dir)
            .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("day=")))
            .unwrap_or(false);
        if has_partitions && !dir.join(MANIFEST).exists() {
            return Err(Error::format(
                &dir.display().to_string(),
                "holds partitions (day=…) but no manifest.json: refusing to start a new store over them \
                 (their fixes would be hidden); restore manifest.json from a backup, or move the day=… folders away",
            ));
        }
        Ok(())
    }
}

fn count_files(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 })
        .sum()
}
