//! `trailfence breaches` and `trailfence curfew`: zone questions over a fix file.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use trailfence::io::{write_breaches, write_curfew, TableFormat};
use trailfence::{breaches, curfew, parse_time, read_zones, BreachOptions, CurfewOptions, Window};

use crate::input::InputArgs;
use crate::Failure;

/// Options shared by the zone subcommands.
#[derive(Debug, Args)]
pub struct ZoneArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Zones file (GeoJSON FeatureCollection).
    #[arg(long, short = 'z')]
    zones: PathBuf,
    /// Window start (inclusive); default: all data.
    #[arg(long)]
    from: Option<String>,
    /// Window end (exclusive); default: all data.
    #[arg(long)]
    to: Option<String>,
    /// Output format: csv or json.
    #[arg(long, short = 'f', default_value = "csv")]
    format: String,
    /// Output file (default: standard output).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

/// Arguments of `trailfence breaches`.
#[derive(Debug, Args)]
pub struct BreachArgs {
    #[command(flatten)]
    common: ZoneArgs,
    /// Drop episodes with fewer fixes.
    #[arg(long, default_value_t = 0)]
    min_fixes: u32,
    /// Drop episodes shorter than this, seconds.
    #[arg(long, default_value_t = 0.0)]
    min_duration_s: f64,
    /// Merge episodes separated by at most this many seconds (never across gaps).
    #[arg(long, default_value_t = 0.0)]
    merge_gap_s: f64,
    /// Accuracy assumed for fixes reporting none, metres (default: such fixes never confirm).
    #[arg(long)]
    assumed_accuracy_m: Option<f64>,
}

/// Arguments of `trailfence curfew`.
#[derive(Debug, Args)]
pub struct CurfewArgs {
    #[command(flatten)]
    common: ZoneArgs,
    /// Outside episodes shorter than this are not counted as violations, seconds.
    #[arg(long, default_value_t = 0.0)]
    grace_s: f64,
}

impl ZoneArgs {
    fn window(&self) -> Result<Window, Failure> {
        let tz = self.input.tz.as_deref();
        let start = match &self.from {
            Some(s) => parse_time(s, tz)?.as_microsecond(),
            None => i64::MIN,
        };
        let end = match &self.to {
            Some(s) => parse_time(s, tz)?.as_microsecond(),
            None => i64::MAX,
        };
        if start > end {
            return Err(Failure::Input("--from is after --to".into()));
        }
        Ok(Window::from_us(start, end))
    }

    fn format(&self) -> Result<TableFormat, Failure> {
        TableFormat::from_name(&self.format)
            .ok_or_else(|| Failure::Input(format!("--format {:?}: expected csv or json", self.format)))
    }

    fn write(&self, f: impl FnOnce(&mut dyn Write) -> Result<(), trailfence::Error>) -> Result<(), Failure> {
        match &self.output {
            Some(path) => {
                let mut file = File::create(path).map_err(|e| Failure::Io(format!("{}: {e}", path.display())))?;
                f(&mut file)?;
            }
            None => {
                let stdout = io::stdout();
                let mut lock = stdout.lock();
                f(&mut lock)?;
                lock.flush()?;
            }
        }
        Ok(())
    }
}

/// Runs `breaches`.
pub fn run_breaches(args: BreachArgs) -> Result<(), Failure> {
    let c = &args.common;
    let (format, window) = (c.format()?, c.window()?);
    let zones = read_zones(&c.zones)?;
    let store = c.input.load()?;
    let options = BreachOptions {
        min_fixes: args.min_fixes,
        min_duration_s: args.min_duration_s,
        merge_gap_s: args.merge_gap_s,
        assumed_accuracy_m: args.assumed_accuracy_m,
        max_gap_s: None,
    };
    let eps = breaches(&store, &zones, window, &options);
    c.write(|w| write_breaches(&eps, format, w))
}

/// Runs `curfew`.
pub fn run_curfew(args: CurfewArgs) -> Result<(), Failure> {
    let c = &args.common;
    let (format, window) = (c.format()?, c.window()?);
    let zones = read_zones(&c.zones)?;
    let store = c.input.load()?;
    let rows = curfew(&store, &zones, window, &CurfewOptions { grace_s: args.grace_s });
    c.write(|w| write_curfew(&rows, format, w))
}
