//! Per-subject monitor state: the retained fixes (final history, then
//! pending), the tracker snapshots amendments restart from, and what has
//! been reported.

use std::collections::BTreeMap;

use super::checkpoint::{as_pairs, pending_pairs};
use crate::breach::{RawEpisode, TrackFix, ZoneTrackers};

/// Final fixes between two snapshots of a subject's trackers.
pub(super) const SNAPSHOT_EVERY: u32 = 64;

/// A subject's state. Serialised as [`StateRepr`] (the layout of format 1).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "StateRepr", into = "StateRepr")]
pub(super) struct SubjectState {
    pub(super) watermark_us: i64,
    /// The retained fixes, sorted by time: the final ones since the history
    /// horizon (`..n_final`), then the pending ones, not yet final (in-order
    /// arrivals append at the back). One buffer, so a push reads one place.
    /// Every final fix is older than every pending one: a fix is pending
    /// only while newer than the watermark minus the allowed lateness.
    pub(super) fixes: std::collections::VecDeque<TrackFix>,
    /// How many of `fixes` are final.
    pub(super) n_final: usize,
    /// ZoneTrackers after every fix before the history (a snapshot at or before
    /// the horizon).
    pub(super) base: Box<ZoneTrackers>,
    /// Snapshots of `live` taken every [`SNAPSHOT_EVERY`] final fixes: (time
    /// of the last fix fed, trackers). Pruning moves the horizon to the
    /// newest snapshot older than it, so no fix is fed twice.
    pub(super) snaps: Vec<(i64, ZoneTrackers)>,
    /// Final fixes fed since the last snapshot.
    pub(super) since_snap: u32,
    /// ZoneTrackers after every final fix.
    pub(super) live: ZoneTrackers,
    /// Closed episodes reported since the horizon.
    pub(super) closed: BTreeMap<(u32, u8, i64), RawEpisode>,
    /// Open episodes announced as started.
    pub(super) announced: BTreeMap<(u32, u8), RawEpisode>,
    /// Episodes an amendment withdrew or moved to another start, since the
    /// horizon, by (zone, kind, start): an episode derived again at such a
    /// start is reinstated by an amendment, not announced afresh under the
    /// ids the first announcement had.
    pub(super) withdrawn: BTreeMap<(u32, u8, i64), RawEpisode>,
    pub(super) signal_lost: bool,
}

/// A subject's state as checkpoints hold it (format 1): pending fixes as
/// (time, fix) pairs and the history apart.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StateRepr {
    watermark_us: i64,
    #[serde(with = "pending_pairs")]
    pending: Vec<TrackFix>,
    history: Vec<TrackFix>,
    base: Box<ZoneTrackers>,
    #[serde(default)]
    snaps: Vec<(i64, ZoneTrackers)>,
    #[serde(default)]
    since_snap: u32,
    live: ZoneTrackers,
    #[serde(with = "as_pairs")]
    closed: BTreeMap<(u32, u8, i64), RawEpisode>,
    #[serde(with = "as_pairs")]
    announced: BTreeMap<(u32, u8), RawEpisode>,
    /// Absent when empty (checkpoints of earlier releases have none).
    #[serde(default, with = "as_pairs", skip_serializing_if = "BTreeMap::is_empty")]
    withdrawn: BTreeMap<(u32, u8, i64), RawEpisode>,
    signal_lost: bool,
}

impl From<SubjectState> for StateRepr {
    fn from(st: SubjectState) -> Self {
        let mut fixes = st.fixes;
        let pending = fixes.split_off(st.n_final).into();
        StateRepr {
            watermark_us: st.watermark_us,
            pending,
            history: fixes.into(),
            base: st.base,
            snaps: st.snaps,
            since_snap: st.since_snap,
            live: st.live,
            closed: st.closed,
            announced: st.announced,
            withdrawn: st.withdrawn,
            signal_lost: st.signal_lost,
        }
    }
}

impl TryFrom<StateRepr> for SubjectState {
    type Error = String;
    fn try_from(r: StateRepr) -> Result<Self, String> {
        let n_final = r.history.len();
        let mut fixes: std::collections::VecDeque<TrackFix> = r.history.into();
        fixes.extend(r.pending);
        if !fixes.iter().zip(fixes.iter().skip(1)).all(|(a, b)| a.t_us < b.t_us) {
            return Err("a subject's fixes are out of order".into());
        }
        Ok(SubjectState {
            watermark_us: r.watermark_us,
            fixes,
            n_final,
            base: r.base,
            snaps: r.snaps,
            since_snap: r.since_snap,
            live: r.live,
            closed: r.closed,
            announced: r.announced,
            withdrawn: r.withdrawn,
            signal_lost: r.signal_lost,
        })
    }
}
