//! Reporting episodes and amending them: final fixes fed in order, episodes
//! announced and ended, and the recomputation after a late fix that reports
//! every change as an amendment; pruning the history.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::event::{ended_kind, event, started_kind, Change, EventKind, MonitorEvent, Stamp};
use super::state::{SubjectState, SNAPSHOT_EVERY};
use super::Ctx;
use crate::breach::{kind_code, RawEpisode, Scratch, TrackFix};
use crate::evidence::EvidenceModel;
use crate::zone::ZoneSet;

/// Reports episodes the trackers closed: an `ended` (after a `started` if it
/// was never announced).
pub(super) fn report_closed(
    st: &mut SubjectState,
    zones: &ZoneSet,
    subject: &Arc<str>,
    closed: &[RawEpisode],
    pt: i64,
    model: &EvidenceModel,
    events: &mut Vec<MonitorEvent>,
) {
    for &e in closed {
        let key = (e.zone, kind_code(e.kind));
        let stamp = Stamp {
            subject,
            zones,
            pt,
            model,
        };
        match st.announced.remove(&key) {
            Some(a) if a.start_us == e.start_us => events.push(ended(&stamp, &e)),
            Some(a) => {
                // Announced with another start (cannot happen in order; be explicit).
                st.withdrawn.insert((a.zone, kind_code(a.kind), a.start_us), a);
                events.push(event(
                    &stamp,
                    Change {
                        kind: EventKind::Amended,
                        episode: Some(&e),
                        old: Some(&a),
                        closed: false,
                    },
                    e.start_us,
                ));
                events.push(ended(&stamp, &e));
            }
            None => announce(st, &stamp, &e, true, e.start_us, events),
        }
        st.closed.insert((e.zone, kind_code(e.kind), e.start_us), e);
    }
}

/// The `ended` event of a closed episode.
fn ended(stamp: &Stamp<'_>, e: &RawEpisode) -> MonitorEvent {
    event(
        stamp,
        Change {
            kind: ended_kind(e.kind),
            episode: Some(e),
            old: None,
            closed: true,
        },
        e.end_us,
    )
}

/// Announces an episode the consumer has not heard of: `started` (and
/// `ended` if `closed`) — or, if an amendment withdrew an episode with the
/// same zone, kind and start, an amendment reinstating it (at
/// `amend_time_us`), so no event goes out twice under one id.
fn announce(
    st: &mut SubjectState,
    stamp: &Stamp<'_>,
    e: &RawEpisode,
    closed: bool,
    amend_time_us: i64,
    events: &mut Vec<MonitorEvent>,
) {
    if let Some(w) = st.withdrawn.remove(&(e.zone, kind_code(e.kind), e.start_us)) {
        events.push(event(
            stamp,
            Change {
                kind: EventKind::Amended,
                episode: Some(e),
                old: Some(&w),
                closed,
            },
            amend_time_us,
        ));
        return;
    }
    events.push(event(
        stamp,
        Change {
            kind: started_kind(e.kind),
            episode: Some(e),
            old: None,
            closed: false,
        },
        e.start_us,
    ));
    if closed {
        events.push(ended(stamp, e));
    }
}

/// Announces open episodes not yet announced.
pub(super) fn announce_open(
    st: &mut SubjectState,
    zones: &ZoneSet,
    subject: &Arc<str>,
    pt: i64,
    model: &EvidenceModel,
    events: &mut Vec<MonitorEvent>,
) {
    let fresh: Vec<RawEpisode> = st
        .live
        .open_episodes()
        .filter(|e| !st.announced.contains_key(&(e.zone, kind_code(e.kind))))
        .collect();
    for e in fresh {
        let stamp = Stamp {
            subject,
            zones,
            pt,
            model,
        };
        announce(st, &stamp, &e, false, e.start_us, events);
        st.announced.insert((e.zone, kind_code(e.kind)), e);
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
        report_closed(st, zones, subject, &out, pt, &ctx.p.model, events);
    }
    scratch.out = out;
    announce_open(st, zones, subject, pt, &ctx.p.model, events);
}

/// Recomputes the subject's episodes from the base snapshot over the history
/// and reports every difference as an amendment.
///
/// One function on purpose: re-feeding, pairing old with new episodes and
/// emitting the differences must see the same before/after views; the
/// event-building is already in `event.rs` and `announce`.
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
    let new_open: BTreeMap<(u32, u8), RawEpisode> =
        live.open_episodes().map(|e| ((e.zone, kind_code(e.kind)), e)).collect();
    // Old view: closed since horizon + announced open.
    let mut old_all: Vec<(RawEpisode, bool)> = st.closed.values().map(|e| (*e, true)).collect();
    old_all.extend(st.announced.values().map(|e| (*e, false)));
    let mut new_all: Vec<(RawEpisode, bool)> = new_closed.values().map(|e| (*e, true)).collect();
    new_all.extend(new_open.values().map(|e| (*e, false)));
    // Equal as a consumer sees them: an open episode by its start only (its
    // `started` event says nothing more), a closed one by everything its
    // `ended` event carries. Anything else changed is an amendment.
    let same = |a: &(RawEpisode, bool), b: &(RawEpisode, bool)| visible(a, &ctx.p.model) == visible(b, &ctx.p.model);
    // Pair old and new episodes of the same zone and kind that overlap.
    let mut used_new = vec![false; new_all.len()];
    let mut withdrawn_now = Vec::new();
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
                if n.0.start_us != o.0.start_us {
                    // Its start moved: one derived later at the old start is
                    // another episode and must not reuse that start's ids.
                    withdrawn_now.push(o.0);
                }
                events.push(event(
                    &Stamp {
                        subject,
                        zones,
                        pt,
                        model: &ctx.p.model,
                    },
                    Change {
                        kind: EventKind::Amended,
                        episode: Some(&n.0),
                        old: Some(&o.0),
                        closed: n.1,
                    },
                    event_time,
                ));
            }
            None => {
                events.push(event(
                    &Stamp {
                        subject,
                        zones,
                        pt,
                        model: &ctx.p.model,
                    },
                    Change {
                        kind: EventKind::Amended,
                        episode: None,
                        old: Some(&o.0),
                        closed: false,
                    },
                    event_time,
                ));
                withdrawn_now.push(o.0);
            }
        }
    }
    for (k, n) in new_all.iter().enumerate() {
        if !used_new[k] {
            announce(
                st,
                &Stamp {
                    subject,
                    zones,
                    pt,
                    model: &ctx.p.model,
                },
                &n.0,
                n.1,
                event_time,
                events,
            );
        }
    }
    st.live = live;
    st.closed = new_closed;
    st.announced = new_open;
    for w in withdrawn_now {
        st.withdrawn.insert((w.zone, kind_code(w.kind), w.start_us), w);
    }
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
    // Keep exactly the closed episodes a recomputation from the new base can
    // derive again: those ending at or after the base's last fix (an
    // episode closed by feeding that fix or an earlier one ends before it).
    // Dropping one ending between the base and the first fix still held
    // (the old rule) made a later recomputation announce it afresh.
    st.closed.retain(|_, e| e.end_us >= t_cut);
    st.withdrawn.retain(|_, e| e.end_us >= t_cut);
}

/// What a consumer has been told of an episode: zone, kind and start, plus
/// end, fixes and confirmation once it is closed.
/// The ended part of [`visible`]: end, fixes, probability bits, supporting
/// and outlier fixes, strongest margin bits.
type Ended = (i64, u32, u64, u32, u32, u64, [Option<u64>; 2]);

fn visible(e: &(RawEpisode, bool), model: &EvidenceModel) -> (u32, u8, i64, Option<Ended>) {
    let (ep, closed) = e;
    let ev = &ep.evidence;
    (
        ep.zone,
        kind_code(ep.kind),
        ep.start_us,
        closed.then(|| {
            (
                ep.end_us,
                ep.fixes,
                ev.probability(model).to_bits(),
                ev.supporting(),
                ev.outliers,
                ev.max_margin_sigma().to_bits(),
                [ev.separation_before_sigma(), ev.separation_after_sigma()].map(|s| s.map(f64::to_bits)),
            )
        }),
    )
}
