//! `near`, `near-many`, `proximity`, `stops`, `heatmap`, `validate` and `info`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use trailfence::io::{read_incidents, read_path, write_heatmap, write_near, write_proximity, write_stops, ReadOptions};
use trailfence::{
    heatmap, near, near_many, proximity, stops, IncidentRow, Mode, Target, TimeFormat, TimeParser, TrailStore, Window,
};

use crate::input::InputArgs;
use crate::query::QueryArgs;
use crate::Failure;

/// Arguments of `trailfence near`.
#[derive(Debug, Args)]
pub struct NearArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// Longitude of the place, degrees.
    #[arg(long, allow_hyphen_values = true)]
    lon: f64,
    /// Latitude of the place, degrees.
    #[arg(long, allow_hyphen_values = true)]
    lat: f64,
    /// Radius, metres.
    #[arg(long)]
    radius_m: f64,
}

/// Arguments of `trailfence near-many`.
#[derive(Debug, Args)]
pub struct NearManyArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// Incidents CSV: id,lon,lat,radius_m,start,end.
    #[arg(long)]
    incidents: PathBuf,
    /// Also list every other subject as ruled_out or no_data.
    #[arg(long)]
    rule_outs: bool,
}

/// Arguments of `trailfence proximity`.
#[derive(Debug, Args)]
pub struct ProximityArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// First subject.
    #[arg(long)]
    a: String,
    /// Second subject.
    #[arg(long)]
    b: String,
    /// Distance, metres.
    #[arg(long)]
    distance_m: f64,
}

/// Arguments of `trailfence stops`.
#[derive(Debug, Args)]
pub struct StopsArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// Subject.
    #[arg(long, short = 's')]
    subject: String,
    /// Stop radius, metres (the stay fits in a circle of twice this diameter).
    #[arg(long, default_value_t = trailfence::DEFAULT_STOP_RADIUS_M)]
    radius_m: f64,
    /// Shortest stop, seconds.
    #[arg(long, default_value_t = trailfence::DEFAULT_STOP_MIN_DURATION_S)]
    min_duration_s: f64,
}

/// Arguments of `trailfence heatmap`.
#[derive(Debug, Args)]
pub struct HeatmapArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// H3 resolution, 0–15.
    #[arg(long, default_value_t = trailfence::DEFAULT_H3_RESOLUTION)]
    resolution: u8,
    /// Suppress cells with fewer distinct subjects.
    #[arg(long, default_value_t = trailfence::DEFAULT_MIN_SUBJECTS)]
    min_subjects: u32,
}

/// Arguments of `trailfence validate` and `trailfence info`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
}

/// Runs `near`.
pub fn run_near(args: NearArgs) -> Result<(), Failure> {
    let q = &args.query;
    let (format, window) = (q.format()?, q.window()?);
    let target = Target::Point(args.lon, args.lat);
    // Checked before any data is read (the same check the query makes).
    near(&TrailStore::builder().build(), &target, args.radius_m, window)?;
    let store = q.input.load_for("near", window, None)?;
    let rows: Vec<IncidentRow> = near(&store, &target, args.radius_m, window)?
        .into_iter()
        .map(|row| IncidentRow {
            incident: String::new(),
            row,
        })
        .collect();
    q.write(|w| write_near(&rows, format, w))
}

/// Runs `near-many`.
pub fn run_near_many(args: NearManyArgs) -> Result<(), Failure> {
    let q = &args.query;
    let format = q.format()?;
    let mut parser = TimeParser::new(TimeFormat::Auto);
    if let Some(tz) = &q.input.tz {
        parser = parser.with_time_zone(tz)?;
    }
    let incidents = read_incidents(&args.incidents, &parser)?;
    // Only the partitions from the earliest incident start to the latest end.
    let window = match (
        incidents.iter().map(|i| i.start_us).min(),
        incidents.iter().map(|i| i.end_us).max(),
    ) {
        (Some(s), Some(e)) => Window::from_us(s, e),
        _ => Window::from_us(0, 0),
    };
    let store = q.input.load_for("near-many", window, None)?;
    let rows = near_many(&store, &incidents, args.rule_outs)?;
    q.write(|w| write_near(&rows, format, w))
}

/// Runs `proximity`.
pub fn run_proximity(args: ProximityArgs) -> Result<(), Failure> {
    let q = &args.query;
    let (format, window) = (q.format()?, q.window()?);
    proximity(&TrailStore::builder().build(), "", "", args.distance_m, window).or_else(unknown_subject_is_fine)?;
    let store = q.input.load_for_subjects("proximity", window, &[&args.a, &args.b])?;
    let eps = proximity(&store, &args.a, &args.b, args.distance_m, window)?;
    q.write(|w| write_proximity(&eps, format, w))
}

/// Runs `stops`.
pub fn run_stops(args: StopsArgs) -> Result<(), Failure> {
    let q = &args.query;
    let (format, window) = (q.format()?, q.window()?);
    stops(
        &TrailStore::builder().build(),
        "",
        window,
        args.radius_m,
        args.min_duration_s,
    )
    .or_else(unknown_subject_is_fine)?;
    let store = q.input.load_for("stops", window, Some(&args.subject))?;
    let st = stops(&store, &args.subject, window, args.radius_m, args.min_duration_s)?;
    q.write(|w| write_stops(&st, format, w))
}

/// Runs `heatmap`.
pub fn run_heatmap(args: HeatmapArgs) -> Result<(), Failure> {
    let q = &args.query;
    let (format, window) = (q.format()?, q.window()?);
    let store = q.input.load_for("heatmap", window, None)?;
    let h = heatmap(&store, args.resolution, window, args.min_subjects)?;
    eprintln!(
        "trailfence: {} cells published, {} cells ({:.0} s) suppressed for fewer than {} subjects",
        h.cells.len(),
        h.suppressed_cells,
        h.suppressed_seconds,
        args.min_subjects
    );
    q.write(|w| write_heatmap(&h, format, w))
}

/// Option checks run on an empty store before any data is read: there the
/// only other possible error is the (absent) subject, which is fine.
fn unknown_subject_is_fine<T: Default>(e: trailfence::Error) -> Result<T, trailfence::Error> {
    match e {
        trailfence::Error::UnknownSubject(_) => Ok(T::default()),
        other => Err(other),
    }
}

/// Runs `validate`: reads the whole input leniently and itemises every
/// problem; exit code 2 when there is any bad record.
pub fn run_validate(args: CheckArgs) -> Result<(), Failure> {
    let mut time = TimeParser::new(TimeFormat::Auto);
    if let Some(tz) = &args.input.tz {
        time = time.with_time_zone(tz)?;
    }
    let options = ReadOptions {
        mode: Mode::Lenient,
        time,
        subject: args.input.input_subject.clone(),
        ..Default::default()
    };
    let mut builder = TrailStore::builder().max_gap_s(args.input.max_gap_s)?;
    let report = read_path(args.input.input_path()?, &options, &mut builder)?;
    let store = builder.build();
    let s = store.ingest_summary();
    let mut out = std::io::stdout().lock();
    write!(out, "{report}")?;
    writeln!(
        out,
        "{} subjects, {} fixes stored, {} exact duplicates, {} fixes at {} conflicting instants, {} late fixes",
        store.subject_count(),
        s.fixes_stored,
        s.duplicates_dropped,
        s.conflicting_fixes,
        s.conflicts.len(),
        s.out_of_order
    )?;
    if report.skipped > 0 {
        return Err(Failure::Input(format!("{} bad records", report.skipped)));
    }
    Ok(())
}

/// Runs `info`: subjects, time span and fix counts.
pub fn run_info(args: CheckArgs) -> Result<(), Failure> {
    if let Some(dir) = &args.input.store {
        let st = trailfence::ParquetStore::open(dir)?;
        let days: std::collections::BTreeSet<i64> = st.files().iter().map(|f| f.day).collect();
        let parts: std::collections::BTreeSet<(i64, u32)> = st.files().iter().map(|f| (f.day, f.bucket)).collect();
        eprintln!(
            "trailfence: store {}: {} files in {} partitions ({} UTC days x {} subject buckets), {} bytes",
            dir.display(),
            st.files().len(),
            parts.len(),
            days.len(),
            st.buckets(),
            st.files().iter().map(|f| f.bytes).sum::<u64>()
        );
    }
    let store = args.input.load_for("info", Window::all(), None)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "subject,fixes,first,last")?;
    for (i, s) in store.subjects().iter().enumerate() {
        let t = store.trail_at(i).times_us();
        if let (Some(a), Some(b)) = (t.first(), t.last()) {
            writeln!(
                out,
                "{s},{},{},{}",
                t.len(),
                trailfence::from_us(*a),
                trailfence::from_us(*b)
            )?;
        }
    }
    eprintln!(
        "trailfence: {} subjects, {} fixes",
        store.subject_count(),
        store.fix_count()
    );
    Ok(())
}

/// Arguments of `trailfence import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Fix file to import: .csv, .geojson/.json, .gpx or .parquet.
    #[arg(long, short = 'i')]
    input: PathBuf,
    /// Store directory (created if missing).
    #[arg(long)]
    store: PathBuf,
    /// Skip bad records and print an itemised report on stderr instead of failing.
    #[arg(long)]
    lenient: bool,
    /// IANA time zone for times written without a UTC offset.
    #[arg(long)]
    tz: Option<String>,
    /// Subject id for inputs without one (GPX).
    #[arg(long = "input-subject")]
    input_subject: Option<String>,
    /// Fail at once when another writer holds the store (default: wait for it).
    #[arg(long)]
    no_wait: bool,
}

/// Opens a store for writing, saying so on stderr when another writer
/// holds it and this one is going to wait.
fn open_writer(dir: &std::path::Path, create: bool, no_wait: bool) -> Result<trailfence::ParquetStore, Failure> {
    let store = if create {
        trailfence::ParquetStore::open_or_create(dir)?
    } else {
        trailfence::ParquetStore::open(dir)?
    };
    if !no_wait {
        if let Some(pid) = trailfence::ParquetStore::writer_holding(dir) {
            eprintln!(
                "trailfence: waiting for another writer of {} (pid {pid}) to finish",
                dir.display()
            );
        }
    }
    Ok(store.wait_for_writer(!no_wait))
}

/// Reports what a writer found and set aside.
fn report_upkeep(quarantined: &[String], leftovers: u64) {
    if leftovers > 0 {
        eprintln!("trailfence: {leftovers} temporary files of an interrupted writer removed");
    }
    for q in quarantined {
        eprintln!(
            "trailfence: {q}: not listed in the manifest; moved to {}/ (not deleted)",
            trailfence::QUARANTINE
        );
    }
}

/// Runs `import`: reads the input (strict or lenient) and merges it into the store.
pub fn run_import(args: ImportArgs) -> Result<(), Failure> {
    let reader = InputArgs {
        input: Some(args.input.clone()),
        store: None,
        lenient: args.lenient,
        tz: args.tz.clone(),
        input_subject: args.input_subject.clone(),
        max_gap_s: trailfence::DEFAULT_MAX_GAP_S,
        access: Default::default(),
    };
    let reading = crate::progress::spinner(&format!("reading {}", args.input.display()));
    let fixes = reader.read_input()?;
    reading.finish_and_clear();
    let mut store = open_writer(&args.store, true, args.no_wait)?;
    let pb = crate::progress::bar("importing", "partitions");
    let s = store.import_with_progress(&fixes, &mut crate::progress::hook(&pb))?;
    pb.finish_and_clear();
    report_upkeep(&s.quarantined, s.leftovers_removed);
    eprintln!(
        "trailfence: {} fixes offered, {} added, {} already stored, {} conflicting with stored fixes (not stored), {} partitions written",
        s.offered, s.added, s.already_stored, s.conflicts, s.partitions_written
    );
    Ok(())
}

/// Arguments of `trailfence compact`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Store directory.
    #[arg(long)]
    store: PathBuf,
    /// Fail at once when another writer holds the store (default: wait for it).
    #[arg(long)]
    no_wait: bool,
}

/// Runs `compact`: merges every partition held in several files into one.
pub fn run_compact(args: CompactArgs) -> Result<(), Failure> {
    let mut store = open_writer(&args.store, false, args.no_wait)?;
    let pb = crate::progress::bar("compacting", "partitions");
    let s = store.compact(&mut crate::progress::hook(&pb))?;
    pb.finish_and_clear();
    report_upkeep(&s.quarantined, s.leftovers_removed);
    eprintln!(
        "trailfence: {} partitions compacted, {} files before, {} after",
        s.partitions_compacted, s.files_before, s.files_after
    );
    Ok(())
}

/// Arguments of `trailfence purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Store directory.
    #[arg(long)]
    store: PathBuf,
    /// Remove every fix before this instant (retention): RFC 3339, a date (start of the day), or local with --tz.
    #[arg(long, required_unless_present = "subject")]
    before: Option<String>,
    /// Remove this subject's fixes (erasure; with --before, only those before it).
    #[arg(long)]
    subject: Option<String>,
    /// IANA time zone for a local --before (e.g. Europe/London).
    #[arg(long)]
    tz: Option<String>,
    /// Fail at once when another writer holds the store (default: wait for it).
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    access: crate::audit::AccessArgs,
}

/// Runs `purge`: removes fixes from every partition and the quarantine,
/// crash-safely, recorded in the audit log first (an access context is
/// always required). Prints the summary as JSON.
pub fn run_purge(args: PurgeArgs) -> Result<(), Failure> {
    let context = args.access.required("purge")?;
    let before_us = match &args.before {
        Some(t) => Some(trailfence::parse_time(t, args.tz.as_deref())?.as_microsecond()),
        None => None,
    };
    let mut store = open_writer(&args.store, false, args.no_wait)?;
    let s = store.purge(
        &trailfence::PurgeRequest {
            before_us,
            subject: args.subject.clone(),
        },
        &context,
    )?;
    println!(
        "{}",
        serde_json::to_string_pretty(&s).map_err(|e| Failure::Io(e.to_string()))?
    );
    Ok(())
}

/// Arguments of `trailfence verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Store directory.
    #[arg(long)]
    store: PathBuf,
    /// Move broken and unlisted files to quarantine/, remove leftovers and
    /// rewrite the manifest without the broken files (reports the fixes lost).
    #[arg(long)]
    repair: bool,
    /// With --repair: fail at once when another writer holds the store.
    #[arg(long)]
    no_wait: bool,
}

/// Runs `verify`: every stored file against the manifest; exit 0 only when
/// the store is clean (or, with `--repair`, was repaired).
pub fn run_verify(args: VerifyArgs) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let report = if args.repair {
        open_writer(&args.store, false, args.no_wait)?.repair()?
    } else {
        trailfence::ParquetStore::open(&args.store)?.verify()?
    };
    print!("{report}");
    eprintln!("trailfence: verified in {:.1} s", started.elapsed().as_secs_f64());
    if report.is_clean() || report.repaired {
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "{}: {} problems; `trailfence verify --store {} --repair` quarantines what is broken",
            args.store.display(),
            report.problems.len(),
            args.store.display()
        )))
    }
}
