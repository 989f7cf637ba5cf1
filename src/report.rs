//! Strict/lenient reading and the itemised report of what was read and skipped.
//!
//! Every reader takes a [`Mode`]. In [`Mode::Strict`] the first bad record is
//! an error; in [`Mode::Lenient`] bad records are skipped and counted in a
//! [`ReadReport`] by [`Reason`], with the first examples kept verbatim, so
//! nothing is dropped silently.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Reason, RecordError};

/// How a reader treats bad records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Fail on the first bad record.
    #[default]
    Strict,
    /// Skip bad records and itemise them in the [`ReadReport`].
    Lenient,
}

/// How many rejected records a report keeps verbatim.
pub const DEFAULT_MAX_EXAMPLES: usize = 20;

/// What a reader read, accepted and skipped.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ReadReport {
    /// The input's name.
    pub source_name: String,
    /// Records seen (data rows, features, track points).
    pub records: u64,
    /// Records accepted as fixes.
    pub accepted: u64,
    /// Records skipped (lenient mode only).
    pub skipped: u64,
    /// Skipped records counted by reason.
    pub skipped_by_reason: BTreeMap<Reason, u64>,
    /// The first skipped records, verbatim (at most `max_examples`).
    pub examples: Vec<RecordError>,
    /// How many examples are kept.
    pub max_examples: usize,
}

impl ReadReport {
    /// An empty report for `source_name`.
    pub fn new(source_name: &str) -> Self {
        ReadReport {
            source_name: source_name.to_string(),
            max_examples: DEFAULT_MAX_EXAMPLES,
            ..Default::default()
        }
    }

    /// Records a rejected record: an error in strict mode, a counted skip otherwise.
    ///
    /// # Errors
    /// [`Error::Record`] in strict mode.
    pub fn reject(&mut self, mode: Mode, err: RecordError) -> Result<(), Error> {
        match mode {
            Mode::Strict => Err(Error::Record(err)),
            Mode::Lenient => {
                self.skipped += 1;
                *self.skipped_by_reason.entry(err.reason).or_insert(0) += 1;
                if self.examples.len() < self.max_examples {
                    self.examples.push(err);
                }
                Ok(())
            }
        }
    }

    /// Adds another report's counts into this one (examples up to the limit).
    pub fn merge(&mut self, other: ReadReport) {
        self.records += other.records;
        self.accepted += other.accepted;
        self.skipped += other.skipped;
        for (k, v) in other.skipped_by_reason {
            *self.skipped_by_reason.entry(k).or_insert(0) += v;
        }
        for e in other.examples {
            if self.examples.len() < self.max_examples {
                self.examples.push(e);
            }
        }
    }
}

impl fmt::Display for ReadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} records, {} accepted, {} skipped",
            self.source_name, self.records, self.accepted, self.skipped
        )?;
        for (reason, n) in &self.skipped_by_reason {
            writeln!(f, "  {n:>8}  {reason}")?;
        }
        if !self.examples.is_empty() {
            writeln!(f, "  first {} skipped:", self.examples.len())?;
            for e in &self.examples {
                writeln!(f, "    {e}")?;
            }
        }
        Ok(())
    }
}
