//! Issue 14 from the shell: store queries that read only their window,
//! option values that used to change verdicts silently, and input rows that
//! used to be read as a different fix than the file holds.

use std::path::Path;
use std::process::Output;

use super::bin;
use crate::util::temp_dir;

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Overwrites every data file of one UTC day with bytes that are not Parquet.
fn corrupt_day(store: &Path, day: &str) -> usize {
    let mut n = 0;
    for bucket in std::fs::read_dir(store.join(format!("day={day}"))).unwrap() {
        for file in std::fs::read_dir(bucket.unwrap().path()).unwrap() {
            std::fs::write(file.unwrap().path(), b"not parquet at all").unwrap();
            n += 1;
        }
    }
    n
}

/// Every zone and analysis query with `--store` used to load every file of
/// the store whatever `--from/--to` said, so one corrupt file on another day
/// failed the report (and a national store had to fit in memory). Now each
/// reads only the window's partitions plus the neighbouring days.
#[test]
fn store_queries_read_only_the_partitions_their_window_needs() {
    let dir = temp_dir("cli-window");
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let out = run(&["import", "-i", "data/fixes.csv", "--store", s]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The sample week runs 2024-10-23T23:00Z .. 2024-10-30T23:59Z.
    assert!(corrupt_day(&store, "2024-10-30") > 0);
    let incidents = dir.join("incidents.csv");
    std::fs::write(
        &incidents,
        "id,lon,lat,radius_m,start,end\nC1,-0.228667,51.538072,100,2024-10-25T07:22:00Z,2024-10-25T14:53:00Z\n",
    )
    .unwrap();
    let inc = incidents.to_str().unwrap();
    let window = ["--from", "2024-10-25T00:00:00Z", "--to", "2024-10-26T00:00:00Z"];
    let queries: Vec<Vec<&str>> = vec![
        vec!["breaches", "-z", "data/zones.geojson"],
        vec!["curfew", "-z", "data/zones.geojson"],
        vec!["near", "--lon", "-0.13", "--lat", "51.46", "--radius-m", "200"],
        vec!["proximity", "--a", "S0001", "--b", "S0002", "--distance-m", "20000"],
        vec!["stops", "-s", "S0001"],
        vec!["heatmap", "--min-subjects", "1"],
    ];
    for q in &queries {
        let args = [&q[..], &["--store", s], &window[..]].concat();
        let out = run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).lines().count() > 1,
            "{args:?}: no rows"
        );
        // The same query over a window that needs the corrupt day fails,
        // naming the file: the test above is not passing by accident.
        let all = [&q[..], &["--store", s]].concat();
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("day=2024-10-30"), "{all:?}: {}", stderr(&out));
    }
    // near-many: the window is the incidents' span.
    let out = run(&["near-many", "--store", s, "--incidents", inc, "--rule-outs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1 + 20);
    // A window ending at the corrupt day's midnight still needs it (its
    // first fixes continue trails across the window's end): refused, not
    // answered from partial data.
    let out = run(&[
        "breaches",
        "-z",
        "data/zones.geojson",
        "--store",
        s,
        "--from",
        "2024-10-29T00:00:00Z",
        "--to",
        "2024-10-30T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--min-duration-s NaN` gave an empty breach report with exit 0,
/// `--grace-s NaN` 0 violations, `--distance-m NaN` a 4.6-day "proximity"
/// of two people 5 km apart. Each option is now refused by its flag name.
#[test]
fn option_values_that_would_change_verdicts_exit_2_naming_the_flag() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "breaches",
                "-i",
                "data/fixes.csv",
                "-z",
                "data/zones.geojson",
                "--min-duration-s",
                "NaN",
            ],
            "--min-duration-s",
        ),
        (
            vec![
                "breaches",
                "-i",
                "data/fixes.csv",
                "-z",
                "data/zones.geojson",
                "--merge-gap-s",
                "inf",
            ],
            "--merge-gap-s",
        ),
        (
            vec![
                "breaches",
                "-i",
                "data/fixes.csv",
                "-z",
                "data/zones.geojson",
                "--assumed-accuracy-m=-5",
            ],
            "--assumed-accuracy-m",
        ),
        (
            vec![
                "curfew",
                "-i",
                "data/fixes.csv",
                "-z",
                "data/zones.geojson",
                "--grace-s",
                "NaN",
            ],
            "--grace-s",
        ),
        (
            vec![
                "proximity",
                "-i",
                "data/fixes.csv",
                "--a",
                "S0001",
                "--b",
                "S0002",
                "--distance-m",
                "NaN",
            ],
            "--distance-m",
        ),
        (
            vec!["stops", "-i", "data/fixes.csv", "-s", "S0001", "--radius-m", "NaN"],
            "--radius-m",
        ),
        (
            vec![
                "near",
                "-i",
                "data/fixes.csv",
                "--lon",
                "0",
                "--lat",
                "51",
                "--radius-m",
                "NaN",
            ],
            "--radius-m",
        ),
        (
            vec![
                "trail",
                "-i",
                "data/fixes.csv",
                "-s",
                "S0001",
                "--from",
                "0",
                "--to",
                "1",
                "--max-gap-s",
                "NaN",
            ],
            "--max-gap-s",
        ),
        (
            vec![
                "trail",
                "-i",
                "data/fixes.csv",
                "-s",
                "S0001",
                "--from",
                "0",
                "--to",
                "1",
                "--simplify-m",
                "NaN",
            ],
            "--simplify-m",
        ),
    ];
    for (args, flag) in cases {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("`{flag}`")),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}: printed a report anyway");
    }
}

/// A leap second used to be read as `:59`, collide with the real `:59` fix,
/// and `validate` exited 0 while both fixes were set aside; a decimal comma
/// shifted values into the wrong columns; an accuracy of 1e39 was stored as
/// infinity and broke every later query on the store.
#[test]
fn validate_names_leap_seconds_field_counts_and_huge_accuracies() {
    let dir = temp_dir("cli-validate-14");
    let csv = dir.join("x.csv");
    std::fs::write(
        &csv,
        "subject,time,lon,lat,accuracy_m\n\
         A,2016-12-31T23:59:59Z,-0.1,51.5,4\n\
         A,2016-12-31T23:59:60Z,-0.1,51.5,4\n\
         A,2017-01-01T00:01:00Z,-0.1,51,4,5\n\
         A,2017-01-01T00:02:00Z,-0.1,51.5,1e39\n\
         A,2017-01-01T00:03:00Z,-0.1,51.5,4\n",
    )
    .unwrap();
    let out = run(&["validate", "-i", csv.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for needle in [
        "line 3",
        "leap second",
        "line 4",
        "different number of fields",
        "line 5",
        "20,000 km",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(text.contains("0 fixes at 0 conflicting instants"), "{text}");
    // Strict import refuses the file at its first bad line; lenient stores the rest.
    let store = dir.join("store");
    let out = run(&[
        "import",
        "-i",
        csv.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));
    let out = run(&[
        "import",
        "-i",
        csv.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--lenient",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&[
        "trail",
        "--store",
        store.to_str().unwrap(),
        "-s",
        "A",
        "--from",
        "2016-01-01T00:00:00Z",
        "--to",
        "2018-01-01T00:00:00Z",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1 + 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The heatmap's privacy suppression default is the core's (5 subjects),
/// shown in `--help` from the one constant.
#[test]
fn heatmap_suppression_default_comes_from_the_core() {
    let out = run(&["heatmap", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains(&format!("[default: {}]", trailfence::DEFAULT_MIN_SUBJECTS)),
        "{help}"
    );
    assert_eq!(trailfence::DEFAULT_MIN_SUBJECTS, 5);
}

/// A table with no rows still has its CSV header: an empty file used to be
/// the answer for "no cell published", indistinguishable from a failure.
#[test]
fn empty_tables_keep_their_header() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["heatmap", "-i", "data/fixes.csv", "--min-subjects", "1000"],
            "cell,seconds,subjects",
        ),
        (
            vec![
                "stops",
                "-i",
                "data/fixes.csv",
                "-s",
                "S0001",
                "--min-duration-s",
                "1e9",
            ],
            "start,end,lon,lat,duration_s,fixes",
        ),
        (
            vec![
                "proximity",
                "-i",
                "data/fixes.csv",
                "--a",
                "S0001",
                "--b",
                "S0002",
                "--distance-m",
                "0",
            ],
            "start,end,duration_s,min_distance_m,closest_time",
        ),
        (
            vec![
                "near",
                "-i",
                "data/fixes.csv",
                "--lon",
                "10",
                "--lat",
                "10",
                "--radius-m",
                "1",
            ],
            "subject,min_distance_m,closest_time,first_time,last_time,seconds_within,fixes_within,verdict",
        ),
    ];
    for (args, header) in cases {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{header}\n"), "{args:?}");
    }
}
