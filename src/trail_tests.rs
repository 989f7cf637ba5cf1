use super::*;

fn trail(ts: &[i64]) -> Trail {
    let n = ts.len();
    Trail::from_sorted_columns(
        ts.iter().map(|t| t * 1_000_000).collect(),
        (0..n).map(|i| i as f64).collect(),
        (0..n).map(|i| 2.0 * i as f64).collect(),
        vec![f32::NAN; n],
    )
    .unwrap()
}

#[test]
fn interpolates_only_within_max_gap() {
    let t = trail(&[0, 60, 1000]);
    assert_eq!(t.position_at(30_000_000, 600.0), Some((0.5, 1.0)));
    assert_eq!(t.position_at(60_000_000, 600.0), Some((1.0, 2.0)));
    assert_eq!(t.position_at(500_000_000, 600.0), None);
    assert_eq!(t.position_at(-1, 600.0), None);
    assert_eq!(t.position_at(1_000_000_001, 600.0), None);
    assert_eq!(t.position_at(1_000_000_000, 600.0), Some((2.0, 4.0)));
}

#[test]
fn unsorted_columns_are_refused() {
    assert!(Trail::from_sorted_columns(vec![2, 1], vec![0.0; 2], vec![0.0; 2], vec![0.0; 2]).is_none());
    assert!(Trail::from_sorted_columns(vec![1, 1], vec![0.0; 2], vec![0.0; 2], vec![0.0; 2]).is_none());
}

#[test]
fn gaps_are_clipped_to_window() {
    let t = trail(&[100, 160, 2000, 2060]);
    let w = Window::from_us(0, 3_000_000_000);
    let g = t.gaps(w, 600.0);
    assert_eq!(g.len(), 3);
    assert_eq!((g[0].start_us, g[0].end_us), (0, 100_000_000));
    assert_eq!((g[1].start_us, g[1].end_us), (160_000_000, 2_000_000_000));
    assert_eq!(g[2].start_us, 2_060_000_000);
    // A window inside the long gap is one gap.
    let g = t.gaps(Window::from_us(500_000_000, 600_000_000), 600.0);
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].last_fix_before_us, Some(160_000_000));
    // A window fully covered by continuous data has none.
    assert!(t.gaps(Window::from_us(100_000_000, 160_000_000), 600.0).is_empty());
}

#[test]
fn lower_bound_agrees_with_partition_point() {
    let mut rng = crate::generate::SplitMix64::new(5);
    for n in [0usize, 1, 2, 15, 16, 17, 100, 1000] {
        let mut t = Vec::with_capacity(n);
        let mut v = -50i64;
        for _ in 0..n {
            // Irregular spacing with occasional long gaps.
            v += 1 + (rng.next_u64() % if rng.chance(0.05) { 10_000 } else { 60 }) as i64;
            t.push(v);
        }
        for _ in 0..500 {
            let x = -100 + (rng.next_u64() % (v.max(1) as u64 + 200)) as i64;
            assert_eq!(lower_bound(&t, x), t.partition_point(|&e| e < x), "n={n} x={x}");
        }
        for &x in &t {
            assert_eq!(lower_bound(&t, x), t.partition_point(|&e| e < x));
        }
    }
}

#[test]
fn accuracy_reads_back_as_written() {
    let vals = [11.8f64, 5.0, 0.3, 149.9, 1234.5, 0.0];
    let n = vals.len();
    let t = Trail::from_sorted_columns(
        (0..n as i64).collect(),
        vec![0.0; n],
        vec![0.0; n],
        vals.iter().map(|&v| v as f32).collect(),
    )
    .unwrap();
    for (i, v) in vals.iter().enumerate() {
        assert_eq!(t.accuracy_m_f64(i), Some(*v));
    }
}
