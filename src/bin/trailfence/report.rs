//! `trailfence report` and `trailfence evidence`: a trail request answered
//! as a practitioner reads it (the HTML trail report) and as evidence (the
//! pack with its manifest of SHA-256 digests). Both are disclosures: on a
//! store they are recorded in its audit log.

use std::path::PathBuf;

use clap::Args;
use trailfence::trail_report::{trail_report, ReportRequest, DEFAULT_MAX_MAP_POINTS};
use trailfence::{parse_time, read_zones, BreachOptions, CurfewOptions, Window, ZoneSet};

use crate::evidence::EvidenceArgs;
use crate::input::InputArgs;
use crate::Failure;

/// What a report or an evidence pack covers.
#[derive(Debug, Args)]
pub struct CaseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Subject id.
    #[arg(long, short = 's', required = true)]
    pub subject: Option<String>,
    /// Window start (inclusive): RFC 3339, epoch seconds, or local time with --tz.
    #[arg(long, required = true)]
    pub from: Option<String>,
    /// Window end (exclusive).
    #[arg(long, required = true)]
    pub to: Option<String>,
    /// Zones file (GeoJSON, optionally with licence conditions).
    #[arg(long, short = 'z')]
    pub zones: Option<PathBuf>,
    /// IANA time zone the report shows times in [default: --tz, else Europe/London].
    #[arg(long)]
    pub display_tz: Option<String>,
    /// Curfew exits shorter than this are not violations, seconds.
    #[arg(long, default_value_t = CurfewOptions::default().grace_s)]
    pub grace_s: f64,
    /// Drop breach episodes shorter than this, seconds.
    #[arg(long, default_value_t = BreachOptions::default().min_duration_s)]
    pub min_duration_s: f64,
    /// Accuracy assumed for fixes reporting none, metres (default: such fixes never confirm).
    #[arg(long)]
    pub assumed_accuracy_m: Option<f64>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Most trail points drawn on the map (tables always use every fix).
    #[arg(long, default_value_t = DEFAULT_MAX_MAP_POINTS)]
    pub max_map_points: usize,
    /// Base-map tile URL template with {z}, {x}, {y} (then opening the report fetches tiles; default: no base map).
    #[arg(long)]
    pub tile_url: Option<String>,
    /// The attribution the tile provider requires, printed under the map.
    #[arg(long)]
    pub tile_attribution: Option<String>,
}

/// A loaded case: the data, the zones and the report request.
pub struct Case {
    pub store: trailfence::TrailStore,
    pub zones: Option<(ZoneSet, Vec<u8>)>,
    pub request: ReportRequest,
    pub context: Option<trailfence::AccessContext>,
    pub generation: Option<u64>,
}

impl CaseArgs {
    /// The subject (required by the parser; checked again here).
    pub fn subject(&self) -> Result<&str, Failure> {
        self.subject
            .as_deref()
            .ok_or_else(|| Failure::Input("--subject is required".into()))
    }

    /// The window `[--from, --to)`.
    pub fn window(&self) -> Result<Window, Failure> {
        let (Some(from), Some(to)) = (&self.from, &self.to) else {
            return Err(Failure::Input("--from and --to are required".into()));
        };
        let tz = self.input.tz.as_deref();
        Ok(Window::new(parse_time(from, tz)?, parse_time(to, tz)?)?)
    }

    /// Reads what the case needs (refused before any data is read when the
    /// store requires an access context and none is given).
    pub fn load(&self) -> Result<Case, Failure> {
        let window = self.window()?;
        let subject = self.subject()?;
        let evidence = self.evidence.over(Default::default());
        let breach = BreachOptions {
            min_duration_s: self.min_duration_s,
            assumed_accuracy_m: self.assumed_accuracy_m,
            max_gap_s: None,
            evidence,
            ..Default::default()
        };
        let curfew = CurfewOptions {
            grace_s: self.grace_s,
            assumed_accuracy_m: self.assumed_accuracy_m,
            evidence,
        };
        breach.validate()?;
        curfew.validate()?;
        let zones = match &self.zones {
            Some(p) => {
                let bytes = std::fs::read(p).map_err(|e| Failure::Io(format!("{}: {e}", p.display())))?;
                Some((read_zones(p)?, bytes))
            }
            None => None,
        };
        let mut provenance = Vec::new();
        let mut generation = None;
        if let Some(dir) = &self.input.store {
            let st = trailfence::ParquetStore::open(dir)?;
            generation = Some(st.generation());
            provenance.push(("Store".to_string(), dir.display().to_string()));
            provenance.push(("Store manifest generation".to_string(), st.generation().to_string()));
        } else if let Some(p) = &self.input.input {
            let bytes = std::fs::read(p).map_err(|e| Failure::Io(format!("{}: {e}", p.display())))?;
            provenance.push((
                "Input file".to_string(),
                format!("{} (SHA-256 {})", p.display(), trailfence::sha256_hex(&bytes)),
            ));
        }
        if let (Some(p), Some((_, bytes))) = (&self.zones, &zones) {
            provenance.push((
                "Zones file".to_string(),
                format!("{} (SHA-256 {})", p.display(), trailfence::sha256_hex(bytes)),
            ));
        }
        let (store, context) = self.input.load_to_disclose(window, subject)?;
        let request = ReportRequest {
            subject: subject.to_string(),
            window,
            tz: self
                .display_tz
                .clone()
                .or_else(|| self.input.tz.clone())
                .unwrap_or_else(|| "Europe/London".into()),
            breach,
            curfew,
            max_map_points: self.max_map_points,
            tile_url: self.tile_url.clone(),
            tile_attribution: self.tile_attribution.clone(),
            provenance,
            ..ReportRequest::new(subject, window)
        };
        Ok(Case {
            store,
            zones,
            request,
            context,
            generation,
        })
    }
}

/// Arguments of `trailfence report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// The HTML file to write.
    #[arg(long, short = 'o')]
    output: PathBuf,
}

/// Runs `report`: one self-contained HTML file.
pub fn run_report(args: ReportArgs) -> Result<(), Failure> {
    let case = args.case.load()?;
    let report = trail_report(&case.store, case.zones.as_ref().map(|z| &z.0), &case.request)?;
    let mut sha256 = None;
    crate::query::write_output(Some(&args.output), |w| {
        let mut h = trailfence::Sha256Writer::new(w);
        report.write_html(&mut h)?;
        sha256 = Some(h.finish());
        Ok(())
    })?;
    let written = trailfence::AuditOutput {
        path: args.output.display().to_string(),
        sha256: sha256.unwrap_or_default(),
    };
    record(&args.case, case.context, "report", written)
}

/// Records a disclosure of the case's subject and window with its output
/// (reads of a file, without a store, have no log).
pub fn record(
    args: &CaseArgs,
    context: Option<trailfence::AccessContext>,
    operation: &str,
    output: trailfence::AuditOutput,
) -> Result<(), Failure> {
    let (Some(dir), Some(context)) = (args.input.store.as_deref(), context) else {
        return Ok(());
    };
    trailfence::record_disclosure(
        dir,
        &context,
        operation,
        vec![args.subject()?.to_string()],
        args.window()?,
        vec![output],
    )?;
    Ok(())
}

/// Arguments of `trailfence evidence`.
#[derive(Debug, Args)]
#[command(subcommand_negates_reqs = true)]
pub struct PackArgs {
    #[command(subcommand)]
    action: Option<PackAction>,
    #[command(flatten)]
    case: CaseArgs,
    /// Where to write the pack: a new folder, or a file ending in .zip.
    #[arg(long, short = 'o', required = true)]
    output: Option<PathBuf>,
}

/// What `trailfence evidence` does besides building a pack.
#[derive(Debug, clap::Subcommand)]
pub enum PackAction {
    /// Check a pack (folder or .zip): every file listed with its size and SHA-256, nothing missing
    /// or added; exit 0 and a JSON summary when intact, exit 2 naming the file otherwise.
    Verify {
        /// The pack folder or zip file.
        pack: PathBuf,
        /// Also require the store's audit log to have recorded this exact pack (its manifest's
        /// SHA-256, or the zip's): finds a manifest edited together with the files.
        #[arg(long)]
        store: Option<PathBuf>,
    },
}

/// Runs `evidence`: builds a pack (recorded in the store's audit log with
/// the manifest's SHA-256), or verifies one.
pub fn run_pack(args: PackArgs) -> Result<(), Failure> {
    if let Some(PackAction::Verify { pack, store }) = args.action {
        let s = trailfence::pack::verify_evidence_pack(&pack)?;
        let mut recorded = None;
        if let Some(dir) = store {
            let mut digests = vec![s.manifest_sha256.clone()];
            if pack.is_file() {
                let bytes = std::fs::read(&pack).map_err(|e| Failure::Io(format!("{}: {e}", pack.display())))?;
                digests.push(trailfence::sha256_hex(&bytes));
            }
            trailfence::verify_audit(&dir)?;
            let r = trailfence::read_audit(&dir)?
                .into_iter()
                .find(|r| r.outputs.iter().any(|o| digests.contains(&o.sha256)))
                .ok_or_else(|| {
                    Failure::Input(format!(
                        "{}: intact as a set of files, but the audit log of {} records no pack with this manifest \
                         (SHA-256 {}): it was edited, or made elsewhere",
                        pack.display(),
                        dir.display(),
                        s.manifest_sha256
                    ))
                })?;
            recorded = Some(serde_json::json!({"seq": r.seq, "time": r.time, "requested_by": r.context.requested_by}));
        }
        let out = serde_json::json!({
            "pack": pack.display().to_string(),
            "intact": true,
            "files": s.manifest.files.len(),
            "manifest_sha256": s.manifest_sha256,
            "subject": s.manifest.subject,
            "window_start": s.manifest.window_start,
            "window_end": s.manifest.window_end,
            "store_generation": s.manifest.store_generation,
            "software": s.manifest.software,
            "audit_record": recorded,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| Failure::Io(e.to_string()))?
        );
        return Ok(());
    }
    let case_args = args.case;
    let Some(output) = args.output else {
        return Err(Failure::Input(
            "give the case (--store/--input, --subject, --from, --to) and --output DIR or FILE.zip, or `evidence verify PACK`".into(),
        ));
    };
    let case = case_args.load()?;
    let pack = trailfence::pack::build_evidence_pack(
        &case.store,
        case.zones.as_ref().map(|(z, b)| (z, b.as_slice())),
        &case.request,
        case.generation,
    )?;
    let written = pack.write_to(&output)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "pack": output.display().to_string(),
            "files": pack.files.len(),
            "fixes": pack.manifest.fixes,
            "manifest_sha256": pack.manifest_sha256(),
        }))
        .map_err(|e| Failure::Io(e.to_string()))?
    );
    record(&case_args, case.context, "evidence-pack", written)
}
