//! Crash test: the monitor CLI killed with SIGKILL at random points and
//! restarted from its checkpoint logs exactly the events of an uninterrupted
//! run, each once.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use trailfence::generate::SplitMix64;

use crate::util::{root, temp_dir};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailfence"))
}

/// A stream from the sample data: 3 subjects × 24 hours (noon to noon), arrival order
/// scrambled within 4 minutes, 2 % of fixes an hour late.
fn stream(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("data/fixes.csv")).unwrap();
    let mut rows: Vec<(i64, String)> = Vec::new();
    let mut rng = SplitMix64::new(99);
    for line in text.lines().skip(1) {
        let subject = &line[..5];
        if !["S0001", "S0003", "S0004"].contains(&subject) {
            continue;
        }
        let time = line.split(',').nth(1).unwrap();
        let t = trailfence::parse_time(time, None).unwrap().as_microsecond();
        let lo = trailfence::parse_time("2024-10-24T12:00:00Z", None)
            .unwrap()
            .as_microsecond();
        if t < lo || t >= lo + 86_400_000_000 {
            continue;
        }
        let delay = if rng.chance(0.02) {
            3_600_000_000
        } else {
            (rng.unit() * 240e6) as i64
        };
        rows.push((t + delay, line.to_string()));
    }
    rows.sort_by_key(|r| r.0);
    let mut out = String::from("subject,time,lon,lat,accuracy_m\n");
    for (_, l) in rows {
        out.push_str(&l);
        out.push('\n');
    }
    let p = dir.join("stream.csv");
    std::fs::write(&p, out).unwrap();
    p
}

fn run_args(dir: &Path, stream: &Path, tag: &str) -> Vec<String> {
    vec![
        "monitor".into(),
        "--zones".into(),
        root().join("data/zones.geojson").display().to_string(),
        "--input".into(),
        stream.display().to_string(),
        "--events".into(),
        dir.join(format!("{tag}.events")).display().to_string(),
        "--checkpoint".into(),
        dir.join(format!("{tag}.ckpt")).display().to_string(),
        "--checkpoint-every".into(),
        "250".into(),
        "--allowed-lateness-s".into(),
        "300".into(),
    ]
}

fn ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn killed_and_restarted_monitor_logs_every_event_once() {
    let dir = temp_dir("monitor-crash");
    let stream = stream(&dir);
    let t0 = Instant::now();
    let ok = bin().args(run_args(&dir, &stream, "clean")).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let clean_time = t0.elapsed();
    eprintln!("uninterrupted run: {clean_time:?}");
    let reference = ids(&dir.join("clean.events"));
    let unique: HashSet<&String> = reference.iter().collect();
    assert_eq!(unique.len(), reference.len(), "an uninterrupted run emits each id once");
    assert!(reference.len() > 15, "{} events", reference.len());
    // Also: the log contains amendments (the hour-late fixes).
    let log = std::fs::read_to_string(dir.join("clean.events")).unwrap();
    assert!(log.contains("\"amended\""), "the late fixes should amend some episodes");

    let mut rng = SplitMix64::new(5);
    let (mut kills, mut runs) = (0, 0);
    while kills < 50 {
        runs += 1;
        assert!(runs < 400, "could not kill the monitor 50 times ({kills} kills)");
        let tag = format!("crash{runs}");
        // Run to completion, killing it at random points on the way.
        loop {
            let mut child = bin().args(run_args(&dir, &stream, &tag)).spawn().unwrap();
            let wait = clean_time.mul_f64(rng.range(0.05, 1.1));
            std::thread::sleep(wait.min(Duration::from_secs(5)));
            match child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success());
                    break;
                }
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                }
            }
        }
        let got = ids(&dir.join(format!("{tag}.events")));
        let set: HashSet<&String> = got.iter().collect();
        assert_eq!(set.len(), got.len(), "{tag}: duplicated events");
        assert_eq!(set, unique, "{tag}: different events from the uninterrupted run");
        if kills >= 50 {
            break;
        }
    }
}

/// The stream reader takes columns by name: a `subject,time,lat,lon` stream
/// used to be read by position (coordinates swapped), and a stream without
/// a header lost its first fix to it. Now the reordered stream logs the same
/// events and a header-less one is refused.
#[test]
fn stream_columns_are_read_by_name() {
    let dir = temp_dir("monitor-columns");
    let src = stream(&dir);
    let text = std::fs::read_to_string(&src).unwrap();
    let swapped: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{},{}\n", f[0], f[1], f[3], f[2], f.get(4).unwrap_or(&""))
        })
        .collect();
    assert!(swapped.starts_with("subject,time,lat,lon,accuracy_m"));
    let reordered = dir.join("reordered.csv");
    std::fs::write(&reordered, swapped).unwrap();
    let run = |input: &Path, tag: &str| {
        let (events, state) = (dir.join(format!("{tag}.jsonl")), dir.join(format!("{tag}.json")));
        let o = bin()
            .args(["monitor", "-z", "data/zones.geojson", "-i", input.to_str().unwrap()])
            .args([
                "--events",
                events.to_str().unwrap(),
                "--checkpoint",
                state.to_str().unwrap(),
            ])
            .current_dir(root())
            .output()
            .unwrap();
        (o, events)
    };
    let (a, ea) = run(&src, "a");
    let (b, eb) = run(&reordered, "b");
    assert!(
        a.status.success() && b.status.success(),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    let (ta, tb) = (
        std::fs::read_to_string(ea).unwrap(),
        std::fs::read_to_string(eb).unwrap(),
    );
    assert!(ta.lines().count() > 10);
    assert_eq!(ta, tb);
    let headless = dir.join("headless.csv");
    std::fs::write(&headless, text.lines().skip(1).collect::<Vec<_>>().join("\n")).unwrap();
    let (c, _) = run(&headless, "c");
    assert_eq!(c.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&c.stderr).contains("line 1"),
        "{}",
        String::from_utf8_lossy(&c.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One invalid fix (lat 91) used to halt monitoring for every subject, and a
/// restart stopped at the same line; options given at a restart were
/// silently ignored. Now the record goes to the dead letters (once, across
/// restarts), everyone else is monitored, `--max-bad` stops the run, and a
/// restart with different options is refused.
#[test]
fn invalid_records_are_dead_letters_and_restart_options_must_match() {
    let dir = temp_dir("monitor-dead-letters");
    let src = stream(&dir);
    let text = std::fs::read_to_string(&src).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let k = lines.len() / 2;
    let f: Vec<String> = lines[k].split(',').map(str::to_string).collect();
    lines[k] = format!(
        "{},{},{},91,{}",
        f[0],
        f[1],
        f[2],
        f.get(4).cloned().unwrap_or_default()
    );
    lines[k + 7] = "S0001,not a time,-0.1,51.5,5".into();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let run = |input: &Path, tag: &str, extra: &[&str]| {
        let (events, state) = (dir.join(format!("{tag}.jsonl")), dir.join(format!("{tag}.json")));
        let o = bin()
            .args(["monitor", "-z", "data/zones.geojson", "-i", input.to_str().unwrap()])
            .args([
                "--events",
                events.to_str().unwrap(),
                "--checkpoint",
                state.to_str().unwrap(),
            ])
            .args(extra)
            .current_dir(root())
            .output()
            .unwrap();
        (o, events)
    };
    let (o, events) = run(&bad, "bad", &["--checkpoint-every", "100"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 invalid records"));
    let dead = std::fs::read_to_string(dir.join("bad.jsonl.rejected.jsonl")).unwrap();
    assert_eq!(dead.lines().count(), 2, "{dead}");
    assert!(dead.contains("latitude") && dead.contains("time"), "{dead}");
    assert!(std::fs::read_to_string(events).unwrap().lines().count() > 10);
    // --max-bad 1 stops at the second invalid record.
    let (o, _) = run(&bad, "strict", &["--max-bad", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    // A restart with other options than the checkpoint's is refused.
    let (o, _) = run(&bad, "bad", &["--allowed-lateness-s", "60"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allowed-lateness-s 60 differs"));
    // The same options (given explicitly) are fine, and nothing is logged twice.
    let (o, _) = run(&bad, "bad", &["--allowed-lateness-s", "300"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("bad.jsonl.rejected.jsonl")).unwrap(),
        dead
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The monitor's position is bound to its input file: a rotated file is read
/// from its start (it used to skip its first `consumed` records), an
/// appended one continues where it stopped — both give exactly the events
/// of one uninterrupted run; resuming a finished stream with more records is
/// refused (it gave extra and missing events).
#[test]
fn rotated_and_appended_inputs_resume_exactly() {
    let dir = temp_dir("monitor-rotation");
    let src = stream(&dir);
    let text = std::fs::read_to_string(&src).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let cut = rows.len() * 3 / 5;
    let part = |r: &[&str]| format!("{header}\n{}\n", r.join("\n"));
    let run = |input: &Path, tag: &str, extra: &[&str]| {
        let (events, state) = (dir.join(format!("{tag}.jsonl")), dir.join(format!("{tag}.json")));
        let o = bin()
            .args(["monitor", "-z", "data/zones.geojson", "-i", input.to_str().unwrap()])
            .args([
                "--events",
                events.to_str().unwrap(),
                "--checkpoint",
                state.to_str().unwrap(),
            ])
            .args(["--checkpoint-every", "97"])
            .args(extra)
            .current_dir(root())
            .output()
            .unwrap();
        assert!(o.status.success(), "{tag}: {}", String::from_utf8_lossy(&o.stderr));
        let mut ev: Vec<String> = std::fs::read_to_string(events)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        ev.sort();
        ev
    };
    let reference = run(&src, "ref", &[]);
    assert!(reference.len() > 10);
    // Rotation: the same path, a new file holding the rest of the stream.
    let p = dir.join("live.csv");
    std::fs::write(&p, part(&rows[..cut])).unwrap();
    run(&p, "rot", &["--no-finish"]);
    let tmp = dir.join("next.csv");
    std::fs::write(&tmp, part(&rows[cut..])).unwrap();
    std::fs::rename(&tmp, &p).unwrap();
    assert_eq!(run(&p, "rot", &[]), reference);
    // Append: the same file grows.
    let q = dir.join("grow.csv");
    std::fs::write(&q, part(&rows[..cut])).unwrap();
    run(&q, "app", &["--no-finish"]);
    let mut f = std::fs::OpenOptions::new().append(true).open(&q).unwrap();
    std::io::Write::write_all(&mut f, format!("{}\n", rows[cut..].join("\n")).as_bytes()).unwrap();
    drop(f);
    assert_eq!(run(&q, "app", &[]), reference);
    // Each record counted once across the resume (was counted twice).
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("app.json")).unwrap()).unwrap();
    assert_eq!(saved["consumed"].as_u64(), Some(rows.len() as u64));
    // A finished stream does not take more records.
    let r = dir.join("done.csv");
    std::fs::write(&r, part(&rows[..cut])).unwrap();
    run(&r, "fin", &[]);
    let mut f = std::fs::OpenOptions::new().append(true).open(&r).unwrap();
    std::io::Write::write_all(&mut f, format!("{}\n", rows[cut..].join("\n")).as_bytes()).unwrap();
    drop(f);
    let o = bin()
        .args(["monitor", "-z", "data/zones.geojson", "-i", r.to_str().unwrap()])
        .args(["--events", dir.join("fin.jsonl").to_str().unwrap()])
        .args(["--checkpoint", dir.join("fin.json").to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("finished stream"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Zones changed between two runs: refused (naming `--migrate-zones`), or,
/// with the flag, the retained history is replayed under the new zones and
/// the differences are logged as amendments; the stream then goes on.
#[test]
fn changed_zones_are_refused_or_migrated() {
    let dir = temp_dir("monitor-migrate");
    let src = stream(&dir);
    let text = std::fs::read_to_string(&src).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let first = dir.join("first.csv");
    std::fs::write(&first, format!("{header}\n{}\n", rows[..rows.len() / 2].join("\n"))).unwrap();
    let second = dir.join("second.csv");
    std::fs::write(&second, format!("{header}\n{}\n", rows[rows.len() / 2..].join("\n"))).unwrap();
    // Every home twice as large: curfew episodes change.
    let zones = std::fs::read_to_string(root().join("data/zones.geojson")).unwrap();
    let bigger = dir.join("zones.geojson");
    std::fs::write(&bigger, zones.replace("\"radius_m\":100", "\"radius_m\":200")).unwrap();
    let (events, state) = (dir.join("events.jsonl"), dir.join("state.json"));
    let run = |zones: &Path, input: &Path, extra: &[&str]| {
        bin()
            .args(["monitor", "-z", zones.to_str().unwrap(), "-i", input.to_str().unwrap()])
            .args([
                "--events",
                events.to_str().unwrap(),
                "--checkpoint",
                state.to_str().unwrap(),
            ])
            .args(["--history-s", "172800", "--no-finish"])
            .args(extra)
            .current_dir(root())
            .output()
            .unwrap()
    };
    let o = run(&root().join("data/zones.geojson"), &first, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = std::fs::read_to_string(&events).unwrap().lines().count();
    let o = run(&bigger, &second, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--migrate-zones"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&events).unwrap().lines().count(),
        before,
        "nothing logged"
    );
    let o = run(&bigger, &second, &["--migrate-zones"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = std::fs::read_to_string(&events).unwrap();
    let added: Vec<&str> = log.lines().skip(before).collect();
    assert!(
        added.iter().any(|l| l.contains("\"amended\"")),
        "migration amendments logged"
    );
    // Other options at a restart: refused, naming the override; with it,
    // the history is judged again under them.
    let third = dir.join("third.csv");
    std::fs::write(&third, format!("{header}\n")).unwrap();
    let o = run(&bigger, &third, &["--max-gap-s", "120"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("--override-options"), "{err}");
    let o = run(&bigger, &third, &["--max-gap-s", "120", "--override-options"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success() && err.contains("options changed"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGKILL at random points while the stream arrives as a rotated file and
/// as an appended one: each time the run is repeated until it completes,
/// and the log ends with exactly the events of one uninterrupted run over
/// the whole stream, each once.
#[test]
fn killed_during_rotation_and_append_logs_every_event_once() {
    let dir = temp_dir("monitor-crash-rotation");
    let src = stream(&dir);
    let t0 = Instant::now();
    let ok = bin().args(run_args(&dir, &src, "clean")).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let clean_time = t0.elapsed();
    let unique: HashSet<String> = ids(&dir.join("clean.events")).into_iter().collect();
    let text = std::fs::read_to_string(&src).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let cut = rows.len() / 2;
    let first = format!("{header}\n{}\n", rows[..cut].join("\n"));
    let rest = format!("{}\n", rows[cut..].join("\n"));
    let mut rng = SplitMix64::new(17);
    let mut kills = 0;
    for (k, mode) in ["rotate", "append"].into_iter().enumerate() {
        let tag = format!("{mode}{k}");
        let live = dir.join(format!("{tag}.csv"));
        std::fs::write(&live, &first).unwrap();
        // Run the file to its end (open episodes kept), killed on the way.
        let run = |extra: &[&str], kills: &mut u32, rng: &mut SplitMix64| loop {
            let mut child = bin().args(run_args(&dir, &live, &tag)).args(extra).spawn().unwrap();
            std::thread::sleep(clean_time.mul_f64(rng.range(0.02, 0.6)));
            match child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success());
                    break;
                }
                None => {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    *kills += 1;
                }
            }
        };
        run(&["--no-finish"], &mut kills, &mut rng);
        if mode == "rotate" {
            // A new file at the same path holding the rest of the stream.
            let tmp = dir.join(format!("{tag}.new"));
            std::fs::write(&tmp, format!("{header}\n{rest}")).unwrap();
            std::fs::rename(&tmp, &live).unwrap();
        } else {
            let mut f = std::fs::OpenOptions::new().append(true).open(&live).unwrap();
            std::io::Write::write_all(&mut f, rest.as_bytes()).unwrap();
        }
        run(&[], &mut kills, &mut rng);
        let got = ids(&dir.join(format!("{tag}.events")));
        let set: HashSet<String> = got.iter().cloned().collect();
        assert_eq!(set.len(), got.len(), "{mode}: duplicated events");
        assert_eq!(set, unique, "{mode}: different events from the uninterrupted run");
    }
    eprintln!("{kills} kills");
    assert!(
        kills >= 2,
        "only {kills} kills: the runs ended before they could be killed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
