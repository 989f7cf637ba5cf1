//! The statistical model of the evidence behind a verdict: what a fix's
//! `accuracy_m` means, how far beyond a boundary a fix is in units of its
//! error, which fixes are outliers, how the fixes of an episode combine
//! (errors of a stationary device are correlated in time), and the
//! probability that the subject really was on the violating side. The
//! episode engine (batch breaches, curfews and the monitor alike) folds each
//! violating fix into an [`Evidence`] accumulator; nothing else decides
//! `confirmed` or `possible`. DESIGN.md ("Evidence and verdicts") says why.

use crate::geodesy::LocalFrame;

/// Largest margin shown for one fix, in units of its error (σ): beyond it
/// the distance to the boundary is not computed exactly (it cannot change a
/// verdict), and the fix is shown as "at least this many σ".
pub const MAX_SHOWN_SIGMA: f64 = COMBINE_CAP_SIGMA;

/// The evidence model: how fixes become a probability. Every field is
/// documented with its unit; [`EvidenceModel::default`] is what every surface
/// uses unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceModel {
    /// The confidence level of the accuracy radius the source reports, in
    /// (0, 1): 0.68 (the default) as Android's `getAccuracy()` documents,
    /// 0.95 for devices that say so. The per-axis error σ (metres) of a fix
    /// is `accuracy_m / sqrt(-2 ln(1 - level))` (a circular Gaussian: the
    /// radius holding `level` of fixes), so 68 % → σ = accuracy / 1.51.
    pub accuracy_level: f64,
    /// Correlation time of a device's position error, seconds (default
    /// 600, indoor drift): errors of fixes `dt` apart correlate as `exp(-dt / drift_tau_s)`
    /// (a Gauss–Markov drift, as indoors at night), so ten fixes a minute
    /// apart are not ten independent pieces of evidence.
    pub drift_tau_s: f64,
    /// A violating fix is an outlier when the detour it implies (reaching it
    /// from the fix before and returning to the fix after, beyond the
    /// straight path, less three of its σ) needs more than this speed,
    /// metres per second (default 3.0: a run; a tagged person at home who
    /// "jumps" 120 m for one fix needs 2 × 120 m in two minutes). Outliers are
    /// kept and shown but add no evidence.
    pub outlier_speed_mps: f64,
    /// Path uncertainty of interpolation as a fraction of the segment length
    /// (default 0.05): an episode seen only between two fixes (a drive-through)
    /// is judged on the interpolated position, whose error adds this much of
    /// the distance between the fixes (the real path may curve).
    pub path_fraction: f64,
    /// Probability at or above which an episode is `confirmed` (default 0.9:
    /// the operating point chosen on the verdict benchmark, see DESIGN.md).
    pub confirm_probability: f64,
    /// Calibration of the probability, `p = 1 / (1 + exp(-(a + b Z + c ln
    /// E + d ln n + e ln Z + f ln S₋ + g ln S₊)))` with `Z` the combined
    /// margin (σ, at least 0.05 inside the logarithm), `E` the evidence's
    /// typical error σ in metres (poor fixes drift and are understated more
    /// often, so they need a larger margin; `ln Z + ln E` is the margin in
    /// metres, which an understated accuracy does not inflate), `n` the
    /// supporting fixes (at least 1), `S₋` and `S₊` the separations of the
    /// episode's first and last supporting fixes from the fix before and
    /// after them (σ, see [`Evidence::separation_before_sigma`]; inside the
    /// logarithm as `min(S, 20) + 0.1`, an unknown one as 20: fixes that
    /// scatter about one place across the boundary are weaker evidence than
    /// fixes that moved there), and `(a, …, g)` chosen by the kind of
    /// evidence: interpolation only (no supporting fix), one supporting fix,
    /// two or more — twenty-one numbers in that order. Fitted by logistic
    /// regression on the verdict benchmark (`benches/verdict`, seeds 1, 2
    /// and 5 pooled) and checked on other seeds; see DESIGN.md. A
    /// calibration of fifteen numbers (earlier releases: no separation
    /// terms) is read with `f = g = 0`, which is the model it described.
    #[serde(deserialize_with = "calibration_from_15_or_21")]
    pub calibration: [f64; CALIBRATION_LEN],
    /// A monotone map applied after the logistic: the calibrated
    /// probability at each of [`RECALIBRATION_KNOTS`] (the logistic's
    /// value), linear in between. Fitted with the calibration (isotonic
    /// regression, pool-adjacent-violators): the logistic ranks episodes
    /// well but is too flat in the middle. The knots themselves are the
    /// identity.
    pub recalibration: [f64; 13],
}

/// Coefficients of [`EvidenceModel::calibration`] per kind of evidence.
pub const CALIBRATION_TERMS: usize = 7;

/// Numbers in [`EvidenceModel::calibration`]: [`CALIBRATION_TERMS`] for each
/// of the three kinds of evidence.
pub const CALIBRATION_LEN: usize = 3 * CALIBRATION_TERMS;

/// Separations (σ) above which the fixes around an episode are taken as
/// "moved there" whatever their distance; an unknown separation (no fix
/// before or after, or one without accuracy) counts as this.
pub const SEPARATION_CAP_SIGMA: f64 = 20.0;

/// Added to a separation (σ) inside the calibration's logarithm (two fixes
/// at the same place are 0 σ apart).
pub const SEPARATION_LOG_OFFSET: f64 = 0.1;

/// Reads [`EvidenceModel::calibration`]: twenty-one numbers, or the fifteen
/// of earlier releases (five per kind of evidence, no separation terms),
/// which are widened with zero separation coefficients.
fn calibration_from_15_or_21<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[f64; CALIBRATION_LEN], D::Error> {
    let v: Vec<f64> = serde::Deserialize::deserialize(d)?;
    let mut out = [0.0; CALIBRATION_LEN];
    match v.len() {
        CALIBRATION_LEN => out.copy_from_slice(&v),
        15 => {
            for g in 0..3 {
                out[g * CALIBRATION_TERMS..g * CALIBRATION_TERMS + 5].copy_from_slice(&v[g * 5..g * 5 + 5]);
            }
        }
        n => {
            return Err(serde::de::Error::invalid_length(
                n,
                &"21 calibration numbers (or the 15 of earlier releases)",
            ))
        }
    }
    Ok(out)
}

/// `sqrt(-2 ln(1 - 0.68))`: a 68 % radius over the per-axis σ.
const SIGMA_DIVISOR_68: f64 = 1.509_592_185_451_663_6;

/// The logistic values at which [`EvidenceModel::recalibration`] is given.
pub const RECALIBRATION_KNOTS: [f64; 13] = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0];

impl Default for EvidenceModel {
    fn default() -> Self {
        EvidenceModel {
            accuracy_level: 0.68,
            drift_tau_s: 600.0,
            outlier_speed_mps: 3.0,
            path_fraction: 0.05,
            confirm_probability: 0.9,
            calibration: DEFAULT_CALIBRATION,
            recalibration: DEFAULT_RECALIBRATION,
        }
    }
}

/// The fitted default calibration (see [`EvidenceModel::calibration`]).
pub const DEFAULT_CALIBRATION: [f64; CALIBRATION_LEN] = [
    -13.7963, -0.7566, 4.6463, 0.0, 2.4752, 0.0, 0.0, 1.4691, -0.688, -2.307, 0.0, 0.1641, 0.9988, 0.8924, -2.2686,
    1.2019, -1.4934, 1.0149, -0.1524, 1.2074, 1.0906,
];

/// The fitted default recalibration (see [`EvidenceModel::recalibration`]).
pub const DEFAULT_RECALIBRATION: [f64; 13] = [
    0.0015, 0.0381, 0.0618, 0.1367, 0.3042, 0.3834, 0.4833, 0.6363, 0.7345, 0.8609, 0.9763, 0.981, 1.0,
];

/// The smallest combined margin (σ) inside the calibration's logarithm.
pub const MIN_LOG_SIGMA: f64 = 0.05;

/// The smallest σ (metres) the model takes from a fix: a claimed error below
/// it is not believed (no phone fix is better than this).
pub const MIN_SIGMA_M: f64 = 0.5;

/// The 68 % radius (metres) from which a fix's error is taken to drift for
/// the full [`EvidenceModel::drift_tau_s`].
pub const DRIFT_FULL_ACCURACY_M: f64 = 30.0;

/// Per-fix margins are clipped at this many σ before they are combined:
/// beyond it the Gaussian tail is no longer what limits the evidence
/// (multipath outliers are far more common than 4 σ errors).
pub const COMBINE_CAP_SIGMA: f64 = 4.0;

impl EvidenceModel {
    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::Option`] naming the first bad field.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let unit = |name: &'static str, v: f64| {
            crate::options::check(
                name,
                v,
                v > 0.0 && v < 1.0,
                "must be a probability strictly between 0 and 1",
            )
        };
        unit("accuracy_level", self.accuracy_level)?;
        unit("confirm_probability", self.confirm_probability)?;
        crate::options::positive_seconds("drift_tau_s", self.drift_tau_s)?;
        crate::options::check(
            "outlier_speed_mps",
            self.outlier_speed_mps,
            self.outlier_speed_mps > 0.0 && self.outlier_speed_mps < 1e4,
            "must be a speed in metres per second, > 0",
        )?;
        crate::options::check(
            "path_fraction",
            self.path_fraction,
            (0.0..=1.0).contains(&self.path_fraction),
            "must be a fraction between 0 and 1",
        )?;
        for c in &self.calibration {
            crate::options::check("calibration", *c, c.is_finite(), "must be finite numbers")?;
        }
        let r = &self.recalibration;
        for (k, v) in r.iter().enumerate() {
            crate::options::check(
                "recalibration",
                *v,
                (0.0..=1.0).contains(v) && (k == 0 || r[k - 1] <= *v),
                "must be probabilities in non-decreasing order",
            )?;
        }
        Ok(())
    }

    /// The correlation time (seconds) between two fixes with errors `s0_m`
    /// and `s1_m` (σ, metres): [`EvidenceModel::drift_tau_s`] for poor fixes
    /// (mean 68 % radius of [`DRIFT_FULL_ACCURACY_M`] or more: indoors, where
    /// drift is slow), proportionally shorter for better ones (open sky and
    /// moving devices decorrelate in tens of seconds).
    pub fn drift_tau(&self, s0_m: f64, s1_m: f64) -> f64 {
        let r68 = 0.5 * (s0_m + s1_m) * (-2.0 * (1.0 - 0.68f64).ln()).sqrt();
        (self.drift_tau_s * (r68 / DRIFT_FULL_ACCURACY_M).min(1.0)).max(1.0)
    }

    /// Per-axis error σ in metres of a fix reporting `accuracy_m`.
    #[inline]
    pub fn sigma_m(&self, accuracy_m: f64) -> f64 {
        // The default level's divisor without a logarithm per fix (this is
        // on the engine's hot path: every violating fix and its neighbours).
        if self.accuracy_level == 0.68 {
            accuracy_m / SIGMA_DIVISOR_68
        } else {
            accuracy_m / (-2.0 * (1.0 - self.accuracy_level).ln()).sqrt()
        }
    }

    /// The probability for a combined margin `z` (σ) from `n` supporting
    /// fixes (0: interpolation only) whose typical error σ is `error_m`
    /// metres, the first and last of which are `separation_sigma` (before,
    /// after; `None` unknown) from the fixes around them (see
    /// [`EvidenceModel::calibration`]). Evidence from fixes never gets more
    /// than the Gaussian probability of its margin, `Φ(z)`: no pattern of
    /// the fixes around it makes a margin say more than it does (a fix on
    /// the boundary is at most even odds).
    pub fn probability(&self, z: f64, n: u32, error_m: f64, separation_sigma: (Option<f64>, Option<f64>)) -> f64 {
        let g = CALIBRATION_TERMS * (n.min(2) as usize);
        let c = &self.calibration[g..g + CALIBRATION_TERMS];
        let ln_sep = |s: Option<f64>| {
            (s.unwrap_or(SEPARATION_CAP_SIGMA).clamp(0.0, SEPARATION_CAP_SIGMA) + SEPARATION_LOG_OFFSET).ln()
        };
        let x = c[0]
            + c[1] * z
            + c[2] * error_m.max(MIN_SIGMA_M).ln()
            + c[3] * f64::from(n.max(1)).ln()
            + c[4] * z.max(MIN_LOG_SIGMA).ln()
            + c[5] * ln_sep(separation_sigma.0)
            + c[6] * ln_sep(separation_sigma.1);
        let p = self.recalibrate(1.0 / (1.0 + (-x).exp()));
        if n > 0 {
            p.min(normal_cdf(z))
        } else {
            p
        }
    }

    /// The [`EvidenceModel::recalibration`] map at logistic value `q`.
    pub fn recalibrate(&self, q: f64) -> f64 {
        let k = RECALIBRATION_KNOTS
            .partition_point(|&x| x <= q)
            .clamp(1, RECALIBRATION_KNOTS.len() - 1);
        let (x0, x1) = (RECALIBRATION_KNOTS[k - 1], RECALIBRATION_KNOTS[k]);
        let (y0, y1) = (self.recalibration[k - 1], self.recalibration[k]);
        (y0 + (y1 - y0) * ((q - x0) / (x1 - x0)).clamp(0.0, 1.0)).clamp(0.0, 1.0)
    }

    /// Whether a detour through `x` from `a` to `b` (each `(lon, lat,
    /// t_us)`; `b` may be unknown) is implausibly fast: see
    /// [`EvidenceModel::outlier_speed_mps`]. `sigma_x` is the fix's σ.
    pub fn is_outlier(
        &self,
        a: Option<(f64, f64, i64)>,
        x: (f64, f64, i64),
        b: Option<(f64, f64, i64)>,
        sigma_x: f64,
    ) -> bool {
        let (Some(a), Some(b)) = (a, b) else { return false };
        if !(a.2 < x.2 && x.2 < b.2) {
            return false;
        }
        let dt_s = (b.2 - a.2) as f64 / 1e6;
        let budget = self.outlier_speed_mps * dt_s + 2.0 * 3.0 * sigma_x;
        // An upper bound of |AX| + |XB| without trigonometry (a degree of
        // longitude or latitude is at most 111.7 km): most fixes stop here.
        let bound = 111_700.0 * ((a.0 - x.0).abs() + (a.1 - x.1).abs() + (b.0 - x.0).abs() + (b.1 - x.1).abs());
        if bound <= budget {
            return false;
        }
        let frame = LocalFrame::new(x.0, x.1);
        let pa = frame.to_xy(a.0, a.1);
        let pb = frame.to_xy(b.0, b.1);
        let d = |p: (f64, f64), q: (f64, f64)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
        let excess = d(pa, (0.0, 0.0)) + d((0.0, 0.0), pb) - d(pa, pb) - 2.0 * 3.0 * sigma_x;
        excess > self.outlier_speed_mps * dt_s
    }
}

/// The standard normal distribution function Φ(z).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// The separation of two fixes (lon, lat) in units of their combined error,
/// `|ab| / sqrt(σa² + σb²)`; `None` when either σ is unknown.
fn separation_sigma(a: (f64, f64), sa: Option<f64>, b: (f64, f64), sb: Option<f64>) -> Option<f64> {
    let (sa, sb) = (sa?, sb?);
    let s = sa.max(MIN_SIGMA_M).hypot(sb.max(MIN_SIGMA_M));
    let (dx, dy) = LocalFrame::new(a.0, a.1).to_xy(b.0, b.1);
    Some(dx.hypot(dy) / s)
}

/// The last supporting fix of an episode and the fix after it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct After {
    /// The supporting fix (lon, lat) and its σ, metres.
    x: (f64, f64),
    sigma_x_m: f64,
    /// The fix after it (lon, lat) and its σ (`None` without accuracy).
    b: (f64, f64),
    sigma_b_m: Option<f64>,
}

/// A fix held back until the fix after it arrives (the outlier test needs
/// both neighbours).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Pending {
    /// Margin beyond the boundary, σ (clipped at [`MAX_SHOWN_SIGMA`]).
    z: f64,
    sigma_m: f64,
    x: (f64, f64, i64),
    a: Option<(f64, f64, i64)>,
    /// σ (metres) of `a`; `None` when it has none (or is unknown).
    #[serde(default)]
    a_sigma_m: Option<f64>,
}

/// What the fixes of one episode say, folded one fix at a time: bounded in
/// size, serialisable (monitor checkpoints), the same in batch and monitor.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// Σ x·u of the AR(1) generalised-least-squares fit of a constant margin.
    sxu: f64,
    /// Σ x² of that fit (the information, in units of one fix).
    sxx: f64,
    /// The last margin folded in (σ), its fix's σ (metres) and time (UTC
    /// µs; `i64::MIN` none).
    last_z: f64,
    #[serde(default)]
    last_sigma_m: f64,
    last_t_us: i64,
    /// Fixes folded in (violating, with an accuracy, not outliers).
    pub support: u32,
    /// Violating fixes judged outliers.
    pub outliers: u32,
    /// Largest margin of a supporting fix, σ (0 when none).
    pub max_sigma: f64,
    /// Best margin of the interpolated position (σ) for an episode seen only
    /// between fixes; `None` when no segment gave one.
    interp_z: Option<f64>,
    /// Σ ln σ (metres) of the fixes folded in, and ln σ of the interpolated
    /// position behind `interp_z`: the fixes' quality, which the calibration
    /// weighs (poor indoor fixes need a larger margin).
    #[serde(default)]
    sum_ln_sigma: f64,
    #[serde(default)]
    interp_ln_sigma: f64,
    /// Separation (σ) of the first supporting fix from the fix before it;
    /// `None` unknown.
    #[serde(default)]
    sep_before: Option<f64>,
    /// The last supporting fix and the fix after it: the separation after
    /// is computed when asked for, not at every fix (only the last pair
    /// counts).
    #[serde(default)]
    after: Option<After>,
    pending: Option<Pending>,
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence {
            sxu: 0.0,
            sxx: 0.0,
            last_z: 0.0,
            last_sigma_m: 0.0,
            last_t_us: i64::MIN,
            support: 0,
            outliers: 0,
            max_sigma: 0.0,
            interp_z: None,
            sum_ln_sigma: 0.0,
            interp_ln_sigma: 0.0,
            sep_before: None,
            after: None,
            pending: None,
        }
    }
}

impl Evidence {
    /// Holds a violating fix `x` with margin `z` (σ) and error `sigma_m`,
    /// whose predecessor is `a` (σ `a_sigma_m`, `None` without accuracy),
    /// until its successor is known.
    pub(crate) fn hold(
        &mut self,
        m: &EvidenceModel,
        z: f64,
        sigma_m: f64,
        x: (f64, f64, i64),
        a: Option<(f64, f64, i64)>,
        a_sigma_m: Option<f64>,
    ) {
        self.resolve(m, None, None);
        self.pending = Some(Pending {
            z,
            sigma_m,
            x,
            a,
            a_sigma_m,
        });
    }

    /// Decides the held fix with its successor `b` (`None`: there is none)
    /// whose σ is `b_sigma_m` (`None` without accuracy).
    pub(crate) fn resolve(&mut self, m: &EvidenceModel, b: Option<(f64, f64, i64)>, b_sigma_m: Option<f64>) {
        let Some(p) = self.pending.take() else { return };
        if m.is_outlier(p.a, p.x, b, p.sigma_m) {
            self.outliers += 1;
        } else {
            if self.support == 0 {
                self.sep_before =
                    p.a.and_then(|a| separation_sigma((a.0, a.1), p.a_sigma_m, (p.x.0, p.x.1), Some(p.sigma_m)));
            }
            self.after = b.map(|b| After {
                x: (p.x.0, p.x.1),
                sigma_x_m: p.sigma_m,
                b: (b.0, b.1),
                sigma_b_m: b_sigma_m,
            });
            self.fold(m, p.z, p.sigma_m, p.x.2);
        }
    }

    /// Folds one supporting margin `z` (σ, of a fix with error `sigma_m`)
    /// at `t_us` into the AR(1) fit.
    fn fold(&mut self, m: &EvidenceModel, z: f64, sigma_m: f64, t_us: i64) {
        self.max_sigma = self.max_sigma.max(z);
        let z = z.min(COMBINE_CAP_SIGMA);
        if self.last_t_us == i64::MIN || t_us <= self.last_t_us {
            self.sxu += z;
            self.sxx += 1.0;
        } else {
            let rho = (-((t_us - self.last_t_us) as f64 / 1e6) / m.drift_tau(self.last_sigma_m, sigma_m)).exp();
            // x = sqrt((1-ρ)/(1+ρ)), u = (z - ρ z₋)/sqrt(1-ρ²): x·u and x² in
            // forms that stay finite as ρ → 1.
            self.sxu += (z - rho * self.last_z) / (1.0 + rho);
            self.sxx += (1.0 - rho) / (1.0 + rho);
        }
        self.last_z = z;
        self.last_sigma_m = sigma_m;
        self.last_t_us = t_us;
        self.support += 1;
        self.sum_ln_sigma += sigma_m.max(MIN_SIGMA_M).ln();
    }

    /// Records the margin `z` (σ) of an interpolated position whose error
    /// is `sigma_m`.
    pub(crate) fn interpolated(&mut self, z: f64, sigma_m: f64) {
        if self.interp_z.is_none_or(|v| z > v) {
            self.interp_z = Some(z);
            self.interp_ln_sigma = sigma_m.max(MIN_SIGMA_M).ln();
        }
    }

    /// Takes `whole`'s interpolation evidence when these fixes (a clipped
    /// part of the episode `whole`) support nothing themselves.
    pub(crate) fn keep_interpolation_of(&mut self, whole: &Evidence) {
        if self.supporting() == 0 {
            self.interp_z = whole.interp_z;
            self.interp_ln_sigma = whole.interp_ln_sigma;
        }
    }

    /// Adds another episode's evidence (debounce merges two episodes; their
    /// fits are added as if independent).
    pub(crate) fn merge(&mut self, m: &EvidenceModel, other: &Evidence) {
        let mut o = *other;
        o.resolve(m, None, None);
        self.resolve(m, None, None);
        self.sxu += o.sxu;
        self.sxx += o.sxx;
        if self.support == 0 {
            self.sep_before = o.sep_before;
        }
        if o.support > 0 && o.last_t_us > self.last_t_us {
            self.after = o.after;
        }
        if o.last_t_us > self.last_t_us {
            self.last_z = o.last_z;
            self.last_sigma_m = o.last_sigma_m;
            self.last_t_us = o.last_t_us;
        }
        self.support += o.support;
        self.sum_ln_sigma += o.sum_ln_sigma;
        self.outliers += o.outliers;
        self.max_sigma = self.max_sigma.max(o.max_sigma);
        if let Some(z) = o.interp_z {
            if self.interp_z.is_none_or(|v| z > v) {
                self.interp_z = Some(z);
                self.interp_ln_sigma = o.interp_ln_sigma;
            }
        }
    }

    /// The combined margin `Z` (σ of the fitted mean margin), counting the
    /// held fix as supporting: from the fixes when any support the episode,
    /// else from interpolation; `None` without any evidence.
    pub fn combined_sigma(&self, m: &EvidenceModel) -> Option<f64> {
        let mut e = *self;
        if let Some(p) = e.pending.take() {
            e.fold(m, p.z, p.sigma_m, p.x.2);
        }
        if e.support > 0 {
            Some(e.sxu / e.sxx.sqrt())
        } else {
            e.interp_z.map(|z| z.min(COMBINE_CAP_SIGMA))
        }
    }

    /// The typical error of the evidence, metres: the geometric mean σ of
    /// the supporting fixes (a held fix counts), else of the interpolated
    /// position; `None` without evidence.
    pub fn mean_error_m(&self) -> Option<f64> {
        let (n, sum) = match self.pending {
            Some(p) => (self.support + 1, self.sum_ln_sigma + p.sigma_m.max(MIN_SIGMA_M).ln()),
            None => (self.support, self.sum_ln_sigma),
        };
        if n > 0 {
            Some((sum / f64::from(n)).exp())
        } else {
            self.interp_z.map(|_| self.interp_ln_sigma.exp())
        }
    }

    /// The probability that the subject really was on the violating side.
    pub fn probability(&self, m: &EvidenceModel) -> f64 {
        self.probability_with(m, self.separations_sigma())
    }

    /// [`Evidence::probability`] given this evidence's
    /// [`Evidence::separations_sigma`] (callers that show them compute them
    /// once).
    pub fn probability_with(&self, m: &EvidenceModel, separations_sigma: (Option<f64>, Option<f64>)) -> f64 {
        match (self.combined_sigma(m), self.mean_error_m()) {
            (Some(z), Some(e)) => m.probability(z, self.supporting(), e, separations_sigma),
            _ => 0.0,
        }
    }

    /// Both separations: ([`Evidence::separation_before_sigma`],
    /// [`Evidence::separation_after_sigma`]).
    pub fn separations_sigma(&self) -> (Option<f64>, Option<f64>) {
        (self.separation_before_sigma(), self.separation_after_sigma())
    }

    /// How far (in units of the two fixes' combined error σ) the episode's
    /// first supporting fix is from the fix before it: small when the
    /// subject's fixes scatter about one place across the boundary, large
    /// when the subject moved there. `None` when unknown (no supporting
    /// fix, no fix before, or one without accuracy). A held fix counts.
    pub fn separation_before_sigma(&self) -> Option<f64> {
        match self.pending {
            Some(p) if self.support == 0 => {
                p.a.and_then(|a| separation_sigma((a.0, a.1), p.a_sigma_m, (p.x.0, p.x.1), Some(p.sigma_m)))
            }
            _ => self.sep_before,
        }
    }

    /// How far (σ, as [`Evidence::separation_before_sigma`]) the episode's
    /// last supporting fix is from the fix after it; `None` when unknown
    /// (the fix after it has not arrived, or has no accuracy).
    pub fn separation_after_sigma(&self) -> Option<f64> {
        match self.pending {
            Some(_) => None,
            None => self
                .after
                .and_then(|a| separation_sigma(a.x, Some(a.sigma_x_m), a.b, a.sigma_b_m)),
        }
    }

    /// Supporting fixes (a held fix counts).
    pub fn supporting(&self) -> u32 {
        self.support + u32::from(self.pending.is_some())
    }

    /// Largest margin of a supporting fix, σ (a held fix counts).
    pub fn max_margin_sigma(&self) -> f64 {
        self.max_sigma.max(self.pending.map_or(0.0, |p| p.z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_levels_divisor_is_the_formula() {
        assert_eq!(SIGMA_DIVISOR_68, (-2.0 * (1.0 - 0.68f64).ln()).sqrt());
    }

    #[test]
    fn normal_cdf_is_the_gaussian_distribution_function() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(1.281_551_565_5) - 0.9).abs() < 1e-9);
        assert!((normal_cdf(-1.959_963_985) - 0.025).abs() < 1e-9);
    }

    /// However the calibration is set, evidence from fixes never says more
    /// than its margin: a margin of 0 σ is at most even odds.
    #[test]
    fn no_calibration_makes_a_margin_say_more_than_it_does() {
        let m = EvidenceModel {
            calibration: [50.0; CALIBRATION_LEN],
            ..Default::default()
        };
        for n in 1..4 {
            assert!(m.probability(0.0, n, 5.0, (Some(20.0), Some(20.0))) <= 0.5);
            assert!(m.probability(1.0, n, 5.0, (None, None)) <= normal_cdf(1.0));
        }
        // Interpolation only (n = 0) is judged by the calibration alone.
        assert!(m.probability(0.0, 0, 5.0, (None, None)) > 0.99);
    }

    /// Fixes that scatter about one place across the boundary (small
    /// separations) are weaker evidence than fixes that moved there.
    #[test]
    fn scatter_about_one_place_is_weaker_than_moving_there() {
        let m = EvidenceModel::default();
        for n in [1, 3] {
            let scatter = m.probability(3.0, n, 6.0, (Some(0.8), Some(1.0)));
            let moved = m.probability(3.0, n, 6.0, (Some(8.0), Some(9.0)));
            assert!(scatter < moved, "n {n}: {scatter} vs {moved}");
        }
    }

    /// Evidence is monitor checkpoint state (JSON): every field survives a
    /// round trip, a neighbour without accuracy included (JSON has no NaN).
    #[test]
    fn evidence_round_trips_through_json() {
        let m = EvidenceModel::default();
        let mut e = Evidence::default();
        e.hold(&m, 2.0, 5.0, (-0.1, 51.5, 0), Some((-0.1005, 51.5, -60_000_000)), None);
        e.resolve(&m, Some((-0.1003, 51.5001, 60_000_000)), None);
        e.hold(
            &m,
            1.5,
            6.0,
            (-0.1001, 51.5, 120_000_000),
            Some((-0.1003, 51.5001, 60_000_000)),
            Some(4.0),
        );
        let back: Evidence = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        e.resolve(&m, Some((-0.1, 51.5002, 180_000_000)), None);
        assert_eq!(e.separation_after_sigma(), None, "no accuracy after");
        e.hold(&m, 1.0, 6.0, (-0.1, 51.5, 240_000_000), None, None);
        e.resolve(&m, Some((-0.1, 51.5001, 300_000_000)), Some(6.0));
        let back: Evidence = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert!(back.separation_after_sigma().is_some());
    }

    /// Checkpoints of earlier releases carry fifteen calibration numbers
    /// (no separation terms): read as that model, separation terms 0.
    #[test]
    fn a_fifteen_number_calibration_reads_as_the_model_it_described() {
        let mut v = serde_json::to_value(EvidenceModel::default()).unwrap();
        let old: Vec<f64> = (1..=15).map(f64::from).collect();
        v["calibration"] = serde_json::json!(old);
        let m: EvidenceModel = serde_json::from_value(v.clone()).unwrap();
        let want = [
            1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0, 6.0, 7.0, 8.0, 9.0, 10.0, 0.0, 0.0, 11.0, 12.0, 13.0, 14.0, 15.0, 0.0,
            0.0,
        ];
        assert_eq!(m.calibration, want);
        let back: EvidenceModel = serde_json::from_value(serde_json::to_value(m).unwrap()).unwrap();
        assert_eq!(back, m);
        v["calibration"] = serde_json::json!([1.0, 2.0]);
        let e = serde_json::from_value::<EvidenceModel>(v).unwrap_err().to_string();
        assert!(e.contains("21 calibration numbers"), "{e}");
    }
}
