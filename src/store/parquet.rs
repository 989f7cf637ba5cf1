//! The persistent store: a directory of GeoParquet files, partitioned by UTC
//! day and subject-hash bucket, with a manifest of committed files and their
//! checksums.
//!
//! Layout: `DIR/manifest.json` and `DIR/day=YYYY-MM-DD/bucket=NN/part-<xxh3 hex>.parquet`.
//! Each file holds one (day, bucket) partition sorted by subject and time,
//! with columns `subject` (utf8), `time` (timestamp µs, UTC), `lon`, `lat`
//! (float64, degrees), `accuracy_m` (float32, nullable) and `geometry` (WKB
//! point) plus GeoParquet 1.1 `geo` metadata, so pandas, pyarrow, DuckDB and
//! GeoPandas read the files directly.
//!
//! Crash safety: every new file is written to a temporary name, fsynced and
//! renamed; the manifest is replaced atomically (temporary file, fsync,
//! rename, directory fsync) *last*; replaced files are deleted only after
//! that. A process killed at any moment leaves a store whose manifest names
//! only complete files; files it does not name are ignored by readers and
//! moved to `quarantine/` by the next writer (never deleted). Writers hold
//! the store's exclusive lock and re-read the manifest first (see
//! `upkeep.rs`). An import checks each affected partition against what is
//! already stored (exact duplicates dropped, conflicts with stored fixes
//! reported and not stored), so re-running an import is idempotent;
//! unrelated partitions are never rewritten. Every file read is checked
//! against its checksum; the manifest is checked before use (`manifest.rs`).
//! All file operations go through one [`crate::durable`] seam, so tests
//! inject faults at every step. Files are created owner-only by default.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;

use super::manifest::{day_string, Manifest, DAY_US, MANIFEST};
use super::upkeep::WriterLock;
use super::{StoreOptions, TrailStore};
use crate::durable::{write_atomic_with, FileModes, OsFs, Vfs};
use crate::error::Error;
use crate::geoparquet::{encode_geoparquet, FixColumns, Rows, FIX_COLUMNS};
use crate::hash::{file_checksum, fnv64, recompute_checksum};
use crate::report::Mode;
use crate::time::Window;

/// Default number of subject-hash buckets per day.
pub const DEFAULT_BUCKETS: u32 = 16;

/// Most files one (day, bucket) partition holds before an import merges it.
pub const MAX_FILES_PER_PARTITION: usize = 8;

/// One committed data file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredFile {
    /// Path relative to the store directory.
    pub path: String,
    /// UTC day number (days since 1970-01-01).
    pub day: i64,
    /// Subject-hash bucket.
    pub bucket: u32,
    /// Fixes in the file.
    pub rows: u64,
    /// File size, bytes.
    pub bytes: u64,
    /// Checksum of the file's bytes: `xxh3:` + 16 hex digits (XXH3-64), or
    /// bare hex (FNV-1a 64, stores written by version 0.1 before XXH3).
    pub checksum: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    /// Fixes offered.
    pub offered: u64,
    /// Fixes newly stored.
    pub added: u64,
    /// Fixes already stored (exact duplicates).
    pub already_stored: u64,
    /// Fixes conflicting with a stored fix (same subject and instant, other
    /// position): reported, not stored.
    pub conflicts: u64,
    /// Partitions rewritten.
    pub partitions_written: u64,
    /// Unlisted files found under `day=*/bucket=*` and moved to
    /// `quarantine/` (relative paths), e.g. left by an interrupted writer.
    pub quarantined: Vec<String>,
    /// Temporary files of interrupted writers removed.
    pub leftovers_removed: u64,
}

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CompactSummary {
    /// Partitions merged into one file.
    pub partitions_compacted: u64,
    /// Committed files before.
    pub files_before: u64,
    /// Committed files after.
    pub files_after: u64,
    /// Unlisted files moved to `quarantine/` (relative paths).
    pub quarantined: Vec<String>,
    /// Temporary files of interrupted writers removed.
    pub leftovers_removed: u64,
}

/// A persistent store on disk (see the module docs).
#[derive(Debug, Clone)]
pub struct ParquetStore {
    pub(crate) dir: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) modes: FileModes,
    pub(crate) fs: Arc<dyn Vfs>,
    pub(crate) wait_for_writer: bool,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path.display(), e)
}

impl ParquetStore {
    /// Opens an existing store (reads and checks only the manifest).
    ///
    /// # Errors
    /// [`Error::Io`] when there is no manifest, [`Error::Format`] when it is
    /// corrupt or fails a check (its checksum, paths outside the store,
    /// impossible values).
    pub fn open(dir: &Path) -> Result<Self, Error> {
        Self::open_with(dir, Arc::new(OsFs))
    }

    pub(crate) fn open_with(dir: &Path, fs: Arc<dyn Vfs>) -> Result<Self, Error> {
        Ok(ParquetStore {
            dir: dir.to_path_buf(),
            manifest: Manifest::read(fs.as_ref(), dir)?,
            modes: FileModes::default(),
            fs,
            wait_for_writer: true,
        })
    }

    /// Opens the store in `dir`, creating an empty one if there is none
    /// (directories owner-only, see [`FileModes`]).
    ///
    /// # Errors
    /// As [`ParquetStore::open`]; [`Error::Io`] if the directory cannot be
    /// created; [`Error::Format`] for a directory that holds partitions but
    /// no manifest (it is not started afresh: its fixes would be hidden).
    pub fn open_or_create(dir: &Path) -> Result<Self, Error> {
        Self::open_or_create_with(dir, Arc::new(OsFs))
    }

    pub(crate) fn open_or_create_with(dir: &Path, fs: Arc<dyn Vfs>) -> Result<Self, Error> {
        if dir.join(MANIFEST).exists() {
            return Self::open_with(dir, fs);
        }
        Self::refuse_partitions_without_manifest(dir)?;
        let modes = FileModes::default();
        fs.create_dir_all(dir, modes.dir).map_err(io_err(dir))?;
        let mut s = ParquetStore {
            dir: dir.to_path_buf(),
            manifest: Manifest::new(DEFAULT_BUCKETS),
            modes,
            fs,
            wait_for_writer: true,
        };
        let _lock = WriterLock::acquire(dir, true)?;
        if dir.join(MANIFEST).exists() {
            // Another process created it meanwhile.
            return Self::open_with(dir, s.fs);
        }
        s.commit()?;
        Ok(s)
    }

    /// The modes new files and directories of this store get (default
    /// owner-only, `0o600` / `0o700`).
    pub fn with_modes(mut self, modes: FileModes) -> Self {
        self.modes = modes;
        self
    }

    /// Whether a writer (import, compact, repair) waits for another writer
    /// of the store to finish (`true`, the default) or fails at once with an
    /// error naming the other writer's process id.
    pub fn wait_for_writer(mut self, wait: bool) -> Self {
        self.wait_for_writer = wait;
        self
    }

    /// The process id of another writer holding the lock of the store in
    /// `dir` right now, if any (for a "waiting for …" message).
    pub fn writer_holding(dir: &Path) -> Option<String> {
        WriterLock::holder(dir)
    }

    /// The manifest generation this handle read (incremented by every commit).
    pub fn generation(&self) -> u64 {
        self.manifest.generation
    }

    /// Takes the writer lock, re-reads the manifest (another writer may have
    /// committed since this handle opened it) and removes temporary
    /// leftovers. Every writer starts here.
    pub(crate) fn begin_write(&mut self) -> Result<(WriterLock, u64), Error> {
        let lock = WriterLock::acquire(&self.dir, self.wait_for_writer)?;
        self.manifest = Manifest::read(self.fs.as_ref(), &self.dir)?;
        let removed = self.remove_leftovers();
        // An interrupted purge's replaced files go before anything else (if
        // one cannot be deleted now it stays out of the quarantine and the
        // next writer tries again).
        if let Err(e @ Error::Format { .. }) = self.take_pending() {
            return Err(e);
        }
        Ok((lock, removed))
    }

    /// The committed files.
    pub fn files(&self) -> &[StoredFile] {
        &self.manifest.files
    }

    /// The subject-hash bucket of `subject`.
    pub fn bucket_of(&self, subject: &str) -> u32 {
        (fnv64(subject.as_bytes()) % self.manifest.buckets as u64) as u32
    }

    /// Writes the manifest as the next generation.
    pub(crate) fn commit(&mut self) -> Result<(), Error> {
        self.manifest.generation += 1;
        let r = self.manifest.write(self.fs.as_ref(), &self.dir, self.modes);
        if r.is_err() {
            self.manifest.generation -= 1;
        }
        r
    }

    /// Reads one committed file into `rows`, checking its checksum.
    pub(crate) fn read_file(&self, f: &StoredFile, rows: &mut Rows) -> Result<(), Error> {
        for batch in self.decode_file(f, None)? {
            rows.push_batch(&FixColumns::of(&batch, &self.dir.join(&f.path))?);
        }
        Ok(())
    }

    /// Decodes one committed file after checking its checksum and size: only
    /// the fix columns (the WKB geometry is redundant with lon/lat), and with
    /// `subjects` only the row groups whose subject range can hold one of
    /// them (files are sorted by subject).
    pub(crate) fn decode_file(&self, f: &StoredFile, subjects: Option<&[&str]>) -> Result<Vec<RecordBatch>, Error> {
        let name = self.dir.join(&f.path).display().to_string();
        crate::error::guard(&name, || self.decode_file_unguarded(f, subjects))
    }

    fn decode_file_unguarded(&self, f: &StoredFile, subjects: Option<&[&str]>) -> Result<Vec<RecordBatch>, Error> {
        let path = self.dir.join(&f.path);
        let bytes = self.fs.read(&path).map_err(io_err(&path))?;
        let sum = recompute_checksum(&f.checksum, &bytes);
        if sum != f.checksum || bytes.len() as u64 != f.bytes {
            return Err(Error::format(
                &path.display().to_string(),
                format!(
                    "checksum mismatch (manifest {}, {} bytes; file {sum}, {} bytes): the file is corrupt or truncated",
                    f.checksum,
                    f.bytes,
                    bytes.len()
                ),
            ));
        }
        let name = path.display().to_string();
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .and_then(|b| {
                let md = b.metadata().clone();
                let schema = md.file_metadata().schema_descr();
                let wanted_cols: Vec<usize> = (0..schema.num_columns())
                    .filter(|&c| FIX_COLUMNS.contains(&schema.column(c).name()))
                    .collect();
                let b = b
                    .with_projection(ProjectionMask::leaves(schema, wanted_cols))
                    .with_batch_size(65_536);
                let Some(wanted) = subjects else { return b.build() };
                let col = schema.columns().iter().position(|c| c.name() == "subject");
                let groups: Vec<usize> = (0..md.num_row_groups())
                    .filter(|&g| {
                        let stats = col.and_then(|c| md.row_group(g).column(c).statistics());
                        match stats.and_then(|st| Some((st.min_bytes_opt()?, st.max_bytes_opt()?))) {
                            Some((lo, hi)) => wanted.iter().any(|s| lo <= s.as_bytes() && s.as_bytes() <= hi),
                            None => true,
                        }
                    })
                    .collect();
                b.with_row_groups(groups).build()
            })
            .map_err(|e| Error::format_from(&name, format!("not a readable Parquet file: {e}"), e))?;
        reader
            .map(|batch| batch.map_err(|e| Error::format_from(&name, e.to_string(), e)))
            .collect()
    }

    /// Loads the fixes of `subjects` (all when `None`) in the partitions that
    /// `window` touches — plus the neighbouring days on each side (one, or
    /// `ceil(max_gap_s / 1 day)` for longer gaps), so interpolation reaches
    /// across the window's edges — into an in-memory store. Files of other
    /// days are not opened.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Format`] naming a missing, corrupt or
    /// truncated file; [`Error::Option`] for a `max_gap_s` that is not a
    /// finite number of seconds above zero.
    pub fn load(&self, window: Window, subjects: Option<&[&str]>, options: StoreOptions) -> Result<TrailStore, Error> {
        let buckets: Option<Vec<u32>> = subjects.map(|s| s.iter().map(|s| self.bucket_of(s)).collect());
        self.load_consistent(window, subjects, buckets, options)
    }

    /// Loads from this handle's manifest generation; when a listed file has
    /// meanwhile been replaced by a writer (compaction), loads again from
    /// the newer generation, so a reader never mixes or misses data.
    fn load_consistent(
        &self,
        window: Window,
        subjects: Option<&[&str]>,
        buckets: Option<Vec<u32>>,
        options: StoreOptions,
    ) -> Result<TrailStore, Error> {
        let mut current = std::borrow::Cow::Borrowed(self);
        for _ in 0..3 {
            match current.load_filtered(window, subjects, buckets.clone(), options) {
                Err(Error::Io { ref source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    let fresh = Manifest::read(self.fs.as_ref(), &self.dir)?;
                    if fresh.generation == current.manifest.generation {
                        break;
                    }
                    current = std::borrow::Cow::Owned(ParquetStore {
                        manifest: fresh,
                        ..self.clone()
                    });
                }
                other => return other,
            }
        }
        current
            .load_filtered(window, subjects, buckets, options)
            .map_err(|e| match e {
                Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => Error::Io {
                    path,
                    source: std::io::Error::new(
                        source.kind(),
                        format!(
                            "{source}: a file the manifest lists is gone; run `trailfence verify --store {}` \
                         (and --repair to take it out of the manifest)",
                            self.dir.display()
                        ),
                    ),
                },
                other => other,
            })
    }

    /// Loads every subject of the given subject-hash `buckets` (each subject
    /// lives in exactly one bucket, so loads of disjoint buckets hold disjoint
    /// subjects with their whole trails in the window): the unit of work of
    /// distributed evaluation. Partitions as in [`ParquetStore::load`].
    ///
    /// # Errors
    /// As [`ParquetStore::load`]; [`Error::Option`] for a bucket number not
    /// below [`ParquetStore::buckets`].
    pub fn load_buckets(&self, window: Window, buckets: &[u32], options: StoreOptions) -> Result<TrailStore, Error> {
        if let Some(&b) = buckets.iter().find(|&&b| b >= self.manifest.buckets) {
            return Err(Error::Option {
                name: "bucket",
                value: b.to_string(),
                reason: "no such bucket in this store",
            });
        }
        self.load_consistent(window, None, Some(buckets.to_vec()), options)
    }

    /// The number of subject-hash buckets per day.
    pub fn buckets(&self) -> u32 {
        self.manifest.buckets
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn load_filtered(
        &self,
        window: Window,
        subjects: Option<&[&str]>,
        buckets: Option<Vec<u32>>,
        options: StoreOptions,
    ) -> Result<TrailStore, Error> {
        // Neighbouring days so that interpolation across the window's edges
        // (up to max_gap_s) finds its fixes: one day, or more for longer gaps.
        crate::options::positive_seconds("max_gap_s", options.max_gap_s)?;
        let margin = ((options.max_gap_s * 1e6 / DAY_US as f64).ceil() as i64).max(1);
        let (d0, d1) = (
            window.start_us().div_euclid(DAY_US).saturating_sub(margin),
            window
                .end_us()
                .saturating_sub(1)
                .div_euclid(DAY_US)
                .saturating_add(margin),
        );
        let files: Vec<&StoredFile> = self
            .manifest
            .files
            .iter()
            .filter(|f| f.day >= d0 && f.day <= d1)
            .filter(|f| buckets.as_ref().is_none_or(|b| b.contains(&f.bucket)))
            .collect();
        // Files decode in parallel, a few at a time; each group's columns are
        // gathered and its decoded arrays freed before the next group, so the
        // decode buffers are reused instead of piling up (freed buffers below
        // live ones would stay resident as heap fragments).
        // A capacity hint only (the manifest is checked, but a hint never
        // needs to be trusted with a huge allocation).
        let n: usize = if subjects.is_none() {
            files.iter().map(|f| f.rows as usize).sum::<usize>().min(1 << 26)
        } else {
            0
        };
        let mut names: Vec<String> = Vec::new();
        let mut number: HashMap<String, u32> = HashMap::new();
        let mut who: Vec<u32> = Vec::with_capacity(n);
        let (mut t, mut x, mut y, mut a) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for group in files.chunks(2 * rayon::current_num_threads()) {
            let decoded: Vec<Vec<RecordBatch>> = group
                .par_iter()
                .map(|f| self.decode_file(f, subjects))
                .collect::<Result<_, _>>()?;
            for (f, batches) in group.iter().zip(&decoded) {
                for batch in batches {
                    let c = FixColumns::of(batch, &self.dir.join(&f.path))?;
                    let mut last: Option<(&str, u32)> = None;
                    for i in 0..batch.num_rows() {
                        let s = c.subject.value(i);
                        if subjects.is_some_and(|w| !w.contains(&s)) {
                            continue;
                        }
                        let k = match last {
                            Some((l, k)) if l == s => k,
                            _ => {
                                let k = *number.entry(s.to_string()).or_insert_with(|| {
                                    names.push(s.to_string());
                                    names.len() as u32 - 1
                                });
                                last = Some((s, k));
                                k
                            }
                        };
                        who.push(k);
                        t.push(c.time.value(i));
                        x.push(c.lon.value(i));
                        y.push(c.lat.value(i));
                        a.push(if c.acc.is_null(i) {
                            f64::NAN
                        } else {
                            f64::from(c.acc.value(i))
                        });
                    }
                }
            }
        }
        let name: Vec<&str> = who.iter().map(|&k| names[k as usize].as_str()).collect();
        drop(who);
        let mut builder = TrailStore::builder().max_gap_s(options.max_gap_s)?;
        builder.extend_columns(&name, &t, &x, &y, Some(&a), Mode::Strict)?;
        Ok(builder.build())
    }

    /// Imports every fix of `store` into the (day, bucket) partitions their
    /// UTC instants fall in.
    ///
    /// Each affected partition is read to drop exact duplicates and set aside
    /// conflicts; the new fixes are written as one more file of that
    /// partition (a "delta"), so stored files are never rewritten by an
    /// ordinary import. When a partition would hold more than
    /// [`MAX_FILES_PER_PARTITION`] files it is merged into one instead;
    /// [`ParquetStore::compact`] merges all of them on demand.
    ///
    /// # Errors
    /// [`Error::Io`] / [`Error::Format`] on write or read failure (the store
    /// keeps its last committed state).
    pub fn import(&mut self, store: &TrailStore) -> Result<ImportSummary, Error> {
        self.import_with_progress(store, &mut |_, _| {})
    }

    /// As [`ParquetStore::import`], calling `progress(done, total)` after
    /// each partition (for progress bars).
    ///
    /// # Errors
    /// As [`ParquetStore::import`].
    pub fn import_with_progress(
        &mut self,
        store: &TrailStore,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportSummary, Error> {
        let (_lock, leftovers_removed) = self.begin_write()?;
        let mut summary = ImportSummary {
            leftovers_removed,
            ..Default::default()
        };
        // Group the new fixes by partition.
        let mut groups: BTreeMap<(i64, u32), Vec<(usize, usize)>> = BTreeMap::new();
        for s in 0..store.subject_count() {
            let b = self.bucket_of(&store.subjects()[s]);
            let t = store.trail_at(s);
            for i in 0..t.len() {
                groups
                    .entry((t.t_us[i].div_euclid(DAY_US), b))
                    .or_default()
                    .push((s, i));
                summary.offered += 1;
            }
        }
        let total = groups.len() as u64;
        let mut new_files = Vec::new();
        let mut replaced: Vec<String> = Vec::new();
        for (done, ((day, bucket), fixes)) in groups.into_iter().enumerate() {
            let existing: Vec<StoredFile> = self
                .manifest
                .files
                .iter()
                .filter(|f| f.day == day && f.bucket == bucket)
                .cloned()
                .collect();
            let mut rows = Rows::default();
            for f in &existing {
                self.read_file(f, &mut rows).map_err(|e| self.wedged(e))?;
            }
            let stored: HashMap<(&str, i64), usize> = rows
                .subject
                .iter()
                .zip(&rows.t_us)
                .enumerate()
                .map(|(k, (s, &t))| ((s.as_str(), t), k))
                .collect();
            let mut added = Rows::default();
            for (s, i) in fixes {
                let name = &store.subjects()[s];
                let t = store.trail_at(s);
                match stored.get(&(name.as_str(), t.t_us[i])) {
                    Some(&k) if rows.lon[k] == t.lon[i] && rows.lat[k] == t.lat[i] => summary.already_stored += 1,
                    Some(_) => summary.conflicts += 1,
                    None => added.push(name, t.t_us[i], t.lon[i], t.lat[i], t.accuracy_m(i)),
                }
            }
            drop(stored);
            progress(done as u64 + 1, total);
            if added.subject.is_empty() {
                continue;
            }
            summary.added += added.subject.len() as u64;
            summary.partitions_written += 1;
            if existing.len() < MAX_FILES_PER_PARTITION {
                new_files.push(self.write_partition(day, bucket, added)?);
            } else {
                rows.append(added);
                let file = self.write_partition(day, bucket, rows)?;
                replaced.extend(existing.iter().map(|f| f.path.clone()).filter(|p| *p != file.path));
                self.manifest.files.retain(|f| !(f.day == day && f.bucket == bucket));
                new_files.push(file);
            }
        }
        summary.quarantined = self.finish_commit(new_files, replaced)?;
        Ok(summary)
    }

    /// An import or compaction cannot read a stored file of a partition it
    /// must merge with: say how to get the store going again.
    fn wedged(&self, e: Error) -> Error {
        let hint = format!(
            "; nothing was changed. `trailfence verify --store {} --repair` moves the broken file to quarantine/ \
             and takes it out of the manifest (its fixes must then be re-imported)",
            self.dir.display()
        );
        match e {
            Error::Io { path, source } => Error::Io {
                path,
                source: std::io::Error::new(source.kind(), format!("{source}{hint}")),
            },
            Error::Format {
                source_name,
                reason,
                source,
            } => Error::Format {
                source_name,
                reason: format!("{reason}{hint}"),
                source,
            },
            other => other,
        }
    }

    /// Merges every partition held in more than one file into one file
    /// (sorted by subject and time), crash-safely: merged files are written
    /// and fsynced, the manifest is replaced, and only then are the old files
    /// deleted. Every file read is checked against its checksum.
    ///
    /// # Errors
    /// [`Error::Io`] / [`Error::Format`] (a corrupt file is named; the store
    /// keeps its last committed state).
    pub fn compact(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<CompactSummary, Error> {
        let (_lock, leftovers_removed) = self.begin_write()?;
        let mut parts: BTreeMap<(i64, u32), Vec<StoredFile>> = BTreeMap::new();
        for f in &self.manifest.files {
            parts.entry((f.day, f.bucket)).or_default().push(f.clone());
        }
        let mut summary = CompactSummary {
            files_before: self.manifest.files.len() as u64,
            leftovers_removed,
            ..Default::default()
        };
        parts.retain(|_, files| files.len() > 1);
        let total = parts.len() as u64;
        let mut new_files = Vec::new();
        let mut replaced = Vec::new();
        for (done, ((day, bucket), files)) in parts.into_iter().enumerate() {
            let mut rows = Rows::default();
            for f in &files {
                self.read_file(f, &mut rows).map_err(|e| self.wedged(e))?;
            }
            let file = self.write_partition(day, bucket, rows)?;
            replaced.extend(files.iter().map(|f| f.path.clone()).filter(|p| *p != file.path));
            self.manifest.files.retain(|f| !(f.day == day && f.bucket == bucket));
            new_files.push(file);
            summary.partitions_compacted += 1;
            progress(done as u64 + 1, total);
        }
        summary.quarantined = self.finish_commit(new_files, replaced)?;
        summary.files_after = self.manifest.files.len() as u64;
        Ok(summary)
    }

    /// Adds `new_files` to the manifest, commits it, then deletes the files
    /// it replaced (their fixes are in the new files) and moves any unlisted
    /// file to the quarantine; returns the paths quarantined.
    fn finish_commit(&mut self, new_files: Vec<StoredFile>, replaced: Vec<String>) -> Result<Vec<String>, Error> {
        if new_files.is_empty() && replaced.is_empty() {
            return self.quarantine_unlisted();
        }
        self.manifest.files.extend(new_files);
        self.manifest
            .files
            .sort_by(|a, b| (a.day, a.bucket, &a.path).cmp(&(b.day, b.bucket, &b.path)));
        self.commit()?;
        for p in replaced {
            let _ = self.fs.remove_file(&self.dir.join(p));
        }
        self.quarantine_unlisted()
    }

    /// Writes one partition (sorted by subject and time) and returns its entry.
    pub(crate) fn write_partition(&self, day: i64, bucket: u32, rows: Rows) -> Result<StoredFile, Error> {
        let n = rows.subject.len();
        let buf = encode_geoparquet(&rows)?;
        let checksum = file_checksum(&buf);
        let hex = checksum.trim_start_matches("xxh3:");
        let rel = format!("day={}/bucket={bucket:02}/part-{hex}.parquet", day_string(day));
        let path = self.dir.join(&rel);
        if let Some(parent) = path.parent() {
            self.fs.create_dir_all(parent, self.modes.dir).map_err(io_err(parent))?;
        }
        write_atomic_with(self.fs.as_ref(), &path, &buf, self.modes)?;
        Ok(StoredFile {
            path: rel,
            day,
            bucket,
            rows: n as u64,
            bytes: buf.len() as u64,
            checksum,
        })
    }
}
