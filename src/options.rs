//! Option checks and defaults, owned here once for every surface.
//!
//! Every numeric option of every operation is checked by the operation
//! itself, in the core, with an [`Error::Option`] naming the option: the CLI,
//! the Python bindings and Dask pass values through (or `None` for "the core
//! default") and never re-check or repeat a literal. A NaN that slipped
//! through would silently change a verdict (`min_duration_s = NaN` drops
//! every episode, `distance_m = NaN` matches everything), so every check
//! rejects NaN and infinities explicitly.

use crate::error::Error;
use crate::fix::MAX_ACCURACY_M;

/// Default H3 resolution of heatmaps (res 9: cells of about 0.1 km²).
pub const DEFAULT_H3_RESOLUTION: u8 = 9;

/// Default small-count suppression of heatmaps: a cell is published only
/// when at least this many distinct subjects spent time in it. The same on
/// every surface (CLI, Python, Dask), so an analyst never publishes a cell
/// that identifies one person by accident.
pub const DEFAULT_MIN_SUBJECTS: u32 = 5;

/// Default stop radius, metres: a stop's fixes fit in a circle of this radius.
pub const DEFAULT_STOP_RADIUS_M: f64 = 50.0;

/// Default shortest stop, seconds (10 minutes).
pub const DEFAULT_STOP_MIN_DURATION_S: f64 = 600.0;

/// The largest distance option accepted, metres (20,000 km, half the
/// Earth's circumference): any radius beyond it covers the whole planet.
pub const MAX_DISTANCE_M: f64 = 2.0e7;

/// The largest duration option accepted, seconds (about 317 years; keeps
/// every duration exactly representable in integer microseconds).
pub const MAX_DURATION_S: f64 = 1.0e10;

/// A duration option: finite, `0 <= v <= MAX_DURATION_S` seconds.
pub(crate) fn seconds(name: &'static str, v: f64) -> Result<(), Error> {
    check(
        name,
        v,
        (0.0..=MAX_DURATION_S).contains(&v),
        "must be a finite number of seconds >= 0",
    )
}

/// A duration option that must be above zero (e.g. `max_gap_s`).
pub(crate) fn positive_seconds(name: &'static str, v: f64) -> Result<(), Error> {
    check(
        name,
        v,
        v > 0.0 && v <= MAX_DURATION_S,
        "must be a finite number of seconds above zero",
    )
}

/// A distance option: finite, `0 <= v <= MAX_DISTANCE_M` metres.
pub(crate) fn metres(name: &'static str, v: f64) -> Result<(), Error> {
    check(
        name,
        v,
        (0.0..=MAX_DISTANCE_M).contains(&v),
        "must be a finite number of metres, 0 to 20,000 km",
    )
}

/// An accuracy option: finite, `0 <= v <= MAX_ACCURACY_M` metres (the
/// same rule as a fix's own accuracy).
pub(crate) fn accuracy(name: &'static str, v: f64) -> Result<(), Error> {
    check(
        name,
        v,
        (0.0..=MAX_ACCURACY_M).contains(&v),
        "must be a finite number of metres, 0 to 20,000 km",
    )
}

pub(crate) fn check(name: &'static str, v: f64, ok: bool, reason: &'static str) -> Result<(), Error> {
    if v.is_finite() && ok {
        Ok(())
    } else {
        Err(Error::Option {
            name,
            value: v.to_string(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_infinite_negative_and_huge_values_are_refused_by_name() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.001, 1e300] {
            for f in [seconds, positive_seconds, metres, accuracy] {
                let e = f("some_option", v).unwrap_err().to_string();
                assert!(e.contains("some_option"), "{e}");
            }
        }
        assert!(positive_seconds("max_gap_s", 0.0).is_err());
        for f in [seconds, metres, accuracy] {
            f("x", 0.0).unwrap();
            f("x", 12.5).unwrap();
        }
    }
}
