//! PostgreSQL's binary `numeric` format, exactly, both ways.
//!
//! A numeric is `ndigits: i16, weight: i16, sign: u16, dscale: u16` then `ndigits` base-10000
//! digits (`i16` each, most significant first); the value is `Σ digit[i] · 10000^(weight − i)`,
//! shown with `dscale` digits after the point. Arrow's `Decimal128` is an `i128` mantissa at a
//! fixed scale, so reading rescales (rounding half away from zero, as PostgreSQL's own cast to
//! `numeric(p, s)` does) and writing splits the mantissa into base-10000 groups. No floats.

const POSITIVE: u16 = 0x0000;
const NEGATIVE: u16 = 0x4000;
const NAN: u16 = 0xC000;
const PLUS_INFINITY: u16 = 0xD000;
const MINUS_INFINITY: u16 = 0xF000;

/// A numeric value as sent by the server, borrowed from the row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Numeric<'a> {
    weight: i16,
    sign: u16,
    dscale: u16,
    /// Base-10000 digits, big-endian `i16`s.
    digits: &'a [u8],
}

impl<'a> Numeric<'a> {
    /// Parses the binary form.
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Self, String> {
        let bad = || format!("malformed numeric value ({} bytes)", raw.len());
        let word = |i: usize| raw.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(bad);
        let ndigits = usize::from(word(0)?);
        let digits = raw.get(8..8 + 2 * ndigits).ok_or_else(bad)?;
        Ok(Numeric { weight: word(2)? as i16, sign: word(4)?, dscale: word(6)?, digits })
    }

    /// `NaN`, `Infinity` or `-Infinity`, for the values a decimal cannot hold.
    fn special(&self) -> Option<&'static str> {
        match self.sign {
            NAN => Some("NaN"),
            PLUS_INFINITY => Some("Infinity"),
            MINUS_INFINITY => Some("-Infinity"),
            _ => None,
        }
    }

    fn groups(&self) -> impl Iterator<Item = (i32, i128)> + '_ {
        let weight = i32::from(self.weight);
        self.digits.chunks_exact(2).enumerate().map(move |(i, b)| {
            // The decimal exponent of the group's lowest digit: 4 · (weight − i).
            let exponent = 4 * (weight - i as i32);
            (exponent, i128::from(u16::from_be_bytes([b[0], b[1]])))
        })
    }

    /// The value times `10^scale`, rounded half away from zero, and whether digits were dropped.
    /// An error when it does not fit an `i128` or is not a number.
    pub(crate) fn scaled(&self, scale: i8) -> Result<(i128, bool), String> {
        if let Some(special) = self.special() {
            return Err(format!("`{special}` is not a decimal number"));
        }
        let scale = i32::from(scale);
        let overflow = || format!("`{}` does not fit 38 digits at scale {scale}", self.text());
        // Decimal exponent of the first dropped digit: it decides the rounding.
        let round_at = -scale - 1;
        let (mut acc, mut round_digit, mut inexact) = (0i128, 0i128, false);
        for (low, digit) in self.groups() {
            if digit == 0 {
                continue;
            }
            let shift = low + scale;
            if shift >= 0 {
                let factor = 10i128.checked_pow(shift as u32).ok_or_else(overflow)?;
                acc = digit.checked_mul(factor).and_then(|v| acc.checked_add(v)).ok_or_else(overflow)?;
            } else {
                let divisor = 10i128.pow((-shift).min(4) as u32);
                acc = acc.checked_add(digit / divisor).ok_or_else(overflow)?;
                inexact |= digit % divisor != 0;
                if (low..low + 4).contains(&round_at) {
                    round_digit = digit / 10i128.pow((round_at - low) as u32) % 10;
                }
            }
        }
        if round_digit >= 5 {
            acc = acc.checked_add(1).ok_or_else(overflow)?;
        }
        Ok((if self.sign == NEGATIVE { -acc } else { acc }, inexact))
    }

    /// The exact decimal text, with `dscale` digits after the point (as `numeric_out` writes it).
    pub(crate) fn text(&self) -> String {
        if let Some(special) = self.special() {
            return special.to_string();
        }
        let digit_at = |exponent: i32| -> u16 {
            // The base-10000 digit whose lowest decimal exponent is `exponent`.
            let index = i32::from(self.weight) - exponent / 4;
            usize::try_from(index)
                .ok()
                .and_then(|i| self.digits.get(2 * i..2 * i + 2))
                .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
        };
        let mut out = String::new();
        if self.sign == NEGATIVE && !self.digits.iter().all(|b| *b == 0) {
            out.push('-');
        }
        if self.weight < 0 {
            out.push('0');
        } else {
            out.push_str(&digit_at(4 * i32::from(self.weight)).to_string());
            for w in (0..i32::from(self.weight)).rev() {
                out.push_str(&format!("{:04}", digit_at(4 * w)));
            }
        }
        if self.dscale > 0 {
            out.push('.');
            let mut fraction = String::new();
            let mut w = -1;
            while fraction.len() < usize::from(self.dscale) {
                fraction.push_str(&format!("{:04}", digit_at(4 * w)));
                w -= 1;
            }
            fraction.truncate(usize::from(self.dscale));
            out.push_str(&fraction);
        }
        out
    }
}

/// Writes `mantissa · 10^−scale` in the binary numeric format (without the length prefix).
pub(crate) fn encode(mantissa: i128, scale: i8, out: &mut Vec<u8>) {
    // Base-10000 groups, least significant first. The lowest group sits at a decimal exponent
    // that is a multiple of 4, so the mantissa's last digits are shifted left by `pad` there.
    let exponent = -i32::from(scale);
    let pad = exponent.rem_euclid(4) as u32;
    let lowest = (exponent - pad as i32) / 4;
    let mut rest = mantissa.unsigned_abs();
    let mut groups: Vec<u16> = Vec::with_capacity(12);
    if pad != 0 {
        let keep = 10u128.pow(4 - pad);
        groups.push(((rest % keep) * 10u128.pow(pad)) as u16);
        rest /= keep;
    }
    while rest > 0 {
        groups.push((rest % 10_000) as u16);
        rest /= 10_000;
    }
    // Drop zero groups at both ends: the most significant ones lower the weight.
    while groups.last() == Some(&0) {
        groups.pop();
    }
    let trailing = groups.iter().take_while(|g| **g == 0).count();
    let digits = &groups[trailing..];
    let weight = if digits.is_empty() { 0 } else { lowest + trailing as i32 + digits.len() as i32 - 1 };
    let sign = if mantissa < 0 && !digits.is_empty() { NEGATIVE } else { POSITIVE };
    out.extend_from_slice(&(digits.len() as u16).to_be_bytes());
    out.extend_from_slice(&(weight as i16).to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(i16::from(scale).max(0) as u16).to_be_bytes());
    for d in digits.iter().rev() {
        out.extend_from_slice(&d.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(mantissa: i128, scale: i8) -> (String, i128) {
        let mut buf = Vec::new();
        encode(mantissa, scale, &mut buf);
        let n = Numeric::parse(&buf).expect("parses");
        (n.text(), n.scaled(scale).expect("fits").0)
    }

    #[test]
    fn encodes_and_decodes_exactly() {
        assert_eq!(round_trip(0, 0), ("0".into(), 0));
        assert_eq!(round_trip(0, 3), ("0.000".into(), 0));
        assert_eq!(round_trip(12345, 2), ("123.45".into(), 12345));
        assert_eq!(round_trip(-12345, 2), ("-123.45".into(), -12345));
        assert_eq!(round_trip(1, 9), ("0.000000001".into(), 1));
        assert_eq!(round_trip(100_000_000, 0), ("100000000".into(), 100_000_000));
        let max = 10i128.pow(38) - 1;
        assert_eq!(round_trip(max, 9).0, "99999999999999999999999999999.999999999");
        assert_eq!(round_trip(-max, 9).1, -max);
        assert_eq!(round_trip(max, 38).1, max);
        assert_eq!(round_trip(max, 0).1, max);
        assert_eq!(round_trip(7, -3), ("7000".into(), 7));
        assert_eq!(round_trip(123_456, -5), ("12345600000".into(), 123_456));
        assert_eq!(round_trip(max, -2).0, format!("{max}00"));
    }

    #[test]
    fn rescales_with_rounding_half_away_from_zero() {
        let mut buf = Vec::new();
        encode(-123_456_789, 5, &mut buf); // -1234.56789
        let n = Numeric::parse(&buf).expect("parses");
        assert_eq!(n.scaled(2).expect("fits"), (-123_457, true));
        assert_eq!(n.scaled(0).expect("fits"), (-1235, true));
        assert_eq!(n.scaled(7).expect("fits"), (-12_345_678_900, false));
        assert!(n.scaled(36).is_err(), "overflow");
        buf.clear();
        encode(5, 1, &mut buf); // 0.5
        assert_eq!(Numeric::parse(&buf).expect("parses").scaled(0).expect("fits"), (1, true));
    }

    #[test]
    fn specials_and_garbage() {
        let nan = [0, 0, 0, 0, 0xC0, 0, 0, 0];
        let n = Numeric::parse(&nan).expect("parses");
        assert_eq!(n.text(), "NaN");
        assert!(n.scaled(2).is_err());
        assert!(Numeric::parse(&[0, 2, 0, 0]).is_err());
    }
}
