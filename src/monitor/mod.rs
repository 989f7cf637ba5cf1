//! The streaming monitor: live breach and curfew events from fixes as they
//! arrive, judged by when they were taken, correct under late and
//! out-of-order fixes, restart-safe.
//!
//! Per subject the monitor keeps a watermark (the latest fix time seen). A
//! fix becomes *final* once it is more than `allowed_lateness_s` behind the
//! watermark; final fixes are fed, in time order, to the same
//! [`EpisodeTracker`]s the batch evaluation uses, so streaming and batch give
//! the same episodes. A fix that arrives later than that is still recorded:
//! the subject's episodes are recomputed from a snapshot of the trackers at
//! the start of the retained history (`history_s`) and every change to an
//! episode already reported is emitted as an `amended` event. State per
//! subject is bounded by `history_s` of fixes, not by trail length.
//!
//! Event ids are deterministic (a stable hash of subject, zone, kind, event
//! type and the episode's interval), so a consumer can de-duplicate events
//! re-emitted after a restart from a checkpoint.
//!
//! Throughput: [`Monitor::push_many`] evaluates a batch's subjects in
//! parallel and touches each subject's state once per batch; with many
//! interleaved subjects a subject's state is cold at each visit, so batches
//! holding several fixes per subject are several times faster than
//! [`Monitor::push`] fix by fix (DESIGN.md, "Streaming monitor").

use std::sync::Arc;

mod amend;
mod checkpoint;
mod event;
mod state;

use self::amend::{feed_final, prune, recompute, report_closed};
use self::event::Stamp;
pub use self::event::{EventId, EventKind, MonitorEvent};
use self::state::SubjectState;
use crate::breach::{EngineParams, Scratch, TrackFix};
use crate::error::Error;
use crate::evidence::EvidenceModel;
use crate::zone::ZoneSet;
/// Monitor settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MonitorOptions {
    /// Longest interpolated interval between fixes, seconds (default 600).
    pub max_gap_s: f64,
    /// How far behind the watermark a fix may arrive and still be processed
    /// in order, seconds (default 300). Later fixes produce amendments.
    pub allowed_lateness_s: f64,
    /// Fixes retained per subject for amendments, seconds (default 21,600 =
    /// 6 h, about 360 fixes or 15 KB per subject at a fix a minute). A fix
    /// older than the retained history is reported as a
    /// `late_fix_beyond_history` event and not evaluated.
    pub history_s: f64,
    /// No fix for this long while a zone applies is `signal_lost`, seconds
    /// (default 900).
    pub signal_loss_s: f64,
    /// Accuracy assumed for fixes reporting none (see `BreachOptions`).
    pub assumed_accuracy_m: Option<f64>,
    /// How fixes become a verdict (the same model as batch; a checkpoint
    /// records it, and a different one at restore is refused).
    #[serde(default)]
    pub evidence: EvidenceModel,
}

impl MonitorOptions {
    /// Checks every option: `max_gap_s` finite seconds > 0;
    /// `allowed_lateness_s`, `history_s` and `signal_loss_s` finite seconds
    /// >= 0; `assumed_accuracy_m` finite metres >= 0.
    ///
    /// # Errors
    /// [`Error::Option`] naming the first bad option.
    pub fn validate(&self) -> Result<(), Error> {
        crate::options::positive_seconds("max_gap_s", self.max_gap_s)?;
        crate::options::seconds("allowed_lateness_s", self.allowed_lateness_s)?;
        crate::options::seconds("history_s", self.history_s)?;
        crate::options::seconds("signal_loss_s", self.signal_loss_s)?;
        if let Some(a) = self.assumed_accuracy_m {
            crate::options::accuracy("assumed_accuracy_m", a)?;
        }
        self.evidence.validate()
    }
}

impl Default for MonitorOptions {
    fn default() -> Self {
        MonitorOptions {
            max_gap_s: crate::trail::DEFAULT_MAX_GAP_S,
            allowed_lateness_s: 300.0,
            history_s: 21_600.0,
            signal_loss_s: 900.0,
            assumed_accuracy_m: None,
            evidence: EvidenceModel::default(),
        }
    }
}

/// A subject name as a key of the monitor's index: names of up to 23 bytes
/// are kept inline, so finding a subject reads no other memory (with
/// thousands of subjects, that read is a cache miss per fix).
#[derive(Debug, Clone)]
enum SubjectKey {
    Inline { len: u8, bytes: [u8; 23] },
    Heap(Box<str>),
}

impl SubjectKey {
    fn new(s: &str) -> Self {
        if s.len() <= 23 {
            let mut bytes = [0u8; 23];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            SubjectKey::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            SubjectKey::Heap(s.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            SubjectKey::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).expect("copied from a str")
            }
            SubjectKey::Heap(s) => s,
        }
    }
}

impl std::borrow::Borrow<str> for SubjectKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::hash::Hash for SubjectKey {
    /// As the `str` it holds (lookups hash a `&str`).
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h);
    }
}

impl PartialEq for SubjectKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SubjectKey {}

/// Subjects evaluated together by one parallel task of [`Monitor::push_many`].
const SUBJECTS_PER_TASK: usize = 64;

/// The streaming monitor over a zone set.
#[derive(Debug, Clone)]
pub struct Monitor {
    zones: ZoneSet,
    options: MonitorOptions,
    /// Subject name → number (index of `names` and `states`).
    index: std::collections::HashMap<SubjectKey, u32, foldhash::fast::RandomState>,
    names: Vec<Arc<str>>,
    states: Vec<SubjectState>,
    /// Scratch space of single pushes.
    scratch: Scratch,
}

impl Monitor {
    /// A monitor over `zones`.
    ///
    /// # Errors
    /// [`Error::Option`] for an invalid option (see [`MonitorOptions::validate`]).
    pub fn new(zones: ZoneSet, options: MonitorOptions) -> Result<Self, Error> {
        options.validate()?;
        Ok(Monitor {
            zones,
            options,
            index: Default::default(),
            names: Vec::new(),
            states: Vec::new(),
            scratch: Scratch::default(),
        })
    }

    /// The number of `subject`, creating its state on first sight.
    fn subject_number(&mut self, subject: &str) -> usize {
        if let Some(&i) = self.index.get(subject) {
            return i as usize;
        }
        let i = self.states.len();
        self.index.insert(SubjectKey::new(subject), i as u32);
        self.names.push(Arc::from(subject));
        self.states.push(SubjectState::default());
        i
    }

    /// Subject numbers in name order (the order of `tick` and `finish`).
    fn by_name(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        order
    }

    fn params(&self) -> EngineParams {
        EngineParams {
            max_gap_s: self.options.max_gap_s,
            assumed_accuracy_m: self.options.assumed_accuracy_m,
            model: self.options.evidence,
        }
    }

    /// Pushes one fix, judged by its own time; returns the events it causes.
    /// `processing_time_us` is stamped on the events (use [`Monitor::push_now`]
    /// for the wall clock).
    ///
    /// # Errors
    /// [`Error::Record`] for an invalid fix (nothing is changed).
    pub fn push(&mut self, subject: &str, fix: TrackFix, processing_time_us: i64) -> Result<Vec<MonitorEvent>, Error> {
        check_fix(subject, &fix, 0)?;
        let mut events = Vec::new();
        let i = self.subject_number(subject);
        let (p, opts, zones) = (self.params(), self.options, &self.zones);
        let name = &self.names[i];
        let ctx = Ctx {
            zones,
            opts: &opts,
            p: &p,
            pt: processing_time_us,
        };
        push_one(&mut self.states[i], &ctx, &mut self.scratch, name, fix, &mut events);
        Ok(events)
    }

    /// Pushes a batch of fixes (in arrival order), evaluating different
    /// subjects in parallel: exactly the events of pushing them one by one,
    /// grouped by subject (subjects in order of their first fix in the batch;
    /// each subject's events in processing order). Each subject's state is
    /// visited once per batch, so throughput grows with the fixes per
    /// subject in a batch: with 10,000 subjects, 100,000-fix batches run
    /// about five times faster than [`Monitor::push`] fix by fix.
    ///
    /// # Errors
    /// [`Error::Record`] naming the batch row (from 1) of the first invalid
    /// fix; nothing is changed then.
    ///
    /// (Long on purpose: validation, the counting sort by subject and the
    /// parallel evaluation are three passes over one batch whose buffers
    /// they share; each pass is commented.)
    pub fn push_many(
        &mut self,
        batch: &[(&str, TrackFix)],
        processing_time_us: i64,
    ) -> Result<Vec<MonitorEvent>, Error> {
        use rayon::prelude::*;
        // Validation and subject lookup in one parallel pass (the first bad
        // row in batch order is the one reported).
        const NEW: u32 = u32::MAX;
        const BAD: u32 = u32::MAX - 1;
        let known: Vec<u32> = batch
            .par_iter()
            .map(|(subject, fix)| {
                if check_fix(subject, fix, 0).is_err() {
                    BAD
                } else {
                    self.index.get(*subject).copied().unwrap_or(NEW)
                }
            })
            .collect();
        if let Some(i) = known.iter().position(|&n| n == BAD) {
            let (subject, fix) = batch[i];
            check_fix(subject, &fix, i + 1)?;
        }
        let numbers: Vec<usize> = known
            .iter()
            .zip(batch)
            .map(|(&n, (subject, _))| {
                if n == NEW {
                    self.subject_number(subject) // first sight
                } else {
                    n as usize
                }
            })
            .collect();
        let mut group_of = vec![u32::MAX; self.states.len()];
        let mut members: Vec<usize> = Vec::new(); // group -> subject number
        let mut counts: Vec<usize> = Vec::new();
        for &n in &numbers {
            if group_of[n] == u32::MAX {
                group_of[n] = members.len() as u32;
                members.push(n);
                counts.push(0);
            }
            counts[group_of[n] as usize] += 1;
        }
        let mut offsets = Vec::with_capacity(counts.len() + 1);
        offsets.push(0);
        for c in &counts {
            offsets.push(offsets.last().copied().unwrap_or(0) + c);
        }
        let mut next = offsets.clone();
        let Some(&(_, first)) = batch.first() else {
            return Ok(Vec::new());
        };
        let mut flat = vec![first; batch.len()];
        for (&n, &(_, fix)) in numbers.iter().zip(batch) {
            let g = group_of[n] as usize;
            flat[next[g]] = fix;
            next[g] += 1;
        }
        let p = self.params();
        let mut states: Vec<Option<&mut SubjectState>> = (0..members.len()).map(|_| None).collect();
        for (n, st) in self.states.iter_mut().enumerate() {
            if group_of[n] != u32::MAX {
                states[group_of[n] as usize] = Some(st);
            }
        }
        let (opts, zones, names) = (self.options, &self.zones, &self.names);
        let per: Vec<Vec<MonitorEvent>> = states
            .par_chunks_mut(SUBJECTS_PER_TASK)
            .enumerate()
            .map(|(c, chunk)| {
                // About one event per four fixes in busy areas: reserve once
                // rather than growing a list of large events.
                let (g0, g1) = (c * SUBJECTS_PER_TASK, c * SUBJECTS_PER_TASK + chunk.len());
                let mut events = Vec::with_capacity((offsets[g1] - offsets[g0]) / 4 + 16);
                let ctx = Ctx {
                    zones,
                    opts: &opts,
                    p: &p,
                    pt: processing_time_us,
                };
                let mut scratch = Scratch::default();
                for (k, st) in chunk.iter_mut().enumerate() {
                    let g = c * SUBJECTS_PER_TASK + k;
                    let st = st.take().expect("every batch subject has state");
                    let subject = &names[members[g]];
                    for &fix in &flat[offsets[g]..offsets[g + 1]] {
                        push_one(st, &ctx, &mut scratch, subject, fix, &mut events);
                    }
                }
                events
            })
            .collect();
        let mut events = Vec::with_capacity(per.iter().map(Vec::len).sum());
        for v in per {
            events.extend(v);
        }
        Ok(events)
    }

    /// [`Monitor::push`] stamped with the wall clock.
    ///
    /// # Errors
    /// As [`Monitor::push`].
    pub fn push_now(&mut self, subject: &str, fix: TrackFix) -> Result<Vec<MonitorEvent>, Error> {
        self.push(subject, fix, now_us())
    }

    /// Signal-loss check at processing time `now_us`: a subject with no fix
    /// for longer than `signal_loss_s` (judged on the latest fix time) gets
    /// one `signal_lost` event until a fix arrives.
    pub fn tick(&mut self, now_us: i64) -> Vec<MonitorEvent> {
        let limit = (self.options.signal_loss_s * 1e6) as i64;
        let mut events = Vec::new();
        for i in self.by_name() {
            let (name, st) = (&self.names[i], &mut self.states[i]);
            if !st.signal_lost && st.watermark_us != 0 && now_us - st.watermark_us > limit {
                st.signal_lost = true;
                events.push(
                    Stamp {
                        subject: name,
                        zones: &self.zones,
                        pt: now_us,
                        model: &self.options.evidence,
                    }
                    .subject_event(EventKind::SignalLost, st.watermark_us),
                );
            }
        }
        events
    }

    /// Makes every buffered fix final and closes every open episode (end of
    /// stream); returns the events.
    pub fn finish(&mut self, processing_time_us: i64) -> Vec<MonitorEvent> {
        let p = self.params();
        let mut events = Vec::new();
        for i in self.by_name() {
            let (name, st) = (&self.names[i], &mut self.states[i]);
            let ctx = Ctx {
                zones: &self.zones,
                opts: &self.options,
                p: &p,
                pt: processing_time_us,
            };
            while st.n_final < st.fixes.len() {
                let f = st.fixes[st.n_final];
                st.n_final += 1;
                feed_final(st, &ctx, &mut self.scratch, name, f, &mut events);
            }
            let mut out = Vec::new();
            st.live.finish(&mut out);
            report_closed(st, &self.zones, name, &out, processing_time_us, &p.model, &mut events);
        }
        events
    }

    /// The options this monitor runs with (for a restored one, the
    /// checkpoint's).
    pub fn options(&self) -> MonitorOptions {
        self.options
    }

    /// Number of subjects with state.
    pub fn subject_count(&self) -> usize {
        self.states.len()
    }

    /// Approximate bytes of state held for `subject`.
    pub fn state_bytes(&self, subject: &str) -> usize {
        self.index
            .get(subject)
            .map(|&i| &self.states[i as usize])
            .map_or(0, |st| {
                st.fixes.capacity() * std::mem::size_of::<TrackFix>()
                    + (st.base.tracker_count()
                        + st.live.tracker_count()
                        + st.snaps.iter().map(|s| s.1.tracker_count()).sum::<usize>())
                        * 200
                    + (st.closed.len() + st.announced.len()) * 64
                    + 160
            })
    }
}

/// Validates a pushed fix; `row` names it in the error (0 = a single push).
fn check_fix(subject: &str, fix: &TrackFix, row: usize) -> Result<(), Error> {
    crate::fix::check(Some(subject), fix.lon, fix.lat, fix.accuracy_m.map(f64::from))
        .map_err(|bad| bad.at("<stream>", crate::error::Location::Row(row), None).into())
}

/// What every evaluation step reads: the zones, options, engine parameters
/// and the processing time stamped on events.
pub(super) struct Ctx<'a> {
    zones: &'a ZoneSet,
    opts: &'a MonitorOptions,
    p: &'a EngineParams,
    pt: i64,
}

/// One valid fix of one subject: the whole per-fix state machine (signal,
/// too late for the history, late → recompute, in time → buffer and feed
/// what became final), kept in one place so its order is visible.
fn push_one(
    st: &mut SubjectState,
    ctx: &Ctx<'_>,
    scratch: &mut Scratch,
    subject: &Arc<str>,
    fix: TrackFix,
    events: &mut Vec<MonitorEvent>,
) {
    let (zones, opts, processing_time_us) = (ctx.zones, ctx.opts, ctx.pt);
    if st.signal_lost && fix.t_us > st.watermark_us {
        st.signal_lost = false;
        events.push(
            Stamp {
                subject,
                zones,
                pt: processing_time_us,
                model: &ctx.p.model,
            }
            .subject_event(EventKind::SignalRestored, fix.t_us),
        );
    }
    let lateness_us = (opts.allowed_lateness_s * 1e6) as i64;
    let history_us = (opts.history_s * 1e6) as i64;
    let final_before = st.watermark_us.saturating_sub(lateness_us);
    if st.watermark_us != 0 && fix.t_us <= final_before {
        // Fixes at or before the base snapshot's last fix can no longer be evaluated.
        if st.base.last_fix().is_some_and(|b| fix.t_us <= b.t_us) {
            events.push(
                Stamp {
                    subject,
                    zones,
                    pt: processing_time_us,
                    model: &ctx.p.model,
                }
                .subject_event(EventKind::LateFixBeyondHistory, fix.t_us),
            );
            return;
        }
        // Too late for in-order processing: insert and recompute.
        // (Older than every pending fix: the search finds a final one.)
        match st.fixes.binary_search_by_key(&fix.t_us, |f| f.t_us) {
            Ok(i) if st.fixes[i] == fix => return, // exact duplicate
            Ok(i) => {
                // Conflict: keep neither (as the store does).
                st.fixes.remove(i);
                st.n_final -= 1;
            }
            Err(i) => {
                st.fixes.insert(i, fix);
                st.n_final += 1;
            }
        }
        recompute(st, ctx, scratch, subject, fix.t_us, events);
        return;
    }
    // In time: buffer until final.
    // (Newer than every final fix: the search lands among the pending ones.)
    let at = if st.fixes.back().is_none_or(|b| b.t_us < fix.t_us) {
        Err(st.fixes.len()) // the usual case: in order
    } else {
        st.fixes.binary_search_by_key(&fix.t_us, |f| f.t_us)
    };
    match at {
        Ok(i) if st.fixes[i] == fix => return,
        Ok(i) => {
            // Conflict: keep neither (as the store does).
            st.fixes.remove(i);
            return;
        }
        Err(i) => st.fixes.insert(i, fix),
    }
    st.watermark_us = st.watermark_us.max(fix.t_us);
    let final_before = st.watermark_us.saturating_sub(lateness_us);
    while st.fixes.get(st.n_final).is_some_and(|f| f.t_us <= final_before) {
        let f = st.fixes[st.n_final];
        st.n_final += 1;
        feed_final(st, ctx, scratch, subject, f, events);
        if st.since_snap == 0 {
            // A snapshot was just taken: the base may move (checked only
            // then, so the snapshots stay cold between).
            prune(st, history_us);
        }
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
