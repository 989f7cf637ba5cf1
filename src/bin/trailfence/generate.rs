//! `trailfence generate`: deterministic sample data (fixes, zones, incidents).

use std::fs;
use std::path::PathBuf;

use clap::Args;
use trailfence::generate::{fixes_csv, generate_fixes, incidents_csv, zones_geojson, GeneratorConfig};

use crate::Failure;

/// Arguments of `trailfence generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed of the random stream (the committed sample uses 42).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of subjects.
    #[arg(long, default_value_t = 20)]
    subjects: usize,
    /// Number of days.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// First local (Europe/London) day, YYYY-MM-DD.
    #[arg(long, default_value = "2024-10-24")]
    start: String,
    /// Number of crime incidents.
    #[arg(long, default_value_t = 40)]
    incidents: usize,
    /// Directory to write fixes.csv, zones.geojson and incidents.csv into.
    #[arg(long, default_value = "data")]
    out_dir: PathBuf,
    /// Also write this many benchmark exclusion zones (star polygons of 8-200 vertices and
    /// circles within 12 km of London) into zones.geojson, besides the sample zones.
    #[arg(long, default_value_t = 0)]
    bench_zones: usize,
    /// Import the fixes straight into this store directory instead of writing fixes.csv
    /// (zones and incidents are still written to --out-dir).
    #[arg(long)]
    store: Option<PathBuf>,
}

/// Writes the sample files.
pub fn run(args: GenerateArgs) -> Result<(), Failure> {
    let start = args
        .start
        .parse()
        .map_err(|e| Failure::Input(format!("--start {:?}: not a date YYYY-MM-DD: {e}", args.start)))?;
    let config = GeneratorConfig {
        seed: args.seed,
        subjects: args.subjects,
        days: args.days,
        start,
        ..Default::default()
    };
    config.validate()?;
    if args.incidents > 1_000_000 || args.bench_zones > 100_000 {
        return Err(Failure::Input(format!(
            "--incidents {} / --bench-zones {}: at most 1,000,000 incidents and 100,000 zones",
            args.incidents, args.bench_zones
        )));
    }
    let data = generate_fixes(&config);
    fs::create_dir_all(&args.out_dir).map_err(|e| Failure::Io(format!("{}: {e}", args.out_dir.display())))?;
    let write = |name: &str, text: String| -> Result<(), Failure> {
        let p = args.out_dir.join(name);
        Ok(trailfence::durable::write_atomic(
            &p,
            text.as_bytes(),
            trailfence::durable::FileModes::default(),
        )?)
    };
    match &args.store {
        Some(dir) => {
            let mut store = trailfence::ParquetStore::open_or_create(dir)?;
            let pb = crate::progress::bar("importing", "partitions");
            let s = store.import_with_progress(&data.store(), &mut crate::progress::hook(&pb))?;
            pb.finish_and_clear();
            eprintln!(
                "trailfence: {} fixes added to {} ({} already stored)",
                s.added,
                dir.display(),
                s.already_stored
            );
        }
        None => write("fixes.csv", fixes_csv(&data))?,
    }
    if args.bench_zones > 0 {
        write(
            "zones.geojson",
            trailfence::generate::bench_zones_geojson(&data, args.bench_zones, args.seed),
        )?;
    } else {
        write("zones.geojson", zones_geojson(&data, args.seed))?;
    }
    write("incidents.csv", incidents_csv(&data, args.seed, args.incidents))?;
    eprintln!(
        "trailfence: generated {} fixes of {} subjects; wrote zones and {} incidents to {}",
        data.len(),
        data.names.len(),
        args.incidents,
        args.out_dir.display()
    );
    Ok(())
}
