//! Options shared by the query subcommands: input, window, output format and file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use trailfence::durable::{AtomicFile, FileModes};
use trailfence::io::TableFormat;
use trailfence::{parse_time, Window};

use crate::input::InputArgs;
use crate::Failure;

/// Input, window and output of a query.
#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Window start (inclusive): RFC 3339, epoch seconds, or local time with --tz; default: all data.
    #[arg(long)]
    pub from: Option<String>,
    /// Window end (exclusive); default: all data.
    #[arg(long)]
    pub to: Option<String>,
    /// Output format: csv or json.
    #[arg(long, short = 'f', default_value = "csv")]
    pub format: String,
    /// Output file (default: standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

impl QueryArgs {
    /// The query window (unbounded sides when --from/--to are absent).
    pub fn window(&self) -> Result<Window, Failure> {
        let tz = self.input.tz.as_deref();
        let start = self.from.as_deref().map(|s| parse_time(s, tz)).transpose()?;
        let end = self.to.as_deref().map(|s| parse_time(s, tz)).transpose()?;
        Window::try_from_us(start.map(|t| t.as_microsecond()), end.map(|t| t.as_microsecond()))
            .map_err(|_| Failure::Input("--from is after --to".into()))
    }

    /// The table format.
    pub fn format(&self) -> Result<TableFormat, Failure> {
        TableFormat::from_name(&self.format)
            .ok_or_else(|| Failure::Input(format!("--format {:?}: expected csv or json", self.format)))
    }

    /// Writes to --output or standard output.
    pub fn write(&self, f: impl FnOnce(&mut dyn Write) -> Result<(), trailfence::Error>) -> Result<(), Failure> {
        write_output(self.output.as_deref(), f)
    }
}

/// Writes to `path` atomically (owner-only, published only when complete: a
/// full disk or a failure leaves no torn file, and the error names the
/// path), or to standard output.
pub fn write_output(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> Result<(), trailfence::Error>,
) -> Result<(), Failure> {
    match path {
        Some(path) => {
            let mut file = AtomicFile::create(path, FileModes::default())?;
            f(&mut file).map_err(|e| named(e, path))?;
            file.commit()?;
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

/// Writers name their sink `<output>`; here it has a path.
fn named(e: trailfence::Error, path: &Path) -> trailfence::Error {
    match e {
        trailfence::Error::Io { path: p, source } if p == "<output>" => trailfence::Error::Io {
            path: path.display().to_string(),
            source,
        },
        other => other,
    }
}
