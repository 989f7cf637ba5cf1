//! `trailfence trail`: one subject's fixes in a window, in CSV, GeoJSON, GPX or KML.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use clap::Args;
use trailfence::io::{write_trail, TrailFormat};
use trailfence::{parse_time, Window};

use crate::input::InputArgs;
use crate::Failure;

/// Arguments of `trailfence trail`.
#[derive(Debug, Args)]
pub struct TrailArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Subject id.
    #[arg(long, short = 's')]
    subject: String,
    /// Window start (inclusive): RFC 3339, epoch seconds, or local time with --tz.
    #[arg(long)]
    from: String,
    /// Window end (exclusive).
    #[arg(long)]
    to: String,
    /// Output format: csv, geojson, gpx, kml or parquet (GeoParquet; needs --output or a pipe).
    #[arg(long, short = 'f', default_value = "csv")]
    format: String,
    /// Output file (default: standard output).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Simplify with this tolerance in metres (keeps every part's ends).
    #[arg(long)]
    simplify_m: Option<f64>,
}

/// Runs the trail request.
pub fn run(args: TrailArgs) -> Result<(), Failure> {
    let format = TrailFormat::from_name(&args.format).ok_or_else(|| {
        Failure::Input(format!(
            "--format {:?}: expected csv, geojson, gpx, kml or parquet",
            args.format
        ))
    })?;
    if format == TrailFormat::Parquet && args.output.is_none() && io::stdout().is_terminal() {
        return Err(Failure::Input(
            "--format parquet writes binary: give --output FILE or pipe it".into(),
        ));
    }
    let tz = args.input.tz.as_deref();
    let window = Window::new(parse_time(&args.from, tz)?, parse_time(&args.to, tz)?)?;
    // The core calls the simplification tolerance `tolerance_m`; here it is --simplify-m.
    let flag = |e: trailfence::Error| match e {
        trailfence::Error::Option { value, reason, .. } => {
            Failure::Input(format!("invalid option `--simplify-m` (got {value}): {reason}"))
        }
        other => other.into(),
    };
    // Refused before any data is read when the store requires a context.
    let (store, context) = args.input.load_to_disclose(window, &args.subject)?;
    let mut answer = store.trail(&args.subject, window)?;
    if let Some(tol) = args.simplify_m {
        answer = answer.simplify(tol).map_err(flag)?;
    }
    for g in answer.gaps() {
        eprintln!(
            "trailfence: no data from {} to {} ({:.0} s)",
            g.start(),
            g.end(),
            g.duration_s()
        );
    }
    let mut sha256 = None;
    crate::query::write_output(args.output.as_deref(), |w| {
        let mut h = trailfence::Sha256Writer::new(w);
        write_trail(&answer, format, &mut h)?;
        sha256 = Some(h.finish());
        Ok(())
    })?;
    // The disclosure is recorded once the output is complete.
    if let (Some(dir), Some(context)) = (args.input.store.as_deref(), context) {
        let path = args
            .output
            .as_ref()
            .map_or_else(|| "<stdout>".to_string(), |p| p.display().to_string());
        trailfence::record_disclosure(
            dir,
            &context,
            "trail",
            vec![args.subject.clone()],
            window,
            vec![trailfence::AuditOutput {
                path,
                sha256: sha256.unwrap_or_default(),
            }],
        )?;
    }
    Ok(())
}
