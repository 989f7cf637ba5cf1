//! The checkpoint format (versioned JSON): options, the zone set's ids and
//! content hash, and every subject's state; writing and restoring it.

use std::collections::BTreeMap;

use super::state::SubjectState;
use super::{Monitor, MonitorOptions};
use crate::error::Error;
use crate::zone::ZoneSet;

/// The versioned checkpoint format.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Checkpoint {
    version: u32,
    options: MonitorOptions,
    zone_ids: Vec<String>,
    /// [`ZoneSet::content_hash`] of the zones (absent in checkpoints of
    /// earlier releases, which are bound by zone ids only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    zones_hash: Option<String>,
    subjects: BTreeMap<String, SubjectState>,
}

pub(super) const CHECKPOINT_VERSION: u32 = 1;

/// Serialises the pending queue as (time, fix) pairs, the format of the
/// time-keyed map it replaced (checkpoints stay readable).
pub(super) mod pending_pairs {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::breach::TrackFix;

    pub fn serialize<S: Serializer>(q: &[TrackFix], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(q.iter().map(|f| (f.t_us, f)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TrackFix>, D::Error> {
        let mut v: Vec<(i64, TrackFix)> = Deserialize::deserialize(d)?;
        v.sort_by_key(|p| p.0);
        Ok(v.into_iter().map(|p| p.1).collect())
    }
}

/// Serialises maps with tuple keys as lists of pairs (JSON keys must be strings).
pub(super) mod as_pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(m: &BTreeMap<K, V>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        let v: Vec<(K, V)> = Deserialize::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

impl Monitor {
    /// Serialises all state (versioned JSON).
    ///
    /// # Errors
    /// Never in practice (serialisation of plain data).
    pub fn checkpoint(&self) -> Result<Vec<u8>, Error> {
        let c = Checkpoint {
            version: CHECKPOINT_VERSION,
            options: self.options,
            zone_ids: self.zones.zones().iter().map(|z| z.zone.id.clone()).collect(),
            zones_hash: Some(self.zones.content_hash().to_string()),
            subjects: self
                .names
                .iter()
                .map(|n| n.to_string())
                .zip(self.states.iter().cloned())
                .collect(),
        };
        serde_json::to_vec(&c).map_err(|e| Error::format_from("<checkpoint>", e.to_string(), e))
    }

    /// Resumes from a checkpoint over the same zones.
    ///
    /// # Errors
    /// [`Error::Format`] for a corrupt checkpoint, an unknown version, or
    /// zones that differ from the checkpoint's.
    pub fn restore(zones: ZoneSet, bytes: &[u8]) -> Result<Self, Error> {
        crate::error::guard("<checkpoint>", || Self::restore_unguarded(zones, bytes))
    }

    fn restore_unguarded(zones: ZoneSet, bytes: &[u8]) -> Result<Self, Error> {
        let c: Checkpoint = serde_json::from_slice(bytes)
            .map_err(|e| Error::format_from("<checkpoint>", format!("corrupt: {e}"), e))?;
        if c.version != CHECKPOINT_VERSION {
            return Err(Error::format("<checkpoint>", format!("unknown version {}", c.version)));
        }
        let ids: Vec<String> = zones.zones().iter().map(|z| z.zone.id.clone()).collect();
        if ids != c.zone_ids {
            return Err(Error::format("<checkpoint>", "taken over different zones"));
        }
        if let Some(h) = &c.zones_hash {
            if h != zones.content_hash() {
                return Err(Error::format(
                    "<checkpoint>",
                    format!(
                        "taken over other zones: the ids match, but a geometry, kind, subject list, buffer or \
                         schedule changed (checkpoint {h}, now {}); resuming would judge past fixes under the \
                         new zones — start a new monitor (or replay the history under the new zones)",
                        zones.content_hash()
                    ),
                ));
            }
        }
        let mut m = Monitor::new(zones, c.options)?;
        for (name, st) in c.subjects {
            let i = m.subject_number(&name);
            m.states[i] = st;
        }
        Ok(m)
    }
}
