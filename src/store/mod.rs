//! `TrailStore`: ingest fixes, keep one time-sorted [`Trail`] per subject, and
//! index every trail in (lon, lat, time) with an R-tree.
//!
//! Ingest goes through [`TrailStoreBuilder`], which places out-of-order fixes
//! in order, drops exact duplicates (counted) and keeps conflicting fixes
//! (same subject and instant, different positions) out of the trails, reported
//! in the [`IngestSummary`]. The built store is immutable and cheap to query
//! from many threads.

mod builder;
mod index;
mod manifest;
mod parquet;
mod purge;
mod request;
mod upkeep;

#[cfg(test)]
#[path = "fault_tests.rs"]
mod fault_tests;

pub use builder::{Conflict, IngestSummary, TrailStoreBuilder};
pub use index::{SegmentRef, SegmentRun, RUN_LEN};
pub use parquet::{CompactSummary, ImportSummary, ParquetStore, StoredFile, DEFAULT_BUCKETS, MAX_FILES_PER_PARTITION};
pub use purge::{PurgeRequest, PurgeSummary};
pub use request::TrailRequest;

/// Parses and checks manifest bytes (for the fuzz target): the listed paths.
pub(crate) fn parse_manifest(bytes: &[u8]) -> Result<Vec<String>, Error> {
    Ok(manifest::Manifest::parse(bytes, "fuzz-manifest.json")?
        .files
        .into_iter()
        .map(|f| f.path)
        .collect())
}
pub use upkeep::{ProblemKind, StoreProblem, VerifyReport, QUARANTINE};

use std::collections::HashMap;

use rstar::RTree;

use crate::error::Error;
use crate::trail::{Trail, DEFAULT_MAX_GAP_S};

/// Options fixed when a store is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreOptions {
    /// Longest interval between consecutive fixes that is interpolated, in
    /// seconds (default 600). Longer intervals are gaps ("no data").
    pub max_gap_s: f64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_gap_s: DEFAULT_MAX_GAP_S,
        }
    }
}

/// An in-memory, immutable store of trails with a (lon, lat, t) R-tree.
#[derive(Debug)]
pub struct TrailStore {
    options: StoreOptions,
    subjects: Vec<String>,
    lookup: HashMap<String, u32>,
    trails: Vec<Trail>,
    index: RTree<SegmentRun>,
    summary: IngestSummary,
    max_accuracy_m: f64,
}

impl TrailStore {
    /// A builder with default options.
    pub fn builder() -> TrailStoreBuilder {
        TrailStoreBuilder::new(StoreOptions::default())
    }

    /// The options the store was built with.
    pub fn options(&self) -> StoreOptions {
        self.options
    }

    /// Longest interpolated interval between fixes, seconds.
    pub fn max_gap_s(&self) -> f64 {
        self.options.max_gap_s
    }

    /// Subject ids in the order they were first seen.
    pub fn subjects(&self) -> &[String] {
        &self.subjects
    }

    /// Number of subjects.
    pub fn subject_count(&self) -> usize {
        self.subjects.len()
    }

    /// Total fixes stored (after dropping duplicates and conflicts).
    pub fn fix_count(&self) -> usize {
        self.trails.iter().map(Trail::len).sum()
    }

    /// The largest accuracy radius any fix reports, metres (0 if none).
    pub fn max_accuracy_m(&self) -> f64 {
        self.max_accuracy_m
    }

    /// What ingest dropped and set aside.
    pub fn ingest_summary(&self) -> &IngestSummary {
        &self.summary
    }

    /// The internal number of a subject.
    pub fn subject_index(&self, subject: &str) -> Option<usize> {
        self.lookup.get(subject).map(|&i| i as usize)
    }

    /// The trail of subject number `i` (see [`TrailStore::subject_index`]).
    pub fn trail_at(&self, i: usize) -> &Trail {
        &self.trails[i]
    }

    /// A subject's whole trail.
    ///
    /// # Errors
    /// [`Error::UnknownSubject`].
    pub fn trail_of(&self, subject: &str) -> Result<&Trail, Error> {
        self.subject_index(subject)
            .map(|i| &self.trails[i])
            .ok_or_else(|| Error::UnknownSubject(subject.to_string()))
    }

    /// The R-tree over runs of consecutive fixes, in (lon°, lat°, t seconds
    /// since epoch): an implementation detail (the rstar type is not part of
    /// the API).
    pub(crate) fn index(&self) -> &RTree<SegmentRun> {
        &self.index
    }

    /// Number of indexed runs of up to [`crate::RUN_LEN`] segments (for
    /// tuning and profiling).
    pub fn run_count(&self) -> usize {
        self.index.size()
    }

    /// Approximate heap bytes held: trail columns, subject names and the R-tree.
    pub fn heap_bytes(&self) -> usize {
        let trails: usize = self.trails.iter().map(Trail::heap_bytes).sum();
        let names: usize = self.subjects.iter().map(|s| s.capacity() * 2 + 48).sum();
        // rstar stores each element once in a leaf node entry plus parent nodes
        // (fan-out 6); count entries generously at the size of the node enum.
        let entries = self.index.size() as f64 * 1.25;
        let idx = (entries * (std::mem::size_of::<SegmentRun>() + 16) as f64) as usize;
        trails + names + idx + self.trails.capacity() * std::mem::size_of::<Trail>()
    }
}
