//! Prepared polygons: covers-tests with robust predicates, the parameter
//! intervals of a segment inside a polygon, distances to the boundary.
//!
//! Each polygon (exterior plus holes) keeps its edges in horizontal slabs so a
//! point test looks only at the edges whose y-range spans the point. Boundary
//! points are inside (covers). Orientation tests use geo's robust kernel
//! (Shewchuk's adaptive predicates), so the in/out/boundary answer for a fix
//! is exact for the doubles given.

use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, MultiPolygon};

use crate::geodesy::LocalFrame;

thread_local! {
    /// Breakpoint buffer of [`PreparedPolygon::covered_intervals_known`].
    static PARAMS: std::cell::RefCell<Vec<(f64, bool)>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Interval buffer of [`PreparedPolygon::within_intervals`].
    static PARTS: std::cell::RefCell<Vec<(f64, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Where a point lies relative to a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointLocation {
    /// Strictly inside.
    Interior,
    /// On an edge or vertex.
    Boundary,
    /// Strictly outside.
    Exterior,
}

#[derive(Debug, Clone)]
struct Component {
    edges: Vec<(Coord<f64>, Coord<f64>)>,
    bbox: [f64; 4],
    y0: f64,
    dy: f64,
    slab_start: Vec<u32>,
    slab_edges: Vec<u32>,
}

#[inline]
fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    <RobustKernel as Kernel<f64>>::orient2d(p, q, r)
}

/// The smallest area a zone ring may enclose, square metres. Rings below it
/// are lines written as polygons (e.g. positions on one street copied into a
/// "polygon"): they contain nothing, and would only ever produce episodes of
/// zero seconds. Decimal coordinates of collinear points are rarely exactly
/// collinear as doubles, hence an area floor rather than an exact test.
pub const MIN_RING_AREA_M2: f64 = 1.0;

/// The area a closed ring encloses, square metres (shoelace formula in a
/// local equirectangular frame at the ring's mean latitude; accurate to
/// well under 1 % for zones of city size). Exactly 0 when every vertex lies
/// on one line (robust orientation test).
pub(crate) fn ring_area_m2(ring: &[Coord<f64>]) -> f64 {
    let Some(&p) = ring.first() else { return 0.0 };
    let Some(&q) = ring.iter().find(|&&c| c != p) else {
        return 0.0;
    };
    if ring.iter().all(|&r| orient(p, q, r) == Orientation::Collinear) {
        return 0.0;
    }
    let lat = ring.iter().map(|c| c.y).sum::<f64>() / ring.len() as f64;
    let (ky, kx) = crate::geodesy::metres_per_degree(lat);
    let mut twice = 0.0;
    for w in ring.windows(2) {
        let (a, b) = ((w[0].x - p.x, w[0].y - p.y), (w[1].x - p.x, w[1].y - p.y));
        twice += a.0 * b.1 - b.0 * a.1;
    }
    (0.5 * twice * kx * ky).abs()
}

impl Component {
    fn new(rings: Vec<Vec<Coord<f64>>>) -> Self {
        let mut edges = Vec::new();
        for ring in &rings {
            for w in ring.windows(2) {
                if w[0] != w[1] {
                    edges.push((w[0], w[1]));
                }
            }
        }
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (a, b) in &edges {
            for c in [a, b] {
                bbox[0] = bbox[0].min(c.x);
                bbox[1] = bbox[1].min(c.y);
                bbox[2] = bbox[2].max(c.x);
                bbox[3] = bbox[3].max(c.y);
            }
        }
        let n_slabs = (edges.len() / 4).clamp(1, 256);
        let y0 = bbox[1];
        let dy = ((bbox[3] - bbox[1]) / n_slabs as f64).max(f64::MIN_POSITIVE);
        let slab_of = |y: f64| (((y - y0) / dy).floor().max(0.0) as usize).min(n_slabs - 1);
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n_slabs];
        for (i, (a, b)) in edges.iter().enumerate() {
            let (lo, hi) = (slab_of(a.y.min(b.y)), slab_of(a.y.max(b.y)));
            for list in &mut lists[lo..=hi] {
                list.push(i as u32);
            }
        }
        let mut slab_start = Vec::with_capacity(n_slabs + 1);
        let mut slab_edges = Vec::new();
        for l in lists {
            slab_start.push(slab_edges.len() as u32);
            slab_edges.extend(l);
        }
        slab_start.push(slab_edges.len() as u32);
        Component {
            edges,
            bbox,
            y0,
            dy,
            slab_start,
            slab_edges,
        }
    }

    #[inline]
    fn locate(&self, p: Coord<f64>) -> PointLocation {
        if p.x < self.bbox[0] || p.x > self.bbox[2] || p.y < self.bbox[1] || p.y > self.bbox[3] {
            return PointLocation::Exterior;
        }
        let n = self.slab_start.len() - 1;
        let k = ((((p.y - self.y0) / self.dy).floor().max(0.0)) as usize).min(n - 1);
        let mut inside = false;
        for &e in &self.slab_edges[self.slab_start[k] as usize..self.slab_start[k + 1] as usize] {
            let (a, b) = self.edges[e as usize];
            if p.y < a.y.min(b.y) || p.y > a.y.max(b.y) {
                continue;
            }
            let o = orient(a, b, p);
            if o == Orientation::Collinear && p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) {
                return PointLocation::Boundary;
            }
            if (a.y <= p.y && p.y < b.y && o == Orientation::CounterClockwise)
                || (b.y <= p.y && p.y < a.y && o == Orientation::Clockwise)
            {
                inside = !inside;
            }
        }
        if inside {
            PointLocation::Interior
        } else {
            PointLocation::Exterior
        }
    }
}

/// A coarse raster over the bounding box: each cell is known to be entirely
/// interior, entirely exterior, or near the boundary (an edge's bounding box
/// meets it). Points and short segments in a known cell are answered without
/// looking at edges.
#[derive(Debug, Clone)]
struct CellGrid {
    x0: f64,
    y0: f64,
    inv_w: f64,
    inv_h: f64,
    n: usize,
    /// 0 = exterior, 1 = interior, 2 = boundary (test the edges).
    cells: Vec<u8>,
}

const CELL_EXTERIOR: u8 = 0;
const CELL_INTERIOR: u8 = 1;
const CELL_BOUNDARY: u8 = 2;

impl CellGrid {
    /// The cell range (inclusive) covering [lo, hi] on one axis, or None if
    /// outside the grid.
    #[inline]
    fn span(&self, lo: f64, hi: f64, origin: f64, inv: f64) -> Option<(usize, usize)> {
        let a = (lo - origin) * inv;
        let b = (hi - origin) * inv;
        let n = self.n as f64;
        // The grid covers the closed box: a coordinate on its far edge maps to
        // the last cell.
        if b < 0.0 || a > n {
            return None;
        }
        Some((a.clamp(0.0, n - 1.0) as usize, b.clamp(0.0, n - 1.0) as usize))
    }

    /// The single state of every cell meeting the box, or BOUNDARY if mixed.
    #[inline]
    fn state(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> u8 {
        let (Some((i0, i1)), Some((j0, j1))) = (
            self.span(x0, x1, self.x0, self.inv_w),
            self.span(y0, y1, self.y0, self.inv_h),
        ) else {
            return CELL_EXTERIOR;
        };
        let first = self.cells[j0 * self.n + i0];
        if first == CELL_BOUNDARY || (i1 - i0 + 1) * (j1 - j0 + 1) > 16 {
            return CELL_BOUNDARY;
        }
        for j in j0..=j1 {
            for i in i0..=i1 {
                if self.cells[j * self.n + i] != first {
                    return CELL_BOUNDARY;
                }
            }
        }
        first
    }
}

/// A (multi)polygon prepared for many point and segment queries.
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    comps: Vec<Component>,
    bbox: [f64; 4],
    frame: LocalFrame,
    grid: Option<CellGrid>,
}

impl PreparedPolygon {
    /// Prepares a multipolygon (lon/lat degrees). Rings are used as given.
    pub fn new(mp: &MultiPolygon<f64>) -> Self {
        let comps: Vec<Component> =
            mp.0.iter()
                .map(|p| {
                    let mut rings = vec![p.exterior().0.clone()];
                    rings.extend(p.interiors().iter().map(|r| r.0.clone()));
                    Component::new(rings)
                })
                .collect();
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for c in &comps {
            bbox[0] = bbox[0].min(c.bbox[0]);
            bbox[1] = bbox[1].min(c.bbox[1]);
            bbox[2] = bbox[2].max(c.bbox[2]);
            bbox[3] = bbox[3].max(c.bbox[3]);
        }
        let frame = LocalFrame::new(0.5 * (bbox[0] + bbox[2]), 0.5 * (bbox[1] + bbox[3]));
        let mut p = PreparedPolygon {
            comps,
            bbox,
            frame,
            grid: None,
        };
        p.grid = p.build_grid();
        p
    }

    fn build_grid(&self) -> Option<CellGrid> {
        let edges: usize = self.comps.iter().map(|c| c.edges.len()).sum();
        let (w, h) = (self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1]);
        if edges < 4 || !(w > 0.0 && h > 0.0) {
            return None;
        }
        let n = if edges <= 64 { 64 } else { 128 };
        let mut g = CellGrid {
            x0: self.bbox[0],
            y0: self.bbox[1],
            inv_w: n as f64 / w,
            inv_h: n as f64 / h,
            n,
            cells: vec![CELL_EXTERIOR; n * n],
        };
        // Mark every cell an edge may pass through: in cell units a cell is a
        // unit square, and an edge meeting it passes within half a diagonal
        // (0.7071) of its centre; 0.75 leaves slack for rounding.
        for c in &self.comps {
            for &(a, b) in &c.edges {
                let (ax, ay) = ((a.x - g.x0) * g.inv_w, (a.y - g.y0) * g.inv_h);
                let (bx, by) = ((b.x - g.x0) * g.inv_w, (b.y - g.y0) * g.inv_h);
                let clamp = |v: f64| (v.floor() as i64).clamp(0, n as i64 - 1) as usize;
                let (i0, i1) = (clamp(ax.min(bx) - 1.0), clamp(ax.max(bx) + 1.0));
                let (j0, j1) = (clamp(ay.min(by) - 1.0), clamp(ay.max(by) + 1.0));
                for j in j0..=j1 {
                    for i in i0..=i1 {
                        let centre = (i as f64 + 0.5, j as f64 + 0.5);
                        if point_segment_distance(centre, (ax, ay), (bx, by)) <= 0.75 {
                            g.cells[j * n + i] = CELL_BOUNDARY;
                        }
                    }
                }
            }
        }
        // Classify the others by their centre (no edge passes through them).
        // Neighbours in a row with no boundary cell between them share a
        // state, so one exact test per run of cells is enough.
        for j in 0..n {
            let mut state: Option<u8> = None;
            for i in 0..n {
                if g.cells[j * n + i] == CELL_BOUNDARY {
                    state = None;
                    continue;
                }
                let st = *state.get_or_insert_with(|| {
                    let x = g.x0 + (i as f64 + 0.5) / g.inv_w;
                    let y = g.y0 + (j as f64 + 0.5) / g.inv_h;
                    match self.locate_exact(x, y) {
                        PointLocation::Interior => CELL_INTERIOR,
                        PointLocation::Exterior => CELL_EXTERIOR,
                        PointLocation::Boundary => CELL_BOUNDARY,
                    }
                });
                g.cells[j * n + i] = st;
            }
        }
        Some(g)
    }

    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    /// The local metric frame at the polygon's centre.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    /// Where (lon, lat) lies: interior, boundary or exterior (exact).
    #[inline]
    pub fn locate(&self, lon: f64, lat: f64) -> PointLocation {
        if lon < self.bbox[0] || lon > self.bbox[2] || lat < self.bbox[1] || lat > self.bbox[3] {
            return PointLocation::Exterior;
        }
        if let Some(g) = &self.grid {
            match g.state(lon, lat, lon, lat) {
                CELL_INTERIOR => return PointLocation::Interior,
                CELL_EXTERIOR => return PointLocation::Exterior,
                _ => {}
            }
        }
        self.locate_exact(lon, lat)
    }

    /// [`PreparedPolygon::locate`] by the edges alone.
    fn locate_exact(&self, lon: f64, lat: f64) -> PointLocation {
        let p = Coord { x: lon, y: lat };
        let mut any_interior = false;
        for c in &self.comps {
            match c.locate(p) {
                PointLocation::Boundary => return PointLocation::Boundary,
                PointLocation::Interior => any_interior = true,
                PointLocation::Exterior => {}
            }
        }
        if any_interior {
            PointLocation::Interior
        } else {
            PointLocation::Exterior
        }
    }

    /// Whether the polygon covers (lon, lat): interior or boundary.
    #[inline]
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        self.locate(lon, lat) != PointLocation::Exterior
    }

    /// Distance in metres from (lon, lat) to the nearest edge.
    pub fn boundary_distance_m(&self, lon: f64, lat: f64) -> f64 {
        let p = self.frame.to_xy(lon, lat);
        let mut best = f64::INFINITY;
        for c in &self.comps {
            for &(a, b) in &c.edges {
                let a = self.frame.to_xy(a.x, a.y);
                let b = self.frame.to_xy(b.x, b.y);
                best = best.min(point_segment_distance(p, a, b));
            }
        }
        best
    }

    /// Distance in metres from (lon, lat) to the nearest edge, or `cap_m`
    /// when every edge is farther: visits only the slabs within `cap_m` of
    /// the point and skips edges whose box is farther than the best so far
    /// (the margin of a fix, asked for every fix in violation).
    pub fn boundary_distance_capped_m(&self, lon: f64, lat: f64, cap_m: f64) -> f64 {
        let p = self.frame.to_xy(lon, lat);
        let mut best = cap_m;
        // Degrees per metre with 1 % slack (the frame's scales are the
        // polygon's, not the point's).
        let (gx, gy) = (1.01 / self.frame.kx, 1.01 / self.frame.ky);
        // Every cell of the box around the disc known interior (or exterior):
        // no edge passes within `cap_m`.
        if let Some(g) = &self.grid {
            let (rx, ry) = (cap_m * gx, cap_m * gy);
            if g.state(lon - rx, lat - ry, lon + rx, lat + ry) != CELL_BOUNDARY {
                return cap_m;
            }
        }
        for c in &self.comps {
            let (rx, ry) = (best * gx, best * gy);
            if c.bbox[0] > lon + rx || c.bbox[2] < lon - rx || c.bbox[1] > lat + ry || c.bbox[3] < lat - ry {
                continue;
            }
            let n = c.slab_start.len() - 1;
            let slab = |y: f64| ((((y - c.y0) / c.dy).floor().max(0.0)) as usize).min(n - 1);
            let (k0, k1) = (slab(lat - ry), slab(lat + ry));
            for k in k0..=k1 {
                for &e in &c.slab_edges[c.slab_start[k] as usize..c.slab_start[k + 1] as usize] {
                    let (a, b) = c.edges[e as usize];
                    // An edge in several of the slabs is handled in the first.
                    if k > k0 && slab(a.y.min(b.y)) < k {
                        continue;
                    }
                    let (rx, ry) = (best * gx, best * gy);
                    if a.x.min(b.x) > lon + rx
                        || a.x.max(b.x) < lon - rx
                        || a.y.min(b.y) > lat + ry
                        || a.y.max(b.y) < lat - ry
                    {
                        continue;
                    }
                    let d = point_segment_distance(p, self.frame.to_xy(a.x, a.y), self.frame.to_xy(b.x, b.y));
                    best = best.min(d);
                }
            }
        }
        best
    }

    /// Whether (lon, lat) is more than `d_m` metres from every edge (stops at
    /// the first edge within `d_m`).
    pub fn boundary_farther_than(&self, lon: f64, lat: f64, d_m: f64) -> bool {
        let p = self.frame.to_xy(lon, lat);
        let (dlon, dlat) = (d_m / self.frame.kx * 1.01, d_m / self.frame.ky * 1.01);
        for c in &self.comps {
            for &(a, b) in &c.edges {
                if a.x.min(b.x) > lon + dlon
                    || a.x.max(b.x) < lon - dlon
                    || a.y.min(b.y) > lat + dlat
                    || a.y.max(b.y) < lat - dlat
                {
                    continue;
                }
                let a = self.frame.to_xy(a.x, a.y);
                let b = self.frame.to_xy(b.x, b.y);
                if point_segment_distance(p, a, b) <= d_m {
                    return false;
                }
            }
        }
        true
    }

    /// Appends the closed sub-intervals `[s0, s1]` of `s ∈ [0, 1]` where the
    /// point `a + s (b - a)` (lon/lat degrees) is covered, in increasing order.
    /// Degenerate intervals (`s0 == s1`) mark touches.
    pub fn covered_intervals(&self, a: (f64, f64), b: (f64, f64), out: &mut Vec<(f64, f64)>) {
        self.covered_intervals_known(a, b, None, None, out)
    }

    /// [`PreparedPolygon::covered_intervals`] when the caller already knows
    /// whether the ends are covered (`ca`, `cb`), saving two point tests.
    pub fn covered_intervals_known(
        &self,
        a: (f64, f64),
        b: (f64, f64),
        ca: Option<bool>,
        cb: Option<bool>,
        out: &mut Vec<(f64, f64)>,
    ) {
        let sb = [a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)];
        if sb[0] > self.bbox[2] || sb[2] < self.bbox[0] || sb[1] > self.bbox[3] || sb[3] < self.bbox[1] {
            return;
        }
        let (pa, pb) = (Coord { x: a.0, y: a.1 }, Coord { x: b.0, y: b.1 });
        if pa == pb {
            if ca.unwrap_or_else(|| self.covers(a.0, a.1)) {
                out.push((0.0, 1.0));
            }
            return;
        }
        if let Some(g) = &self.grid {
            // Every cell the segment's box meets is on one side: no crossing.
            match g.state(sb[0], sb[1], sb[2], sb[3]) {
                CELL_INTERIOR => {
                    out.push((0.0, 1.0));
                    return;
                }
                CELL_EXTERIOR => return,
                _ => {}
            }
        }
        // Breakpoints: the ends, and every exact meeting with an edge (on the
        // boundary), in a per-thread buffer (this runs for every segment near
        // a zone edge: no allocation).
        let mut params = PARAMS.with(|b| std::mem::take(&mut *b.borrow_mut()));
        params.clear();
        params.extend([(0.0, false), (1.0, false)]);
        self.crossings(a, b, sb, ca, cb, &mut params, out);
        PARAMS.with(|b| *b.borrow_mut() = params);
    }

    /// The exact part of [`PreparedPolygon::covered_intervals_known`]:
    /// breakpoints into `params` (holding the two ends), intervals into `out`.
    #[allow(clippy::too_many_arguments)]
    fn crossings(
        &self,
        a: (f64, f64),
        b: (f64, f64),
        sb: [f64; 4],
        ca: Option<bool>,
        cb: Option<bool>,
        params: &mut Vec<(f64, bool)>,
        out: &mut Vec<(f64, f64)>,
    ) {
        let (pa, pb) = (Coord { x: a.0, y: a.1 }, Coord { x: b.0, y: b.1 });
        let d = Coord {
            x: b.0 - a.0,
            y: b.1 - a.1,
        };
        for c in &self.comps {
            if sb[0] > c.bbox[2] || sb[2] < c.bbox[0] || sb[1] > c.bbox[3] || sb[3] < c.bbox[1] {
                continue;
            }
            // Only the edges in the slabs the segment's y-range spans; an edge in
            // several of them is handled in the first slab both share.
            let nslab = c.slab_start.len() - 1;
            let slab_of = |y: f64| ((((y - c.y0) / c.dy).floor().max(0.0)) as usize).min(nslab - 1);
            let (k0, k1) = (slab_of(sb[1]), slab_of(sb[3]));
            for k in k0..=k1 {
                for &e in &c.slab_edges[c.slab_start[k] as usize..c.slab_start[k + 1] as usize] {
                    let (p, q) = c.edges[e as usize];
                    if p.x.max(q.x) < sb[0] || p.x.min(q.x) > sb[2] || p.y.max(q.y) < sb[1] || p.y.min(q.y) > sb[3] {
                        continue;
                    }
                    if k != k0 && slab_of(p.y.min(q.y)) < k {
                        continue;
                    }
                    let o1 = orient(pa, pb, p);
                    let o2 = orient(pa, pb, q);
                    if o1 == o2 && o1 != Orientation::Collinear {
                        continue;
                    }
                    let o3 = orient(p, q, pa);
                    let o4 = orient(p, q, pb);
                    if o3 == o4 && o3 != Orientation::Collinear {
                        continue;
                    }
                    let dd = d.x * d.x + d.y * d.y;
                    let proj = |c: Coord<f64>| (((c.x - a.0) * d.x + (c.y - a.1) * d.y) / dd).clamp(0.0, 1.0);
                    if o1 == Orientation::Collinear && o2 == Orientation::Collinear {
                        // Collinear: they share the overlap of their projections on ab.
                        let raw = |c: Coord<f64>| ((c.x - a.0) * d.x + (c.y - a.1) * d.y) / dd;
                        let (s0, s1) = (raw(p), raw(q));
                        let (lo, hi) = (s0.min(s1).max(0.0), s0.max(s1).min(1.0));
                        if lo <= hi {
                            params.push((lo, true));
                            params.push((hi, true));
                        }
                        continue;
                    }
                    // A single meeting point.
                    let e = Coord {
                        x: q.x - p.x,
                        y: q.y - p.y,
                    };
                    let den = d.x * e.y - d.y * e.x;
                    let s = if o3 == Orientation::Collinear {
                        0.0
                    } else if o4 == Orientation::Collinear {
                        1.0
                    } else if o1 == Orientation::Collinear {
                        proj(p)
                    } else if o2 == Orientation::Collinear {
                        proj(q)
                    } else {
                        (((p.x - a.0) * e.y - (p.y - a.1) * e.x) / den).clamp(0.0, 1.0)
                    };
                    params.push((s, true));
                }
            }
        }
        params.sort_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
        params.dedup_by(|later, earlier| later.0 == earlier.0);
        let at = |s: f64| (a.0 + s * d.x, a.1 + s * d.y);
        if params.len() == 2 && !params[0].1 && !params[1].1 {
            // No meeting with the boundary: the whole segment is on one side.
            if ca.unwrap_or_else(|| self.covers(a.0, a.1)) {
                out.push((0.0, 1.0));
            }
            return;
        }
        let covered_at = |s: f64, boundary: bool| {
            boundary || {
                if s == 0.0 {
                    if let Some(c) = ca {
                        return c;
                    }
                } else if s == 1.0 {
                    if let Some(c) = cb {
                        return c;
                    }
                }
                let p = if s == 0.0 {
                    a
                } else if s == 1.0 {
                    b
                } else {
                    at(s)
                };
                self.covers(p.0, p.1)
            }
        };
        let start_len = out.len();
        let push = |s0: f64, s1: f64, out: &mut Vec<(f64, f64)>| {
            if out.len() > start_len {
                let last = out.last_mut().expect("non-empty");
                if last.1 >= s0 {
                    last.1 = last.1.max(s1);
                    return;
                }
            }
            out.push((s0, s1));
        };
        for k in 0..params.len() {
            let (s, boundary) = params[k];
            if covered_at(s, boundary) {
                push(s, s, out);
            }
            if k + 1 < params.len() {
                let s1 = params[k + 1].0;
                let mid = at(0.5 * (s + s1));
                if self.covers(mid.0, mid.1) {
                    push(s, s1, out);
                }
            }
        }
    }

    /// Appends the closed sub-intervals of `s ∈ [0, 1]` where `a + s (b - a)`
    /// is within `distance_m` metres of the polygon (inside counts as 0 m).
    pub fn within_intervals(&self, a: (f64, f64), b: (f64, f64), distance_m: f64, out: &mut Vec<(f64, f64)>) {
        let (dlon, dlat) = (distance_m / self.frame.kx * 1.001, distance_m / self.frame.ky * 1.001);
        let sb = [a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)];
        if sb[0] > self.bbox[2] + dlon
            || sb[2] < self.bbox[0] - dlon
            || sb[1] > self.bbox[3] + dlat
            || sb[3] < self.bbox[1] - dlat
        {
            return;
        }
        let mut parts = PARTS.with(|b| std::mem::take(&mut *b.borrow_mut()));
        parts.clear();
        self.covered_intervals(a, b, &mut parts);
        let pa = self.frame.to_xy(a.0, a.1);
        let pb = self.frame.to_xy(b.0, b.1);
        let len = ((pb.0 - pa.0).powi(2) + (pb.1 - pa.1).powi(2)).sqrt();
        let at = |s: f64| (pa.0 + s * (pb.0 - pa.0), pa.1 + s * (pb.1 - pa.1));
        for c in &self.comps {
            for &(p, q) in &c.edges {
                if p.x.max(q.x) < sb[0] - dlon
                    || p.x.min(q.x) > sb[2] + dlon
                    || p.y.max(q.y) < sb[1] - dlat
                    || p.y.min(q.y) > sb[3] + dlat
                {
                    continue;
                }
                let e0 = self.frame.to_xy(p.x, p.y);
                let e1 = self.frame.to_xy(q.x, q.y);
                // The distance to the edge changes by at most the distance
                // moved: no point of the segment is nearer than
                // (d(a) + d(b) - len) / 2. Clear of the buffer by a margin,
                // the edge needs no search (the search would find nothing).
                let (da, db) = (point_segment_distance(pa, e0, e1), point_segment_distance(pb, e0, e1));
                if 0.5 * (da + db - len) > distance_m + 1e-6 {
                    continue;
                }
                let f = |s: f64| point_segment_distance(at(s), e0, e1) - distance_m;
                if let Some(iv) = sublevel_interval(f) {
                    parts.push(iv);
                }
            }
        }
        merge_intervals(&mut parts);
        out.extend(parts.iter().copied());
        PARTS.with(|b| *b.borrow_mut() = parts);
    }
}

/// Distance from point p to segment ab in the plane.
#[inline]
pub(crate) fn point_segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let dd = dx * dx + dy * dy;
    let t = if dd > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / dd).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    (x * x + y * y).sqrt()
}

/// For a convex function `f` on [0, 1], the interval where `f(s) <= 0`, if any
/// (golden-section search for the minimum, then bisection for each end).
pub(crate) fn sublevel_interval(f: impl Fn(f64) -> f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let mut x1 = hi - g * (hi - lo);
    let mut x2 = lo + g * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..80 {
        if f1 <= 0.0 || f2 <= 0.0 {
            break;
        }
        if f1 < f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = f(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = f(x2);
        }
        if hi - lo < 1e-15 {
            break;
        }
    }
    let (sm, fm) = [(x1, f1), (x2, f2), (0.0, f(0.0)), (1.0, f(1.0))]
        .into_iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("four candidates");
    if fm > 0.0 {
        return None;
    }
    let root = |mut inside: f64, mut outside: f64| {
        for _ in 0..60 {
            let m = 0.5 * (inside + outside);
            if f(m) <= 0.0 {
                inside = m;
            } else {
                outside = m;
            }
        }
        inside
    };
    let left = if f(0.0) <= 0.0 { 0.0 } else { root(sm, 0.0) };
    let right = if f(1.0) <= 0.0 { 1.0 } else { root(sm, 1.0) };
    Some((left, right))
}

/// Sorts and merges overlapping closed intervals in place.
pub(crate) fn merge_intervals(v: &mut Vec<(f64, f64)>) {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    // In place: `w` intervals kept so far.
    let mut w = 0;
    for r in 0..v.len() {
        let (a, b) = v[r];
        if w > 0 && a <= v[w - 1].1 {
            v[w - 1].1 = v[w - 1].1.max(b);
        } else {
            v[w] = (a, b);
            w += 1;
        }
    }
    v.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{offset_m, star_ring, SplitMix64};
    use geo::Polygon;

    /// The bounded margin search (slabs, box pruning, grid fast path) gives
    /// exactly `min(exact distance, cap)`: random star polygons of 4–200
    /// vertices, points in and around them, caps of 1–300 m.
    #[test]
    fn capped_boundary_distance_equals_the_exact_distance_capped() {
        let mut rng = SplitMix64::new(19);
        let c = (-0.12, 51.5);
        for _ in 0..200 {
            let k = 4 + (rng.next_u64() % 197) as usize;
            let (r0, r1) = (rng.range(20.0, 200.0), rng.range(200.0, 400.0));
            let ring = star_ring(&mut rng, c, k, r0, r1);
            let poly = PreparedPolygon::new(&MultiPolygon(vec![Polygon::new(ring, vec![])]));
            for _ in 0..100 {
                let (lon, lat) = offset_m(c, rng.range(-450.0, 450.0), rng.range(-450.0, 450.0));
                let cap = rng.range(1.0, 300.0);
                let want = poly.boundary_distance_m(lon, lat).min(cap);
                let got = poly.boundary_distance_capped_m(lon, lat, cap);
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "({lon}, {lat}) cap {cap}: {got} vs {want}"
                );
            }
        }
    }

    /// Skipping edges by the distance bound never changes an answer: random
    /// star polygons, buffers of 5–60 m, segments of 0–300 m around them,
    /// against a search on every edge (bit for bit).
    #[test]
    fn buffer_edge_skipping_agrees_with_searching_every_edge() {
        let mut rng = SplitMix64::new(12);
        let c = (-0.12, 51.5);
        for _ in 0..100 {
            let k = 4 + (rng.next_u64() % 40) as usize;
            let ring = star_ring(&mut rng, c, k, 50.0, 200.0);
            let poly = PreparedPolygon::new(&MultiPolygon(vec![Polygon::new(ring, vec![])]));
            for _ in 0..50 {
                let d = rng.range(5.0, 60.0);
                let a = offset_m(c, rng.range(-300.0, 300.0), rng.range(-300.0, 300.0));
                let len = rng.range(0.0, 300.0);
                let t = rng.range(0.0, std::f64::consts::TAU);
                let b = offset_m(a, len * t.cos(), len * t.sin());
                let mut got = Vec::new();
                poly.within_intervals(a, b, d, &mut got);
                let mut want = Vec::new();
                poly.covered_intervals(a, b, &mut want);
                let (pa, pb) = (poly.frame.to_xy(a.0, a.1), poly.frame.to_xy(b.0, b.1));
                let at = |s: f64| (pa.0 + s * (pb.0 - pa.0), pa.1 + s * (pb.1 - pa.1));
                for comp in &poly.comps {
                    for &(p, q) in &comp.edges {
                        let (e0, e1) = (poly.frame.to_xy(p.x, p.y), poly.frame.to_xy(q.x, q.y));
                        if let Some(iv) = sublevel_interval(|s| point_segment_distance(at(s), e0, e1) - d) {
                            want.push(iv);
                        }
                    }
                }
                merge_intervals(&mut want);
                assert_eq!(got, want, "segment {a:?}-{b:?}, buffer {d} m");
            }
        }
    }

    /// The cell grid never changes an answer: random star polygons (with
    /// holes), random points, points on the bounding box and on vertices.
    #[test]
    fn grid_agrees_with_exact_location() {
        let mut rng = SplitMix64::new(9);
        for _ in 0..200 {
            let c = (-0.12, 51.5);
            let k = 4 + (rng.next_u64() % 150) as usize;
            let ring = |rng: &mut SplitMix64, r0: f64, r1: f64| star_ring(rng, c, k, r0, r1);
            let outer = ring(&mut rng, 100.0, 400.0);
            let holes = if rng.chance(0.3) {
                vec![ring(&mut rng, 10.0, 60.0)]
            } else {
                vec![]
            };
            let verts: Vec<Coord<f64>> = outer.0.clone();
            let p = PreparedPolygon::new(&MultiPolygon(vec![Polygon::new(outer, holes)]));
            assert!(p.grid.is_some());
            let b = p.bbox();
            let mut probes: Vec<(f64, f64)> = (0..300)
                .map(|_| (rng.range(b[0] - 1e-4, b[2] + 1e-4), rng.range(b[1] - 1e-4, b[3] + 1e-4)))
                .collect();
            probes.extend(verts.iter().map(|v| (v.x, v.y)));
            probes.extend([
                (b[0], b[1]),
                (b[2], b[3]),
                (b[2], 0.5 * (b[1] + b[3])),
                (0.5 * (b[0] + b[2]), b[3]),
            ]);
            for (x, y) in probes {
                let exact = if x < b[0] || x > b[2] || y < b[1] || y > b[3] {
                    PointLocation::Exterior
                } else {
                    p.locate_exact(x, y)
                };
                assert_eq!(p.locate(x, y), exact, "({x}, {y})");
            }
        }
    }
}
