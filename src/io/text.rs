//! Fast text output shared by the writers: a chunked byte buffer with RFC
//! 3339 UTC times and shortest round-trip floats (ryu), without `fmt`.

use std::io::Write;

use crate::error::Error;

const CHUNK: usize = 64 * 1024;

/// A byte buffer in front of a writer, flushed in 64 KiB chunks.
pub(crate) struct Out<W: Write> {
    buf: Vec<u8>,
    w: W,
    ryu: ryu::Buffer,
}

impl<W: Write> Out<W> {
    pub(crate) fn new(w: W) -> Self {
        Out {
            buf: Vec::with_capacity(CHUNK + 1024),
            w,
            ryu: ryu::Buffer::new(),
        }
    }

    #[inline]
    pub(crate) fn s(&mut self, s: &str) -> &mut Self {
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// A float, shortest round-trip; integral values without a fraction (`5`, not `5.0`).
    #[inline]
    pub(crate) fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// Bytes buffered so far.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The buffered bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// A float, shortest round-trip; integral values without a fraction (`5`, not `5.0`).
    #[inline]
    pub(crate) fn f64(&mut self, v: f64) -> &mut Self {
        self.float(v, v, 1e15)
    }

    /// An f32, shortest round-trip for f32 (`11.8`, not `11.800000190734863`).
    #[inline]
    pub(crate) fn f32(&mut self, v: f32) -> &mut Self {
        self.float(v, v as f64, 1e7)
    }

    /// Integral values below `int_below` as integers, others with ryu.
    #[inline]
    fn float<F: ryu::Float>(&mut self, v: F, as_f64: f64, int_below: f64) -> &mut Self {
        if as_f64.fract() == 0.0 && as_f64.abs() < int_below {
            let mut b = itoa::Buffer::new();
            self.buf.extend_from_slice(b.format(as_f64 as i64).as_bytes());
        } else {
            let s = self.ryu.format(v);
            self.buf.extend_from_slice(s.as_bytes());
        }
        self
    }

    #[inline]
    pub(crate) fn int(&mut self, v: i64) -> &mut Self {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
        self
    }

    /// An instant as RFC 3339 UTC.
    #[inline]
    pub(crate) fn time(&mut self, t_us: i64) -> &mut Self {
        push_rfc3339(&mut self.buf, t_us);
        self
    }

    /// Writes the buffer out when it is over the chunk size.
    #[inline]
    pub(crate) fn maybe_flush(&mut self) -> Result<(), Error> {
        if self.buf.len() >= CHUNK {
            self.w.write_all(&self.buf).map_err(super::write_err)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes everything out and flushes the writer.
    pub(crate) fn finish(mut self) -> Result<(), Error> {
        self.w.write_all(&self.buf).map_err(super::write_err)?;
        self.w.flush().map_err(super::write_err)
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[inline]
fn two(buf: &mut Vec<u8>, v: u32) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// Appends `t_us` as RFC 3339 UTC (`2024-01-01T10:00:00Z`, with a fraction
/// only when non-zero and without trailing zeros: `...:00.25Z`), the same text
/// as jiff's `Timestamp` display.
pub(crate) fn push_rfc3339(buf: &mut Vec<u8>, t_us: i64) {
    let secs = t_us.div_euclid(1_000_000);
    let frac = t_us.rem_euclid(1_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        buf.extend_from_slice(crate::time::from_us(t_us).to_string().as_bytes());
        return;
    }
    let y = y as u32;
    two(buf, y / 100);
    two(buf, y % 100);
    buf.push(b'-');
    two(buf, m);
    buf.push(b'-');
    two(buf, d);
    buf.push(b'T');
    two(buf, sod / 3600);
    buf.push(b':');
    two(buf, sod / 60 % 60);
    buf.push(b':');
    two(buf, sod % 60);
    if frac != 0 {
        buf.push(b'.');
        let mut digits = [0u8; 6];
        let mut f = frac;
        for k in (0..6).rev() {
            digits[k] = b'0' + (f % 10) as u8;
            f /= 10;
        }
        let mut end = 6;
        while digits[end - 1] == b'0' {
            end -= 1;
        }
        buf.extend_from_slice(&digits[..end]);
    }
    buf.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_jiff() {
        let mut rng = crate::generate::SplitMix64::new(3);
        for _ in 0..20_000 {
            let t = (rng.next_u64() % 400_000_000_000_000_000) as i64 - 100_000_000_000_000_000;
            let t = match rng.next_u64() % 3 {
                0 => t / 1_000_000 * 1_000_000,
                1 => t / 1000 * 1000,
                _ => t,
            };
            let mut b = Vec::new();
            push_rfc3339(&mut b, t);
            assert_eq!(
                String::from_utf8(b).unwrap(),
                crate::time::from_us(t).to_string(),
                "{t}"
            );
        }
    }

    #[test]
    fn floats_print_shortest() {
        let mut o = Out::new(Vec::new());
        o.f64(5.0)
            .s(" ")
            .f64(-0.1276)
            .s(" ")
            .f32(11.8)
            .s(" ")
            .f32(3.0)
            .s(" ")
            .f64(1e-7);
        assert_eq!(String::from_utf8(o.buf).unwrap(), "5 -0.1276 11.8 3 1e-7");
    }
}
