//! `trailfence breaches` and `trailfence curfew`: zone questions over a fix file.

use std::path::PathBuf;

use clap::Args;
use trailfence::io::{write_breaches, write_curfew, write_evidence};
use trailfence::{breaches, curfew, evidence_of, read_zones, BreachOptions, CurfewOptions};

use crate::evidence::EvidenceArgs;
use crate::query::QueryArgs;
use crate::Failure;

/// Options shared by the zone subcommands.
#[derive(Debug, Args)]
pub struct ZoneArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// Zones file (GeoJSON FeatureCollection).
    #[arg(long, short = 'z')]
    zones: PathBuf,
}

/// Arguments of `trailfence breaches`.
#[derive(Debug, Args)]
pub struct BreachArgs {
    #[command(flatten)]
    common: ZoneArgs,
    /// Drop episodes with fewer fixes.
    #[arg(long, default_value_t = BreachOptions::default().min_fixes)]
    min_fixes: u32,
    /// Drop episodes shorter than this, seconds.
    #[arg(long, default_value_t = BreachOptions::default().min_duration_s)]
    min_duration_s: f64,
    /// Merge episodes separated by at most this many seconds (never across gaps).
    #[arg(long, default_value_t = BreachOptions::default().merge_gap_s)]
    merge_gap_s: f64,
    /// Accuracy assumed for fixes reporting none, metres (default: such fixes never confirm).
    #[arg(long)]
    assumed_accuracy_m: Option<f64>,
    #[command(flatten)]
    evidence: EvidenceArgs,
    /// Write the fixes behind each episode instead of the episodes: margin
    /// beyond the boundary in metres and in units of its error, outliers,
    /// which fixes support the verdict.
    #[arg(long)]
    explain: bool,
}

/// Arguments of `trailfence curfew`.
#[derive(Debug, Args)]
pub struct CurfewArgs {
    #[command(flatten)]
    common: ZoneArgs,
    /// Outside episodes shorter than this are not counted as violations, seconds.
    #[arg(long, default_value_t = CurfewOptions::default().grace_s)]
    grace_s: f64,
    /// Accuracy assumed for fixes reporting none, metres (default: such fixes never confirm).
    #[arg(long)]
    assumed_accuracy_m: Option<f64>,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

/// Runs `breaches`.
pub fn run_breaches(args: BreachArgs) -> Result<(), Failure> {
    let (c, q) = (&args.common, &args.common.query);
    let (format, window) = (q.format()?, q.window()?);
    let options = BreachOptions {
        min_fixes: args.min_fixes,
        min_duration_s: args.min_duration_s,
        merge_gap_s: args.merge_gap_s,
        assumed_accuracy_m: args.assumed_accuracy_m,
        max_gap_s: None,
        evidence: args.evidence.over(Default::default()),
    };
    options.validate()?;
    let zones = read_zones(&c.zones)?;
    let store = q.input.load_for("breaches", window, None)?;
    let eps = breaches(&store, &zones, window, &options)?;
    if args.explain {
        let rows = evidence_of(&store, &zones, &eps, &options);
        return q.write(|w| write_evidence(&rows, format, w));
    }
    q.write(|w| write_breaches(&eps, format, w))
}

/// Runs `curfew`.
pub fn run_curfew(args: CurfewArgs) -> Result<(), Failure> {
    let (c, q) = (&args.common, &args.common.query);
    let (format, window) = (q.format()?, q.window()?);
    let options = CurfewOptions {
        grace_s: args.grace_s,
        assumed_accuracy_m: args.assumed_accuracy_m,
        evidence: args.evidence.over(Default::default()),
    };
    options.validate()?;
    let zones = read_zones(&c.zones)?;
    let store = q.input.load_for("curfew", window, None)?;
    let rows = curfew(&store, &zones, window, &options)?;
    q.write(|w| write_curfew(&rows, format, w))
}

/// Arguments of `trailfence conditions`.
#[derive(Debug, Args)]
pub struct ConditionsArgs {
    #[command(subcommand)]
    action: ConditionsAction,
}

/// What `trailfence conditions` does.
#[derive(Debug, clap::Subcommand)]
pub enum ConditionsAction {
    /// Check a zone file with licence conditions (versions, absences,
    /// suspensions); prints a JSON summary, or the first located error
    /// (exit 2).
    Validate {
        /// Zones file (GeoJSON FeatureCollection, optionally with `conditions`).
        file: PathBuf,
    },
}

/// `trailfence conditions validate FILE`.
pub fn run_conditions(args: ConditionsArgs) -> Result<(), Failure> {
    let ConditionsAction::Validate { file } = args.action;
    let zones = read_zones(&file)?;
    let time = |t: Option<i64>| t.map(|t| trailfence::from_us(t).to_string());
    let versions: Vec<serde_json::Value> = zones
        .zones()
        .iter()
        .filter(|z| z.zone.effective != trailfence::Effective::default())
        .map(|z| {
            serde_json::json!({
                "zone": z.zone.id,
                "version": z.zone.effective.version,
                "effective_from": time(z.zone.effective.from_us),
                "effective_until": time(z.zone.effective.until_us),
            })
        })
        .collect();
    let c = zones.conditions();
    let summary = serde_json::json!({
        "file": file.display().to_string(),
        "valid": true,
        "zones": zones.len(),
        "versions": versions,
        "absences": c.absences.iter().map(|a| serde_json::json!({
            "subject": a.subject, "from": time(Some(a.from_us)), "until": time(Some(a.until_us)),
            "zones": a.zones, "reason": a.reason, "reference": a.reference,
        })).collect::<Vec<_>>(),
        "suspensions": c.suspensions.iter().map(|s| serde_json::json!({
            "subjects": s.subjects, "from": time(Some(s.from_us)), "until": time(Some(s.until_us)),
            "reason": s.reason, "reference": s.reference,
        })).collect::<Vec<_>>(),
        "content_hash": zones.content_hash(),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&summary).map_err(|e| Failure::Io(e.to_string()))?
    );
    Ok(())
}
