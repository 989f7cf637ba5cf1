//! The `trailfence` command line: parses arguments, builds a validated
//! configuration, delegates to the library and owns the exit code.
//!
//! Exit codes: 0 success; 1 an I/O failure while writing output or reading a
//! file that exists; 2 bad usage or bad input (unparseable argument, bad
//! record in strict mode, unknown subject). A closed output pipe (`| head`)
//! ends the program quietly with 0.
//!
//! Progress bars appear on stderr only when it is a terminal.

mod analysis;
mod audit;
mod evidence;
mod generate;
mod input;
mod monitor;
mod progress;
mod query;
mod report;
mod trail;
mod zones;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Answer trail requests and zone questions over GPS tag data.
#[derive(Debug, Parser)]
#[command(name = "trailfence", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A subject's trail between two times (fixes with start <= t < end, plus gaps on stderr).
    Trail(trail::TrailArgs),
    /// A trail request as one self-contained HTML report (map, timelines, episodes, curfew, stops, data quality).
    Report(report::ReportArgs),
    /// An evidence pack (report, trail in four formats, zones, verdict tables, manifest with SHA-256);
    /// `evidence verify PACK` checks one.
    Evidence(report::PackArgs),
    /// Breach episodes of every subject against the zones (exclusion, inclusion, buffer).
    Breaches(zones::BreachArgs),
    /// Curfew compliance per subject, inclusion zone and window occurrence.
    Curfew(zones::CurfewArgs),
    /// Licence conditions in a zone file (versions, absences, suspensions): `conditions validate FILE`.
    Conditions(zones::ConditionsArgs),
    /// Who came within a radius of a place during a window (hit / possible).
    Near(analysis::NearArgs),
    /// Near queries for a CSV of incidents, optionally with rule-outs.
    NearMany(analysis::NearManyArgs),
    /// When two subjects were within a distance of each other.
    Proximity(analysis::ProximityArgs),
    /// A subject's stops (stays within a radius for a minimum duration).
    Stops(analysis::StopsArgs),
    /// H3 dwell heatmap with small-count suppression.
    Heatmap(analysis::HeatmapArgs),
    /// Import a fix file into a store directory (GeoParquet, crash-safe, idempotent).
    Import(analysis::ImportArgs),
    /// Merge the partitions of a store held in several files (imports add one file per partition).
    Compact(analysis::CompactArgs),
    /// Remove fixes before a date (retention) or of a subject (erasure) from every file of a store; audited.
    Purge(analysis::PurgeArgs),
    /// Check every file of a store against its manifest (exit 0 only when clean); --repair quarantines what is broken.
    Verify(analysis::VerifyArgs),
    /// Check an input without using it: every bad record itemised (exit 2 if any).
    Validate(analysis::CheckArgs),
    /// Subjects, fix counts and time spans of an input.
    Info(analysis::CheckArgs),
    /// Run the streaming monitor over a recorded stream, checkpointing (resumes after a crash).
    Monitor(monitor::MonitorArgs),
    /// Write deterministic sample data (fixes, zones, incidents) to a directory.
    Generate(generate::GenerateArgs),
    /// The store's lawful-access audit log: `audit verify`, `audit show`, `audit policy`.
    Audit(audit::AuditArgs),
}

/// How a command failed, mapped to the documented exit codes.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or bad input: exit 2.
    Input(String),
    /// An I/O failure: exit 1.
    Io(String),
    /// The output pipe closed: exit 0 quietly.
    BrokenPipe,
}

impl From<trailfence::Error> for Failure {
    fn from(e: trailfence::Error) -> Self {
        match e {
            trailfence::Error::Io { ref source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe => {
                Failure::BrokenPipe
            }
            trailfence::Error::Io { .. } => Failure::Io(e.to_string()),
            // The core names options as in Rust and Python (`min_duration_s`);
            // on the command line they are flags (`--min-duration-s`).
            trailfence::Error::Option { name, value, reason } => Failure::Input(format!(
                "invalid option `--{}` (got {value}): {reason}",
                name.replace('_', "-")
            )),
            other => Failure::Input(other.to_string()),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Io(e.to_string())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Trail(args) => trail::run(args),
        Command::Report(args) => report::run_report(args),
        Command::Evidence(args) => report::run_pack(args),
        Command::Breaches(args) => zones::run_breaches(args),
        Command::Curfew(args) => zones::run_curfew(args),
        Command::Conditions(args) => zones::run_conditions(args),
        Command::Monitor(args) => monitor::run(args),
        Command::Near(args) => analysis::run_near(args),
        Command::NearMany(args) => analysis::run_near_many(args),
        Command::Proximity(args) => analysis::run_proximity(args),
        Command::Stops(args) => analysis::run_stops(args),
        Command::Heatmap(args) => analysis::run_heatmap(args),
        Command::Import(args) => analysis::run_import(args),
        Command::Compact(args) => analysis::run_compact(args),
        Command::Validate(args) => analysis::run_validate(args),
        Command::Verify(args) => analysis::run_verify(args),
        Command::Purge(args) => analysis::run_purge(args),
        Command::Info(args) => analysis::run_info(args),
        Command::Generate(args) => generate::run(args),
        Command::Audit(args) => audit::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            let _ = writeln!(std::io::stderr(), "trailfence: error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Io(msg)) => {
            let _ = writeln!(std::io::stderr(), "trailfence: error: {msg}");
            ExitCode::from(1)
        }
    }
}
