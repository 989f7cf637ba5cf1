//! Regression tests, each named after what it pins.

use trailfence::{validate_position, Field, Reason};

/// `derived-pip-00016` of the shared vectors: `POINT (-5e-324 0.5)`. Robust
/// predicates assume no underflow, so subnormal coordinates are refused at
/// ingest (zero itself is fine).
#[test]
fn subnormal_coordinates_are_rejected_at_ingest() {
    assert_eq!(validate_position(-5e-324, 0.5), Err((Field::Lon, Reason::Subnormal)));
    assert_eq!(
        validate_position(0.5, f64::MIN_POSITIVE / 2.0),
        Err((Field::Lat, Reason::Subnormal))
    );
    assert_eq!(validate_position(0.0, -0.0), Ok(()));
    assert_eq!(validate_position(f64::MIN_POSITIVE, 0.0), Ok(()));
}

/// Upstream H3 vectors feed longitudes outside [-180, 180]; trailfence
/// rejects them rather than normalising, since a tag never reports them.
#[test]
fn longitudes_outside_range_are_rejected_not_wrapped() {
    assert_eq!(
        validate_position(191.598258, 10.0),
        Err((Field::Lon, Reason::LongitudeOutOfRange))
    );
    assert_eq!(validate_position(-180.0, 90.0), Ok(()));
}

/// Every error's Display is a non-empty sentence.
#[test]
fn every_reason_describes_itself() {
    use Reason::*;
    for r in [
        MissingField,
        MissingSubject,
        UnparseableTime,
        TimeWithoutOffset,
        AmbiguousLocalTime,
        UnparseableNumber,
        NotFinite,
        Subnormal,
        LongitudeOutOfRange,
        LatitudeOutOfRange,
        NegativeAccuracy,
        BadGeometry,
        AccuracyTooLarge,
        FieldCount,
        LeapSecond,
        DistanceOutOfRange,
        EndBeforeStart,
    ] {
        assert!(r.to_string().len() > 10, "{r:?}");
    }
}
mod monitor_binding;
mod wrong_answers;
