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
    let cell = |i: usize| -> u64 {
        LatLng::new(lat[i], lon[i])
            .map(|ll| u64::from(ll.to_cell(res)))
            .unwrap_or(0)
    };
    let mut prev = cell(r.start);
    for i in r.start..r.end - 1 {
        let next = cell(i + 1);
        let dt = (ts[i + 1] - ts[i]) as f64;
        if dt <= max_us {
            let half = dt / 2e6;
            *map.entry(prev).or_insert(0.0) += half;
            *map.entry(next).or_insert(0.0) += half;
        }
        prev = next;
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
