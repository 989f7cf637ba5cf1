//! Typed errors: what went wrong, where (file, line or feature, field) and why.
//!
//! The library never panics on user data. Every fallible function returns
//! [`Error`]; bad input records carry a [`RecordError`] that names the source,
//! the [`Location`] inside it and the offending field, so a practitioner can fix
//! the file. [`Reason`] is the closed list of record-level problems, used to
//! itemise lenient-mode reports.

use std::fmt;

/// Where inside an input a bad record was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A 1-based line number of a text file (CSV data rows, GPX elements).
    Line(u64),
    /// A 0-based feature index inside a GeoJSON FeatureCollection.
    Feature(usize),
    /// A 0-based row index of in-memory columns.
    Row(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Feature(n) => write!(f, "feature {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// Why a record was rejected. The closed set lets lenient-mode reports count
/// rejections by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// A required field is absent or empty.
    MissingField,
    /// The subject id is missing or blank.
    MissingSubject,
    /// The time could not be parsed (neither RFC 3339 nor epoch seconds/milliseconds).
    UnparseableTime,
    /// The time has no UTC offset and no IANA time zone was named for the input.
    TimeWithoutOffset,
    /// A local time falls in a daylight-saving gap or fold of the named zone.
    AmbiguousLocalTime,
    /// A number could not be parsed.
    UnparseableNumber,
    /// A value is NaN or infinite.
    NotFinite,
    /// A value is subnormal (0 < |v| < `f64::MIN_POSITIVE`); GPS never produces these.
    Subnormal,
    /// Longitude outside [-180, 180] degrees.
    LongitudeOutOfRange,
    /// Latitude outside [-90, 90] degrees.
    LatitudeOutOfRange,
    /// Horizontal accuracy below zero metres.
    NegativeAccuracy,
    /// The geometry is not what the reader expects (e.g. not a Point).
    BadGeometry,
    /// Horizontal accuracy above [`crate::MAX_ACCURACY_M`]: not a position at
    /// all, and (above `f32::MAX`) not storable.
    AccuracyTooLarge,
    /// A CSV row whose number of fields differs from the header's (a decimal
    /// comma or a stray separator would otherwise shift values into the
    /// wrong columns).
    FieldCount,
    /// A distance (radius) that is not a number of metres in 0..=20,000 km.
    DistanceOutOfRange,
    /// A time range whose end is before its start.
    EndBeforeStart,
    /// A leap second (`23:59:60`): UTC instants here have no 61st second, and
    /// reading it as `:59` would collide with the real `:59` fix.
    LeapSecond,
    /// A subject id longer than [`crate::MAX_SUBJECT_BYTES`] bytes or holding
    /// a control character (a line break in an id would split CSV rows and
    /// log lines).
    BadSubject,
}

impl Reason {
    /// A short human-readable explanation.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::MissingField => "field is missing or empty",
            Reason::MissingSubject => "subject id is missing or blank",
            Reason::UnparseableTime => "time is neither RFC 3339 (with offset) nor epoch seconds/milliseconds",
            Reason::TimeWithoutOffset => {
                "time has no UTC offset; add one (e.g. `Z`) or name the input's IANA time zone"
            }
            Reason::AmbiguousLocalTime => {
                "local time is skipped or repeated by a daylight-saving change; add a UTC offset"
            }
            Reason::UnparseableNumber => "not a number",
            Reason::NotFinite => "value is NaN or infinite",
            Reason::Subnormal => "value is subnormal (too close to zero to be a real reading)",
            Reason::LongitudeOutOfRange => "longitude outside [-180, 180] degrees",
            Reason::LatitudeOutOfRange => "latitude outside [-90, 90] degrees",
            Reason::NegativeAccuracy => "accuracy must be zero or more metres",
            Reason::BadGeometry => "geometry must be a Point with [lon, lat]",
            Reason::AccuracyTooLarge => "accuracy is larger than 20,000 km (half the Earth's circumference)",
            Reason::FieldCount => {
                "row has a different number of fields than the header (a decimal comma or stray separator?)"
            }
            Reason::DistanceOutOfRange => "distance must be 0 to 20,000 km (metres)",
            Reason::EndBeforeStart => "end is before start",
            Reason::BadSubject => "subject id longer than 256 bytes or with a control character (tab, line break, ...)",
            Reason::LeapSecond => {
                "leap second (:60) has no distinct UTC instant here; the supplier must send it as :59.999999 or drop it"
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One bad input record: the source, where in it, which field, the value and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordError {
    /// The file name (or `<memory>` for in-memory input).
    pub source_name: String,
    /// Where in the source the record is.
    pub location: Location,
    /// The field (column, property or attribute) that is wrong.
    pub field: String,
    /// The offending value as found (truncated to 80 characters).
    pub value: String,
    /// Why the value was rejected.
    pub reason: Reason,
}

impl RecordError {
    /// Builds a record error; `value` is truncated to 80 characters.
    pub fn new(source_name: &str, location: Location, field: &str, value: &str, reason: Reason) -> Self {
        let value: String = if value.chars().count() > 80 {
            value.chars().take(77).chain("...".chars()).collect()
        } else {
            value.to_string()
        };
        RecordError {
            source_name: source_name.to_string(),
            location,
            field: field.to_string(),
            value,
            reason,
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: field `{}` (got {:?}): {}",
            self.source_name, self.location, self.field, self.value, self.reason
        )
    }
}

impl std::error::Error for RecordError {}

/// Runs a decoder of untrusted bytes. A panic inside it — a dependency's bug
/// met by a malformed or crafted file — becomes an [`Error::Format`] naming
/// the source, never an unwind across the API (or a `PanicException` in
/// Python).
pub(crate) fn guard<T>(source_name: &str, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown failure".into());
            Err(Error::format(
                source_name,
                format!("malformed file: its decoder failed ({msg}); reading stopped"),
            ))
        }
    }
}

/// Every error the library returns. Non-exhaustive: new kinds may be added
/// without breaking callers (match with a wildcard arm).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad input record (strict mode), with file, location, field and reason.
    #[error("{0}")]
    Record(#[from] RecordError),
    /// An I/O failure on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input as a whole is malformed (not JSON, missing header column, ...).
    #[error("{source_name}: {reason}")]
    Format {
        /// The file name (or `<memory>`).
        source_name: String,
        /// What is wrong with it.
        reason: String,
        /// The decoder's own error, when one caused it (kept, not only its
        /// text, so callers can inspect it).
        #[source]
        source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// An invalid zone definition, naming the feature and the field.
    #[error("{source_name}: feature {index}{}: field `{field}`: {reason}", id.as_ref().map(|i| format!(" (id {i:?})")).unwrap_or_default())]
    Zone {
        /// The file name (or `<memory>`).
        source_name: String,
        /// The 0-based feature index.
        index: usize,
        /// The zone id, when it could be read.
        id: Option<String>,
        /// The offending field (`geometry`, `kind`, `schedule.windows[0].start`, ...).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An invalid licence condition (authorised absence or suspension),
    /// naming its list, its position and the field.
    #[error("{source_name}: conditions.{list}[{index}]: field `{field}`: {reason}")]
    Condition {
        /// The file name (or `<memory>`).
        source_name: String,
        /// `absences` or `suspensions`.
        list: String,
        /// The 0-based position in that list.
        index: usize,
        /// The offending field (`from`, `until`, `subject`, `zones[0]`, ...).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The subject is not in the store.
    #[error("unknown subject {0:?}: no fixes for this subject in the store")]
    UnknownSubject(String),
    /// A time argument could not be parsed.
    #[error("invalid time (got {value:?}): {reason}")]
    Time {
        /// The text given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A time window whose start is after its end.
    #[error("invalid window (got start {start}, end {end}): start must not be after end")]
    Window {
        /// Window start (RFC 3339).
        start: String,
        /// Window end (RFC 3339).
        end: String,
    },
    /// An option with an invalid value.
    #[error("invalid option `{name}` (got {value}): {reason}")]
    Option {
        /// The option's name.
        name: &'static str,
        /// The value given.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
}

impl Error {
    /// Wraps an I/O error with the file it concerns.
    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// A whole-input format error.
    pub fn format(source_name: &str, reason: impl Into<String>) -> Self {
        Error::Format {
            source_name: source_name.to_string(),
            reason: reason.into(),
            source: None,
        }
    }

    /// A whole-input format error caused by a decoder's error, which is kept
    /// as the source (its text is in `reason` too, for the message).
    pub fn format_from(
        source_name: &str,
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Format {
            source_name: source_name.to_string(),
            reason: reason.into(),
            source: Some(std::sync::Arc::new(source)),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
