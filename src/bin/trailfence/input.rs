//! Shared input options: which file, strict or lenient, time parsing.

use std::path::PathBuf;

use clap::Args;
use trailfence::io::{read_path, ReadOptions};
use trailfence::{Mode, ParquetStore, StoreOptions, TimeFormat, TimeParser, TrailStore, Window};

use crate::Failure;

/// Where fixes come from and how to read them.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Fix file: .csv, .geojson/.json, .gpx or .parquet.
    #[arg(long, short = 'i', required_unless_present = "store", conflicts_with = "store")]
    pub input: Option<PathBuf>,
    /// A store directory made by `trailfence import` (instead of --input).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Skip bad records and print an itemised report on stderr instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// IANA time zone for times written without a UTC offset (in the input and in --from/--to).
    #[arg(long)]
    pub tz: Option<String>,
    /// Subject id for inputs without one (GPX).
    #[arg(long = "input-subject")]
    pub input_subject: Option<String>,
    /// Longest interval between fixes that is interpolated, seconds.
    #[arg(long, default_value_t = trailfence::DEFAULT_MAX_GAP_S)]
    pub max_gap_s: f64,
}

impl InputArgs {
    /// Reads the input, or from a store only the partitions `window` and
    /// `subject` need (plus the neighbouring days interpolation needs), so a
    /// file outside the window can neither fail the query nor fill memory.
    pub fn load_for(&self, window: Window, subject: Option<&str>) -> Result<TrailStore, Failure> {
        match subject {
            Some(s) => self.load_for_subjects(window, &[s]),
            None => self.load_partitions(window, None),
        }
    }

    /// As [`InputArgs::load_for`], for several subjects.
    pub fn load_for_subjects(&self, window: Window, subjects: &[&str]) -> Result<TrailStore, Failure> {
        self.load_partitions(window, Some(subjects))
    }

    fn load_partitions(&self, window: Window, subjects: Option<&[&str]>) -> Result<TrailStore, Failure> {
        if let Some(dir) = &self.store {
            let store = ParquetStore::open(dir)?;
            return Ok(store.load(
                window,
                subjects,
                StoreOptions {
                    max_gap_s: self.max_gap_s,
                },
            )?);
        }
        self.read_input()
    }

    /// The path of --input (required when there is no --store).
    pub fn input_path(&self) -> Result<&PathBuf, Failure> {
        self.input
            .as_ref()
            .ok_or_else(|| Failure::Input("--input FILE is required here".into()))
    }

    /// Reads --input, printing the lenient report and ingest summary on stderr.
    pub fn read_input(&self) -> Result<TrailStore, Failure> {
        let mut time = TimeParser::new(TimeFormat::Auto);
        if let Some(tz) = &self.tz {
            time = time.with_time_zone(tz)?;
        }
        let options = ReadOptions {
            mode: if self.lenient { Mode::Lenient } else { Mode::Strict },
            time,
            subject: self.input_subject.clone(),
            ..Default::default()
        };
        let mut builder = TrailStore::builder().max_gap_s(self.max_gap_s)?;
        let report = read_path(self.input_path()?, &options, &mut builder)?;
        if report.skipped > 0 {
            eprint!("{report}");
        }
        let store = builder.build();
        let s = store.ingest_summary();
        if s.duplicates_dropped > 0 || !s.conflicts.is_empty() {
            eprintln!(
                "trailfence: {} exact duplicate fixes dropped; {} fixes at {} conflicting instants kept out of the trails",
                s.duplicates_dropped,
                s.conflicting_fixes,
                s.conflicts.len()
            );
        }
        Ok(store)
    }
}
