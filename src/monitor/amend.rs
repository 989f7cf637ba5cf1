//! Reporting episodes and amending them: final fixes fed in order, episodes
//! announced and ended, and the recomputation after a late fix that reports
//! every change as an amendment; pruning the history.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::event::{ended_kind, event, started_kind, Change, EventKind, MonitorEvent, Stamp};
use super::state::{SubjectState, SNAPSHOT_EVERY};
use super::Ctx;
use crate::breach::{kind_code, RawEpisode, Scratch, TrackFix};
use crate::zone::ZoneSet;

/// Reports episodes the trackers closed: an `ended` (after a `started` if it
/// was never announced).
pub(super) fn report_closed(
    st: &mut SubjectState,
    zones: &ZoneSet,
    subject: &Arc<str>,
    closed: &[RawEpisode],
    pt: i64,
    events: &mut Vec<MonitorEvent>,
) {
    for &e in closed {
        let key = (e.zone, kind_code(e.kind));
        match st.announced.remove(&key) {
            Some(a) if a.start_us == e.start_us => {}
            Some(a) => {
                // Announced with another start (cannot happen in order; be explicit).
                events.push(event(
                    &Stamp { subject, zones, pt },
                    Change {
                        kind: EventKind::Amended,
                        episode: Some(&e),
                        old: Some(&a),
                        closed: false,
                    },
                    e.start_us,
                ));
            }
            None => events.push(event(
                &Stamp { subject, zones, pt },
                Change {
                    kind: started_kind(e.kind),
                    episode: Some(&e),
                    old: None,
                    closed: false,
                },
                e.start_us,
            )),
        }
        events.push(event(
            &Stamp { subject, zones, pt },
            Change {
                kind: ended_kind(e.kind),
                episode: Some(&e),
                old: None,
                closed: true,
            },
            e.end_us,
        ));
        st.closed.insert((e.zone, kind_code(e.kind), e.start_us), e);
    }
}

/// Announces open episodes not yet announced.
pub(super) fn announce_open(
    st: &mut SubjectState,
    zones: &ZoneSet,
    subject: &Arc<str>,
    pt: i64,
    events: &mut Vec<MonitorEvent>,
) {
    for e in st.live.open_episodes() {
        let key = (e.zone, kind_code(e.kind));
        if let std::collections::btree_map::Entry::Vacant(slot) = st.announced.entry(key) {
            events.push(event(
                &Stamp { subject, zones, pt },
                Change {
                    kind: started_kind(e.kind),
                    episode: Some(&e),
                    old: None,
                    closed: false,
                },
                e.start_us,
            ));
            slot.insert(e);
        }
    }
}

pub(super) fn feed_final(
    st: &mut SubjectState,
    ctx: &Ctx<'_>,
    scratch: &mut Scratch,
    subject: &Arc<str>,
    fix: TrackFix,
    events: &mut Vec<MonitorEvent>,
) {
    let (zones, pt) = (ctx.zones, ctx.pt);
    // `fix` is the newest final fix (`fixes[n_final - 1]`): fixes become
    // final in time order.
    let mut out = std::mem::take(&mut scratch.out);
    out.clear();
    st.live.feed(zones, subject, fix, ctx.p, &mut out, scratch);
    st.since_snap += 1;
    if st.since_snap >= SNAPSHOT_EVERY {
        st.snaps.push((fix.t_us, st.live.clone()));
        st.since_snap = 0;
    }
    if !out.is_empty() {
        report_closed(st, zones, subject, &out, pt, events);
    }
    scratch.out = out;
    announce_open(st, zones, subject, pt, events);
}

/// Recomputes the subject's episodes from the base snapshot over the history
/// and reports every difference as an amendment.
pub(super) fn recompute(
    st: &mut SubjectState,
    ctx: &Ctx<'_>,
    scratch: &mut Scratch,
    subject: &Arc<str>,
    event_time: i64,
    events: &mut Vec<MonitorEvent>,
) {
    let (zones, pt) = (ctx.zones, ctx.pt);
    let mut live = (*st.base).clone();
    let mut closed = Vec::new();
    st.snaps.clear();
    st.since_snap = 0;
    for &f in st.fixes.iter().take(st.n_final) {
        live.feed(zones, subject, f, ctx.p, &mut closed, scratch);
        st.since_snap += 1;
        if st.since_snap >= SNAPSHOT_EVERY {
            st.snaps.push((f.t_us, live.clone()));
            st.since_snap = 0;
        }
    }
    // Episodes the base had open and closed again are in `closed` too.
    let new_closed: BTreeMap<(u32, u8, i64), RawEpisode> = closed
        .into_iter()
        .map(|e| ((e.zone, kind_code(e.kind), e.start_us), e))
        .collect();
    let new_open: BTreeMap<(u32, u8), RawEpisode> = live
        .open()
        .into_iter()
        .map(|e| ((e.zone, kind_code(e.kind)), e))
        .collect();
    // Old view: closed since horizon + announced open.
    let mut old_all: Vec<(RawEpisode, bool)> = st.closed.values().map(|e| (*e, true)).collect();
    old_all.extend(st.announced.values().map(|e| (*e, false)));
    let mut new_all: Vec<(RawEpisode, bool)> = new_closed.values().map(|e| (*e, true)).collect();
    new_all.extend(new_open.values().map(|e| (*e, false)));
    let same = |a: &(RawEpisode, bool), b: &(RawEpisode, bool)| a == b;
    // Pair old and new episodes of the same zone and kind that overlap.
    let mut used_new = vec![false; new_all.len()];
    for o in &old_all {
        if let Some(k) = new_all.iter().position(|n| same(o, n)) {
            used_new[k] = true;
            continue;
        }
        let partner = new_all.iter().enumerate().position(|(k, n)| {
            !used_new[k]
                && n.0.zone == o.0.zone
                && n.0.kind == o.0.kind
                && n.0.start_us <= o.0.end_us.max(o.0.start_us)
                && o.0.start_us <= n.0.end_us.max(n.0.start_us)
        });
        match partner {
            Some(k) => {
                used_new[k] = true;
                let n = new_all[k];
                events.push(event(
                    &Stamp { subject, zones, pt },
                    Change {
                        kind: EventKind::Amended,
                        episode: Some(&n.0),
                        old: Some(&o.0),
                        closed: n.1,
                    },
                    event_time,
                ));
            }
            None => events.push(event(
                &Stamp { subject, zones, pt },
                Change {
                    kind: EventKind::Amended,
                    episode: None,
                    old: Some(&o.0),
                    closed: false,
                },
                event_time,
            )),
        }
    }
    for (k, n) in new_all.iter().enumerate() {
        if used_new[k] {
            continue;
        }
        events.push(event(
            &Stamp { subject, zones, pt },
            Change {
                kind: started_kind(n.0.kind),
                episode: Some(&n.0),
                old: None,
                closed: false,
            },
            n.0.start_us,
        ));
        if n.1 {
            events.push(event(
                &Stamp { subject, zones, pt },
                Change {
                    kind: ended_kind(n.0.kind),
                    episode: Some(&n.0),
                    old: None,
                    closed: true,
                },
                n.0.end_us,
            ));
        }
    }
    st.live = live;
    st.closed = new_closed;
    st.announced = new_open;
}

/// Moves the base to the newest snapshot older than the history horizon and
/// drops the fixes it covers (each fix is fed once, never again at pruning).
pub(super) fn prune(st: &mut SubjectState, history_us: i64) {
    let horizon = st.watermark_us.saturating_sub(history_us);
    let k = st.snaps.partition_point(|(t, _)| *t < horizon);
    if k == 0 {
        return;
    }
    let Some((t_cut, trackers)) = st.snaps.drain(..k).next_back() else {
        return;
    };
    *st.base = trackers;
    let cut = st.fixes.partition_point(|f| f.t_us <= t_cut).min(st.n_final);
    st.fixes.drain(..cut);
    st.n_final -= cut;
    let first = st.history().next().map_or(i64::MAX, |f| f.t_us);
    st.closed.retain(|_, e| e.end_us >= first);
}
