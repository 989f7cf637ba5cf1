//! The `trailfence` command line: outputs, exit codes, messages.

mod durability;
mod import;
mod monitor;
mod untrusted;
mod wrong_answers;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{root, temp_dir};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trailfence"));
    c.current_dir(root());
    c
}

#[test]
fn readme_main_job_prints_a_trail_request() {
    let out = bin()
        .args([
            "trail",
            "--input",
            "data/fixes.csv",
            "--subject",
            "S0003",
            "--from",
            "2024-10-26T19:00:00",
            "--to",
        ])
        .args(["2024-10-27T07:00:00", "--tz", "Europe/London"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "subject,time,lon,lat,accuracy_m");
    // 19:00 BST to 07:00 GMT on the night the clocks go back is 13 hours.
    assert!(lines.len() > 13 * 50 && lines.len() <= 13 * 61 + 1, "{}", lines.len());
    assert!(lines[1].starts_with("S0003,2024-10-26T18:0"), "{}", lines[1]);
    assert!(
        lines.last().unwrap().starts_with("S0003,2024-10-27T06:5"),
        "{}",
        lines.last().unwrap()
    );
}

#[test]
fn every_format_writes() {
    for f in ["csv", "geojson", "gpx", "kml"] {
        let out = bin()
            .args([
                "trail",
                "-i",
                "data/fixes.csv",
                "-s",
                "S0001",
                "--from",
                "2024-10-25T00:00:00Z",
            ])
            .args(["--to", "2024-10-25T01:00:00Z", "-f", f])
            .output()
            .unwrap();
        assert!(out.status.success(), "{f}");
        assert!(out.stdout.len() > 1000, "{f}");
    }
}

#[test]
fn bad_input_is_one_line_with_file_line_field_and_exit_2() {
    let dir = temp_dir("cli-bad");
    let p = dir.join("bad.csv");
    std::fs::write(
        &p,
        "subject,time,lon,lat\nA,2024-01-01T00:00:00Z,0,51\nA,2024-01-01T00:01:00Z,0,91\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "trail",
            "-i",
            p.to_str().unwrap(),
            "-s",
            "A",
            "--from",
            "2024-01-01T00:00:00Z",
            "--to",
        ])
        .arg("2024-01-02T00:00:00Z")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.csv: line 3: field `lat` (got \"91\")"), "{err}");
    // Lenient: succeeds, itemised report on stderr.
    let out = bin()
        .args([
            "trail",
            "-i",
            p.to_str().unwrap(),
            "-s",
            "A",
            "--from",
            "2024-01-01T00:00:00Z",
            "--to",
        ])
        .args(["2024-01-02T00:00:00Z", "--lenient"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 skipped"));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}

#[test]
fn unknown_subject_and_bad_times_exit_2() {
    for args in [
        [
            "-s",
            "NOBODY",
            "--from",
            "2024-10-25T00:00:00Z",
            "--to",
            "2024-10-26T00:00:00Z",
        ],
        [
            "-s",
            "S0001",
            "--from",
            "2024-10-25T00:00:00",
            "--to",
            "2024-10-26T00:00:00Z",
        ],
        [
            "-s",
            "S0001",
            "--from",
            "2024-10-26T00:00:00Z",
            "--to",
            "2024-10-25T00:00:00Z",
        ],
    ] {
        let out = bin()
            .args(["trail", "-i", "data/fixes.csv"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn broken_pipe_is_not_an_error() {
    let mut child = bin()
        .args([
            "trail",
            "-i",
            "data/fixes.csv",
            "-s",
            "S0001",
            "--from",
            "2024-10-20T00:00:00Z",
            "--to",
        ])
        .args(["2024-11-01T00:00:00Z", "-f", "geojson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // stdout is dropped here: the pipe closes while the program writes.
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn committed_sample_is_what_the_seeded_generator_makes() {
    let dir = temp_dir("cli-gen");
    let out = bin()
        .args(["generate", "--out-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    for f in ["fixes.csv", "zones.geojson", "incidents.csv"] {
        let made = std::fs::read(dir.join(f)).unwrap();
        let committed = std::fs::read(root().join("data").join(f)).unwrap();
        assert!(
            made == committed,
            "data/{f} differs from `trailfence generate` (seed 42)"
        );
    }
}

/// Every query subcommand on the sample data: exit 0, a header and rows; as
/// JSON too; and a closed output pipe is not an error.
#[test]
fn every_query_subcommand_answers_on_the_sample() {
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "breaches",
            "-i",
            "data/fixes.csv",
            "-z",
            "data/zones.geojson",
            "--min-duration-s",
            "60",
        ],
        vec![
            "curfew",
            "-i",
            "data/fixes.csv",
            "-z",
            "data/zones.geojson",
            "--grace-s",
            "300",
        ],
        vec![
            "near",
            "-i",
            "data/fixes.csv",
            "--lon",
            "-0.1276",
            "--lat",
            "51.5072",
            "--radius-m",
            "500",
        ],
        vec![
            "near-many",
            "-i",
            "data/fixes.csv",
            "--incidents",
            "data/incidents.csv",
            "--rule-outs",
        ],
        vec![
            "proximity",
            "-i",
            "data/fixes.csv",
            "--a",
            "S0001",
            "--b",
            "S0002",
            "--distance-m",
            "20000",
        ],
        vec!["stops", "-i", "data/fixes.csv", "-s", "S0001"],
        vec!["heatmap", "-i", "data/fixes.csv", "--min-subjects", "2"],
        vec!["info", "-i", "data/fixes.csv"],
        vec!["validate", "-i", "data/fixes.csv"],
    ];
    for args in &cases {
        let out = bin().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).lines().count() > 1, "{args:?}");
        if !["info", "validate"].contains(&args[0]) {
            let json = bin().args(args).args(["-f", "json"]).output().unwrap();
            let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{args:?}");
        }
        // A reader that stops after one line.
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let status = child.wait_with_output().unwrap();
        assert!(
            status.status.success(),
            "{args:?} with a closed pipe: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
}

/// Bad input and bad usage exit 2 with one line naming the problem.
#[test]
fn bad_input_to_every_subcommand_exits_2() {
    let dir = temp_dir("cli-bad-many");
    let bad_zones = dir.join("zones.geojson");
    std::fs::write(&bad_zones, r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"z","properties":{"kind":"nope"},"geometry":{"type":"Point","coordinates":[0,51]}}]}"#).unwrap();
    let bad_incidents = dir.join("incidents.csv");
    std::fs::write(
        &bad_incidents,
        "id,lon,lat,radius_m,start,end\nC1,0,95,100,2024-10-25T00:00:00Z,2024-10-25T01:00:00Z\n",
    )
    .unwrap();
    let bad_fixes = dir.join("fixes.csv");
    std::fs::write(
        &bad_fixes,
        "subject,time,lon,lat\nA,2024-01-01T00:00:00Z,0,51\nA,when,0,51\n",
    )
    .unwrap();
    let z = bad_zones.to_str().unwrap();
    let inc = bad_incidents.to_str().unwrap();
    let fx = bad_fixes.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["breaches", "-i", "data/fixes.csv", "-z", z], "field `kind`"),
        (
            vec!["near-many", "-i", "data/fixes.csv", "--incidents", inc],
            "line 2: field `lat`",
        ),
        (
            vec![
                "near",
                "-i",
                "data/fixes.csv",
                "--lon",
                "0",
                "--lat",
                "91",
                "--radius-m",
                "5",
            ],
            "`--lat`",
        ),
        (vec!["stops", "-i", "data/fixes.csv", "-s", "NOBODY"], "unknown subject"),
        (
            vec![
                "proximity",
                "-i",
                "data/fixes.csv",
                "--a",
                "S0001",
                "--b",
                "NOBODY",
                "--distance-m",
                "5",
            ],
            "unknown subject",
        ),
        (
            vec!["heatmap", "-i", "data/fixes.csv", "--resolution", "16"],
            "resolution",
        ),
        (vec!["validate", "-i", fx], "1 bad records"),
        (vec!["info", "-i", "no/such/file.csv"], "no/such/file.csv"),
        (
            vec![
                "trail",
                "--store",
                "no/such/store",
                "-s",
                "S0001",
                "--from",
                "2024-10-25T00:00:00Z",
                "--to",
                "2024-10-26T00:00:00Z",
            ],
            "no/such/store/manifest.json",
        ),
        (
            vec![
                "trail",
                "-i",
                "data/fixes.csv",
                "--store",
                "x",
                "-s",
                "S0001",
                "--from",
                "2024-10-25T00:00:00Z",
                "--to",
                "2024-10-26T00:00:00Z",
            ],
            "cannot be used with",
        ),
        (
            vec![
                "curfew",
                "-i",
                "data/fixes.csv",
                "-z",
                "data/zones.geojson",
                "-f",
                "xml",
            ],
            "--format",
        ),
    ];
    for (args, needle) in cases {
        let out = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1) | Some(2)),
            "{args:?}: {:?}",
            out.status
        );
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// The store workflow from the shell: import, answer from the store exactly
/// as from the file, export GeoParquet, import Parquet, compact.
#[test]
fn store_import_parquet_export_and_compact() {
    let dir = temp_dir("cli-store");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = bin().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    run(&["import", "-i", "data/fixes.csv", "--store", s]);
    let q = [
        "-s",
        "S0004",
        "--from",
        "2024-10-26T19:00:00Z",
        "--to",
        "2024-10-27T07:00:00Z",
    ];
    let from_file = run(&[&["trail", "-i", "data/fixes.csv"][..], &q].concat()).stdout;
    let from_store = run(&[&["trail", "--store", s][..], &q].concat()).stdout;
    assert_eq!(from_file, from_store);
    // GeoParquet out, and back in through `import`.
    let pq = dir.join("night.parquet");
    run(&[
        &["trail", "--store", s, "-f", "parquet", "-o", pq.to_str().unwrap()][..],
        &q,
    ]
    .concat());
    assert_eq!(&std::fs::read(&pq).unwrap()[..4], b"PAR1");
    let other = dir.join("other");
    let o = other.to_str().unwrap();
    let out = run(&["import", "-i", pq.to_str().unwrap(), "--store", o]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "{} added",
            String::from_utf8_lossy(&from_file).lines().count() - 1
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run(&[&["trail", "--store", o][..], &q].concat()).stdout, from_file);
    // Importing the Parquet export into the full store adds nothing; a late
    // extract adds one delta file per partition it touches, and `compact`
    // merges them without changing any answer.
    let out = run(&["import", "-i", pq.to_str().unwrap(), "--store", s]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(" 0 added"));
    let late = dir.join("late.csv");
    std::fs::write(
        &late,
        "subject,time,lon,lat,accuracy_m\nS0004,2023-01-01T00:00:00Z,-0.1,51.5,5\nS0004,2023-01-02T00:00:00Z,-0.1,51.5,5\nS0009,2024-10-25T00:00:00.5Z,-0.1,51.5,5\n",
    )
    .unwrap();
    run(&["import", "-i", late.to_str().unwrap(), "--store", s]);
    let before = trailfence::ParquetStore::open(&store).unwrap().files().len();
    let out = run(&["compact", "--store", s]);
    let after = trailfence::ParquetStore::open(&store).unwrap().files().len();
    assert_eq!(after, before - 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(run(&[&["trail", "--store", s][..], &q].concat()).stdout, from_file);
    let info = run(&["info", "--store", s]);
    let err = String::from_utf8_lossy(&info.stderr);
    assert!(
        err.contains(&format!("{after} files in")) && err.contains("partitions"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&info.stdout).lines().count() > 20);
    // Usage errors.
    let out = bin().args(["compact", "--store", "no/such/store"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/store/manifest.json"));
}

/// Issue 19: `breaches --explain` lists the fixes behind each episode, and
/// they add up to the episode rows (supporting and outlier counts).
#[test]
fn breaches_explain_lists_the_fixes_behind_each_verdict() {
    let run = |args: &[&str]| bin().args(args).output().unwrap();
    let base = [
        "breaches",
        "-i",
        "data/fixes.csv",
        "-z",
        "data/zones.geojson",
        "--format",
        "json",
    ];
    let o = run(&base);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let eps: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let eps = eps.as_array().unwrap();
    assert!(!eps.is_empty());
    let mut args = base.to_vec();
    args.push("--explain");
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    for e in eps {
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| {
                r["subject"] == e["subject"]
                    && r["zone"] == e["zone"]
                    && r["kind"] == e["kind"]
                    && r["episode_start"] == e["start"]
            })
            .collect();
        assert_eq!(mine.len() as u64, e["fixes"].as_u64().unwrap(), "{e}");
        let count = |k: &str| mine.iter().filter(|r| r[k] == true).count() as u64;
        assert_eq!(count("supporting"), e["supporting_fixes"].as_u64().unwrap(), "{e}");
        assert_eq!(count("outlier"), e["outlier_fixes"].as_u64().unwrap(), "{e}");
        let p = e["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(e["confidence"] == "confirmed", p >= 0.9, "{e}");
    }
}

/// `conditions validate` prints a summary of a valid file (exit 0) and the
/// located error of an invalid one (exit 2); `curfew` under the example
/// conditions splits authorised and suspended time.
#[test]
fn conditions_validate_and_curfew_under_conditions() {
    let out = bin()
        .args(["conditions", "validate", "docs/examples/conditions.geojson"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["versions"].as_array().unwrap().len(), 2);
    // 18:30 local on 27 October 2024 is GMT (the clocks went back that morning).
    assert_eq!(v["absences"][0]["from"], "2024-10-27T18:30:00Z");
    // 17:00 local on 25 October is BST.
    assert_eq!(v["suspensions"][0]["from"], "2024-10-25T16:00:00Z");

    let dir = temp_dir("conditions-validate");
    let bad = dir.join("bad.geojson");
    let text = std::fs::read_to_string(root().join("docs/examples/conditions.geojson"))
        .unwrap()
        .replace("\"until\": \"2024-10-28T03:00\"", "\"until\": \"2024-10-27T03:00\"");
    std::fs::write(&bad, text).unwrap();
    let out = bin().args(["conditions", "validate"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.geojson: conditions.absences[0]: field `until`: must be after `from`"),
        "{err}"
    );

    let out = bin()
        .args([
            "curfew",
            "--input",
            "data/fixes.csv",
            "--zones",
            "docs/examples/conditions.geojson",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .ends_with(",authorised_s,suspended_s,zone_version"));
    let row = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // S0001's night of the 27th: 19:00-03:00 authorised, no violation.
    let r = row("S0001,home-S0001,2024-10-27T19:00:00Z");
    assert_eq!((r[10].as_str(), r[13].as_str()), ("0", "28800"));
    // S0002 in custody the whole night of the 25th.
    let r = row("S0002,home-S0002,2024-10-25T18:00:00Z");
    assert_eq!((r[4].as_str(), r[14].as_str()), ("43200", "43200"));
    let _ = std::fs::remove_dir_all(dir);
}

/// A trail request on a store records who asked, why, and the SHA-256 of
/// what was disclosed in the store's hash-chained audit log; a store can
/// require that context; `audit verify` finds an edited record.
#[test]
fn trail_requests_are_audited_and_tampering_is_found() {
    let dir = temp_dir("cli-audit");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let run = |args: &[&str]| bin().args(args).output().unwrap();
    assert!(run(&["import", "-i", "data/fixes.csv", "--store", s]).status.success());
    assert!(run(&["audit", "policy", "--store", s, "--require"]).status.success());
    let q = [
        "trail",
        "--store",
        s,
        "-s",
        "S0004",
        "--from",
        "2024-10-26T19:00:00Z",
        "--to",
        "2024-10-27T07:00:00Z",
    ];
    let out = run(&q);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("requires an access context"));
    let who = [
        "--requested-by",
        "PP Jones",
        "--purpose",
        "trail request",
        "--case-ref",
        "REQ-17",
    ];
    let out = run(&[&q[..], &who].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A file read with a context is refused (there is no store log to record it in).
    assert_eq!(
        run(&[&["trail", "-i", "data/fixes.csv"][..], &q[3..], &who].concat())
            .status
            .code(),
        Some(2)
    );
    let csv = dir.join("night.csv");
    let out = run(&[&q[..], &who, &["-o", csv.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let verify = run(&["audit", "verify", "--store", s]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact: 2 records"));
    let shown = run(&[
        "audit",
        "show",
        "--store",
        s,
        "--subject",
        "S0004",
        "--person",
        "PP Jones",
    ]);
    let records: Vec<serde_json::Value> = String::from_utf8(shown.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["context"]["case_reference"], "REQ-17");
    assert_eq!(records[1]["window_start"], "2024-10-26T19:00:00Z");
    // The record names the exact bytes disclosed.
    let bytes = std::fs::read(&csv).unwrap();
    assert_eq!(records[1]["outputs"][0]["sha256"], trailfence::sha256_hex(&bytes));
    assert_eq!(
        records[0]["outputs"][0]["sha256"],
        trailfence::sha256_hex(&out_of(&run, &[&q[..], &who].concat()))
    );
    // Edit who asked in the first record: found, named by line.
    let log = store.join(trailfence::AUDIT_LOG);
    let text = std::fs::read_to_string(&log)
        .unwrap()
        .replacen("PP Jones", "PP Smith", 1);
    std::fs::write(&log, text).unwrap();
    let verify = run(&["audit", "verify", "--store", s]);
    assert_eq!(verify.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&verify.stderr).contains("line 1: its hash does not match its content"),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// What a command printed on standard output.
fn out_of(run: &dyn Fn(&[&str]) -> std::process::Output, args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `trailfence report` and `trailfence evidence` on a store: both refused
/// without an access context where the store requires one, both recorded
/// with the SHA-256 of what they wrote; `evidence verify` finds an edited
/// file, and with `--store` a pack whose manifest the log never recorded.
#[test]
fn reports_and_evidence_packs_are_audited_and_verified() {
    let dir = temp_dir("cli-report");
    let text = std::fs::read_to_string(root().join("data/fixes.csv")).unwrap();
    let mut lines = text.lines();
    let mut csv = format!("{}\n", lines.next().unwrap());
    for l in lines.filter(|l| l.starts_with("S0003,")) {
        csv.push_str(l);
        csv.push('\n');
    }
    std::fs::write(dir.join("s3.csv"), csv).unwrap();
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let run = |args: &[&str]| bin().args(args).output().unwrap();
    assert!(
        run(&["import", "-i", dir.join("s3.csv").to_str().unwrap(), "--store", s])
            .status
            .success()
    );
    assert!(run(&["audit", "policy", "--store", s, "--require"]).status.success());
    let case = [
        "--store",
        s,
        "-s",
        "S0003",
        "--from",
        "2024-10-26T12:00:00",
        "--to",
        "2024-10-27T12:00:00",
        "--tz",
        "Europe/London",
        "-z",
        "data/zones.geojson",
    ];
    let who = [
        "--requested-by",
        "PP Jones",
        "--purpose",
        "trail request",
        "--case-ref",
        "REQ-21",
    ];
    let html = dir.join("report.html");
    let report = [&["report"][..], &case, &["-o", html.to_str().unwrap()]].concat();
    let out = run(&report);
    assert_eq!(out.status.code(), Some(2), "refused without a context");
    assert!(!html.exists());
    let out = run(&[&report[..], &who].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read(&html).unwrap();
    assert!(String::from_utf8_lossy(&page).contains("Trail report: S0003"));
    let pack = dir.join("pack");
    let out = run(&[&["evidence"][..], &case, &who, &["-o", pack.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let zip = dir.join("pack.zip");
    let out = run(&[&["evidence"][..], &case, &who, &["-o", zip.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records = trailfence::read_audit(&store).unwrap();
    let ops: Vec<&str> = records.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(ops, ["report", "evidence-pack", "evidence-pack"]);
    assert_eq!(records[0].outputs[0].sha256, trailfence::sha256_hex(&page));
    assert_eq!(records[0].window_start.as_deref(), Some("2024-10-26T11:00:00Z"));
    assert_eq!(
        records[2].outputs[0].sha256,
        trailfence::sha256_hex(&std::fs::read(&zip).unwrap())
    );
    // The pack's manifest records the store generation it was read at.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pack.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["store_generation"],
        trailfence::ParquetStore::open(&store).unwrap().generation()
    );
    for p in [&pack, &zip] {
        let out = run(&["evidence", "verify", p.to_str().unwrap(), "--store", s]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["intact"], true);
        assert_eq!(v["audit_record"]["requested_by"], "PP Jones");
    }
    // A manifest edited (files untouched): intact as files, unknown to the log.
    let m = std::fs::read_to_string(pack.join("manifest.json")).unwrap();
    std::fs::write(pack.join("manifest.json"), m.replace("Europe/London", "Europe/Paris")).unwrap();
    assert!(run(&["evidence", "verify", pack.to_str().unwrap()]).status.success());
    let out = run(&["evidence", "verify", pack.to_str().unwrap(), "--store", s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("records no pack with this manifest"));
    // Consultations (no output to disclose) are refused without a context
    // and recorded with the subjects read.
    let q = [
        "breaches",
        "--store",
        s,
        "-z",
        "data/zones.geojson",
        "--from",
        "2024-10-26T12:00:00Z",
        "--to",
        "2024-10-27T12:00:00Z",
    ];
    assert_eq!(run(&q).status.code(), Some(2));
    assert!(run(&[&q[..], &who].concat()).status.success());
    let last = trailfence::read_audit(&store).unwrap().pop().unwrap();
    assert_eq!(
        (last.operation.as_str(), last.subjects.clone()),
        ("breaches", vec!["S0003".to_string()])
    );
    assert!(last.outputs.is_empty());
    // A data file edited: named.
    std::fs::write(pack.join("manifest.json"), m).unwrap();
    let mut g = std::fs::read(pack.join("trail.geojson")).unwrap();
    g.truncate(g.len() - 10);
    std::fs::write(pack.join("trail.geojson"), g).unwrap();
    let out = run(&["evidence", "verify", pack.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`trail.geojson` has been changed"));
    let _ = std::fs::remove_dir_all(dir);
}
