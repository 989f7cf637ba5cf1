//! Issue 15 from the shell: no committed fix can vanish, whatever happens
//! around the store — concurrent writers, a deleted or edited manifest,
//! stray and deleted files, a full disk's leftovers, a killed compaction —
//! and personal data is created owner-only.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use trailfence::generate::SplitMix64;
use trailfence::{ParquetStore, StoreOptions, Window};

use super::bin;
use crate::util::{root, temp_dir};

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

/// The sample data's rows of some subjects (and, optionally, days before a date).
fn extract(dir: &Path, name: &str, subjects: &[&str], before: &str) -> (PathBuf, Vec<String>) {
    let text = std::fs::read_to_string(root().join("data/fixes.csv")).unwrap();
    let rows: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|l| subjects.contains(&&l[..5]) && &l[6..16] < before)
        .map(str::to_string)
        .collect();
    let p = dir.join(name);
    std::fs::write(&p, format!("subject,time,lon,lat,accuracy_m\n{}\n", rows.join("\n"))).unwrap();
    (p, rows)
}

/// (subject, time) of every stored fix, sorted, from a fresh open.
fn stored(store: &Path) -> Vec<(String, i64)> {
    let st = ParquetStore::open(store).unwrap();
    let all = st.load(Window::all(), None, StoreOptions::default()).unwrap();
    let mut v = Vec::new();
    for (k, s) in all.subjects().iter().enumerate() {
        for &t in all.trail_at(k).times_us() {
            v.push((s.clone(), t));
        }
    }
    v.sort();
    v
}

fn data_files(store: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for day in std::fs::read_dir(store).unwrap().flatten() {
        if !day.file_name().to_string_lossy().starts_with("day=") {
            continue;
        }
        for b in std::fs::read_dir(day.path()).unwrap().flatten() {
            v.extend(std::fs::read_dir(b.path()).unwrap().flatten().map(|f| f.path()));
        }
    }
    v.sort();
    v
}

fn import(input: &Path, store: &Path) -> Child {
    bin()
        .args([
            "import",
            "-i",
            input.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Four `trailfence import` processes at once into one store, of disjoint
/// and of overlapping extracts: every fix is stored exactly once (two
/// concurrent imports used to leave a manifest listing files that no longer
/// existed).
#[test]
fn concurrent_importers_store_every_fix_exactly_once() {
    let dir = temp_dir("concurrent-import");
    let store = dir.join("store");
    let (a, ra) = extract(&dir, "a.csv", &["S0001", "S0002"], "2024-10-28");
    let (b, rb) = extract(&dir, "b.csv", &["S0003", "S0004"], "2024-10-28");
    let (c, rc) = extract(&dir, "c.csv", &["S0002", "S0003"], "2024-10-29");
    let (d, rd) = extract(&dir, "d.csv", &["S0001", "S0004"], "2024-10-29");
    let mut want: Vec<(String, i64)> = Vec::new();
    for r in [&ra, &rb, &rc, &rd] {
        for l in r {
            let t = trailfence::parse_time(&l[6..26], None).unwrap().as_microsecond();
            want.push((l[..5].to_string(), t));
        }
    }
    want.sort();
    want.dedup();
    let children: Vec<Child> = [&a, &b, &c, &d].iter().map(|p| import(p, &store)).collect();
    for ch in children {
        let out = ch.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(stored(&store), want);
    let v = ok(&["verify", "--store", store.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("0 problems"));
    // --no-wait fails at once while another writer holds the lock.
    let mut slow = import(&a, &store);
    let started = Instant::now();
    let mut refused = false;
    while started.elapsed() < Duration::from_secs(20) && slow.try_wait().unwrap().is_none() {
        if ParquetStore::writer_holding(&store).is_some() {
            let o = run(&["compact", "--store", store.to_str().unwrap(), "--no-wait"]);
            if o.status.code() == Some(1) && stderr(&o).contains("another trailfence writer") {
                refused = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = slow.wait();
    assert!(refused, "never saw the lock held (the import finished first)");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Deleting the manifest, losing entries from it, or dropping a stray file
/// into a partition never deletes data any more: a store without its
/// manifest is refused, unlisted files are moved to quarantine/.
#[test]
fn a_missing_or_stale_manifest_never_deletes_data() {
    let dir = temp_dir("stale-manifest");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let (a, _) = extract(&dir, "a.csv", &["S0001", "S0002", "S0003"], "2024-10-27");
    let (small, _) = extract(&dir, "small.csv", &["S0009"], "2024-10-25");
    ok(&["import", "-i", a.to_str().unwrap(), "--store", s]);
    let files = data_files(&store);
    assert!(files.len() > 10);
    // 1. Manifest deleted: the import is refused, every file stays.
    let manifest = std::fs::read(store.join("manifest.json")).unwrap();
    std::fs::remove_file(store.join("manifest.json")).unwrap();
    let o = run(&["import", "-i", small.to_str().unwrap(), "--store", s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no manifest.json"), "{}", stderr(&o));
    assert_eq!(data_files(&store), files);
    std::fs::write(store.join("manifest.json"), &manifest).unwrap();
    // 2. Entries missing from the manifest (an old copy): the files it does
    // not list are moved to quarantine/, not deleted, and reported.
    let mut m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let dropped: Vec<String> = m["files"].as_array().unwrap()[..3]
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    m["files"].as_array_mut().unwrap().drain(..3);
    m.as_object_mut().unwrap().remove("checksum");
    std::fs::write(store.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    // 3. A stray file in a partition.
    let stray = files[5].parent().unwrap().join("notes.txt");
    std::fs::write(&stray, "someone's notes").unwrap();
    let o = ok(&["import", "-i", small.to_str().unwrap(), "--store", s]);
    for p in &dropped {
        assert!(stderr(&o).contains(p.as_str()), "{}", stderr(&o));
        let q: Vec<PathBuf> = walk(&store.join("quarantine"));
        assert!(q.iter().any(|f| f.ends_with(p)), "{p} not in quarantine: {q:?}");
    }
    assert!(!stray.exists());
    assert!(walk(&store.join("quarantine")).iter().any(|f| f.ends_with("notes.txt")));
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            v.extend(walk(&e.path()));
        } else {
            v.push(e.path());
        }
    }
    v
}

/// Manifest values are checked before use: a path outside the store is
/// neither read nor deleted, `buckets: 0` and a huge row count are clear
/// errors (they used to panic and abort).
#[test]
fn an_edited_manifest_is_refused_before_anything_is_touched() {
    let dir = temp_dir("edited-manifest");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let (a, _) = extract(&dir, "a.csv", &["S0001"], "2024-10-26");
    ok(&["import", "-i", a.to_str().unwrap(), "--store", s]);
    let manifest = std::fs::read(store.join("manifest.json")).unwrap();
    let outside = dir.join("outside.parquet");
    std::fs::write(&outside, "precious").unwrap();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "inside the store",
            Box::new(|m| m["files"][0]["path"] = "../outside.parquet".into()),
        ),
        ("buckets = 0", Box::new(|m| m["buckets"] = 0.into())),
        ("cannot fit", Box::new(|m| m["files"][0]["rows"] = u64::MAX.into())),
        ("checksum mismatch", Box::new(|m| m["files"][0]["rows"] = 1.into())),
    ];
    for (needle, edit) in edits {
        let mut m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        edit(&mut m);
        if needle != "checksum mismatch" {
            m.as_object_mut().unwrap().remove("checksum");
        }
        std::fs::write(store.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
        for args in [
            vec!["info", "--store", s],
            vec!["compact", "--store", s],
            vec!["verify", "--store", s],
            vec!["import", "-i", a.to_str().unwrap(), "--store", s],
        ] {
            let o = run(&args);
            assert_eq!(o.status.code(), Some(2), "{needle}: {args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains(needle), "{needle}: {args:?}: {}", stderr(&o));
        }
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A listed file deleted by hand, and a full disk's leftovers: writers used
/// to fail for good. Now leftovers are removed by the next writer, the
/// deleted file is named with the way out, and `verify --repair` reports
/// exactly which fixes are gone and gets the store going again.
#[test]
fn deleted_files_and_leftovers_do_not_wedge_the_store() {
    let dir = temp_dir("wedged");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let (a, _) = extract(&dir, "a.csv", &["S0001", "S0002"], "2024-10-27");
    ok(&["import", "-i", a.to_str().unwrap(), "--store", s]);
    let before = stored(&store);
    let st = ParquetStore::open(&store).unwrap();
    let victim = st.files()[2].clone();
    // Leftovers of a writer that ran out of disk.
    let files = data_files(&store);
    std::fs::write(files[0].parent().unwrap().join(".tf-tmp-999-0-part-x.parquet"), "half").unwrap();
    std::fs::write(store.join(".tf-tmp-999-1-manifest.json"), "{").unwrap();
    let v = run(&["verify", "--store", s]);
    assert_eq!(v.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&v.stdout).matches(": leftover:").count(), 2);
    ok(&["compact", "--store", s]);
    assert!(ok(&["verify", "--store", s]).status.success());
    // A listed file deleted by hand.
    std::fs::remove_file(store.join(&victim.path)).unwrap();
    let o = run(&["import", "-i", a.to_str().unwrap(), "--store", s]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("verify --store") && stderr(&o).contains(&victim.path),
        "{}",
        stderr(&o)
    );
    let v = run(&["verify", "--store", s]);
    let text = String::from_utf8_lossy(&v.stdout).into_owned();
    assert_eq!(v.status.code(), Some(2), "{text}");
    assert!(text.contains(&format!("{}: missing", victim.path)), "{text}");
    let r = ok(&["verify", "--store", s, "--repair"]);
    let text = String::from_utf8_lossy(&r.stdout).into_owned();
    assert!(
        text.contains(&format!("{} fixes of day", victim.rows)) && text.contains("no longer in the store"),
        "{text}"
    );
    // Re-importing the extract restores exactly the lost fixes.
    ok(&["import", "-i", a.to_str().unwrap(), "--store", s]);
    assert_eq!(stored(&store), before);
    assert!(ok(&["verify", "--store", s]).status.success());
    // A corrupted file is quarantined by a repair, not deleted.
    let files = data_files(&store);
    std::fs::write(&files[1], b"garbage").unwrap();
    let r = ok(&["verify", "--store", s, "--repair"]);
    assert!(String::from_utf8_lossy(&r.stdout).contains(": corrupt:"));
    assert!(walk(&store.join("quarantine"))
        .iter()
        .any(|q| q.ends_with(files[1].file_name().unwrap())));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Store files, the manifest, exports and checkpoints are created owner-only
/// (they used to be 0644 / 0755 under the usual umask); an export to a
/// directory that does not exist names the path.
#[cfg(unix)]
#[test]
fn personal_data_is_created_owner_only_and_exports_name_their_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("modes");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let (a, _) = extract(&dir, "a.csv", &["S0001"], "2024-10-26");
    ok(&["import", "-i", a.to_str().unwrap(), "--store", s]);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store), 0o700);
    assert_eq!(mode(&store.join("manifest.json")), 0o600);
    for f in data_files(&store) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
        assert_eq!(mode(f.parent().unwrap()), 0o700);
    }
    let out = dir.join("trail.csv");
    let window = ["--from", "2024-10-24T00:00:00Z", "--to", "2024-10-25T00:00:00Z"];
    ok(&[
        &["trail", "--store", s, "-s", "S0001", "-o", out.to_str().unwrap()][..],
        &window,
    ]
    .concat());
    assert_eq!(mode(&out), 0o600);
    let bad = dir.join("no-such-dir/trail.csv");
    let o = run(&[
        &["trail", "--store", s, "-s", "S0001", "-o", bad.to_str().unwrap()][..],
        &window,
    ]
    .concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(bad.to_str().unwrap()), "{}", stderr(&o));
    // Only the finished export is left in the directory.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".tf-tmp-")), "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `trailfence compact` killed with SIGKILL at random points: the store
/// always opens with every fix exactly once, and a re-run completes.
#[test]
fn killed_compactions_never_lose_or_duplicate_fixes() {
    let dir = temp_dir("compact-kill");
    let parts: Vec<PathBuf> = (0..4)
        .map(|k| {
            let subjects = [
                ["S0001", "S0002"],
                ["S0002", "S0003"],
                ["S0003", "S0004"],
                ["S0004", "S0001"],
            ][k];
            extract(
                &dir,
                &format!("p{k}.csv"),
                &subjects,
                ["2024-10-26", "2024-10-27", "2024-10-28", "2024-10-29"][k],
            )
            .0
        })
        .collect();
    let build = |store: &Path| {
        for p in &parts {
            ok(&["import", "-i", p.to_str().unwrap(), "--store", store.to_str().unwrap()]);
        }
    };
    let probe = dir.join("probe");
    build(&probe);
    let want = stored(&probe);
    let t0 = Instant::now();
    ok(&["compact", "--store", probe.to_str().unwrap()]);
    let full = t0.elapsed();
    assert_eq!(stored(&probe), want);
    let mut rng = SplitMix64::new(5);
    let mut kills = 0;
    for round in 0..25 {
        if kills >= 8 {
            break;
        }
        let store = dir.join(format!("s{round}"));
        build(&store);
        let mut child = bin()
            .args(["compact", "--store", store.to_str().unwrap()])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(rng.range(0.0, 1.0)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        assert_eq!(stored(&store), want, "round {round}");
        ok(&["compact", "--store", store.to_str().unwrap()]);
        assert_eq!(stored(&store), want, "round {round}");
        let v = ok(&["verify", "--store", store.to_str().unwrap()]);
        assert!(
            String::from_utf8_lossy(&v.stdout).contains("0 problems"),
            "round {round}"
        );
        let _ = std::fs::remove_dir_all(&store);
    }
    assert!(kills >= 5, "only {kills} kills landed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Subjects of every row of every Parquet file under `dir` (committed,
/// quarantined or left over), read without the manifest.
fn subjects_in_any_parquet(dir: &Path) -> Vec<String> {
    use arrow_array::{Array, StringArray};
    let mut out = Vec::new();
    for p in all_files(dir) {
        if p.extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let bytes = bytes::Bytes::from(std::fs::read(&p).unwrap());
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let col = batch.column_by_name("subject").unwrap();
            let s = col.as_any().downcast_ref::<StringArray>().unwrap();
            out.extend((0..s.len()).map(|i| s.value(i).to_string()));
        }
    }
    out
}

/// Erasure leaves no copy: no Parquet file anywhere under the store holds a
/// row of the subject, and no file but the audit log (whose purge record
/// names whom it erased) holds the subject's id at all.
fn assert_erased(store: &Path, subject: &str, ctx: &str) {
    assert!(
        !subjects_in_any_parquet(store).iter().any(|s| s == subject),
        "{ctx}: rows of {subject} remain"
    );
    for p in all_files(store) {
        if p.ends_with(trailfence::AUDIT_LOG) {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            !bytes.windows(subject.len()).any(|w| w == subject.as_bytes()),
            "{ctx}: {} still names {subject}",
            p.display()
        );
    }
}

const WHO: [&str; 6] = [
    "--requested-by",
    "DPO Patel",
    "--purpose",
    "erasure request",
    "--case-ref",
    "ER-9",
];

/// `trailfence purge`: refused without an access context; erasure and
/// retention remove exactly the fixes named, from committed files and the
/// quarantine; the purges are in the audit log, which stays intact.
#[test]
fn purge_erases_a_subject_and_old_fixes_everywhere_and_is_audited() {
    let dir = temp_dir("purge");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    ok(&[
        "import",
        "-i",
        root().join("data/fixes.csv").to_str().unwrap(),
        "--store",
        s,
    ]);
    let before = stored(&store);
    // A stray copy of a partition holding S0002 (as a crash leaves), which
    // the next writer moves to quarantine/.
    let f = data_files(&store)
        .into_iter()
        .find(|p| std::fs::read(p).unwrap().windows(5).any(|w| w == b"S0002"))
        .unwrap();
    std::fs::copy(&f, f.with_file_name("part-00000000000000aa.parquet")).unwrap();
    let out = run(&["purge", "--store", s, "--subject", "S0002"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--requested-by"), "{}", stderr(&out));
    assert_eq!(stored(&store), before, "a refused purge changes nothing");
    ok(&["compact", "--store", s]); // quarantines the stray copy
    assert!(subjects_in_any_parquet(&store.join(trailfence::QUARANTINE))
        .iter()
        .any(|x| x == "S0002"));
    let out = ok(&[&["purge", "--store", s, "--subject", "S0002"][..], &WHO].concat());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let erased = before.iter().filter(|(x, _)| x == "S0002").count() as u64;
    assert_eq!(summary["fixes_removed"], erased);
    assert_eq!(summary["quarantine_files_changed"], 1);
    let want: Vec<_> = before.iter().filter(|(x, _)| x != "S0002").cloned().collect();
    assert_eq!(stored(&store), want);
    assert_erased(&store, "S0002", "erasure");
    // Retention: every fix before 2024-10-27 00:00 London time (23:00Z).
    let cut = trailfence::parse_time("2024-10-27T00:00:00", Some("Europe/London"))
        .unwrap()
        .as_microsecond();
    assert_eq!(cut, 1_729_983_600_000_000);
    let out = ok(&[
        &[
            "purge",
            "--store",
            s,
            "--before",
            "2024-10-27T00:00:00",
            "--tz",
            "Europe/London",
        ][..],
        &WHO,
    ]
    .concat());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kept: Vec<_> = want.iter().filter(|(_, t)| *t >= cut).cloned().collect();
    assert_eq!(summary["fixes_removed"], (want.len() - kept.len()) as u64);
    assert!(kept.len() < want.len() && !kept.is_empty());
    assert_eq!(stored(&store), kept);
    let v = ok(&["verify", "--store", s]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("0 problems"));
    let shown = ok(&["audit", "show", "--store", s, "--person", "DPO Patel"]);
    let records: Vec<serde_json::Value> = String::from_utf8(shown.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["operation"], "purge");
    assert_eq!(records[0]["subjects"][0], "S0002");
    assert_eq!(records[1]["window_end"], "2024-10-26T23:00:00Z");
    assert_eq!(records[1]["context"]["case_reference"], "ER-9");
    ok(&["audit", "verify", "--store", s]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `trailfence purge` killed with SIGKILL at random points: the store
/// always opens with either every fix or exactly the fixes that stay, a
/// re-run completes the erasure, and no copy of the subject is left.
#[test]
fn killed_purges_complete_on_rerun_and_leave_no_copy() {
    let dir = temp_dir("purge-kill");
    let (input, _) = extract(&dir, "in.csv", &["S0001", "S0002", "S0003", "S0004"], "2024-10-28");
    let build = |store: &Path| {
        ok(&[
            "import",
            "-i",
            input.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ]);
    };
    let probe = dir.join("probe");
    build(&probe);
    let all = stored(&probe);
    let want: Vec<_> = all.iter().filter(|(x, _)| x != "S0003").cloned().collect();
    fn purge(store: &Path) -> Vec<&str> {
        [
            &["purge", "--store", store.to_str().unwrap(), "--subject", "S0003"][..],
            &WHO,
        ]
        .concat()
    }
    let t0 = Instant::now();
    ok(&purge(&probe));
    let full = t0.elapsed();
    assert_eq!(stored(&probe), want);
    let mut rng = SplitMix64::new(11);
    let mut kills = 0;
    for round in 0..25 {
        if kills >= 6 {
            break;
        }
        let store = dir.join(format!("s{round}"));
        build(&store);
        let mut child = bin()
            .args(purge(&store))
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(rng.range(0.0, 1.0)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        let now = stored(&store);
        assert!(now == all || now == want, "round {round}: neither before nor after");
        ok(&purge(&store));
        assert_eq!(stored(&store), want, "round {round}");
        assert_erased(&store, "S0003", &format!("round {round}"));
        let v = ok(&["verify", "--store", store.to_str().unwrap()]);
        assert!(
            String::from_utf8_lossy(&v.stdout).contains("0 problems"),
            "round {round}"
        );
        ok(&["audit", "verify", "--store", store.to_str().unwrap()]);
        let _ = std::fs::remove_dir_all(&store);
    }
    assert!(kills >= 5, "only {kills} kills landed");
    let _ = std::fs::remove_dir_all(&dir);
}
