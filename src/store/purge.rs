//! Retention and erasure: [`ParquetStore::purge`] removes every fix before an
//! instant and/or of one subject from every partition of the store, the
//! quarantine included, crash-safely and audited.
//!
//! Protocol (the store's writer lock, as imports):
//! 1. The request is appended to the store's audit log (who, why, which
//!    subject, which window) *before* anything is removed, so an erasure is
//!    never unrecorded; an interrupted purge is recorded again when re-run.
//! 2. Every quarantined file is read; one that holds purged fixes is
//!    rewritten without them (atomically) or deleted when nothing is left.
//!    A quarantined file that cannot be read is refused (purge cannot tell
//!    whether it holds the subject's fixes) before anything changes.
//! 3. Each affected partition is rewritten as one file without the purged
//!    fixes (temporary file, fsync, rename).
//! 4. A journal (`purge-pending.json`, atomic) names the files being
//!    replaced; then the manifest is committed; then those files are
//!    deleted and the journal removed.
//!
//! A crash before step 4's commit leaves the store as it was (new files
//! unlisted: the next writer quarantines them; they hold only fixes that
//! stay). A crash after the commit leaves replaced files on disk that the
//! manifest no longer lists: every writer (import, compact, repair, purge)
//! first reads the journal and deletes them, so they never reach the
//! quarantine. Re-running the purge always completes it.

use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::manifest::{is_data_path, DAY_US};
use super::parquet::{ParquetStore, StoredFile};
use super::upkeep::QUARANTINE;
use crate::audit::{append_audit, AccessContext, AuditEntry};
use crate::durable::write_atomic_with;
use crate::error::Error;
use crate::geoparquet::{encode_geoparquet, FixColumns, Rows};

/// The journal of a purge between its manifest commit and the deletion of
/// the files it replaced (reserved name).
pub(crate) const PURGE_JOURNAL: &str = "purge-pending.json";

/// Which fixes a purge removes: those before `before_us` (when given) *and*
/// of `subject` (when given). At least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeRequest {
    /// Remove fixes with a time strictly before this instant, UTC µs
    /// (retention). `None`: any time.
    pub before_us: Option<i64>,
    /// Remove only this subject's fixes (erasure). `None`: every subject.
    pub subject: Option<String>,
}

impl PurgeRequest {
    pub(crate) fn matches(&self, subject: &str, t_us: i64) -> bool {
        self.before_us.is_none_or(|b| t_us < b) && self.subject.as_deref().is_none_or(|s| s == subject)
    }
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeSummary {
    /// Fixes removed from the store's committed files.
    pub fixes_removed: u64,
    /// Partitions rewritten without the purged fixes (or emptied).
    pub partitions_rewritten: u64,
    /// Committed files deleted (replaced by rewritten partitions).
    pub files_deleted: u64,
    /// Fixes removed from files in `quarantine/`.
    pub quarantine_fixes_removed: u64,
    /// Quarantined files rewritten or deleted.
    pub quarantine_files_changed: u64,
    /// Files an earlier, interrupted purge had left for deletion, deleted now.
    pub interrupted_purge_files_deleted: u64,
    /// Temporary files of interrupted writers removed.
    pub leftovers_removed: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Journal {
    /// Paths (relative to the store) to delete once the manifest no longer lists them.
    delete: Vec<String>,
}

impl Journal {
    /// The data files it names (anything else in it is ignored: the journal
    /// never makes a writer delete outside the partitions).
    fn data_paths(self) -> Vec<String> {
        self.delete.into_iter().filter(|p| is_data_path(p)).collect()
    }
}

impl ParquetStore {
    /// Removes the fixes `request` names from every partition and from the
    /// quarantine (see the module docs for the crash-safe protocol), after
    /// recording the request with `context` in the store's audit log.
    ///
    /// # Errors
    /// [`Error::Option`] for an empty request or context; [`Error::Format`]
    /// naming a stored or quarantined file that cannot be read (nothing is
    /// changed); [`Error::Io`] on write failure (re-run the purge: it
    /// completes what an interrupted one started).
    pub fn purge(&mut self, request: &PurgeRequest, context: &AccessContext) -> Result<PurgeSummary, Error> {
        context.validate()?;
        if request.before_us.is_none() && request.subject.is_none() {
            return Err(Error::Option {
                name: "purge",
                value: String::new(),
                reason: "give a date to purge before, a subject to erase, or both",
            });
        }
        if request.subject.as_deref().is_some_and(|s| s.is_empty()) {
            return Err(Error::Option {
                name: "subject",
                value: String::new(),
                reason: "must not be empty",
            });
        }
        let (_lock, leftovers_removed) = self.begin_write()?;
        let mut summary = PurgeSummary {
            leftovers_removed,
            interrupted_purge_files_deleted: self.take_pending()?,
            ..Default::default()
        };
        append_audit(
            &self.dir,
            &AuditEntry {
                time_us: jiff::Timestamp::now().as_microsecond(),
                operation: "purge".into(),
                context: context.clone(),
                subjects: request.subject.iter().cloned().collect(),
                window: request.before_us.map(|b| (jiff::Timestamp::MIN.as_microsecond(), b)),
                outputs: Vec::new(),
            },
        )?;
        // The quarantine: read everything first, so an unreadable file
        // refuses the purge before anything changed.
        let mut scrub: Vec<(PathBuf, Rows, u64)> = Vec::new();
        for path in files_under(&self.dir.join(QUARANTINE)) {
            let rows = read_any(&path)?;
            let (kept, removed) = split(rows, request);
            if removed > 0 {
                scrub.push((path, kept, removed));
            }
        }
        // The partitions that may hold purged fixes.
        let mut parts: std::collections::BTreeMap<(i64, u32), Vec<StoredFile>> = Default::default();
        let bucket = request.subject.as_deref().map(|s| self.bucket_of(s));
        for f in &self.manifest.files {
            let day_start = f.day.saturating_mul(DAY_US);
            if request.before_us.is_none_or(|b| day_start < b) && bucket.is_none_or(|b| b == f.bucket) {
                parts.entry((f.day, f.bucket)).or_default().push(f.clone());
            }
        }
        let mut new_files = Vec::new();
        let mut replaced: Vec<String> = Vec::new();
        for ((day, bucket), files) in parts {
            let mut rows = Rows::default();
            for f in &files {
                self.read_file(f, &mut rows)?;
            }
            let (kept, removed) = split(rows, request);
            if removed == 0 {
                continue;
            }
            summary.fixes_removed += removed;
            summary.partitions_rewritten += 1;
            self.manifest.files.retain(|f| !(f.day == day && f.bucket == bucket));
            let new_path = if kept.subject.is_empty() {
                None
            } else {
                let file = self.write_partition(day, bucket, kept)?;
                let p = file.path.clone();
                new_files.push(file);
                Some(p)
            };
            replaced.extend(
                files
                    .into_iter()
                    .map(|f| f.path)
                    .filter(|p| Some(p) != new_path.as_ref()),
            );
        }
        for (path, kept, removed) in scrub {
            if kept.subject.is_empty() {
                self.fs.remove_file(&path).map_err(|e| Error::io(path.display(), e))?;
            } else {
                write_atomic_with(self.fs.as_ref(), &path, &encode_geoparquet(&kept)?, self.modes)?;
            }
            summary.quarantine_fixes_removed += removed;
            summary.quarantine_files_changed += 1;
        }
        if !replaced.is_empty() {
            let journal = serde_json::to_vec(&Journal {
                delete: replaced.clone(),
            })
            .map_err(|e| Error::format(PURGE_JOURNAL, e.to_string()))?;
            write_atomic_with(self.fs.as_ref(), &self.dir.join(PURGE_JOURNAL), &journal, self.modes)?;
        }
        summary.files_deleted = replaced.len() as u64;
        if !new_files.is_empty() || !replaced.is_empty() {
            self.manifest.files.extend(new_files);
            self.manifest
                .files
                .sort_by(|a, b| (a.day, a.bucket, &a.path).cmp(&(b.day, b.bucket, &b.path)));
            self.commit()?;
        }
        // Committed: the replaced files go now, before the clean-up of
        // unlisted files (which would otherwise keep them in quarantine).
        self.take_pending()?;
        self.quarantine_unlisted()?;
        Ok(summary)
    }

    /// The files an interrupted purge left for deletion (its journal; empty
    /// when there is none). Writers never quarantine these.
    pub(crate) fn pending_purge(&self) -> Vec<String> {
        self.fs
            .read(&self.dir.join(PURGE_JOURNAL))
            .ok()
            .and_then(|b| serde_json::from_slice::<Journal>(&b).ok())
            .map(Journal::data_paths)
            .unwrap_or_default()
    }

    /// Finishes an interrupted purge: deletes the files its journal names
    /// that the manifest no longer lists, then the journal; returns how many
    /// files were deleted. Called by every writer right after taking the
    /// lock, so replaced files never reach the quarantine.
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be deleted (the journal stays, so
    /// the next writer tries again); [`Error::Format`] for a journal that
    /// does not parse.
    pub(crate) fn take_pending(&self) -> Result<u64, Error> {
        let path = self.dir.join(PURGE_JOURNAL);
        if !path.exists() {
            return Ok(0);
        }
        // Written atomically, so a journal that does not parse was damaged
        // or edited: refused (acting on part of it, or dropping it, could
        // keep a purged file as a quarantined copy).
        let bytes = self.fs.read(&path).map_err(|e| Error::io(path.display(), e))?;
        let Ok(journal) = serde_json::from_slice::<Journal>(&bytes) else {
            return Err(Error::format(
                &path.display().to_string(),
                "not a purge journal (damaged or edited): the files an interrupted purge replaced are unknown; \
                 restore it or inspect the partitions, then remove it",
            ));
        };
        let mut deleted = 0;
        let pending = journal.data_paths();
        for rel in &pending {
            if self.manifest.files.iter().any(|f| &f.path == rel) {
                continue;
            }
            let p = self.dir.join(rel);
            if p.exists() {
                self.fs.remove_file(&p).map_err(|e| Error::io(p.display(), e))?;
                deleted += 1;
            }
        }
        for dir in pending
            .iter()
            .filter_map(|r| self.dir.join(r).parent().map(Path::to_path_buf))
        {
            self.fs.sync_dir(&dir).map_err(|e| Error::io(dir.display(), e))?;
        }
        self.fs.remove_file(&path).map_err(|e| Error::io(path.display(), e))?;
        self.fs
            .sync_dir(&self.dir)
            .map_err(|e| Error::io(self.dir.display(), e))?;
        Ok(deleted)
    }
}

/// Splits `rows` into the fixes that stay and the count removed.
fn split(rows: Rows, request: &PurgeRequest) -> (Rows, u64) {
    let mut kept = Rows::default();
    let mut removed = 0;
    for i in 0..rows.subject.len() {
        if request.matches(&rows.subject[i], rows.t_us[i]) {
            removed += 1;
        } else {
            kept.push(&rows.subject[i], rows.t_us[i], rows.lon[i], rows.lat[i], rows.acc[i]);
        }
    }
    (kept, removed)
}

/// Every file under `dir`, recursively (none when it does not exist).
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Reads the fixes of any store-format Parquet file (no manifest entry to
/// check it against: quarantined files).
pub(crate) fn read_any(path: &Path) -> Result<Rows, Error> {
    let name = path.display().to_string();
    let refuse = |why: String| {
        Error::format(
            &name,
            format!(
                "{why}: purge cannot tell whether this quarantined file holds fixes to remove; \
                 inspect it, delete it, and run purge again (nothing was changed)"
            ),
        )
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.display(), e))?;
    crate::error::guard(&name, || {
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .and_then(|b| b.build())
            .map_err(|e| refuse(format!("not a readable Parquet file: {e}")))?;
        let mut rows = Rows::default();
        for batch in reader {
            let batch = batch.map_err(|e| refuse(format!("not a readable Parquet file: {e}")))?;
            rows.push_batch(&FixColumns::of(&batch, path).map_err(|e| refuse(e.to_string()))?);
        }
        Ok(rows)
    })
}
