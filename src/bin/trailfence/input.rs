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
    /// Who asks and why (with --store: checked against its access policy, recorded in its audit log).
    #[command(flatten)]
    pub access: crate::audit::AccessArgs,
}

impl InputArgs {
    /// Reads the input, or from a store only the partitions `window` and
    /// `subject` need (plus the neighbouring days interpolation needs), so a
    /// file outside the window can neither fail the query nor fill memory.
    ///
    /// A read of a store is a consultation: its access policy is checked
    /// first, and with an access context it is recorded in the store's audit
    /// log as `operation` with the subjects loaded.
    pub fn load_for(&self, operation: &str, window: Window, subject: Option<&str>) -> Result<TrailStore, Failure> {
        match subject {
            Some(s) => self.load_for_subjects(operation, window, &[s]),
            None => self.load_partitions(Some(operation), window, None),
        }
    }

    /// As [`InputArgs::load_for`], for several subjects.
    pub fn load_for_subjects(&self, operation: &str, window: Window, subjects: &[&str]) -> Result<TrailStore, Failure> {
        self.load_partitions(Some(operation), window, Some(subjects))
    }

    /// As [`InputArgs::load_for`] for one subject, for a disclosure: the
    /// policy is checked but nothing is recorded yet (the caller records the
    /// disclosure with the digests of what it wrote); returns the context.
    pub fn load_to_disclose(
        &self,
        window: Window,
        subject: &str,
    ) -> Result<(TrailStore, Option<trailfence::AccessContext>), Failure> {
        let context = self.access.context(self.store.as_deref())?;
        Ok((self.load_partitions(None, window, Some(&[subject]))?, context))
    }

    fn load_partitions(
        &self,
        operation: Option<&str>,
        window: Window,
        subjects: Option<&[&str]>,
    ) -> Result<TrailStore, Failure> {
        let context = self.access.context(self.store.as_deref())?;
        if let Some(dir) = &self.store {
            let store = ParquetStore::open(dir)?;
            let options = StoreOptions {
                max_gap_s: self.max_gap_s,
            };
            return Ok(match operation {
                Some(op) => store.load_for_access(window, subjects, None, options, context.as_ref(), op)?,
                None => store.load(window, subjects, options)?,
            });
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
