//! What the header extensions share (tos, TOS, dscp, DSCP, ttl, hl, TTL,
//! HL, length, tcpmss, TCPMSS): the xtables number types they use
//! (`XTTYPE_UINT8`/`UINT16` with bounds, `XTTYPE_UINT16RC` ranges,
//! `XTTYPE_TOSMASK`) with libxtables' messages, the TOS symbols of
//! `tos_values.c`, and the exclusion check of options sharing a bit.

use super::value::strtoumax;
use crate::error::{param, Error};

/// `xtables_strtoul` with an end pointer: a number in `min..=max` at the
/// start of `s` (blanks first, no `-`), and where it ended.
pub fn uint_prefix(s: &str, min: u64, max: u64) -> Option<(u64, usize)> {
    if s.trim_start_matches(|c: char| c.is_ascii_whitespace())
        .starts_with('-')
    {
        return None;
    }
    let (v, end) = strtoumax(s)?;
    (min..=max).contains(&v).then_some((v, end))
}

/// `xtables_strtoul` without end pointer: the whole string a number in
/// `min..=max`.
pub fn uint(s: &str, min: u64, max: u64) -> Option<u64> {
    uint_prefix(s, min, max).and_then(|(v, end)| (end == s.len()).then_some(v))
}

/// An `XTTYPE_UINT8`/`XTTYPE_UINT16` option value in `min..=max`, with
/// libxtables' message for a bad one.
pub fn uint_opt(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, Error> {
    uint(s, min, max).ok_or_else(|| {
        param(format!(
            "{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).\n"
        ))
    })
}

/// An `XTTYPE_UINT16RC` value (`xtopt_parse_mint`): `a`, `a:b`, `:b`,
/// `a:`, `:` or empty; a left-out lower bound is 0, a left-out upper one
/// `max`; each bound at least the one before. Returns the bounds (equal
/// when one component was given).
pub fn uint_range(ext: &str, opt: &str, s: &str, max: u64) -> Result<(u64, u64), Error> {
    let mut vals: Vec<u64> = Vec::with_capacity(2);
    let mut lmin = 0;
    let mut rest = s;
    loop {
        if vals.len() == 2 {
            return Err(param(format!(
                "{ext}: Too many components for option \"--{opt}\" (max: 2)\n"
            )));
        }
        let (value, end) = if rest.is_empty() || rest.starts_with(':') {
            (if vals.len() == 1 { max } else { lmin }, 0)
        } else {
            let (v, end) = uint_prefix(rest, lmin, max).ok_or_else(|| {
                param(format!(
                    "{ext}: bad value for option \"--{opt}\" near \"{rest}\", or out of range ({lmin}-{max}).\n"
                ))
            })?;
            if end < rest.len() && !rest[end..].starts_with(':') {
                return Err(param(format!(
                    "{ext}: Argument to \"--{opt}\" has unexpected characters near \"{}\".\n",
                    &rest[end..]
                )));
            }
            lmin = v;
            (v, end)
        };
        vals.push(value);
        if end == rest.len() {
            break;
        }
        rest = &rest[end + 1..];
    }
    Ok((vals[0], *vals.last().unwrap_or(&vals[0])))
}

/// A range as length and tcpmss print it: `4`, or `0:2`.
pub fn range_text(min: u16, max: u16) -> String {
    if min == max {
        min.to_string()
    } else {
        format!("{min}:{max}")
    }
}

/// The TOS symbols (`tos_values.c`): value and name.
pub const TOS_SYMBOLS: &[(u8, &str)] = &[
    (0x10, "Minimize-Delay"),
    (0x08, "Maximize-Throughput"),
    (0x04, "Maximize-Reliability"),
    (0x02, "Minimize-Cost"),
    (0x00, "Normal-Service"),
];

/// The symbol `-L` prints for a value under mask 0x3f
/// (`tos_try_print_symbolic`).
pub fn tos_symbol(value: u8, mask: u8) -> Option<&'static str> {
    if mask != 0x3f {
        return None;
    }
    TOS_SYMBOLS
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, n)| *n)
}

/// An `XTTYPE_TOSMASK` value: `value[/mask]` (numbers up to 0xff, the mask
/// 0xff when left out) or a symbol (any case; its mask 0x3f, the revision
/// 1 default).
pub fn tos_mask(s: &str) -> Result<(u8, u8), Error> {
    let Some((value, end)) = uint_prefix(s, 0, 0xff) else {
        let sym = TOS_SYMBOLS
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .ok_or_else(|| param(format!("Symbolic name \"{s}\" is unknown")))?;
        return Ok((sym.0, 0x3f));
    };
    let illegal = || param(format!("Illegal value: \"{s}\""));
    let mut mask = 0xff;
    let mut end = end;
    if let Some(m) = s[end..].strip_prefix('/') {
        let (v, e) = uint_prefix(m, 0, 0xff).ok_or_else(illegal)?;
        mask = v;
        end = s.len() - m.len() + e;
    }
    if end != s.len() {
        return Err(illegal());
    }
    Ok((value as u8, mask as u8))
}

/// The exclusions of `xtables_options_fcheck` for options that exclude
/// each other by id (`.excl = F_ANY`): `given` holds, in table order, each
/// option's name, id and whether it was given. The first given option in
/// table order clashes with the given option of the lowest other id.
pub fn excl_by_id(ext: &str, table: &[(&str, u32, bool)]) -> Result<(), Error> {
    for (name, id, given) in table {
        if !given {
            continue;
        }
        let other = (0..32u32)
            .filter(|i| i != id)
            .find_map(|i| table.iter().find(|(_, oid, g)| *oid == i && *g));
        if let Some((other, _, _)) = other {
            return Err(param(format!(
                "{ext}: option \"--{name}\" cannot be used together with \"--{other}\".\n"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(uint(" 1", 0, 255), Some(1));
        assert_eq!(uint("0x10", 0, 255), Some(16));
        assert_eq!(uint("-1", 0, 255), None);
        assert_eq!(uint("1x", 0, 255), None);
        assert_eq!(uint("", 0, 255), None);
        assert_eq!(uint("256", 0, 255), None);
        assert_eq!(uint("0", 1, 255), None);
    }

    /// Messages as 1.8.13 prints them (captured).
    #[test]
    fn ranges() {
        let r = |s: &str| uint_range("length", "length", s, 65535).map_err(|e| e.to_string());
        assert_eq!(r("1"), Ok((1, 1)));
        assert_eq!(r(":2"), Ok((0, 2)));
        assert_eq!(r("4:"), Ok((4, 65535)));
        assert_eq!(r(":"), Ok((0, 65535)));
        assert_eq!(r(""), Ok((0, 0)));
        assert_eq!(r("0x10:020"), Ok((16, 16)));
        assert_eq!(r("5: 6"), Ok((5, 6)));
        assert_eq!(
            r("4:3").unwrap_err(),
            "length: bad value for option \"--length\" near \"3\", or out of range (4-65535).\n"
        );
        assert_eq!(
            r("-1:65535").unwrap_err(),
            "length: bad value for option \"--length\" near \"-1:65535\", or out of range (0-65535).\n"
        );
        assert_eq!(
            r("1:2:3").unwrap_err(),
            "length: Too many components for option \"--length\" (max: 2)\n"
        );
        assert_eq!(
            r("1:2x").unwrap_err(),
            "length: Argument to \"--length\" has unexpected characters near \"x\".\n"
        );
    }

    #[test]
    fn tos_values() {
        let t = |s: &str| tos_mask(s).map_err(|e| e.to_string());
        assert_eq!(t("minimize-delay"), Ok((0x10, 0x3f)));
        assert_eq!(t("0x10"), Ok((0x10, 0xff)));
        assert_eq!(t(" 5"), Ok((5, 0xff)));
        assert_eq!(t("010/0x3f"), Ok((8, 0x3f)));
        assert_eq!(t("256").unwrap_err(), "Symbolic name \"256\" is unknown");
        assert_eq!(t("").unwrap_err(), "Symbolic name \"\" is unknown");
        for bad in ["0x10x", "0x10/", "0x10/0x100", "0x10/x"] {
            assert_eq!(t(bad).unwrap_err(), format!("Illegal value: \"{bad}\""));
        }
    }
}
