//! The Parquet store: round trip, partial loads, checksums.

use trailfence::io::read_csv;
use trailfence::{breaches, zones_from_geojson_str, BreachOptions, ParquetStore, StoreOptions, TrailStore, Window};

use crate::util::{root, t, temp_dir, window};

fn sample() -> TrailStore {
    let mut b = TrailStore::builder();
    read_csv(&root().join("data/fixes.csv"), &Default::default(), &mut b).unwrap();
    b.build()
}

#[test]
fn round_trip_gives_the_same_answers() {
    let dir = temp_dir("persist-roundtrip");
    let mem = sample();
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    let s = st.import(&mem).unwrap();
    assert_eq!(s.added as usize, mem.fix_count());
    let again = st.import(&mem).unwrap();
    assert_eq!(
        (again.added, again.already_stored as usize, again.partitions_written),
        (0, mem.fix_count(), 0)
    );
    let reopened = ParquetStore::open(&dir).unwrap();
    let rows: u64 = reopened.files().iter().map(|f| f.rows).sum();
    assert_eq!(rows as usize, mem.fix_count(), "every fix stored exactly once");
    let loaded = reopened.load(Window::all(), None, StoreOptions::default()).unwrap();
    assert_eq!(loaded.fix_count(), mem.fix_count());
    for s in mem.subjects() {
        assert_eq!(loaded.trail_of(s).unwrap(), mem.trail_of(s).unwrap(), "{s}");
    }
    let zones = zones_from_geojson_str(
        &std::fs::read_to_string(root().join("data/zones.geojson")).unwrap(),
        "z",
    )
    .unwrap();
    let a = breaches(&mem, &zones, Window::all(), &BreachOptions::default()).unwrap();
    let b = breaches(&loaded, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(a, b);
    // A partial load (one subject, one window) answers the trail request the same way.
    let w = window("2024-10-26T19:00:00Z", "2024-10-27T07:00:00Z");
    let part = reopened.load(w, Some(&["S0003"]), StoreOptions::default()).unwrap();
    assert_eq!(part.subject_count(), 1);
    let (x, y) = (part.trail("S0003", w).unwrap(), mem.trail("S0003", w).unwrap());
    let key = |f: trailfence::FixRef| (f.t_us, f.lon, f.lat, f.accuracy_m);
    assert!(
        x.fixes().map(key).eq(y.fixes().map(key)),
        "partial load answers differently"
    );
    assert_eq!(x.gaps(), y.gaps());
    // Bucket loads hold disjoint subjects with whole trails: together, everything.
    let mut seen = 0;
    for b in 0..reopened.buckets() {
        let part = reopened.load_buckets(w, &[b], StoreOptions::default()).unwrap();
        for s in part.subjects() {
            assert_eq!(reopened.bucket_of(s), b);
            let (x, y) = (part.trail(s, w).unwrap(), mem.trail(s, w).unwrap());
            assert!(x.fixes().map(key).eq(y.fixes().map(key)), "{s}");
            seen += 1;
        }
    }
    assert_eq!(seen, mem.subject_count());
    assert!(reopened
        .load_buckets(w, &[reopened.buckets()], StoreOptions::default())
        .is_err());
    assert!(
        part.fix_count() < mem.trail_of("S0003").unwrap().len(),
        "only the window's days were read"
    );
}

#[test]
fn late_fixes_land_in_their_day_and_conflicts_are_not_stored() {
    let dir = temp_dir("persist-late");
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    let store_of = |rows: &[(&str, f64)]| {
        let mut b = TrailStore::builder();
        let subj: Vec<&str> = rows.iter().map(|_| "A").collect();
        let ts: Vec<i64> = rows.iter().map(|r| t(r.0).as_microsecond()).collect();
        let lon: Vec<f64> = rows.iter().map(|r| r.1).collect();
        b.extend_columns(
            &subj,
            &ts,
            &lon,
            &vec![51.0; rows.len()],
            None,
            trailfence::Mode::Strict,
        )
        .unwrap();
        b.build()
    };
    st.import(&store_of(&[
        ("2024-01-02T10:00:00Z", 0.0),
        ("2024-01-03T10:00:00Z", 0.1),
    ]))
    .unwrap();
    let before: Vec<String> = st.files().iter().map(|f| f.path.clone()).collect();
    // A late fix for the 2nd and a conflicting one for the 3rd.
    let s = st
        .import(&store_of(&[
            ("2024-01-02T09:00:00Z", 0.2),
            ("2024-01-03T10:00:00Z", 0.9),
        ]))
        .unwrap();
    assert_eq!((s.added, s.conflicts), (1, 1));
    let after: Vec<String> = st.files().iter().map(|f| f.path.clone()).collect();
    assert_eq!(after.len(), 3, "the late fix is a delta file of its day");
    assert!(before.iter().all(|p| after.contains(p)), "no stored file was rewritten");
    assert_eq!(after.iter().filter(|p| p.starts_with("day=2024-01-02/")).count(), 2);
    let loaded = st.load(Window::all(), None, StoreOptions::default()).unwrap();
    assert_eq!(loaded.trail_of("A").unwrap().lons(), &[0.2, 0.0, 0.1]);
    // Compaction merges the day's two files into one, keeps the 3rd's file,
    // removes the merged files from disk, and changes no answer.
    let c = st.compact(&mut |_, _| {}).unwrap();
    assert_eq!((c.partitions_compacted, c.files_before, c.files_after), (1, 3, 2));
    assert!(st.files().iter().any(|f| f.path == before[1]));
    let on_disk =
        std::fs::read_dir(dir.join("day=2024-01-02/bucket=".to_string() + &format!("{:02}", st.bucket_of("A"))))
            .unwrap()
            .count();
    assert_eq!(on_disk, 1);
    let reopened = ParquetStore::open(&dir).unwrap();
    let again = reopened.load(Window::all(), None, StoreOptions::default()).unwrap();
    assert_eq!(again.trail_of("A").unwrap(), loaded.trail_of("A").unwrap());
    assert_eq!(st.compact(&mut |_, _| {}).unwrap().partitions_compacted, 0);
}

#[test]
fn many_small_imports_stay_bounded_per_partition() {
    let dir = temp_dir("persist-many");
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    for k in 0..(3 * trailfence::MAX_FILES_PER_PARTITION as i64) {
        let mut b = TrailStore::builder();
        b.extend_columns(
            &["A"],
            &[t("2024-01-02T10:00:00Z").as_microsecond() + k * 60_000_000],
            &[0.001 * k as f64],
            &[51.0],
            None,
            trailfence::Mode::Strict,
        )
        .unwrap();
        st.import(&b.build()).unwrap();
        assert!(st.files().len() <= trailfence::MAX_FILES_PER_PARTITION, "{k}");
    }
    let loaded = st.load(Window::all(), None, StoreOptions::default()).unwrap();
    assert_eq!(loaded.fix_count(), 3 * trailfence::MAX_FILES_PER_PARTITION);
}

#[test]
fn corrupt_or_missing_files_are_named() {
    let dir = temp_dir("persist-corrupt");
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    let mut b = TrailStore::builder();
    b.extend_columns(
        &["A"],
        &[t("2024-01-02T10:00:00Z").as_microsecond()],
        &[0.0],
        &[51.0],
        None,
        trailfence::Mode::Strict,
    )
    .unwrap();
    st.import(&b.build()).unwrap();
    let f = dir.join(&st.files()[0].path);
    let mut bytes = std::fs::read(&f).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&f, &bytes).unwrap();
    let err = st
        .load(Window::all(), None, StoreOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&st.files()[0].path) && err.contains("checksum mismatch"),
        "{err}"
    );
    std::fs::remove_file(&f).unwrap();
    let err = st
        .load(Window::all(), None, StoreOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains(&st.files()[0].path), "{err}");
    assert!(ParquetStore::open(&dir.join("nowhere")).is_err());
    std::fs::write(dir.join("manifest.json"), b"{ broken").unwrap();
    assert!(ParquetStore::open(&dir)
        .unwrap_err()
        .to_string()
        .contains("corrupt manifest"));
}

/// A reader holding an older manifest generation while a writer compacts
/// (deleting the files it merged) still loads every fix: it notices the
/// newer generation and reads that instead of failing or missing data.
#[test]
fn a_reader_of_an_older_generation_reads_through_a_compaction() {
    let dir = temp_dir("persist-generation");
    let mem = sample();
    let half = |keep: fn(usize) -> bool| {
        let mut b = TrailStore::builder();
        for (k, s) in mem.subjects().iter().enumerate() {
            let tr = mem.trail_at(k);
            let idx: Vec<usize> = (0..tr.len()).filter(|&i| keep(i)).collect();
            let acc: Vec<f64> = idx.iter().map(|&i| tr.accuracy_m_f64(i).unwrap_or(f64::NAN)).collect();
            b.extend_columns(
                &vec![s.as_str(); idx.len()],
                &idx.iter().map(|&i| tr.times_us()[i]).collect::<Vec<_>>(),
                &idx.iter().map(|&i| tr.lons()[i]).collect::<Vec<_>>(),
                &idx.iter().map(|&i| tr.lats()[i]).collect::<Vec<_>>(),
                Some(&acc),
                trailfence::Mode::Strict,
            )
            .unwrap();
        }
        b.build()
    };
    let mut writer = ParquetStore::open_or_create(&dir).unwrap();
    writer.import(&half(|i| i % 2 == 0)).unwrap();
    writer.import(&half(|i| i % 2 == 1)).unwrap();
    let reader = ParquetStore::open(&dir).unwrap();
    let before = reader.generation();
    let s = writer.compact(&mut |_, _| {}).unwrap();
    assert!(s.partitions_compacted > 0 && s.files_after < s.files_before);
    assert!(writer.generation() > before);
    let loaded = reader.load(Window::all(), None, StoreOptions::default()).unwrap();
    assert_eq!(loaded.fix_count(), mem.fix_count());
    assert!(reader.verify().unwrap().is_clean());
}
