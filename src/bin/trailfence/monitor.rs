//! `trailfence monitor`: run the streaming monitor over a recorded stream of
//! fixes (CSV in arrival order), checkpointing as it goes, so a killed process
//! restarted with the same arguments resumes where its last checkpoint was and
//! the events log ends up with every event exactly once.
//!
//! Crash safety: events are appended to the log (JSON lines) and flushed and
//! fsynced *before* each checkpoint is written (temporary file, fsync, rename),
//! so every event of the records a checkpoint claims is in the log. After a
//! restart the records since the checkpoint are replayed; the events they
//! regenerate carry the same deterministic ids and are skipped when already in
//! the log. A torn last line of the log is dropped.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use trailfence::{read_zones, EventId, Monitor, MonitorEvent, MonitorOptions, TimeFormat, TimeParser, TrackFix};

use crate::Failure;

/// Arguments of `trailfence monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Zones file (GeoJSON).
    #[arg(long, short = 'z')]
    zones: PathBuf,
    /// Stream of fixes in arrival order: CSV subject,time,lon,lat[,accuracy_m].
    #[arg(long, short = 'i')]
    input: PathBuf,
    /// Events log (JSON lines), appended to.
    #[arg(long)]
    events: PathBuf,
    /// Checkpoint file (resumed from when it exists).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Records between checkpoints (at least 1).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
    /// Allowed lateness, seconds.
    #[arg(long, default_value_t = MonitorOptions::default().allowed_lateness_s)]
    allowed_lateness_s: f64,
    /// Longest interpolated interval, seconds.
    #[arg(long, default_value_t = MonitorOptions::default().max_gap_s)]
    max_gap_s: f64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope {
    consumed: u64,
    state: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| Failure::Io(format!("{}: {e}", path.display()))
}

/// Reads the ids already logged, dropping a torn last line.
fn logged_ids(path: &Path) -> Result<HashSet<EventId>, Failure> {
    let mut ids = HashSet::new();
    let Ok(text) = fs::read_to_string(path) else {
        return Ok(ids);
    };
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    if complete.len() != text.len() {
        trailfence::durable::write_atomic(path, complete.as_bytes(), trailfence::durable::FileModes::default())?;
    }
    for line in complete.lines() {
        let e: MonitorEvent = serde_json::from_str(line)
            .map_err(|e| Failure::Input(format!("{}: corrupt event line: {e}", path.display())))?;
        ids.insert(e.id);
    }
    Ok(ids)
}

/// Writes the checkpoint atomically and owner-only; the temporary name is
/// reserved (never a user's path such as `run.tmp`).
fn write_checkpoint(path: &Path, env: &Envelope) -> Result<(), Failure> {
    let bytes = serde_json::to_vec(env).map_err(|e| Failure::Io(e.to_string()))?;
    trailfence::durable::write_atomic(path, &bytes, trailfence::durable::FileModes::default())?;
    Ok(())
}

/// Runs the monitor.
pub fn run(args: MonitorArgs) -> Result<(), Failure> {
    let zones = read_zones(&args.zones)?;
    let options = MonitorOptions {
        allowed_lateness_s: args.allowed_lateness_s,
        max_gap_s: args.max_gap_s,
        ..Default::default()
    };
    let (mut monitor, consumed) = match fs::read(&args.checkpoint) {
        Ok(bytes) => {
            let env: Envelope = serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Input(format!("{}: corrupt checkpoint: {e}", args.checkpoint.display())))?;
            (Monitor::restore(zones, env.state.as_bytes())?, env.consumed)
        }
        Err(_) => (Monitor::new(zones, options)?, 0),
    };
    let mut seen = logged_ids(&args.events)?;
    let mut log = OpenOptions::new();
    log.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut log, trailfence::durable::FileModes::default().file);
    let mut log = log.open(&args.events).map_err(io(&args.events))?;
    let mut emit = |events: Vec<MonitorEvent>, log: &mut File| -> Result<(), Failure> {
        for e in events {
            if seen.insert(e.id) {
                let mut line = serde_json::to_string(&e).map_err(|e| Failure::Io(e.to_string()))?;
                line.push('\n');
                log.write_all(line.as_bytes()).map_err(io(&args.events))?;
            }
        }
        Ok(())
    };
    let parser = TimeParser::new(TimeFormat::Auto);
    let file = File::open(&args.input).map_err(io(&args.input))?;
    let mut rdr = csv::ReaderBuilder::new().from_reader(BufReader::new(file));
    // Columns by name, as every other reader: a `subject,time,lat,lon`
    // stream used to be read by position (coordinates swapped), and a
    // stream without a header lost its first fix to it.
    let header = rdr
        .headers()
        .map_err(|e| Failure::Input(format!("{}: line 1: {e}", args.input.display())))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(cs), Some(ct), Some(cx), Some(cy)) = (col("subject"), col("time"), col("lon"), col("lat")) else {
        return Err(Failure::Input(format!(
            "{}: line 1: the header must name the columns subject, time, lon, lat (and optionally accuracy_m); got {:?}",
            args.input.display(),
            header.iter().collect::<Vec<_>>().join(",")
        )));
    };
    let ca = col("accuracy_m");
    let mut n = 0u64;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Failure::Input(format!("{}: {e}", args.input.display())))?;
        let line = rec.position().map_or(0, |p| p.line());
        n += 1;
        if n <= consumed {
            continue;
        }
        let bad = |field: &str, why: String| {
            Failure::Input(format!("{}: line {line}: field `{field}`: {why}", args.input.display()))
        };
        let t = parser
            .parse(rec.get(ct).unwrap_or(""))
            .map_err(|r| bad("time", r.to_string()))?;
        let num = |k: usize, f: &str| -> Result<f64, Failure> {
            rec.get(k)
                .unwrap_or("")
                .trim()
                .parse::<f64>()
                .map_err(|_| bad(f, "not a number".into()))
        };
        let acc = match ca.and_then(|c| rec.get(c)).map(str::trim) {
            Some("") | None => None,
            Some(_) => Some(num(ca.unwrap_or(usize::MAX), "accuracy_m")? as f32),
        };
        let fix = TrackFix {
            t_us: t.as_microsecond(),
            lon: num(cx, "lon")?,
            lat: num(cy, "lat")?,
            accuracy_m: acc,
        };
        let events = monitor
            .push(rec.get(cs).unwrap_or(""), fix, fix.t_us)
            .map_err(|e| Failure::Input(format!("{}: line {line}: {e}", args.input.display())))?;
        emit(events, &mut log)?;
        if n.is_multiple_of(args.checkpoint_every) {
            log.sync_all().map_err(io(&args.events))?;
            let state = String::from_utf8(monitor.checkpoint()?).map_err(|e| Failure::Io(e.to_string()))?;
            write_checkpoint(&args.checkpoint, &Envelope { consumed: n, state })?;
        }
    }
    emit(monitor.finish(0), &mut log)?;
    log.sync_all().map_err(io(&args.events))?;
    let state = String::from_utf8(monitor.checkpoint()?).map_err(|e| Failure::Io(e.to_string()))?;
    write_checkpoint(&args.checkpoint, &Envelope { consumed: n, state })?;
    Ok(())
}
