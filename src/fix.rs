//! A fix: one GPS reading of one subject, and the rules a valid fix obeys.
//!
//! Coordinates are WGS84 degrees with x = longitude, y = latitude. Times are
//! UTC instants. Horizontal accuracy is the radius in metres the device
//! reports (68 % confidence by convention), optional.

use jiff::Timestamp;

use crate::error::Reason;

/// One GPS reading of one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// Subject id (the tagged person), non-blank.
    pub subject: String,
    /// When the fix was taken, UTC.
    pub time: Timestamp,
    /// Longitude in degrees, [-180, 180].
    pub lon: f64,
    /// Latitude in degrees, [-90, 90].
    pub lat: f64,
    /// Horizontal accuracy radius in metres, if reported (>= 0).
    pub accuracy_m: Option<f64>,
}

/// Which coordinate or value failed validation, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Longitude.
    Lon,
    /// Latitude.
    Lat,
    /// Accuracy.
    Accuracy,
}

/// Checks a real-valued reading: finite and not subnormal.
#[inline]
fn check_real(v: f64) -> Result<(), Reason> {
    if !v.is_finite() {
        Err(Reason::NotFinite)
    } else if v != 0.0 && v.abs() < f64::MIN_POSITIVE {
        Err(Reason::Subnormal)
    } else {
        Ok(())
    }
}

/// Validates a longitude/latitude pair in degrees.
///
/// # Errors
/// The failing field and reason: NaN/infinite, subnormal, or out of range.
#[inline]
pub fn validate_position(lon: f64, lat: f64) -> Result<(), (Field, Reason)> {
    check_real(lon).map_err(|r| (Field::Lon, r))?;
    check_real(lat).map_err(|r| (Field::Lat, r))?;
    if !(-180.0..=180.0).contains(&lon) {
        return Err((Field::Lon, Reason::LongitudeOutOfRange));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err((Field::Lat, Reason::LatitudeOutOfRange));
    }
    Ok(())
}

/// The largest horizontal accuracy accepted, metres: 20,000 km, half the
/// Earth's circumference. A larger radius says nothing about where the
/// subject was (and above `f32::MAX` it could not even be stored).
pub const MAX_ACCURACY_M: f64 = 2.0e7;

/// Validates an optional horizontal accuracy in metres: finite, not
/// subnormal, in `0..=MAX_ACCURACY_M`.
///
/// # Errors
/// [`Reason::NotFinite`], [`Reason::Subnormal`], [`Reason::NegativeAccuracy`]
/// or [`Reason::AccuracyTooLarge`].
#[inline]
pub fn validate_accuracy(accuracy_m: Option<f64>) -> Result<(), Reason> {
    match accuracy_m {
        None => Ok(()),
        Some(a) => {
            check_real(a)?;
            if a < 0.0 {
                Err(Reason::NegativeAccuracy)
            } else if a > MAX_ACCURACY_M {
                Err(Reason::AccuracyTooLarge)
            } else {
                Ok(())
            }
        }
    }
}

/// Validates a subject id: not blank, at most [`MAX_SUBJECT_BYTES`] bytes,
/// no control characters.
///
/// # Errors
/// [`Reason::MissingSubject`] or [`Reason::BadSubject`].
#[inline]
pub fn validate_subject(subject: &str) -> Result<(), Reason> {
    if subject.chars().all(char::is_whitespace) {
        Err(Reason::MissingSubject)
    } else if subject.len() > MAX_SUBJECT_BYTES || subject.chars().any(char::is_control) {
        Err(Reason::BadSubject)
    } else {
        Ok(())
    }
}

/// The longest subject id accepted, in UTF-8 bytes. Supplier ids are short
/// codes; a longer "id" is a broken record, and ids are repeated in every
/// output row, event and log line.
pub const MAX_SUBJECT_BYTES: usize = 256;

impl Fix {
    /// Validates every field of the fix.
    ///
    /// # Errors
    /// The first failing field's name (`subject`, `lon`, `lat`, `accuracy_m`) and reason.
    pub fn validate(&self) -> Result<(), (&'static str, Reason)> {
        validate_subject(&self.subject).map_err(|r| ("subject", r))?;
        validate_position(self.lon, self.lat).map_err(|(f, r)| {
            (
                match f {
                    Field::Lon => "lon",
                    _ => "lat",
                },
                r,
            )
        })?;
        validate_accuracy(self.accuracy_m).map_err(|r| ("accuracy_m", r))
    }
}

/// The first invalid part of a fix, as a record error needs it: the field
/// (`subject`, `lon`, `lat`, `accuracy_m`), the offending value as text, and
/// the reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    pub field: &'static str,
    pub value: String,
    pub reason: Reason,
}

impl Invalid {
    /// The located record error, with `columns` naming the fields as the
    /// input does (`None`: the canonical names).
    pub(crate) fn at(
        self,
        source: &str,
        location: crate::error::Location,
        columns: Option<&crate::io::ColumnNames>,
    ) -> crate::error::RecordError {
        let field = match (columns, self.field) {
            (Some(c), "subject") => c.subject.as_str(),
            (Some(c), "lon") => c.lon.as_str(),
            (Some(c), "lat") => c.lat.as_str(),
            (Some(c), "accuracy_m") => c.accuracy.as_str(),
            (_, f) => f,
        };
        crate::error::RecordError::new(source, location, field, &self.value, self.reason)
    }
}

/// Checks the parts of a fix in the order every surface reports them
/// (subject, position, accuracy): the one mapping from a validation failure
/// to a field and value, used by the readers, the builder, the monitor and
/// incident checks.
pub(crate) fn check(subject: Option<&str>, lon: f64, lat: f64, accuracy_m: Option<f64>) -> Result<(), Invalid> {
    if let Some(s) = subject {
        check_subject(s)?;
    }
    validate_position(lon, lat).map_err(|(f, reason)| match f {
        Field::Lon => Invalid {
            field: "lon",
            value: lon.to_string(),
            reason,
        },
        _ => Invalid {
            field: "lat",
            value: lat.to_string(),
            reason,
        },
    })?;
    validate_accuracy(accuracy_m).map_err(|reason| Invalid {
        field: "accuracy_m",
        value: accuracy_m.map_or_else(String::new, |a| a.to_string()),
        reason,
    })
}

/// [`validate_subject`] as an [`Invalid`] field.
pub(crate) fn check_subject(subject: &str) -> Result<(), Invalid> {
    validate_subject(subject).map_err(|reason| Invalid {
        field: "subject",
        value: subject.to_string(),
        reason,
    })
}
