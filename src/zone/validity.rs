//! Polygon validity in O(n log n): the OGC rules a zone must obey, checked
//! fast enough for untrusted files (geo's `Validation` compares every pair
//! of edges: 40,000 vertices took 19 s, on every `breaches` start).
//!
//! Rules: no ring crosses or touches itself (other than its consecutive
//! edges meeting at their shared vertex; a spike that folds back is
//! refused); no two rings cross or overlap along an edge (they may touch at
//! single points, as OGC allows); every hole lies inside its exterior and
//! outside every other hole; the polygons of a multipolygon do not overlap.
//! Edge pairs are found by an R-tree over edge boxes (bulk-loaded, O(n log
//! n)); intersection tests use geo's robust orientation predicates, so the
//! answer is exact for the doubles given. Containment is decided with one
//! vertex per ring against a prepared polygon.

use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use rstar::{RTree, AABB};

use super::polygon::{PointLocation, PreparedPolygon};

/// Most vertices one zone may have (all rings of all its polygons). A
/// street-level zone has tens to thousands; a million is a detailed
/// boundary of a whole region.
pub const MAX_ZONE_VERTICES: usize = 1_000_000;

#[inline]
fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    <RobustKernel as Kernel<f64>>::orient2d(p, q, r)
}

struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
    /// Ring number (global over the multipolygon) and position in it.
    ring: u32,
    pos: u32,
}

/// Whether `p` (collinear with segment a–b) lies on the closed segment.
#[inline]
fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

#[derive(Debug, PartialEq)]
enum Meet {
    Disjoint,
    /// They meet in exactly one point.
    Point,
    /// They cross properly, or overlap along a piece of line.
    Cross,
}

fn meet(e: &Edge, f: &Edge) -> Meet {
    let (o1, o2) = (orient(e.a, e.b, f.a), orient(e.a, e.b, f.b));
    let (o3, o4) = (orient(f.a, f.b, e.a), orient(f.a, f.b, e.b));
    use Orientation::Collinear as C;
    if o1 == C && o2 == C {
        // Collinear: overlapping in more than a point is a cross.
        let shared = [f.a, f.b].iter().filter(|&&p| on_segment(e.a, e.b, p)).count()
            + [e.a, e.b].iter().filter(|&&p| on_segment(f.a, f.b, p)).count();
        let touching_ends = [(e.a, f.a), (e.a, f.b), (e.b, f.a), (e.b, f.b)]
            .iter()
            .filter(|(p, q)| p == q)
            .count();
        return match shared {
            0 => Meet::Disjoint,
            _ if shared == 2 && touching_ends == 1 => Meet::Point,
            _ => Meet::Cross,
        };
    }
    if o1 != o2 && o3 != o4 && o1 != C && o2 != C && o3 != C && o4 != C {
        return Meet::Cross;
    }
    let touch = (o1 == C && on_segment(e.a, e.b, f.a))
        || (o2 == C && on_segment(e.a, e.b, f.b))
        || (o3 == C && on_segment(f.a, f.b, e.a))
        || (o4 == C && on_segment(f.a, f.b, e.b));
    if touch {
        Meet::Point
    } else {
        Meet::Disjoint
    }
}

/// The ring without consecutive repeated positions (still closed).
fn dedup(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut v: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for &c in &ring.0 {
        if v.last() != Some(&c) {
            v.push(c);
        }
    }
    v
}

/// Checks a multipolygon (a polygon is one of one). `Err` holds the reason
/// and, where it applies, the 0-based polygon and ring it concerns.
///
/// # Errors
/// A sentence for the zone's error message.
pub(crate) fn check(polygons: &[Polygon<f64>]) -> Result<(), String> {
    let n: usize = polygons
        .iter()
        .map(|p| {
            // Vertices, not positions: a closed ring repeats its first.
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.len().saturating_sub(1))
                .sum::<usize>()
        })
        .sum();
    if n > MAX_ZONE_VERTICES {
        return Err(format!(
            "{n} vertices: a zone may have at most {MAX_ZONE_VERTICES} (simplify it first)"
        ));
    }
    // Rings: (polygon, ring within polygon, deduplicated positions).
    let mut rings: Vec<(usize, usize, Vec<Coord<f64>>)> = Vec::new();
    for (pi, p) in polygons.iter().enumerate() {
        for (ri, r) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
            let d = dedup(r);
            if d.len() < 4 {
                return Err(format!("polygon {pi}, ring {ri}: fewer than 3 distinct positions"));
            }
            rings.push((pi, ri, d));
        }
    }
    let mut edges = Vec::with_capacity(n);
    for (k, (_, _, r)) in rings.iter().enumerate() {
        for (pos, w) in r.windows(2).enumerate() {
            edges.push(Edge {
                a: w[0],
                b: w[1],
                ring: k as u32,
                pos: pos as u32,
            });
        }
    }
    // Sweep in x: edges sorted by their left end; the active list holds the
    // edges whose x-range reaches the current one. Each pair of edges whose
    // boxes meet is tested once. Boundaries traced at high resolution keep
    // the active list short, so this is O(n log n) in practice.
    let boxes: Vec<[f64; 4]> = edges
        .iter()
        .map(|e| [e.a.x.min(e.b.x), e.a.y.min(e.b.y), e.a.x.max(e.b.x), e.a.y.max(e.b.y)])
        .collect();
    let mut order: Vec<u32> = (0..edges.len() as u32).collect();
    order.sort_unstable_by(|&i, &j| boxes[i as usize][0].total_cmp(&boxes[j as usize][0]));
    let mut active: Vec<u32> = Vec::new();
    for &i in &order {
        let bi = boxes[i as usize];
        active.retain(|&j| boxes[j as usize][2] >= bi[0]);
        for &j in &active {
            let bj = boxes[j as usize];
            if bj[1] > bi[3] || bj[3] < bi[1] {
                continue;
            }
            // Ring order: e before f.
            let (e, f) =
                if (edges[i as usize].ring, edges[i as usize].pos) < (edges[j as usize].ring, edges[j as usize].pos) {
                    (&edges[i as usize], &edges[j as usize])
                } else {
                    (&edges[j as usize], &edges[i as usize])
                };
            let (pe, re, ref ring) = rings[e.ring as usize];
            let last = ring.len() as u32 - 2;
            let same_ring = f.ring == e.ring;
            let adjacent = same_ring && (f.pos == e.pos + 1 || (e.pos == 0 && f.pos == last));
            if adjacent {
                // Consecutive edges p→q, q→r: a fold back along the line is a spike.
                let (p, q, r) = if f.pos == e.pos + 1 {
                    (e.a, e.b, f.b)
                } else {
                    (f.a, f.b, e.b)
                };
                if orient(p, q, r) == Orientation::Collinear
                    && (r.x - q.x) * (p.x - q.x) + (r.y - q.y) * (p.y - q.y) > 0.0
                {
                    return Err(format!(
                        "polygon {pe}, ring {re}: a spike folds back on itself at [{}, {}]",
                        q.x, q.y
                    ));
                }
                continue;
            }
            match meet(e, f) {
                Meet::Disjoint => {}
                Meet::Point if !same_ring => {}
                Meet::Point => {
                    return Err(format!(
                        "polygon {pe}, ring {re}: self-intersection (the ring touches itself near [{}, {}])",
                        e.a.x, e.a.y
                    ))
                }
                Meet::Cross => {
                    let (pf, rf, _) = rings[f.ring as usize];
                    return Err(if same_ring {
                        format!("polygon {pe}, ring {re}: self-intersection near [{}, {}]", e.a.x, e.a.y)
                    } else {
                        format!(
                            "polygon {pe} ring {re} and polygon {pf} ring {rf} intersect near [{}, {}]",
                            e.a.x, e.a.y
                        )
                    });
                }
            }
        }
        active.push(i);
    }
    // No edges cross, so each ring is wholly inside or outside another ring:
    // one vertex that is not on the other ring decides.
    let side = |prepared: &PreparedPolygon, ring: &[Coord<f64>]| -> PointLocation {
        ring.iter()
            .map(|c| prepared.locate(c.x, c.y))
            .find(|l| *l != PointLocation::Boundary)
            .unwrap_or(PointLocation::Boundary)
    };
    let shell =
        |r: &[Coord<f64>]| PreparedPolygon::new(&MultiPolygon(vec![Polygon::new(LineString(r.to_vec()), vec![])]));
    let bbox = |r: &[Coord<f64>]| {
        r.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, c| {
            [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)]
        })
    };
    let inside_box = |a: [f64; 4], b: [f64; 4]| a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3];
    let shells: Vec<(usize, PreparedPolygon, [f64; 4])> = rings
        .iter()
        .filter(|(_, ri, _)| *ri == 0)
        .map(|(pi, _, r)| (*pi, shell(r), bbox(r)))
        .collect();
    /// (polygon, ring, positions, box) of a hole.
    type Hole<'a> = (usize, usize, &'a Vec<Coord<f64>>, [f64; 4]);
    let holes: Vec<Hole<'_>> = rings
        .iter()
        .filter(|(_, ri, _)| *ri > 0)
        .map(|(pi, ri, r)| (*pi, *ri, r, bbox(r)))
        .collect();
    for &(pi, ri, r, _) in &holes {
        if side(&shells[pi].1, r) != PointLocation::Interior {
            return Err(format!("polygon {pi}, ring {ri}: the hole is not inside its polygon"));
        }
    }
    // Holes of one polygon must not nest (prefiltered by boxes).
    let hole_tree = RTree::bulk_load(
        holes
            .iter()
            .enumerate()
            .map(|(k, h)| {
                rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners([h.3[0], h.3[1]], [h.3[2], h.3[3]]),
                    k,
                )
            })
            .collect(),
    );
    for (k, &(pi, ri, r, b)) in holes.iter().enumerate() {
        for other in hole_tree.locate_in_envelope_intersecting(&AABB::from_corners([b[0], b[1]], [b[2], b[3]])) {
            let (pj, rj, rr, bb) = holes[other.data];
            if other.data == k || pj != pi || !inside_box(b, bb) {
                continue;
            }
            if side(&shell(rr), r) == PointLocation::Interior {
                return Err(format!("polygon {pi}: hole {ri} lies inside hole {rj}"));
            }
        }
    }
    // Polygons of a multipolygon must not overlap: a polygon whose shell is
    // inside another's must sit in one of that one's holes.
    if shells.len() > 1 {
        let shell_tree = RTree::bulk_load(
            shells
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    rstar::primitives::GeomWithData::new(
                        rstar::primitives::Rectangle::from_corners([s.2[0], s.2[1]], [s.2[2], s.2[3]]),
                        k,
                    )
                })
                .collect(),
        );
        for (k, (pi, _, b)) in shells.iter().enumerate() {
            let ring = &rings.iter().find(|(p, ri, _)| p == pi && *ri == 0).expect("shell").2;
            for other in shell_tree.locate_in_envelope_intersecting(&AABB::from_corners([b[0], b[1]], [b[2], b[3]])) {
                let (pj, ref sj, bj) = shells[other.data];
                if other.data == k {
                    continue;
                }
                if inside_box(*b, bj) && side(sj, ring) == PointLocation::Interior {
                    let in_hole = holes
                        .iter()
                        .filter(|h| h.0 == pj && inside_box(*b, h.3))
                        .any(|h| side(&shell(h.2), ring) == PointLocation::Interior);
                    if !in_hole {
                        return Err(format!("polygons {pi} and {pj} overlap"));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;

    fn poly(rings: &[&[(f64, f64)]]) -> Polygon<f64> {
        let ls = |r: &[(f64, f64)]| LineString::from(r.to_vec());
        Polygon::new(ls(rings[0]), rings[1..].iter().map(|r| ls(r)).collect())
    }

    #[test]
    fn known_valid_and_invalid_shapes() {
        let sq: &[(f64, f64)] = &[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)];
        let hole: &[(f64, f64)] = &[(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)];
        let cases: Vec<(MultiPolygon<f64>, bool)> = vec![
            (MultiPolygon(vec![poly(&[sq])]), true),
            (MultiPolygon(vec![poly(&[sq, hole])]), true),
            // bow tie
            (
                MultiPolygon(vec![poly(&[&[
                    (0.0, 0.0),
                    (1.0, 1.0),
                    (1.0, 0.0),
                    (0.0, 1.0),
                    (0.0, 0.0),
                ]])]),
                false,
            ),
            // hole outside
            (
                MultiPolygon(vec![poly(&[sq, &[(5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)]])]),
                false,
            ),
            // hole crossing the shell
            (
                MultiPolygon(vec![poly(&[sq, &[(3.0, 1.0), (5.0, 1.0), (5.0, 2.0), (3.0, 1.0)]])]),
                false,
            ),
            // nested holes
            (
                MultiPolygon(vec![poly(&[
                    sq,
                    &[(0.5, 0.5), (3.5, 0.5), (3.5, 3.5), (0.5, 3.5), (0.5, 0.5)],
                    &[(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)],
                ])]),
                false,
            ),
            // overlapping polygons, and one inside another
            (
                MultiPolygon(vec![
                    poly(&[sq]),
                    poly(&[&[(2.0, 2.0), (6.0, 2.0), (6.0, 6.0), (2.0, 2.0)]]),
                ]),
                false,
            ),
            (MultiPolygon(vec![poly(&[sq]), poly(&[hole])]), false),
            // a polygon in another's hole, and two touching at a vertex
            (
                MultiPolygon(vec![
                    poly(&[sq, &[(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 1.0)]]),
                    poly(&[&[(2.0, 1.5), (2.8, 1.5), (2.8, 2.5), (2.0, 1.5)]]),
                ]),
                true,
            ),
            (
                MultiPolygon(vec![
                    poly(&[sq]),
                    poly(&[&[(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 4.0)]]),
                ]),
                true,
            ),
            // a spike
            (
                MultiPolygon(vec![poly(&[&[
                    (0.0, 0.0),
                    (4.0, 0.0),
                    (6.0, 0.0),
                    (4.0, 0.0),
                    (4.0, 4.0),
                    (0.0, 0.0),
                ]])]),
                false,
            ),
            // a ring touching itself at a vertex
            (
                MultiPolygon(vec![poly(&[&[
                    (0.0, 0.0),
                    (4.0, 0.0),
                    (2.0, 2.0),
                    (4.0, 4.0),
                    (0.0, 4.0),
                    (2.0, 2.0),
                    (0.0, 0.0),
                ]])]),
                false,
            ),
        ];
        for (k, (mp, valid)) in cases.iter().enumerate() {
            assert_eq!(check(&mp.0).is_ok(), *valid, "case {k}: {:?}", check(&mp.0));
        }
    }

    /// Differential check against geo's (quadratic, independent) validation
    /// on random star polygons and random vertex soups.
    #[test]
    fn agrees_with_geo_on_random_polygons() {
        let mut rng = crate::generate::SplitMix64::new(11);
        let mut agree = (0, 0);
        for round in 0..3_000 {
            let n = 3 + (rng.next_u64() % 12) as usize;
            let star = round % 2 == 0;
            let mut pts: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    if star {
                        let a = i as f64 / n as f64 * std::f64::consts::TAU;
                        let r = rng.range(0.3, 1.0);
                        (r * a.cos(), r * a.sin())
                    } else {
                        ((rng.next_u64() % 8) as f64, (rng.next_u64() % 8) as f64)
                    }
                })
                .collect();
            pts.push(pts[0]);
            let mp = MultiPolygon(vec![poly(&[&pts])]);
            // geo accepts rings whose vertices all lie on one line (zero area);
            // OGC (and trailfence) do not, so those are not compared.
            let coords: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
            if super::super::polygon::ring_area_m2(&coords) == 0.0 {
                continue;
            }
            let mine = check(&mp.0).is_ok();
            let theirs = mp.is_valid();
            assert_eq!(mine, theirs, "round {round}: {pts:?}: ours {:?}", check(&mp.0));
            if mine {
                agree.0 += 1;
            } else {
                agree.1 += 1;
            }
        }
        assert!(agree.0 > 500 && agree.1 > 500, "{agree:?}");
    }
}
