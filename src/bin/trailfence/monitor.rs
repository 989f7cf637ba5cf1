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
use trailfence::io::{CsvFixStream, ReadOptions};
use trailfence::{read_zones, EventId, Monitor, MonitorEvent, MonitorOptions};

use crate::evidence::EvidenceArgs;
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
    /// Allowed lateness, seconds [default: the core's, 300].
    #[arg(long)]
    allowed_lateness_s: Option<f64>,
    /// Longest interpolated interval, seconds [default: 600].
    #[arg(long)]
    max_gap_s: Option<f64>,
    /// Fixes kept per subject for amendments, seconds [default: 21600].
    #[arg(long)]
    history_s: Option<f64>,
    /// No fix for this long while a zone applies is `signal_lost`, seconds [default: 900].
    #[arg(long)]
    signal_loss_s: Option<f64>,
    /// Accuracy assumed for fixes reporting none, metres [default: such fixes never confirm].
    #[arg(long)]
    assumed_accuracy_m: Option<f64>,
    #[command(flatten)]
    evidence: EvidenceArgs,
    /// Where invalid records go, one JSON line each with its line and reason
    /// [default: the events file with `.rejected.jsonl` appended].
    #[arg(long)]
    dead_letter: Option<PathBuf>,
    /// Stop (exit 2) once more than this many records of the stream are invalid [default: never].
    #[arg(long)]
    max_bad: Option<u64>,
    /// At the end of the input, checkpoint without closing open episodes, so
    /// a later run continues with the file's appended records or with the
    /// next (rotated) file as one stream.
    #[arg(long)]
    no_finish: bool,
    /// The zones changed since the checkpoint: replay each subject's
    /// retained history under them and log the differences as amendments
    /// (without this flag a changed zone set is refused). Episodes that
    /// ended before the retained history keep their verdict.
    #[arg(long)]
    migrate_zones: bool,
    /// Options given here that differ from the checkpoint's replace them:
    /// the retained history is judged again under them and the differences
    /// are logged as amendments (without this flag they are refused).
    #[arg(long)]
    override_options: bool,
}

impl MonitorArgs {
    /// The options given, over the core's defaults.
    fn options(&self) -> MonitorOptions {
        let d = MonitorOptions::default();
        MonitorOptions {
            max_gap_s: self.max_gap_s.unwrap_or(d.max_gap_s),
            allowed_lateness_s: self.allowed_lateness_s.unwrap_or(d.allowed_lateness_s),
            history_s: self.history_s.unwrap_or(d.history_s),
            signal_loss_s: self.signal_loss_s.unwrap_or(d.signal_loss_s),
            assumed_accuracy_m: self.assumed_accuracy_m.or(d.assumed_accuracy_m),
            evidence: self.evidence.over(d.evidence),
        }
    }

    /// The checkpoint's options with the ones given here in their place.
    fn over(&self, saved: MonitorOptions) -> MonitorOptions {
        MonitorOptions {
            max_gap_s: self.max_gap_s.unwrap_or(saved.max_gap_s),
            allowed_lateness_s: self.allowed_lateness_s.unwrap_or(saved.allowed_lateness_s),
            history_s: self.history_s.unwrap_or(saved.history_s),
            signal_loss_s: self.signal_loss_s.unwrap_or(saved.signal_loss_s),
            assumed_accuracy_m: self.assumed_accuracy_m.or(saved.assumed_accuracy_m),
            evidence: self.evidence.over(saved.evidence),
        }
    }

    /// Refuses options given at a restart that differ from the checkpoint's:
    /// they used to be ignored silently.
    fn check_against(&self, saved: MonitorOptions) -> Result<(), Failure> {
        let given = self.evidence.given_against(&saved.evidence);
        let given = given.into_iter().chain([
            ("--max-gap-s", self.max_gap_s, Some(saved.max_gap_s)),
            (
                "--allowed-lateness-s",
                self.allowed_lateness_s,
                Some(saved.allowed_lateness_s),
            ),
            ("--history-s", self.history_s, Some(saved.history_s)),
            ("--signal-loss-s", self.signal_loss_s, Some(saved.signal_loss_s)),
            (
                "--assumed-accuracy-m",
                self.assumed_accuracy_m,
                saved.assumed_accuracy_m,
            ),
        ]);
        for (flag, value, saved) in given {
            if let Some(v) = value {
                if Some(v) != saved {
                    return Err(Failure::Input(format!(
                        "{flag} {v} differs from the checkpoint's ({}): a restart continues under the options \
                         the stream began with; to change them, give --override-options (the retained history \
                         is judged again under them) or start a new checkpoint and events file",
                        saved.map_or("none".to_string(), |s| s.to_string())
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The checkpoint file: the monitor's state and how far into which input
/// file it got.
#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope {
    /// Records consumed over the whole stream (all files).
    consumed: u64,
    state: String,
    /// The input file's identity and the byte offset after the last record
    /// consumed (absent in checkpoints of earlier releases: then `consumed`
    /// records are skipped, as before).
    #[serde(default)]
    source: Option<SourceMark>,
    /// Taken at the end of the input, after every open episode was closed.
    #[serde(default)]
    finished: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct SourceMark {
    dev: u64,
    ino: u64,
    offset: u64,
}

/// The identity (device, inode) of a file, where the platform has one.
fn identity(path: &Path) -> Result<Option<(u64, u64, u64)>, Failure> {
    let m = fs::metadata(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(Some((m.dev(), m.ino(), m.len())))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        Ok(None)
    }
}

/// Which records of the input a restart skips.
enum Resume {
    /// A fresh start, or a new (rotated) input file: none.
    Nothing,
    /// The same file: those ending at or before this byte offset.
    Bytes(u64),
    /// A checkpoint of an earlier release: this many records.
    Count(u64),
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

/// Invalid stream records, one JSON line each (`line`, `error`, `record`),
/// each line once across restarts.
struct DeadLetters {
    path: PathBuf,
    file: File,
    lines: HashSet<u64>,
}

impl DeadLetters {
    fn open(path: &Path) -> Result<Self, Failure> {
        let mut lines = HashSet::new();
        if let Ok(text) = fs::read_to_string(path) {
            for l in text.lines() {
                if let Some(n) = serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v["line"].as_u64())
                {
                    lines.insert(n);
                }
            }
        }
        let mut o = OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, trailfence::durable::FileModes::default().file);
        let file = o.open(path).map_err(io(path))?;
        Ok(DeadLetters {
            path: path.to_path_buf(),
            file,
            lines,
        })
    }

    fn reject(&mut self, line: u64, record: &str, why: &str) -> Result<(), Failure> {
        if self.lines.insert(line) {
            let mut text = serde_json::json!({ "line": line, "error": why, "record": record }).to_string();
            text.push('\n');
            self.file.write_all(text.as_bytes()).map_err(io(&self.path))?;
        }
        Ok(())
    }

    fn count(&self) -> u64 {
        self.lines.len() as u64
    }

    fn sync(&self) -> Result<(), Failure> {
        self.file.sync_all().map_err(io(&self.path))
    }
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
    let now = identity(&args.input)?;
    let mut migration = Vec::new();
    let (mut monitor, consumed, resume, finished) = match fs::read(&args.checkpoint) {
        Ok(bytes) => {
            let env: Envelope = serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Input(format!("{}: corrupt checkpoint: {e}", args.checkpoint.display())))?;
            let m = if args.migrate_zones {
                // Over the checkpoint's own zones this is a plain restore.
                let pt = jiff::Timestamp::now().as_microsecond();
                let (m, events) = Monitor::restore_migrating(zones.clone(), env.state.as_bytes(), pt)?;
                if !events.is_empty() {
                    eprintln!(
                        "trailfence: zones changed since the checkpoint: history replayed under them, {} amendments",
                        events.len()
                    );
                }
                migration = events;
                m
            } else {
                Monitor::restore(zones.clone(), env.state.as_bytes()).map_err(|e| match e {
                    // Only the hint is added; the refusal itself is the core's.
                    trailfence::Error::Format { ref reason, .. } if reason.contains("zones") => {
                        Failure::Input(format!(
                            "{}: {e} (give --migrate-zones to replay the retained history under the new zones)",
                            args.checkpoint.display()
                        ))
                    }
                    e => e.into(),
                })?
            };
            let m = if args.override_options && args.over(m.options()) != m.options() {
                let pt = jiff::Timestamp::now().as_microsecond();
                let (m, events) =
                    Monitor::restore_with_options(zones.clone(), env.state.as_bytes(), args.over(m.options()), pt)?;
                eprintln!(
                    "trailfence: options changed since the checkpoint: history judged again under them, {} amendments",
                    events.len()
                );
                // This replay also applies any zone migration: its events
                // replace the migration's (both start from the checkpoint).
                migration = events;
                m
            } else {
                args.check_against(m.options())?;
                m
            };
            // The position is bound to the file: a rotated input (a new
            // file) is read from its start instead of skipping its first
            // `consumed` records, an appended one from where it was left.
            let resume = match (env.source, now) {
                (Some(s), Some((dev, ino, len))) if (s.dev, s.ino) == (dev, ino) => {
                    if len < s.offset {
                        return Err(Failure::Input(format!(
                            "{}: the input is shorter ({len} bytes) than at the checkpoint ({} bytes): it was \
                             truncated or rewritten in place; give the rest of the stream as a new file",
                            args.input.display(),
                            s.offset
                        )));
                    }
                    Resume::Bytes(s.offset)
                }
                (Some(_), _) => {
                    eprintln!(
                        "trailfence: {} is not the file of the checkpoint (rotated): reading it from its start",
                        args.input.display()
                    );
                    Resume::Nothing
                }
                (None, _) => Resume::Count(env.consumed),
            };
            (m, env.consumed, resume, env.finished)
        }
        // Only a checkpoint that does not exist starts afresh; one that
        // cannot be read must not silently restart the stream.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (Monitor::new(zones, args.options())?, 0, Resume::Nothing, false)
        }
        Err(e) => return Err(io(&args.checkpoint)(e)),
    };
    let dead_path = args.dead_letter.clone().unwrap_or_else(|| {
        let mut p = args.events.clone().into_os_string();
        p.push(".rejected.jsonl");
        PathBuf::from(p)
    });
    let mut dead = DeadLetters::open(&dead_path)?;
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
    emit(std::mem::take(&mut migration), &mut log)?;
    // The one CSV fix reader (columns by header name, the batch readers'
    // validation); a `subject,time,lat,lon` stream used to be read by
    // position (coordinates swapped), and a stream without a header lost its
    // first fix to it.
    let file = File::open(&args.input).map_err(io(&args.input))?;
    let mut stream = CsvFixStream::new(
        BufReader::new(file),
        &args.input.display().to_string(),
        &ReadOptions::default(),
    )?;
    // A checkpoint: the state, the records consumed and the position in
    // this input file after them.
    let save = |monitor: &Monitor, consumed: u64, offset: u64, finished: bool| -> Result<(), Failure> {
        let state = String::from_utf8(monitor.checkpoint()?).map_err(|e| Failure::Io(e.to_string()))?;
        let source = now.map(|(dev, ino, _)| SourceMark { dev, ino, offset });
        write_checkpoint(
            &args.checkpoint,
            &Envelope {
                consumed,
                state,
                source,
                finished,
            },
        )
    };
    let mut n = match resume {
        Resume::Count(_) => 0,
        _ => consumed,
    };
    let mut offset = 0u64;
    while let Some(rec) = stream.next_record()? {
        let line = rec.line;
        offset = rec.end_byte;
        match resume {
            Resume::Bytes(done) if offset <= done => continue,
            Resume::Count(done) => {
                n += 1;
                if n <= done {
                    continue;
                }
            }
            _ => n += 1,
        }
        if finished {
            return Err(Failure::Input(format!(
                "{}: line {line}: the checkpoint was taken at the end of a finished stream (every open episode \
                 was closed then); resuming with more records would report those episodes twice: start a new \
                 checkpoint and events file for the new records",
                args.input.display()
            )));
        }
        // An invalid record goes to the dead letters and monitoring goes on
        // for everyone (one bad fix used to halt the whole stream, and a
        // restart stopped at the same line).
        let why = |r: &trailfence::RecordError| format!("field `{}`: {}", r.field, r.reason);
        let pushed = match &rec.fix {
            Ok(f) => {
                let fix = f.track_fix();
                match monitor.push(f.subject, fix, fix.t_us) {
                    Ok(events) => Ok(events),
                    Err(trailfence::Error::Record(r)) => Err(why(&r)),
                    Err(e) => return Err(e.into()),
                }
            }
            Err(r) => Err(why(r)),
        };
        match pushed {
            Ok(events) => emit(events, &mut log)?,
            Err(why) => {
                dead.reject(line, &stream.current_raw(), &why)?;
                if args.max_bad.is_some_and(|m| dead.count() > m) {
                    return Err(Failure::Input(format!(
                        "{}: line {line}: {why}; {} invalid records (more than --max-bad {}), listed in {}",
                        args.input.display(),
                        dead.count(),
                        args.max_bad.unwrap_or(0),
                        dead_path.display()
                    )));
                }
            }
        }
        if n.is_multiple_of(args.checkpoint_every) {
            // Everything up to the checkpoint's position is durable first:
            // events and dead letters of records a restart will not re-read.
            log.sync_all().map_err(io(&args.events))?;
            dead.sync()?;
            save(&monitor, n, offset, false)?;
        }
    }
    if !args.no_finish {
        emit(monitor.finish(0), &mut log)?;
    }
    log.sync_all().map_err(io(&args.events))?;
    dead.sync()?;
    if dead.count() > 0 {
        eprintln!(
            "trailfence: {} invalid records set aside in {} (monitoring went on)",
            dead.count(),
            dead_path.display()
        );
    }
    let end = offset.max(match resume {
        Resume::Bytes(done) => done,
        _ => 0,
    });
    save(&monitor, n, end, !args.no_finish)
}
