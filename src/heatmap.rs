//! H3 dwell heatmaps that do not expose individuals.
//!
//! Each interval Δ between consecutive fixes of a subject with Δ ≤ `max_gap_s`
//! (both fixes in the window) gives Δ/2 to the H3 cell of each of its two
//! fixes; longer intervals give nothing. Dwell is summed in integer
//! half-microseconds, so totals are exact and the same however the work is
//! split (threads, store buckets, cluster workers). Cells visited by fewer than
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

/// One subject's dwell per cell, in half-microseconds (an interval of Δ µs
/// gives Δ half-µs to each end's cell, i.e. Δ/2 µs): integers, so sums are
/// exact and independent of the order of summation.
fn subject_dwell(store: &TrailStore, s: usize, window: Window, res: Resolution) -> HashMap<u64, i64> {
    let t = store.trail_at(s);
    let r = t.range(window);
    let mut map: HashMap<u64, i64> = HashMap::new();
    if r.len() < 2 {
        return map;
    }
    let (lon, lat, ts) = (t.lons(), t.lats(), t.times_us());
    let max_us = store.max_gap_s() * 1e6;
    let mut cache = CellCache::new(res);
    let mut cell = |i: usize| -> u64 { cache.cell(lon[i], lat[i]) };
    // Runs of intervals in one cell are summed before touching the map.
    let (mut run_cell, mut run_half_us) = (u64::MAX, 0i64);
    let mut add = |c: u64, half_us: i64, map: &mut HashMap<u64, i64>| {
        if c == run_cell {
            run_half_us += half_us;
        } else {
            if run_cell != u64::MAX {
                *map.entry(run_cell).or_insert(0) += run_half_us;
            }
            run_cell = c;
            run_half_us = half_us;
        }
    };
    let mut prev = cell(r.start);
    for i in r.start..r.end - 1 {
        let next = cell(i + 1);
        let dt = ts[i + 1] - ts[i];
        if dt as f64 <= max_us {
            add(prev, dt, &mut map);
            add(next, dt, &mut map);
        }
        prev = next;
    }
    if run_cell != u64::MAX {
        *map.entry(run_cell).or_insert(0) += run_half_us;
    }
    map
}

/// Unsuppressed dwell per H3 cell of a set of subjects: the exact, mergeable
/// form of a heatmap. Dwell is kept in integer half-microseconds, so counts
/// of disjoint sets of subjects (e.g. store buckets computed on different
/// machines) merge to exactly the counts of the whole, in any order;
/// [`DwellCounts::suppress`] then applies `min_subjects` to the *global*
/// counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DwellCounts {
    /// H3 cell index → (dwell in half-microseconds, distinct subjects).
    cells: HashMap<u64, (i64, u32)>,
}

impl DwellCounts {
    /// Counts from columns: H3 cell indexes, dwell in half-microseconds and
    /// subject counts (rows for the same cell are summed).
    ///
    /// # Errors
    /// [`Error::Option`] when the columns differ in length or a value is not
    /// a valid H3 cell.
    pub fn from_columns(cells: &[u64], dwell_half_us: &[i64], subjects: &[u32]) -> Result<Self, Error> {
        if cells.len() != dwell_half_us.len() || cells.len() != subjects.len() {
            return Err(Error::Option {
                name: "dwell counts",
                value: format!("{} / {} / {}", cells.len(), dwell_half_us.len(), subjects.len()),
                reason: "columns must have the same length",
            });
        }
        let mut out = DwellCounts::default();
        for k in 0..cells.len() {
            if CellIndex::try_from(cells[k]).is_err() {
                return Err(Error::Option {
                    name: "cell",
                    value: cells[k].to_string(),
                    reason: "not an H3 cell index",
                });
            }
            let e = out.cells.entry(cells[k]).or_insert((0, 0));
            e.0 += dwell_half_us[k];
            e.1 += subjects[k];
        }
        Ok(out)
    }

    /// The counts as columns (cell index, dwell half-µs, subjects), sorted by cell.
    pub fn to_columns(&self) -> (Vec<u64>, Vec<i64>, Vec<u32>) {
        let mut keys: Vec<u64> = self.cells.keys().copied().collect();
        keys.sort_unstable();
        let d = keys.iter().map(|k| self.cells[k].0).collect();
        let n = keys.iter().map(|k| self.cells[k].1).collect();
        (keys, d, n)
    }

    /// Adds the counts of a *disjoint* set of subjects.
    pub fn merge(&mut self, other: &DwellCounts) {
        for (&c, &(d, n)) in &other.cells {
            let e = self.cells.entry(c).or_insert((0, 0));
            e.0 += d;
            e.1 += n;
        }
    }

    /// Cells with counts.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether no cell has dwell.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The published heatmap: cells with at least `min_subjects` subjects,
    /// the rest suppressed and counted.
    pub fn suppress(&self, min_subjects: u32) -> Heatmap {
        let mut cells = Vec::with_capacity(self.cells.len());
        let (mut suppressed_cells, mut suppressed_half_us) = (0u64, 0i64);
        for (&c, &(half_us, n)) in &self.cells {
            if n < min_subjects {
                suppressed_cells += 1;
                suppressed_half_us += half_us;
                continue;
            }
            let cell = CellIndex::try_from(c).map(|c| c.to_string()).unwrap_or_default();
            cells.push(HeatmapCell {
                cell,
                seconds: half_us as f64 / 2e6,
                subjects: n,
            });
        }
        cells.sort_by(|a, b| a.cell.cmp(&b.cell));
        Heatmap {
            cells,
            suppressed_cells,
            suppressed_seconds: suppressed_half_us as f64 / 2e6,
        }
    }
}

/// The unsuppressed dwell counts of every subject of `store` at `resolution`
/// in `window` (parallel per subject).
///
/// # Errors
/// [`Error::Option`] for a resolution above 15.
pub fn dwell_counts(store: &TrailStore, resolution: u8, window: Window) -> Result<DwellCounts, Error> {
    let res = Resolution::try_from(resolution).map_err(|_| Error::Option {
        name: "resolution",
        value: resolution.to_string(),
        reason: "H3 resolution must be 0 to 15",
    })?;
    let cells = (0..store.subject_count())
        .into_par_iter()
        .map(|s| subject_dwell(store, s, window, res))
        .fold(HashMap::new, |mut acc: HashMap<u64, (i64, u32)>, m| {
            for (c, d) in m {
                let e = acc.entry(c).or_insert((0, 0));
                e.0 += d;
                e.1 += 1;
            }
            acc
        })
        .reduce(HashMap::new, |mut a, b| {
            for (c, (d, n)) in b {
                let e = a.entry(c).or_insert((0, 0));
                e.0 += d;
                e.1 += n;
            }
            a
        });
    Ok(DwellCounts { cells })
}

/// The dwell heatmap of every subject at `resolution` in `window`,
/// suppressing cells with fewer than `min_subjects` subjects. Work is
/// parallel per subject; counts are summed (exactly, in integers) before
/// suppression, so the answer does not depend on thread scheduling.
///
/// # Errors
/// [`Error::Option`] for a resolution above 15.
pub fn heatmap(store: &TrailStore, resolution: u8, window: Window, min_subjects: u32) -> Result<Heatmap, Error> {
    Ok(dwell_counts(store, resolution, window)?.suppress(min_subjects))
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

    /// Counts of disjoint subject sets merge to exactly the counts of the
    /// whole, and suppression applies to the global counts.
    #[test]
    fn split_counts_merge_to_the_whole() {
        let data = crate::generate::generate_fixes(&crate::generate::GeneratorConfig {
            subjects: 12,
            days: 2,
            ..Default::default()
        });
        let names = data.subject_names();
        let whole = data.store();
        let part = |keep: usize| {
            let idx: Vec<usize> = (0..names.len())
                .filter(|&i| data.subject[i] as usize % 3 == keep)
                .collect();
            let mut b = TrailStore::builder();
            b.extend_columns(
                &idx.iter().map(|&i| names[i]).collect::<Vec<_>>(),
                &idx.iter().map(|&i| data.t_us[i]).collect::<Vec<_>>(),
                &idx.iter().map(|&i| data.lon[i]).collect::<Vec<_>>(),
                &idx.iter().map(|&i| data.lat[i]).collect::<Vec<_>>(),
                None,
                crate::report::Mode::Strict,
            )
            .unwrap();
            b.build()
        };
        let w = Window::all();
        let all = dwell_counts(&whole, 8, w).unwrap();
        let mut merged = DwellCounts::default();
        for k in [2, 0, 1] {
            merged.merge(&dwell_counts(&part(k), 8, w).unwrap());
        }
        assert_eq!(merged, all);
        let (c, d, n) = merged.to_columns();
        assert_eq!(DwellCounts::from_columns(&c, &d, &n).unwrap(), all);
        let published = heatmap(&whole, 8, w, 3).unwrap();
        assert_eq!(merged.suppress(3), published);
        assert!(published.suppressed_cells > 0 && !published.cells.is_empty());
        assert!(DwellCounts::from_columns(&[1], &[1], &[1]).is_err());
    }
}
