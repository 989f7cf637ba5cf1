//! The lawful-access audit log of a store: who consulted or disclosed which
//! subjects' data, when, why and what was produced (Data Protection Act
//! 2018 Part 3, s.62 logging of consultation and disclosure).
//!
//! The log is `audit/audit.log` in the store directory: JSON lines, one
//! [`AuditRecord`] each, every record carrying the SHA-256 of the previous
//! one (`prev`) and its own (`hash`, over `prev` and the record's canonical
//! JSON without `hash`), appended under an exclusive lock and fsynced.
//! `audit/audit.head` (written atomically after each append) holds the number of
//! records and the last hash, so truncation of the log's tail is detected;
//! [`verify_audit`] checks the whole chain and names the first line that
//! was edited, deleted, reordered, or cut off. Keeping a copy of the head
//! hash elsewhere (it is in every [`AuditSummary`]) also detects the log
//! and the head being replaced together.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::durable::{write_atomic, FileModes};
use crate::error::Error;

/// The log's path in a store directory (its own folder: a store writer's
/// clean-up of leftover temporary files at the top level never races an
/// append).
pub const AUDIT_LOG: &str = "audit/audit.log";
/// The head (record count and last hash) beside it.
pub const AUDIT_HEAD: &str = "audit/audit.head";

/// The store's access policy file.
pub const ACCESS_POLICY: &str = "access-policy.json";

/// The previous hash of the first record.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Why and for whom data is read: recorded with every consultation or
/// disclosure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessContext {
    /// The person who asked (name or staff id).
    pub requested_by: String,
    /// Why (e.g. "trail request for licence breach review").
    pub purpose: String,
    /// The case or request reference, if any.
    pub case_reference: Option<String>,
}

impl AccessContext {
    /// Checks that the person and the purpose are given.
    ///
    /// # Errors
    /// [`Error::Option`] naming the empty field.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, v) in [("requested_by", &self.requested_by), ("purpose", &self.purpose)] {
            if v.trim().is_empty() {
                return Err(Error::Option {
                    name,
                    value: String::new(),
                    reason: "must name who asked and why (an access context is required)",
                });
            }
        }
        Ok(())
    }
}

/// A file produced by an operation, with its SHA-256 (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditOutput {
    /// The path as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// One consultation or disclosure to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When, UTC µs.
    pub time_us: i64,
    /// What was done (`trail`, `breaches`, `export`, `purge`, ...).
    pub operation: String,
    /// Who and why.
    pub context: AccessContext,
    /// The subjects whose data was read.
    pub subjects: Vec<String>,
    /// The time window read, UTC µs `[start, end)`; `None` = all.
    pub window: Option<(i64, i64)>,
    /// What was produced.
    pub outputs: Vec<AuditOutput>,
}

/// A record as stored: the entry, its position and its chain hashes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// Position, from 1.
    pub seq: u64,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// What was done.
    pub operation: String,
    /// Who and why.
    pub context: AccessContext,
    /// The subjects whose data was read.
    pub subjects: Vec<String>,
    /// Window start (RFC 3339), if bounded.
    pub window_start: Option<String>,
    /// Window end (RFC 3339, exclusive), if bounded.
    pub window_end: Option<String>,
    /// What was produced.
    pub outputs: Vec<AuditOutput>,
    /// The previous record's hash (64 zeros for the first).
    pub prev: String,
    /// SHA-256 of `prev` and this record's JSON without `hash`.
    pub hash: String,
}

/// What [`verify_audit`] found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSummary {
    /// Records in the log.
    pub records: u64,
    /// The last record's hash (keep a copy elsewhere to detect the log and
    /// its head being replaced together).
    pub head_hash: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Head {
    records: u64,
    last_hash: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The chain hash of a record (its `hash` field ignored).
fn chain_hash(r: &AuditRecord) -> String {
    let mut unhashed = r.clone();
    unhashed.hash = String::new();
    let json = serde_json::to_vec(&unhashed).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(r.prev.as_bytes());
    h.update(b"\n");
    h.update(&json);
    hex(&h.finalize())
}

fn iso(t_us: i64) -> String {
    crate::time::from_us(t_us).to_string()
}

/// Appends `entry` to the audit log of the store at `dir` (created on first
/// use, owner-only), under an exclusive lock, fsynced, and returns the
/// record as stored.
///
/// # Errors
/// [`Error::Option`] for an empty access context; [`Error::Io`] when the
/// log cannot be written; [`Error::Format`] when the existing log is broken
/// (appending to a broken chain would hide the break).
pub fn append_audit(dir: &Path, entry: &AuditEntry) -> Result<AuditRecord, Error> {
    entry.context.validate()?;
    let path = dir.join(AUDIT_LOG);
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let mut file = open_log(&path)?;
    file.lock().map_err(|e| Error::io(path.display(), e))?;
    let summary = verify_audit(dir)?;
    // Cut off an unterminated line a crashed append left (see read_audit);
    // the whole log is read again only when its last byte says so.
    let len = file.metadata().map_err(|e| Error::io(path.display(), e))?.len();
    if len > 0 && last_byte(&path, len)? != b'\n' {
        let text = std::fs::read(&path).map_err(|e| Error::io(path.display(), e))?;
        let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |k| k + 1) as u64;
        file.set_len(keep).map_err(|e| Error::io(path.display(), e))?;
    }
    if summary.records == 0 && !dir.join(AUDIT_HEAD).exists() {
        // The head exists before the first record, so a crash between the
        // first append and its head update leaves the head one record
        // behind (intact), never missing (which only deletion explains).
        let genesis = serde_json::to_vec(&Head {
            records: 0,
            last_hash: GENESIS.to_string(),
        })
        .unwrap_or_default();
        write_atomic(&dir.join(AUDIT_HEAD), &genesis, FileModes::default())?;
    }
    let (seq, prev) = (summary.records + 1, summary.head_hash);
    let mut r = AuditRecord {
        seq,
        time: iso(entry.time_us),
        operation: entry.operation.clone(),
        context: entry.context.clone(),
        subjects: entry.subjects.clone(),
        window_start: entry.window.map(|w| iso(w.0)),
        window_end: entry.window.map(|w| iso(w.1)),
        outputs: entry.outputs.clone(),
        prev,
        hash: String::new(),
    };
    r.hash = chain_hash(&r);
    let mut line =
        serde_json::to_vec(&r).map_err(|e| Error::format_from(&path.display().to_string(), e.to_string(), e))?;
    line.push(b'\n');
    file.write_all(&line).map_err(|e| Error::io(path.display(), e))?;
    file.sync_all().map_err(|e| Error::io(path.display(), e))?;
    let head = serde_json::to_vec(&Head {
        records: seq,
        last_hash: r.hash.clone(),
    })
    .unwrap_or_default();
    write_atomic(&dir.join(AUDIT_HEAD), &head, FileModes::default())?;
    drop(file); // releases the lock
    Ok(r)
}

fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(FileModes::default().dir);
    }
    b.create(dir).map_err(|e| Error::io(dir.display(), e))
}

fn open_log(path: &PathBuf) -> Result<File, Error> {
    let mut o = OpenOptions::new();
    o.create(true).append(true).read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FileModes::default().file);
    }
    o.open(path).map_err(|e| Error::io(path.display(), e))
}

/// The byte at `len - 1` of the file at `path`.
fn last_byte(path: &Path, len: u64) -> Result<u8, Error> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| Error::io(path.display(), e))?;
    f.seek(SeekFrom::Start(len - 1))
        .map_err(|e| Error::io(path.display(), e))?;
    let mut b = [0u8];
    f.read_exact(&mut b).map_err(|e| Error::io(path.display(), e))?;
    Ok(b[0])
}

/// Reads every record of the store's audit log, checking the chain.
///
/// # Errors
/// As [`verify_audit`].
pub fn read_audit(dir: &Path) -> Result<Vec<AuditRecord>, Error> {
    let path = dir.join(AUDIT_LOG);
    let name = path.display().to_string();
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return check_head(dir, &[]).map(|_| Vec::new()),
        Err(e) => return Err(Error::io(&name, e)),
    };
    let mut bytes = Vec::new();
    BufReader::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(&name, e))?;
    // A record is complete only with its newline: an unterminated last line
    // is what a crash in the middle of an append leaves (the head, updated
    // only after the append, still records the lines before it). It is not
    // a record; the next append cuts it off.
    let complete = std::str::from_utf8(&bytes[..bytes.iter().rposition(|&b| b == b'\n').map_or(0, |k| k + 1)])
        .map_err(|e| Error::format(&name, format!("not UTF-8 text ({e}): edited or damaged")))?;
    let mut out: Vec<AuditRecord> = Vec::new();
    let mut prev = GENESIS.to_string();
    for (i, line) in complete.lines().enumerate() {
        let at = |reason: String| Error::format(&name, format!("line {}: {reason}", i + 1));
        let r: AuditRecord =
            serde_json::from_str(line).map_err(|e| at(format!("not an audit record ({e}): edited or damaged")))?;
        if r.seq != i as u64 + 1 {
            return Err(at(format!(
                "record {} where record {} belongs: records were deleted or reordered",
                r.seq,
                i + 1
            )));
        }
        if r.prev != prev {
            return Err(at(
                "does not follow the record before it: a record was deleted, inserted or reordered".into(),
            ));
        }
        if chain_hash(&r) != r.hash {
            return Err(at("its hash does not match its content: the record was edited".into()));
        }
        prev = r.hash.clone();
        out.push(r);
    }
    check_head(dir, &out)?;
    Ok(out)
}

fn check_head(dir: &Path, records: &[AuditRecord]) -> Result<(), Error> {
    let path = dir.join(AUDIT_HEAD);
    let name = path.display().to_string();
    let head: Head = match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::format(&name, format!("not an audit head ({e})")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if records.is_empty() {
                return Ok(());
            }
            return Err(Error::format(
                &name,
                "missing while the log has records: the head was deleted",
            ));
        }
        Err(e) => return Err(Error::io(&name, e)),
    };
    let last = records.last().map_or(GENESIS, |r| r.hash.as_str());
    // A crash between appending a record and updating the head leaves the
    // head one record behind, pointing at the record before: intact.
    let n = records.len();
    let before = if n >= 2 { records[n - 2].hash.as_str() } else { GENESIS };
    let crashed_after_append = n >= 1 && head.records + 1 == n as u64 && head.last_hash == before;
    if !crashed_after_append && (head.records != n as u64 || head.last_hash != last) {
        return Err(Error::format(
            &dir.join(AUDIT_LOG).display().to_string(),
            format!(
                "holds {} records but its head records {}: the log was truncated or replaced",
                records.len(),
                head.records
            ),
        ));
    }
    Ok(())
}

/// Checks the store's audit log: every record's hash, the chain, the
/// sequence and the head.
///
/// # Errors
/// [`Error::Format`] naming the first line that was edited, deleted,
/// reordered or cut off; [`Error::Io`] when it cannot be read.
pub fn verify_audit(dir: &Path) -> Result<AuditSummary, Error> {
    let records = read_audit(dir)?;
    Ok(AuditSummary {
        records: records.len() as u64,
        head_hash: records.last().map_or(GENESIS.to_string(), |r| r.hash.clone()),
    })
}

/// A writer that hashes what passes through it: the record of a
/// disclosure names the exact bytes disclosed.
pub struct Sha256Writer<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Sha256Writer<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Sha256Writer {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// SHA-256 of the bytes written so far, lower-case hex.
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: Write> Write for Sha256Writer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Policy {
    require_access_context: bool,
}

/// Whether the store at `dir` requires an [`AccessContext`] for every read
/// (its `access-policy.json`; absent = not required).
///
/// # Errors
/// [`Error::Format`] for a policy file that cannot be read as one (a
/// damaged policy must not silently stop requiring context).
pub fn requires_access_context(dir: &Path) -> Result<bool, Error> {
    let path = dir.join(ACCESS_POLICY);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice::<Policy>(&b)
            .map(|p| p.require_access_context)
            .map_err(|e| Error::format(&path.display().to_string(), format!("not an access policy ({e})"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path.display(), e)),
    }
}

/// Checks the store's policy for a read by `context`: a store that
/// requires an access context refuses a read without one; a given context
/// must name who and why.
///
/// # Errors
/// [`Error::Option`] (`access`) when the store requires a context and none
/// is given, or the context is empty; as [`requires_access_context`].
pub fn check_access(dir: &Path, context: Option<&AccessContext>) -> Result<(), Error> {
    match context {
        Some(c) => c.validate(),
        None if requires_access_context(dir)? => Err(Error::Option {
            name: "access",
            value: dir.display().to_string(),
            reason:
                "this store requires an access context for every read: give who asks (requested_by) and why (purpose)",
        }),
        None => Ok(()),
    }
}

/// Records a disclosure (a trail, report or evidence pack handed out) of
/// `subjects` in `window` by `context`, with the SHA-256 of every output, in
/// the audit log of the store at `dir`, timed now.
///
/// # Errors
/// As [`append_audit`].
pub fn record_disclosure(
    dir: &Path,
    context: &AccessContext,
    operation: &str,
    subjects: Vec<String>,
    window: crate::time::Window,
    outputs: Vec<AuditOutput>,
) -> Result<AuditRecord, Error> {
    append_audit(
        dir,
        &AuditEntry {
            time_us: jiff::Timestamp::now().as_microsecond(),
            operation: operation.to_string(),
            context: context.clone(),
            subjects,
            window: Some((
                window.start_us.max(jiff::Timestamp::MIN.as_microsecond()),
                window.end_us.min(jiff::Timestamp::MAX.as_microsecond()),
            )),
            outputs,
        },
    )
}

impl crate::store::ParquetStore {
    /// [`crate::store::ParquetStore::load`] as a consultation: the store's
    /// access policy is checked before any data is read, and with a context
    /// the read is recorded in the audit log (operation, the subjects
    /// actually loaded, the window) once the data is loaded.
    ///
    /// # Errors
    /// As [`check_access`] and [`crate::store::ParquetStore::load`];
    /// [`Error::Io`] when the record cannot be appended (the data is then
    /// not returned: no unrecorded consultation).
    pub fn load_for_access(
        &self,
        window: crate::time::Window,
        subjects: Option<&[&str]>,
        buckets: Option<&[u32]>,
        options: crate::store::StoreOptions,
        context: Option<&AccessContext>,
        operation: &str,
    ) -> Result<crate::store::TrailStore, Error> {
        check_access(self.dir(), context)?;
        let store = match buckets {
            Some(b) => self.load_buckets(window, b, options)?,
            None => self.load(window, subjects, options)?,
        };
        if let Some(c) = context {
            let bounded = |t: i64| t != i64::MIN && t != i64::MAX;
            append_audit(
                self.dir(),
                &AuditEntry {
                    time_us: jiff::Timestamp::now().as_microsecond(),
                    operation: operation.to_string(),
                    context: c.clone(),
                    subjects: store.subjects().to_vec(),
                    window: (bounded(window.start_us) || bounded(window.end_us)).then(|| {
                        (
                            window.start_us.max(jiff::Timestamp::MIN.as_microsecond()),
                            window.end_us.min(jiff::Timestamp::MAX.as_microsecond()),
                        )
                    }),
                    outputs: Vec::new(),
                },
            )?;
        }
        Ok(store)
    }
}

/// Sets whether the store at `dir` requires an access context (written
/// atomically, owner-only).
///
/// # Errors
/// [`Error::Io`] when it cannot be written.
pub fn set_access_policy(dir: &Path, require_access_context: bool) -> Result<(), Error> {
    let bytes = serde_json::to_vec(&Policy { require_access_context }).unwrap_or_default();
    write_atomic(&dir.join(ACCESS_POLICY), &bytes, FileModes::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(k: i64, subject: &str) -> AuditEntry {
        AuditEntry {
            time_us: 1_730_000_000_000_000 + k * 1_000_000,
            operation: "trail".into(),
            context: AccessContext {
                requested_by: "PP Smith".into(),
                purpose: "trail request".into(),
                case_reference: Some(format!("REQ-{k}")),
            },
            subjects: vec![subject.into()],
            window: Some((1_729_000_000_000_000, 1_729_086_400_000_000)),
            outputs: vec![AuditOutput {
                path: "trail.csv".into(),
                sha256: sha256_hex(b"subject,time\n"),
            }],
        }
    }

    fn log_with(n: i64) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tf-audit-{}-{n}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        for k in 0..n {
            append_audit(&dir, &entry(k, &format!("S{k}"))).unwrap();
        }
        dir
    }

    fn rand_suffix() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    fn lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join(AUDIT_LOG))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(dir: &Path, l: &[String]) {
        std::fs::write(
            dir.join(AUDIT_LOG),
            l.iter().map(|x| format!("{x}\n")).collect::<String>(),
        )
        .unwrap();
    }

    #[test]
    fn chain_verifies_and_known_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = log_with(5);
        let s = verify_audit(&dir).unwrap();
        assert_eq!(s.records, 5);
        assert_eq!(read_audit(&dir).unwrap()[2].subjects, vec!["S2".to_string()]);
        assert!(append_audit(
            &dir,
            &AuditEntry {
                context: AccessContext {
                    requested_by: " ".into(),
                    purpose: "x".into(),
                    case_reference: None
                },
                ..entry(9, "S")
            }
        )
        .is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn edits_deletions_reorderings_and_truncations_are_found() {
        let expect = |dir: &Path, what: &str| {
            let err = verify_audit(dir).unwrap_err().to_string();
            assert!(err.contains(what), "expected {what:?} in {err}");
            // A broken log refuses further appends.
            assert!(append_audit(dir, &entry(99, "S")).is_err());
        };
        // Edit: a subject changed in record 3.
        let dir = log_with(5);
        let mut l = lines(&dir);
        l[2] = l[2].replace("\"S2\"", "\"S7\"");
        write_lines(&dir, &l);
        expect(&dir, "line 3: its hash does not match its content");
        // Delete record 2.
        let dir = log_with(5);
        let mut l = lines(&dir);
        l.remove(1);
        write_lines(&dir, &l);
        expect(&dir, "line 2: record 3 where record 2 belongs");
        // Reorder records 4 and 5.
        let dir = log_with(5);
        let mut l = lines(&dir);
        l.swap(3, 4);
        write_lines(&dir, &l);
        expect(&dir, "line 4: record 5 where record 4 belongs");
        // Truncate the last record.
        let dir = log_with(5);
        let mut l = lines(&dir);
        l.pop();
        write_lines(&dir, &l);
        expect(&dir, "holds 4 records but its head records 5");
        // A crash between the append and the head update is not tampering.
        let dir = log_with(3);
        let head = std::fs::read(dir.join(AUDIT_HEAD)).unwrap();
        append_audit(&dir, &entry(3, "S3")).unwrap();
        std::fs::write(dir.join(AUDIT_HEAD), head).unwrap();
        assert_eq!(verify_audit(&dir).unwrap().records, 4);
        append_audit(&dir, &entry(4, "S4")).unwrap();
        assert_eq!(verify_audit(&dir).unwrap().records, 5);
        // The same crash on the very first record (found by killing purges):
        // the head is now written (at zero records) before the first append,
        // so such a crash leaves it one behind, which is intact; a missing
        // head would be indistinguishable from a deleted one.
        let dir = log_with(0);
        append_audit(&dir, &entry(0, "S0")).unwrap();
        let first = lines(&dir);
        let dir = log_with(0);
        std::fs::create_dir_all(dir.join(AUDIT_LOG).parent().unwrap()).unwrap();
        std::fs::write(
            dir.join(AUDIT_HEAD),
            format!("{{\"records\":0,\"last_hash\":\"{GENESIS}\"}}"),
        )
        .unwrap();
        write_lines(&dir, &first);
        assert_eq!(verify_audit(&dir).unwrap().records, 1);
        append_audit(&dir, &entry(1, "S1")).unwrap();
        assert_eq!(verify_audit(&dir).unwrap().records, 2);
        // A crash in the middle of an append: an unterminated last line (its
        // head not yet updated) is no record; the next append cuts it off.
        let dir = log_with(2);
        let mut torn = std::fs::read(dir.join(AUDIT_LOG)).unwrap();
        torn.extend_from_slice(&br#"{"seq":3,"time":"2024-"#[..]);
        std::fs::write(dir.join(AUDIT_LOG), &torn).unwrap();
        assert_eq!(verify_audit(&dir).unwrap().records, 2);
        append_audit(&dir, &entry(2, "S2")).unwrap();
        assert_eq!(verify_audit(&dir).unwrap().records, 3);
        assert_eq!(lines(&dir).len(), 3);
        // ... but a last record whose newline was removed is not a torn
        // append: the head still counts it.
        let dir = log_with(3);
        let mut cut = std::fs::read(dir.join(AUDIT_LOG)).unwrap();
        cut.pop();
        std::fs::write(dir.join(AUDIT_LOG), &cut).unwrap();
        expect(&dir, "holds 2 records but its head records 3");
        // Remove the head of a non-empty log.
        let dir = log_with(2);
        std::fs::remove_file(dir.join(AUDIT_HEAD)).unwrap();
        expect(&dir, "the head was deleted");
    }

    #[test]
    fn concurrent_appends_keep_one_chain() {
        let dir = log_with(0);
        std::thread::scope(|s| {
            for t in 0..4 {
                let dir = &dir;
                s.spawn(move || {
                    for k in 0..10 {
                        append_audit(dir, &entry(t * 100 + k, &format!("T{t}"))).unwrap();
                    }
                });
            }
        });
        assert_eq!(verify_audit(&dir).unwrap().records, 40);
        let _ = std::fs::remove_dir_all(dir);
    }
}
