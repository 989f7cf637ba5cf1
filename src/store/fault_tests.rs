//! Fault injection at every file-system step of import, compact and purge (the
//! store does all its file operations through [`Vfs`]): out of space, short
//! writes, failed fsyncs and crashes. After each fault the store opens, a
//! recovery run (the same import or compact again) succeeds, the store holds
//! exactly the reference fixes (nothing lost, nothing duplicated, compared
//! bit for bit) and `verify` finds nothing wrong.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::{ParquetStore, StoreOptions, TrailStore};
use crate::durable::{OsFs, Vfs, VfsFile};
use crate::report::Mode;
use crate::time::Window;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The k-th mutating operation fails with ENOSPC (nothing done).
    NoSpace,
    /// The k-th mutating operation fails; a write writes half its bytes first.
    ShortWrite,
    /// The k-th fsync (file or directory) fails with EIO.
    FsyncFails,
    /// The process "dies" at the k-th mutating operation: it and every later
    /// operation fail, nothing more reaches the disk.
    Crash,
}

#[derive(Debug)]
struct State {
    fault: Fault,
    at: u64,
    ops: AtomicU64,
    syncs: AtomicU64,
    crashed: AtomicBool,
}

impl State {
    /// Counts one mutating operation; whether it is the one to fail.
    fn step(&self, is_sync: bool) -> io::Result<bool> {
        if self.crashed.load(Ordering::SeqCst) {
            return Err(io::Error::other("process crashed"));
        }
        let k = self.ops.fetch_add(1, Ordering::SeqCst);
        let s = if is_sync {
            self.syncs.fetch_add(1, Ordering::SeqCst)
        } else {
            u64::MAX
        };
        Ok(match self.fault {
            Fault::FsyncFails => is_sync && s == self.at,
            _ => k == self.at,
        })
    }

    fn fail(&self) -> io::Error {
        match self.fault {
            Fault::Crash => {
                self.crashed.store(true, Ordering::SeqCst);
                io::Error::other("process crashed")
            }
            Fault::FsyncFails => io::Error::other("injected fsync failure (EIO)"),
            _ => io::Error::new(io::ErrorKind::StorageFull, "injected: no space left on device"),
        }
    }
}

#[derive(Debug)]
struct FaultFs(Arc<State>);

struct FaultFile {
    file: File,
    state: Arc<State>,
}

impl Write for FaultFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.state.step(false)? {
            if self.state.fault == Fault::ShortWrite && buf.len() > 1 {
                self.file.write_all(&buf[..buf.len() / 2])?;
            }
            return Err(self.state.fail());
        }
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl VfsFile for FaultFile {
    fn sync_all(&mut self) -> io::Result<()> {
        if self.state.step(true)? {
            return Err(self.state.fail());
        }
        self.file.sync_all()
    }
}

impl Vfs for FaultFs {
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<Box<dyn VfsFile>> {
        if self.0.step(false)? {
            return Err(self.0.fail());
        }
        let _ = mode;
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        Ok(Box::new(FaultFile {
            file,
            state: self.0.clone(),
        }))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        if self.0.step(false)? {
            return Err(self.0.fail());
        }
        OsFs.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        if self.0.step(false)? {
            return Err(self.0.fail());
        }
        OsFs.remove_file(path)
    }
    fn create_dir_all(&self, path: &Path, mode: u32) -> io::Result<()> {
        if path.is_dir() {
            return Ok(());
        }
        if self.0.step(false)? {
            return Err(self.0.fail());
        }
        OsFs.create_dir_all(path, mode)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        if self.0.step(true)? {
            return Err(self.0.fail());
        }
        OsFs.sync_dir(path)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if self.0.crashed.load(Ordering::SeqCst) {
            return Err(io::Error::other("process crashed"));
        }
        OsFs.read(path)
    }
}

fn fault_fs(fault: Fault, at: u64) -> (Arc<State>, Arc<dyn Vfs>) {
    let state = Arc::new(State {
        fault,
        at,
        ops: AtomicU64::new(0),
        syncs: AtomicU64::new(0),
        crashed: AtomicBool::new(false),
    });
    (state.clone(), Arc::new(FaultFs(state)))
}

/// Fixes every 7 minutes for three subjects over `days` days from `day0`,
/// positions depending on subject and time only (so overlapping extracts
/// agree exactly).
fn extract(subjects: &[&str], day0: i64, days: i64) -> TrailStore {
    let (mut s, mut t, mut x, mut y, mut a) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let t0 = 1_729_728_000_000_000i64;
    for name in subjects {
        let k = name
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse::<i64>()
            .unwrap();
        for i in (day0 * 86_400 / 420)..((day0 + days) * 86_400 / 420) {
            let us = t0 + i * 420_000_000 + k * 1_000_000;
            s.push(*name);
            t.push(us);
            x.push(-0.1 + (us % 9_973) as f64 * 1e-7);
            y.push(51.5 + k as f64 * 1e-3);
            a.push(if i % 5 == 0 { f64::NAN } else { 3.0 + (i % 17) as f64 });
        }
    }
    let mut b = TrailStore::builder();
    b.extend_columns(&s, &t, &x, &y, Some(&a), Mode::Strict).unwrap();
    b.build()
}

type Digest = Vec<(String, i64, u64, u64, Option<u32>)>;

fn digest(dir: &Path) -> Digest {
    let st = ParquetStore::open(dir).unwrap();
    let all = st.load(Window::all(), None, StoreOptions::default()).unwrap();
    let mut d = Vec::new();
    for (k, name) in all.subjects().iter().enumerate() {
        let tr = all.trail_at(k);
        for i in 0..tr.len() {
            d.push((
                name.clone(),
                tr.times_us()[i],
                tr.lons()[i].to_bits(),
                tr.lats()[i].to_bits(),
                tr.accuracy_m(i).map(f32::to_bits),
            ));
        }
    }
    d.sort();
    d
}

fn fresh(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tf-fault-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Imports `first` cleanly, then runs `faulted` through a failing file
/// system at every step in turn, recovers with `recover`, and compares.
fn at_every_step(
    name: &str,
    setup: &dyn Fn(&Path),
    faulted: &dyn Fn(&mut ParquetStore) -> Result<(), crate::Error>,
    recover: &dyn Fn(&mut ParquetStore),
    reference: &Digest,
) -> u64 {
    // How many steps a clean run takes.
    let dir = fresh(&format!("{name}-count"));
    setup(&dir);
    let (state, fs) = fault_fs(Fault::NoSpace, u64::MAX);
    faulted(&mut ParquetStore::open_with(&dir, fs).unwrap()).unwrap();
    let (steps, syncs) = (state.ops.load(Ordering::SeqCst), state.syncs.load(Ordering::SeqCst));
    assert!(steps > 10 && syncs > 3, "{steps} steps, {syncs} syncs");
    assert_eq!(&digest(&dir), reference);
    let mut runs = 0;
    for fault in [Fault::NoSpace, Fault::ShortWrite, Fault::FsyncFails, Fault::Crash] {
        let n = if fault == Fault::FsyncFails { syncs } else { steps };
        for at in 0..n {
            let dir = fresh(&format!("{name}-{fault:?}-{at}"));
            setup(&dir);
            let (_, fs) = fault_fs(fault, at);
            let r = ParquetStore::open_with(&dir, fs).and_then(|mut s| faulted(&mut s));
            let ctx = format!("{name}: {fault:?} at step {at} of {n} (faulted run: {r:?})");
            let mut st = ParquetStore::open(&dir).unwrap_or_else(|e| panic!("{ctx}: store does not open: {e}"));
            recover(&mut st);
            assert_eq!(&digest(&dir), reference, "{ctx}");
            let report = ParquetStore::open(&dir).unwrap().verify().unwrap();
            assert!(report.is_clean(), "{ctx}: {report}");
            let _ = std::fs::remove_dir_all(&dir);
            runs += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{name}: {runs} faulted runs ({steps} steps, {syncs} of them fsyncs, per clean run)");
    runs
}

#[test]
fn import_survives_a_fault_at_every_step() {
    let a = extract(&["S1", "S2", "S3"], 0, 2);
    let b = extract(&["S2", "S3", "S4"], 1, 2);
    let reference = {
        let dir = fresh("import-ref");
        let mut st = ParquetStore::open_or_create(&dir).unwrap();
        st.import(&a).unwrap();
        st.import(&b).unwrap();
        let d = digest(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        d
    };
    // Overlapping extracts: the union, each fix once.
    let mut keys: Vec<(&String, i64)> = reference.iter().map(|r| (&r.0, r.1)).collect();
    keys.dedup();
    assert_eq!(keys.len(), reference.len());
    assert_eq!(reference.len(), 411 + 617 + 617 + 412);
    let setup = |dir: &Path| {
        ParquetStore::open_or_create(dir).unwrap().import(&a).unwrap();
    };
    let runs = at_every_step(
        "import",
        &setup,
        &|st| st.import(&b).map(drop),
        &|st| {
            st.import(&b).unwrap();
        },
        &reference,
    );
    assert!(runs > 40, "{runs}");
}

#[test]
fn compact_survives_a_fault_at_every_step() {
    let parts: Vec<TrailStore> = (0..3)
        .map(|k| extract(&["S1", "S2", "S3", "S4"][k..k + 2], k as i64, 2))
        .collect();
    let setup = |dir: &Path| {
        let mut st = ParquetStore::open_or_create(dir).unwrap();
        for p in &parts {
            st.import(p).unwrap();
        }
    };
    let reference = {
        let dir = fresh("compact-ref");
        setup(&dir);
        let d = digest(&dir);
        let mut st = ParquetStore::open(&dir).unwrap();
        let s = st.compact(&mut |_, _| {}).unwrap();
        assert!(s.partitions_compacted > 0, "{s:?}");
        assert_eq!(digest(&dir), d);
        let _ = std::fs::remove_dir_all(&dir);
        d
    };
    let runs = at_every_step(
        "compact",
        &setup,
        &|st| st.compact(&mut |_, _| {}).map(drop),
        &|st| {
            st.compact(&mut |_, _| {}).unwrap();
        },
        &reference,
    );
    assert!(runs > 20, "{runs}");
}

/// Every fix in any Parquet file anywhere under the store (committed,
/// quarantined, left over), as (subject, time).
fn fixes_in_any_file(dir: &Path) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for p in super::purge::files_under(dir) {
        if p.extension().is_some_and(|e| e == "parquet") {
            let rows = super::purge::read_any(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.extend(rows.subject.into_iter().zip(rows.t_us));
        }
    }
    out
}

/// Purges through a failing file system at every step; after each fault a
/// re-run completes the purge, the store holds exactly the fixes that stay,
/// and no file anywhere in the store (quarantine included) holds a purged
/// fix or, for the erased subject, its name.
fn purge_at_every_step(name: &str, request: super::PurgeRequest) {
    let data = extract(&["S1", "ERASE-ME-2", "S3"], 0, 3);
    let context = crate::audit::AccessContext {
        requested_by: "records officer 7".into(),
        purpose: "retention schedule".into(),
        case_reference: None,
    };
    let setup = |dir: &Path| {
        let mut st = ParquetStore::open_or_create(dir).unwrap();
        st.import(&data).unwrap();
        // A copy quarantined earlier (as a crashed writer's file would be).
        let f = st.files()[0].path.clone();
        let to = dir.join(super::QUARANTINE).join("generation-0").join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(dir.join(&f), to).unwrap();
    };
    let reference: Digest = {
        let dir = fresh(&format!("{name}-ref"));
        setup(&dir);
        let all = digest(&dir);
        assert!(
            all.iter().any(|r| request.matches(&r.0, r.1)),
            "the request removes something"
        );
        let _ = std::fs::remove_dir_all(&dir);
        all.into_iter().filter(|r| !request.matches(&r.0, r.1)).collect()
    };
    let no_copy_left = |dir: &Path, ctx: &str| {
        let left: Vec<_> = fixes_in_any_file(dir)
            .into_iter()
            .filter(|(s, t)| request.matches(s, *t))
            .collect();
        assert!(
            left.is_empty(),
            "{ctx}: {} purged fixes still in files, e.g. {:?}",
            left.len(),
            left[0]
        );
        if let Some(subject) = &request.subject {
            if request.before_us.is_none() {
                for p in super::purge::files_under(dir) {
                    if p.ends_with("audit/audit.log") {
                        continue; // the record of the erasure names whom it erased
                    }
                    let bytes = std::fs::read(&p).unwrap();
                    assert!(
                        !bytes.windows(subject.len()).any(|w| w == subject.as_bytes()),
                        "{ctx}: {} still names {subject}",
                        p.display()
                    );
                }
            }
        }
        let log = crate::audit::read_audit(dir).unwrap();
        assert!(log.iter().any(|r| r.operation == "purge"), "{ctx}: purge not audited");
        crate::audit::verify_audit(dir).unwrap();
    };
    let runs = at_every_step(
        name,
        &setup,
        &|st| st.purge(&request, &context).map(drop),
        &|st| {
            st.purge(&request, &context).unwrap();
            no_copy_left(st.dir(), name);
        },
        &reference,
    );
    assert!(runs > 20, "{runs}");
}

#[test]
fn erasure_survives_a_fault_at_every_step() {
    purge_at_every_step(
        "erase",
        super::PurgeRequest {
            before_us: None,
            subject: Some("ERASE-ME-2".into()),
        },
    );
}

#[test]
fn retention_purge_survives_a_fault_at_every_step() {
    // Before the middle of day 1: one whole day and part of the next.
    purge_at_every_step(
        "retention",
        super::PurgeRequest {
            before_us: Some(1_729_728_000_000_000 + 36 * 3_600_000_000),
            subject: None,
        },
    );
}

#[test]
fn a_damaged_purge_journal_is_refused_not_guessed() {
    let dir = fresh("journal-damaged");
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    st.import(&extract(&["S1", "S2"], 0, 1)).unwrap();
    std::fs::write(dir.join(super::purge::PURGE_JOURNAL), b"{\"delete\": [").unwrap();
    let context = crate::audit::AccessContext {
        requested_by: "records officer 7".into(),
        purpose: "retention schedule".into(),
        case_reference: None,
    };
    let request = super::PurgeRequest {
        before_us: None,
        subject: Some("S2".into()),
    };
    for r in [
        st.purge(&request, &context).map(drop),
        st.import(&extract(&["S3"], 0, 1)).map(drop),
        st.compact(&mut |_, _| {}).map(drop),
    ] {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("not a purge journal"), "{e}");
    }
    assert!(dir.join(super::purge::PURGE_JOURNAL).exists(), "kept for inspection");
    let _ = std::fs::remove_dir_all(&dir);
}
