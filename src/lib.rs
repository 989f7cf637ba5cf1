//! # trailfence
//!
//! Index GPS location trails of tagged people and answer time-window trail
//! requests, zone breaches, curfew compliance and crime-scene proximity
//! questions in microseconds.
//!
//! * A [`Fix`] is one GPS reading: subject, UTC instant, WGS84 longitude and
//!   latitude in degrees (x = longitude, y = latitude), optional horizontal
//!   accuracy in metres.
//! * A [`Trail`] is one subject's fixes, column-wise and strictly increasing in
//!   time. Between consecutive fixes at most `max_gap_s` apart (default 600 s)
//!   the position is linear in lon/lat; longer gaps are "no data".
//! * A [`TrailStore`] holds every subject's trail and an R-tree over runs of
//!   fixes in (lon, lat, t).
//! * Time windows are half-open, [`Window`] = `[start, end)`.
//!
//! ```
//! use trailfence::{io, parse_time, TrailStore, Window};
//! let csv = "subject,time,lon,lat,accuracy_m\n\
//!            S1,2024-10-27T00:59:00Z,-0.1276,51.5072,8\n\
//!            S1,2024-10-27T01:00:00Z,-0.1275,51.5073,9\n";
//! let mut builder = TrailStore::builder();
//! let report = io::read_csv_from(csv.as_bytes(), "inline.csv", &Default::default(), &mut builder)?;
//! assert_eq!(report.accepted, 2);
//! let store = builder.build();
//! let window = Window::new(parse_time("2024-10-27T01:00:00+01:00", None)?, parse_time("2024-10-27T01:00:00Z", None)?)?;
//! assert_eq!(store.trail("S1", window)?.len(), 1);
//! # Ok::<(), trailfence::Error>(())
//! ```

#![deny(missing_docs)]

mod audit;
mod breach;
mod curfew;
pub mod durable;
mod error;
pub mod evidence;
mod fix;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod generate;
pub mod geodesy;
mod geoparquet;
mod hash;
mod heatmap;
pub mod io;
mod monitor;
mod near;
mod options;
pub mod pack;
mod proximity;
mod report;
mod stops;
mod store;
mod time;
mod trail;
pub mod trail_report;
mod zone;

pub use audit::{
    append_audit, check_access, read_audit, record_disclosure, requires_access_context, set_access_policy, sha256_hex,
    verify_audit, AccessContext, AuditEntry, AuditOutput, AuditRecord, AuditSummary, Sha256Writer, ACCESS_POLICY,
    AUDIT_HEAD, AUDIT_LOG,
};
pub use breach::{
    breach_evidence, breaches, evidence_of, fix_zone_hits, BreachEpisode, BreachOptions, Confidence, EpisodeKind,
    EvidenceFix, FixZoneHit, TrackFix,
};
pub use curfew::{curfew, CurfewOptions, CurfewRow};
pub use error::{Error, Location, Reason, RecordError, Result};
pub use fix::{validate_accuracy, validate_position, validate_subject, Field, Fix, MAX_ACCURACY_M, MAX_SUBJECT_BYTES};
pub use heatmap::{dwell_counts, h3_cell, heatmap, DwellCounts, Heatmap, HeatmapCell};
pub use monitor::{EventId, EventKind, Monitor, MonitorEvent, MonitorOptions};
pub use near::{near, near_many, Incident, IncidentRow, NearRow, Target, Verdict};
pub use options::{
    DEFAULT_H3_RESOLUTION, DEFAULT_MIN_SUBJECTS, DEFAULT_STOP_MIN_DURATION_S, DEFAULT_STOP_RADIUS_M, MAX_DISTANCE_M,
    MAX_DURATION_S,
};
pub use proximity::{proximity, ProximityEpisode};
pub use report::{Mode, ReadReport, DEFAULT_MAX_EXAMPLES};
pub use stops::{stops, Stop};
pub use store::{
    CompactSummary, Conflict, ImportSummary, IngestSummary, ParquetStore, ProblemKind, PurgeRequest, PurgeSummary,
    SegmentRef, SegmentRun, StoreOptions, StoreProblem, StoredFile, TrailRequest, TrailStore, TrailStoreBuilder,
    VerifyReport, DEFAULT_BUCKETS, MAX_FILES_PER_PARTITION, QUARANTINE, RUN_LEN,
};
pub use time::{from_us, parse_time, to_us, wall_clock_to_us, TimeFormat, TimeParser, Window};
pub use trail::{FixRef, Gap, Trail, DEFAULT_MAX_GAP_S};
/// Engine internals, for the oracle tests that drive one tracker by hand
/// (feature `internals`, which the test command enables): not a stable API.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::breach::{EngineParams, EpisodeTracker, RawEpisode};
}

pub use zone::{
    read_zones, resolve_local, zones_from_geojson_bytes, zones_from_geojson_str, Absence, Circle, Conditions,
    Effective, Lifted, PointLocation, PreparedPolygon, PreparedZone, Region, Schedule, Suspension, WeeklyWindow, Zone,
    ZoneKind, ZoneSet, ZoneShape, MAX_SCHEDULE_WINDOWS, MAX_ZONE_VERTICES, MIN_RING_AREA_M2, VERSION_SEPARATOR,
};
