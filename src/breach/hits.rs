//! Fix-in-zone flags: which zones cover each fix (a geometric test: subject
//! lists and zone versions apply — a fix is tested against the version in
//! force at its time — schedules and absences do not). Screening by the zone R-tree, as the
//! driver does for episodes; the answer depends on the trail store, so it
//! lives here rather than in `zone/` (geometry).

use rayon::prelude::*;

use crate::store::TrailStore;
use crate::time::Window;
use crate::trail::Trail;
use crate::zone::ZoneSet;

/// Largest extent in degrees (about 200–300 m) of a run of fixes screened
/// together against the zone R-tree.
const CHUNK_EXTENT_DEG: f64 = 0.003;

/// A fix covered by a zone (geometric test only: schedules are not applied,
/// subject lists are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FixZoneHit {
    /// Subject number in the store.
    pub subject: u32,
    /// Fix index in the subject's trail.
    pub fix: u32,
    /// Zone number in the set.
    pub zone: u32,
}

/// Appends every (fix, zone) pair of `trail`'s fixes in `range` where the
/// zone covers the fix and applies to `subject`. Fixes are screened up to 64
/// at a time against the zone R-tree, so fixes far from every zone cost a
/// few comparisons.
fn flag_fixes(
    zones: &ZoneSet,
    trail: &Trail,
    subject: &str,
    subject_index: u32,
    range: std::ops::Range<usize>,
    out: &mut Vec<FixZoneHit>,
) {
    let (lon, lat) = (trail.lons(), trail.lats());
    let first = out.len();
    let mut cand: Vec<(usize, [f64; 4])> = Vec::new();
    let mut c0 = range.start;
    while c0 < range.end {
        // Grow the chunk while its box stays small (stays at a place are
        // cheap; a fast trip is cut into short pieces with few candidates).
        let mut bb = [lon[c0], lat[c0], lon[c0], lat[c0]];
        let mut c1 = c0 + 1;
        while c1 < range.end && c1 - c0 < 64 {
            let (x, y) = (lon[c1], lat[c1]);
            let nb = [bb[0].min(x), bb[1].min(y), bb[2].max(x), bb[3].max(y)];
            if nb[2] - nb[0] > CHUNK_EXTENT_DEG || nb[3] - nb[1] > CHUNK_EXTENT_DEG {
                break;
            }
            bb = nb;
            c1 += 1;
        }
        cand.clear();
        cand.extend(
            zones
                .candidates(bb)
                .filter(|&z| zones.get(z).applies_to(subject))
                .map(|z| (z, zones.get(z).region.bbox())),
        );
        if !cand.is_empty() {
            cand.sort_unstable_by_key(|c| c.0);
            for i in c0..c1 {
                let (x, y) = (lon[i], lat[i]);
                for &(z, b) in &cand {
                    if x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3] && zones.get(z).region.covers(x, y) {
                        out.push(FixZoneHit {
                            subject: subject_index,
                            fix: i as u32,
                            zone: z as u32,
                        });
                    }
                }
            }
        }
        c0 = c1;
    }
    // Zone versions: a fix counts for the version in force at its time only
    // (a separate pass, so the hot loop above is the same without versions).
    if zones.has_versions() {
        let t = trail.times_us();
        let mut tail = out.split_off(first);
        tail.retain(|h| zones.in_force(h.zone as usize, t[h.fix as usize]));
        out.append(&mut tail);
    }
}

/// Every (fix, zone) pair of the store's fixes in `window` where the zone
/// covers the fix and applies to its subject, in parallel per subject,
/// sorted by subject, fix and zone.
pub fn fix_zone_hits(store: &TrailStore, zones: &ZoneSet, window: Window) -> Vec<FixZoneHit> {
    let per: Vec<Vec<FixZoneHit>> = (0..store.subject_count())
        .into_par_iter()
        .map(|s| {
            let trail = store.trail_at(s);
            let mut out = Vec::new();
            flag_fixes(
                zones,
                trail,
                &store.subjects()[s],
                s as u32,
                trail.range(window),
                &mut out,
            );
            out
        })
        .collect();
    per.into_iter().flatten().collect()
}
