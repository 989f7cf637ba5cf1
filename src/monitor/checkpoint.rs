//! The checkpoint format (versioned JSON): options, the zone set's ids and
//! content hash, and every subject's state; writing and restoring it.

use std::collections::BTreeMap;

use std::sync::Arc;

use super::amend::recompute;
use super::event::{event_in, Change, EventKind, MonitorEvent, Stamp};
use super::state::SubjectState;
use super::{Ctx, Monitor, MonitorOptions};
use crate::breach::{kind_code, RawEpisode};
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
            zone_ids: (0..self.zones.len()).map(|i| self.zones.key(i)).collect(),
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
        let ids: Vec<String> = (0..zones.len()).map(|i| zones.key(i)).collect();
        if ids != c.zone_ids {
            return Err(Error::format("<checkpoint>", "taken over different zones"));
        }
        if let Some(h) = &c.zones_hash {
            if h != zones.content_hash() {
                return Err(Error::format(
                    "<checkpoint>",
                    format!(
                        "taken over other zones: the ids match, but a geometry, kind, subject list, buffer, \
                         schedule, version or licence condition changed (checkpoint {h}, now {}); resuming would \
                         judge past fixes under the new zones — start a new monitor (or replay the history under \
                         the new zones)",
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

    /// Resumes from a checkpoint taken over *other* zones (a zone added,
    /// removed, moved, re-kinded, rescheduled): the documented migration
    /// instead of a silent reuse (over the checkpoint's own zones it is a
    /// plain [`Monitor::restore`] with no events). Each subject's retained history (the last
    /// `history_s`) is replayed under `zones` from an empty state, and
    /// every change to what was reported is returned as `amended` events —
    /// episodes re-judged, withdrawn (also those of zones no longer in the
    /// set, named by their old id) or reinstated. Episodes that ended before
    /// the retained history stay as they were reported: there are no fixes
    /// left to judge them again; one still open at the start of the history
    /// is re-judged from its first retained fix (its start may move there).
    /// Options are the checkpoint's. Events are stamped with
    /// `processing_time_us`.
    ///
    /// # Errors
    /// [`Error::Format`] for a corrupt checkpoint or an unknown version.
    pub fn restore_migrating(
        zones: ZoneSet,
        bytes: &[u8],
        processing_time_us: i64,
    ) -> Result<(Self, Vec<MonitorEvent>), Error> {
        // Zones unchanged: a plain restore, nothing to amend.
        if let Ok(m) = Self::restore(zones.clone(), bytes) {
            return Ok((m, Vec::new()));
        }
        crate::error::guard("<checkpoint>", || {
            Self::migrate_unguarded(zones, bytes, None, processing_time_us)
        })
    }

    /// Applies new licence conditions to a running monitor — a new zone
    /// version, an absence authorised after the event, a suspension — and
    /// returns the amendments and withdrawals of the episodes they change
    /// (ids deterministic, as for every event). The retained history (the
    /// last `history_s` of each subject) is judged again under `zones`, as
    /// in [`Monitor::restore_migrating`]; with the same zones and
    /// conditions nothing changes and no event is sent.
    ///
    /// # Errors
    /// [`Error::Format`] only if the monitor's own state cannot be carried
    /// over (a bug); the monitor is left unchanged on error.
    pub fn update_conditions(&mut self, zones: ZoneSet, processing_time_us: i64) -> Result<Vec<MonitorEvent>, Error> {
        if zones.content_hash() == self.zones.content_hash() {
            return Ok(Vec::new());
        }
        let bytes = self.checkpoint()?;
        let (m, events) = crate::error::guard("<checkpoint>", || {
            Self::migrate_unguarded(zones, &bytes, None, processing_time_us)
        })?;
        *self = m;
        Ok(events)
    }

    /// [`Monitor::restore_migrating`] under other options as well (an
    /// explicit override: the retained history is judged again under
    /// `options`, e.g. another `max_gap_s` or `assumed_accuracy_m`, and the
    /// differences are returned as amendments).
    ///
    /// # Errors
    /// As [`Monitor::restore_migrating`]; [`Error::Option`] for an invalid option.
    pub fn restore_with_options(
        zones: ZoneSet,
        bytes: &[u8],
        options: MonitorOptions,
        processing_time_us: i64,
    ) -> Result<(Self, Vec<MonitorEvent>), Error> {
        options.validate()?;
        crate::error::guard("<checkpoint>", || {
            Self::migrate_unguarded(zones, bytes, Some(options), processing_time_us)
        })
    }

    fn migrate_unguarded(
        zones: ZoneSet,
        bytes: &[u8],
        options: Option<MonitorOptions>,
        processing_time_us: i64,
    ) -> Result<(Self, Vec<MonitorEvent>), Error> {
        let c: Checkpoint = serde_json::from_slice(bytes)
            .map_err(|e| Error::format_from("<checkpoint>", format!("corrupt: {e}"), e))?;
        if c.version != CHECKPOINT_VERSION {
            return Err(Error::format("<checkpoint>", format!("unknown version {}", c.version)));
        }
        // Zones are matched by key (id, or id@version).
        let number: std::collections::HashMap<String, u32> =
            (0..zones.len()).map(|i| (zones.key(i), i as u32)).collect();
        // Old zone number → new number (None: the zone is gone).
        let remap: Vec<Option<u32>> = c.zone_ids.iter().map(|id| number.get(id.as_str()).copied()).collect();
        let mut m = Monitor::new(zones, options.unwrap_or(c.options))?;
        // An episode's zone under the new set: the version of the same id in
        // force at the episode's start (else the same key, else the id's
        // first version), so what the consumer holds is amended in place
        // rather than withdrawn and announced again under the same id when
        // versions move.
        let mut versions: std::collections::HashMap<String, Vec<(u32, crate::zone::Effective)>> =
            std::collections::HashMap::new();
        for (i, z) in m.zones.zones().iter().enumerate() {
            versions
                .entry(z.zone.id.clone())
                .or_default()
                .push((i as u32, z.zone.effective.clone()));
        }
        let number_for = |e: &RawEpisode| -> Option<u32> {
            let key = c.zone_ids.get(e.zone as usize)?;
            let id = key.split(crate::zone::VERSION_SEPARATOR).next().unwrap_or(key);
            let v = versions.get(id)?;
            v.iter()
                .find(|(_, eff)| eff.contains(e.start_us))
                .map(|(z, _)| *z)
                .or_else(|| remap.get(e.zone as usize).copied().flatten())
                .or_else(|| v.first().map(|(z, _)| *z))
        };
        let p = m.params();
        let mut events = Vec::new();
        for (name, old) in c.subjects {
            let i = m.subject_number(&name);
            let subject = Arc::clone(&m.names[i]);
            let first_kept = old.fixes.iter().take(old.n_final).next().map_or(i64::MAX, |f| f.t_us);
            let mut st = SubjectState {
                watermark_us: old.watermark_us,
                fixes: old.fixes,
                n_final: old.n_final,
                signal_lost: old.signal_lost,
                ..SubjectState::default()
            };
            let mut gone = Vec::new();
            let mut move_to = |e: RawEpisode| -> Option<RawEpisode> {
                match number_for(&e) {
                    Some(z) => Some(RawEpisode { zone: z, ..e }),
                    None => {
                        gone.push(e);
                        None
                    }
                }
            };
            // What the consumer was told and can still be re-judged.
            for e in old.closed.into_values().filter(|e| e.end_us >= first_kept) {
                if let Some(e) = move_to(e) {
                    st.closed.insert((e.zone, kind_code(e.kind), e.start_us), e);
                }
            }
            for e in old.announced.into_values() {
                if let Some(e) = move_to(e) {
                    st.announced.insert((e.zone, kind_code(e.kind)), e);
                }
            }
            // Already withdrawn: kept for reinstatement, never withdrawn again.
            for e in old.withdrawn.into_values() {
                if let Some(z) = number_for(&e) {
                    let e = RawEpisode { zone: z, ..e };
                    st.withdrawn.insert((e.zone, kind_code(e.kind), e.start_us), e);
                }
            }
            let stamp = Stamp {
                subject: &subject,
                zones: &m.zones,
                pt: processing_time_us,
                model: &m.options.evidence,
            };
            for e in &gone {
                let key = c.zone_ids.get(e.zone as usize).map_or("", String::as_str);
                let mut parts = key.splitn(2, crate::zone::VERSION_SEPARATOR);
                let zone: Arc<str> = Arc::from(parts.next().unwrap_or(key));
                let version: Option<Arc<str>> = parts.next().map(Arc::from);
                events.push(event_in(
                    &stamp,
                    Change {
                        kind: EventKind::Amended,
                        episode: None,
                        old: Some(e),
                        closed: false,
                    },
                    st.watermark_us,
                    Some(zone),
                    version,
                ));
            }
            let ctx = Ctx {
                zones: &m.zones,
                opts: &m.options,
                p: &p,
                pt: processing_time_us,
            };
            let at = st.watermark_us;
            recompute(&mut st, &ctx, &mut m.scratch, &subject, at, &mut events);
            m.states[i] = st;
        }
        Ok((m, events))
    }
}
