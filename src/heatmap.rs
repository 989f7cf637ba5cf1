//! H3 dwell heatmaps that do not expose individuals.
//!
//! Each interval Δ between consecutive fixes of a subject with Δ ≤ `max_gap_s`
//! (both fixes in the window) gives Δ/2 to the H3 cell of each of its two
//! fixes; longer intervals give nothing. Cells visited by fewer than
//! `min_subjects` distinct subjects are suppressed and counted, so published
//! figures cannot single anyone out. Cells use h3o (a Rust port of the
//! official library, checked against the upstream test vectors).

use std::collections::HashMap;

use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use crate::error::Error;
use crate::store::TrailStore;
use crate::time::Window;

/// One heatmap cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeatmapCell {
    /// The H3 cell as the usual 15-character hex string.
    pub cell: String,
    /// Dwell seconds summed over subjects.
    pub seconds: f64,
    /// Distinct subjects with dwell in the cell.
    pub subjects: u32,
}

/// A heatmap and what was suppressed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Heatmap {
    /// Published cells, sorted by cell.
    pub cells: Vec<HeatmapCell>,
    /// Cells suppressed for having fewer than `min_subjects` subjects.
    pub suppressed_cells: u64,
    /// Dwell seconds in suppressed cells.
    pub suppressed_seconds: f64,
}

/// The H3 cell of (lon, lat) degrees at `resolution` (0–15).
///
/// # Errors
/// [`Error::Option`] for a resolution above 15 or coordinates h3o refuses.
pub fn h3_cell(lon: f64, lat: f64, resolution: u8) -> Result<CellIndex, Error> {
    let res = Resolution::try_from(resolution).map_err(|_| Error::Option {
        name: "resolution",
        value: resolution.to_string(),
        reason: "H3 resolution must be 0 to 15",
    })?;
    let ll = LatLng::new(lat, lon).map_err(|_| Error::Option {
        name: "position",
        value: format!("({lon}, {lat})"),
        reason: "not a valid coordinate",
    })?;
    Ok(ll.to_cell(res))
}

/// Remembers the last cell and the radius (metres) of a disc around its
/// centre that lies inside the cell with a safety margin, so the many fixes
/// of a stay skip the full H3 computation. Cell edges are straight in H3's
/// gnomonic projection (great circles), which differ from straight lines in a
/// local plane by far less than the margin.
struct CellCache {
    res: Resolution,
    /// The cell whose safe disc is cached.
    cell: u64,
    lon: f64,
    lat: f64,
    kx: f64,
    ky: f64,
    r2: f64,
    /// The last cell computed without a disc: a second fix in it (a stay)
    /// earns it a disc; a trip crossing cells never pays for one.
    pending: u64,
}

/// Metres kept between the cached disc and the cell's edges.
const CELL_MARGIN_M: f64 = 1.0;

impl CellCache {
    fn new(res: Resolution) -> Self {
        CellCache {
            res,
            cell: 0,
            lon: 0.0,
            lat: 0.0,
            kx: 0.0,
            ky: 0.0,
            r2: -1.0,
            pending: u64::MAX,
        }
    }

    #[inline]
    fn cell(&mut self, lon: f64, lat: f64) -> u64 {
        let (dx, dy) = ((lon - self.lon) * self.kx, (lat - self.lat) * self.ky);
        if dx * dx + dy * dy < self.r2 {
            return self.cell;
        }
        let Ok(ll) = LatLng::new(lat, lon) else { return 0 };
        let c = ll.to_cell(self.res);
        let id = u64::from(c);
        if id == self.cell {
            return id;
        }
        if id != self.pending {
            self.pending = id;
            return id;
        }
        let centre = LatLng::from(c);
        let (ky, kx) = crate::geodesy::metres_per_degree(centre.lat());
        let to_xy = |l: &LatLng| ((l.lng() - centre.lng()) * kx, (l.lat() - centre.lat()) * ky);
        let b = c.boundary();
        let verts: Vec<(f64, f64)> = b.iter().map(to_xy).collect();
        let mut r = f64::INFINITY;
        for k in 0..verts.len() {
            let (a, bb) = (verts[k], verts[(k + 1) % verts.len()]);
            r = r.min(crate::zone::point_segment_distance_m((0.0, 0.0), a, bb));
        }
        let r = (r - CELL_MARGIN_M).max(0.0);
        // Only trust the shortcut well away from the antimeridian and poles.
        let safe = centre.lat().abs() < 80.0 && centre.lng().abs() < 179.0;
        *self = CellCache {
            res: self.res,
            cell: id,
            lon: centre.lng(),
            lat: centre.lat(),
            kx,
            ky,
            r2: if safe { r * r * 0.98 } else { -1.0 },
            pending: u64::MAX,
        };
        id
    }
}

/// Per-cell (seconds, subjects) maps: one subject's dwell.
fn subject_dwell(store: &TrailStore, s: usize, window: Window, res: Resolution) -> HashMap<u64, f64> {
    let t = store.trail_at(s);
    let r = t.range(window);
    let mut map: HashMap<u64, f64> = HashMap::new();
    if r.len() < 2 {
        return map;
    }
    let (lon, lat, ts) = (t.lons(), t.lats(), t.times_us());
    let max_us = store.max_gap_s() * 1e6;
    let mut cache = CellCache::new(res);
    let mut cell = |i: usize| -> u64 { cache.cell(lon[i], lat[i]) };
    // Runs of intervals in one cell are summed before touching the map.
    let (mut run_cell, mut run_s) = (u64::MAX, 0.0f64);
    let mut add = |c: u64, secs: f64, map: &mut HashMap<u64, f64>| {
        if c == run_cell {
            run_s += secs;
        } else {
            if run_cell != u64::MAX {
                *map.entry(run_cell).or_insert(0.0) += run_s;
            }
            run_cell = c;
            run_s = secs;
        }
    };
    let mut prev = cell(r.start);
    for i in r.start..r.end - 1 {
        let next = cell(i + 1);
        let dt = (ts[i + 1] - ts[i]) as f64;
        if dt <= max_us {
            let half = dt / 2e6;
            add(prev, half, &mut map);
            add(next, half, &mut map);
        }
        prev = next;
    }
    if run_cell != u64::MAX {
        *map.entry(run_cell).or_insert(0.0) += run_s;
    }
    map
}

/// The dwell heatmap of every subject at `resolution` in `window`,
/// suppressing cells with fewer than `min_subjects` subjects. Work is
/// parallel per subject; counts are summed before suppression.
///
/// # Errors
/// [`Error::Option`] for a resolution above 15.
pub fn heatmap(store: &TrailStore, resolution: u8, window: Window, min_subjects: u32) -> Result<Heatmap, Error> {
    let res = Resolution::try_from(resolution).map_err(|_| Error::Option {
        name: "resolution",
        value: resolution.to_string(),
        reason: "H3 resolution must be 0 to 15",
    })?;
    let total: HashMap<u64, (f64, u32)> = (0..store.subject_count())
        .into_par_iter()
        .map(|s| subject_dwell(store, s, window, res))
        .fold(HashMap::new, |mut acc: HashMap<u64, (f64, u32)>, m| {
            for (c, secs) in m {
                let e = acc.entry(c).or_insert((0.0, 0));
                e.0 += secs;
                e.1 += 1;
            }
            acc
        })
        .reduce(HashMap::new, |mut a, b| {
            for (c, (secs, n)) in b {
                let e = a.entry(c).or_insert((0.0, 0));
                e.0 += secs;
                e.1 += n;
            }
            a
        });
    let mut cells = Vec::with_capacity(total.len());
    let (mut suppressed_cells, mut suppressed_seconds) = (0u64, 0.0);
    for (c, (secs, n)) in total {
        if n < min_subjects {
            suppressed_cells += 1;
            suppressed_seconds += secs;
            continue;
        }
        let cell = CellIndex::try_from(c).map(|c| c.to_string()).unwrap_or_default();
        cells.push(HeatmapCell {
            cell,
            seconds: secs,
            subjects: n,
        });
    }
    cells.sort_by(|a, b| a.cell.cmp(&b.cell));
    Ok(Heatmap {
        cells,
        suppressed_cells,
        suppressed_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{offset_m, SplitMix64};

    /// The cell cache never changes a cell: random stays with GPS jitter and
    /// trips, at several resolutions and latitudes, against h3o directly.
    #[test]
    fn cached_cells_equal_direct_cells() {
        let mut rng = SplitMix64::new(4);
        for res in [7u8, 9, 10, 12] {
            let r = Resolution::try_from(res).unwrap();
            let mut cache = CellCache::new(r);
            for _ in 0..40 {
                let base = (rng.range(-170.0, 170.0), rng.range(-75.0, 75.0));
                for k in 0..500 {
                    let p = if k % 100 < 80 {
                        offset_m(base, rng.normal() * 40.0, rng.normal() * 40.0)
                    } else {
                        offset_m(base, k as f64 * 30.0, 0.0)
                    };
                    let direct = u64::from(LatLng::new(p.1, p.0).unwrap().to_cell(r));
                    assert_eq!(cache.cell(p.0, p.1), direct, "res {res} at {p:?}");
                }
            }
        }
    }
}
