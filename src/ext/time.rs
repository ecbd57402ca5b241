//! `-m time [--datestart D] [--datestop D] [--timestart T] [--timestop T]
//! [!] --monthdays L [!] --weekdays L [--contiguous] [--kerneltz|--localtz
//! |--utc]` (`libxt_time.c`): xt match `time` revision 0, `struct
//! xt_time_info`, both families. Parsing keeps upstream's C quirks (day
//! tokens cut to 2 or 3 characters, `mktime` normalising dates, weekday
//! bits beyond the byte lost), since they decide the bytes written.

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_time_info`
    pub struct TimeInfo {
        pub date_start: u32, pub date_stop: u32, pub daytime_start: u32,
        pub daytime_stop: u32, pub monthdays_match: u32, pub weekdays_match: u8,
        pub flags: u8,
    }
}
const _: () = assert!(TimeInfo::SIZE == 24);

const LOCAL_TZ: u8 = 1;
const CONTIGUOUS: u8 = 2;
const ALL_MONTHDAYS: u32 = 0xffff_fffe;
const ALL_WEEKDAYS: u8 = 0xfe;
const MAX_DAYTIME: u32 = 24 * 60 * 60 - 1;
/// `INT_MAX`: the default `date_stop`
const INT_MAX: u32 = i32::MAX as u32;
const WEEK_DAYS: [&str; 8] = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The time match: the kernel struct as iptables fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub TimeInfo);

/// `strtoul(s, &e, 10)` cut to `unsigned int`: the value and the rest.
fn strtoul10(s: &str) -> (u32, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, u) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = u.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return (0, s);
    }
    let v = u[..n].parse::<u64>().unwrap_or(u64::MAX);
    let v = if neg { v.wrapping_neg() } else { v };
    (v as u32, &u[n..])
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01: (year, month 1-12, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `time_parse_date`: `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`, normalised as
/// `mktime` in UTC does (`2001-02-30` is March 2nd).
fn parse_date(os: &str) -> Result<u32, Error> {
    let bad = || {
        param(format!(
            "Invalid date \"{os}\" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]"
        ))
    };
    // (separator after the field, its maximum)
    let fields: [(u8, u32); 6] = [
        (b'-', 2038),
        (b'-', 12),
        (b'T', 31),
        (b':', 23),
        (b':', 59),
        (0, 59),
    ];
    let mut v = [0u32, 1, 1, 0, 0, 0];
    let mut s = os;
    for (k, (sep, max)) in fields.iter().enumerate() {
        let (n, rest) = strtoul10(s);
        let next = rest.as_bytes().first().copied();
        if (next != Some(*sep) && next.is_some()) || n > *max || (k == 0 && n < 1970) {
            return Err(bad());
        }
        v[k] = n;
        match next {
            None => break,
            Some(_) => s = &rest[1..],
        }
    }
    let mon = i64::from(v[1]) - 1;
    let year = i64::from(v[0]) + mon.div_euclid(12);
    let days = days_from_civil(year, mon.rem_euclid(12) + 1, 1) + i64::from(v[2]) - 1;
    let t = days * 86_400 + i64::from(v[3]) * 3600 + i64::from(v[4]) * 60 + i64::from(v[5]);
    // stored in a `__u32`
    Ok(t as u32)
}

/// `time_parse_minutes`: `hh:mm[:ss]`; the message quotes the part it
/// stopped at, as upstream's does.
fn parse_daytime(os: &str) -> Result<u32, Error> {
    let bad = |s: &str| {
        param(format!(
            "invalid time \"{s}\" specified, should be hh:mm[:ss] format and within the boundaries"
        ))
    };
    let (hour, rest) = strtoul10(os);
    if !rest.starts_with(':') || hour > 23 {
        return Err(bad(os));
    }
    let s = &rest[1..];
    let (minute, rest) = strtoul10(s);
    if !(rest.is_empty() || rest.starts_with(':')) || minute > 59 {
        return Err(bad(s));
    }
    let mut second = 0;
    if !rest.is_empty() {
        let s = &rest[1..];
        let (sec, rest) = strtoul10(s);
        if !rest.is_empty() || sec > 59 {
            return Err(bad(s));
        }
        second = sec;
    }
    Ok(3600 * hour + 60 * minute + second)
}

/// `my_strseg` over a list: each token cut to `len - 1` bytes (the C
/// buffer), empty tokens kept.
fn segments(arg: &str, len: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = Some(arg);
    while let Some(a) = rest.filter(|a| !a.is_empty()) {
        let (tok, next) = match a.split_once(',') {
            Some((t, n)) => (t, Some(n)),
            None => (a, None),
        };
        let mut cut = tok.len().min(len - 1);
        while !tok.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&tok[..cut]);
        rest = next;
    }
    out
}

/// `strtoul(s, &err, 0)` cut to `unsigned int`: value and the rest.
fn strtoul0(s: &str) -> (u32, &str) {
    match strtoumax(s) {
        Some((v, end)) => (v as u32, &s[end..]),
        None => (0, s),
    }
}

fn parse_monthdays(arg: &str) -> Result<u32, Error> {
    let mut ret = 0u32;
    for day in segments(arg, 3) {
        let (i, err) = strtoul0(day);
        if !(err.is_empty() || err.starts_with(',')) || i > 31 {
            return Err(param(format!("{day} is not a valid day for --monthdays")));
        }
        ret |= 1 << i;
    }
    Ok(ret)
}

fn parse_weekdays(arg: &str) -> Result<u32, Error> {
    let mut ret = 0u32;
    for day in segments(arg, 4) {
        let (i, err) = strtoul0(day);
        if err.is_empty() {
            if i == 0 {
                return Err(param("No, the week does NOT begin with Sunday."));
            }
            // x86 shifts by the count modulo 32
            ret |= 1u32.wrapping_shl(i);
            continue;
        }
        let mut valid = false;
        for (k, name) in WEEK_DAYS.iter().enumerate().skip(1) {
            // strncmp(day, name, 2)
            let a = day.as_bytes().iter().chain(std::iter::repeat(&0)).take(2);
            if a.eq(name.as_bytes().iter().take(2)) {
                ret |= 1 << k;
                valid = true;
            }
        }
        if !valid {
            return Err(param(format!("{day} is not a valid day specifier")));
        }
    }
    Ok(ret)
}

impl MatchExt for Time {
    const NAME: &'static str = "time";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("datestart").no_inv(),
        OptSpec::value("datestop").no_inv(),
        OptSpec::value("timestart").no_inv(),
        OptSpec::value("timestop").no_inv(),
        OptSpec::flag("contiguous").no_inv(),
        OptSpec::value("weekdays"),
        OptSpec::value("monthdays"),
        OptSpec::flag("localtz").no_inv().excl(1 << 8),
        OptSpec::flag("utc").no_inv().excl(1 << 7 | 1 << 9),
        OptSpec::flag("kerneltz").no_inv().excl(1 << 8),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = TimeInfo {
            date_start: 0,
            date_stop: INT_MAX,
            daytime_start: 0,
            daytime_stop: MAX_DAYTIME,
            monthdays_match: ALL_MONTHDAYS,
            weekdays_match: ALL_WEEKDAYS,
            flags: 0,
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => i.date_start = parse_date(a)?,
                1 => i.date_stop = parse_date(a)?,
                2 => i.daytime_start = parse_daytime(a)?,
                3 => i.daytime_stop = parse_daytime(a)?,
                4 => i.flags |= CONTIGUOUS,
                5 => {
                    // an `unsigned int` stored in a `__u8`
                    i.weekdays_match = parse_weekdays(a)? as u8;
                    if h.inv {
                        i.weekdays_match ^= ALL_WEEKDAYS;
                    }
                }
                6 => {
                    i.monthdays_match = parse_monthdays(a)?;
                    if h.inv {
                        i.monthdays_match ^= ALL_MONTHDAYS;
                    }
                }
                7 => {
                    crate::error::warn(format_args!("WARNING: --localtz is being replaced by --kerneltz, since \"local\" is ambiguous. Note the kernel timezone has caveats - see manpage for details."));
                    i.flags |= LOCAL_TZ;
                }
                9 => i.flags |= LOCAL_TZ,
                _ => {}
            }
        }
        if hits.iter().any(|h| h.idx == 4) && i.daytime_start < i.daytime_stop {
            return Err(param(
                "time: --contiguous only makes sense when stoptime is smaller than starttime",
            ));
        }
        Ok(Time(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        if i.daytime_start != 0 || i.daytime_stop != MAX_DAYTIME {
            out.push_str(&format!(" --timestart {}", daytime(i.daytime_start)));
            out.push_str(&format!(" --timestop {}", daytime(i.daytime_stop)));
        }
        if i.monthdays_match != ALL_MONTHDAYS {
            out.push_str(" --monthdays");
            monthdays(i.monthdays_match, false, out);
        }
        if i.weekdays_match != ALL_WEEKDAYS {
            out.push_str(" --weekdays");
            weekdays(i.weekdays_match, out);
        }
        for (d, name) in [(i.date_start, "datestart"), (i.date_stop, "datestop")] {
            if d != 0 {
                out.push_str(&format!(" --{name} {}", date(d, 'T')));
            }
        }
        if i.flags & LOCAL_TZ != 0 {
            out.push_str(" --kerneltz");
        }
        if i.flags & CONTIGUOUS != 0 {
            out.push_str(" --contiguous");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(" TIME");
        if i.daytime_start != 0 || i.daytime_stop != MAX_DAYTIME {
            out.push_str(&format!(
                " from {} to {}",
                daytime(i.daytime_start),
                daytime(i.daytime_stop)
            ));
        }
        if i.weekdays_match != ALL_WEEKDAYS {
            out.push_str(" on");
            weekdays(i.weekdays_match, out);
        }
        if i.monthdays_match != ALL_MONTHDAYS {
            out.push_str(" on");
            monthdays(i.monthdays_match, true, out);
        }
        if i.date_start != 0 {
            out.push_str(&format!(" starting from {}", date(i.date_start, ' ')));
        }
        if i.date_stop != INT_MAX {
            out.push_str(" until date");
            if i.date_stop != 0 {
                out.push_str(&format!(" {}", date(i.date_stop, ' ')));
            }
        }
        if i.flags & LOCAL_TZ == 0 {
            out.push_str(" UTC");
        }
        if i.flags & CONTIGUOUS != 0 {
            out.push_str(" contiguous");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        TimeInfo::from_blob(info)
            .filter(|_| rev == 0)
            .map(Time)
            .ok_or_else(|| DecodeError(format!("time revision {rev} of {} bytes", info.len())))
    }
}

/// `hh:mm:ss` of seconds since midnight.
fn daytime(t: u32) -> String {
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

/// `gmtime` of a stored date: `YYYY-MM-DD` `sep` `hh:mm:ss`.
fn date(t: u32, sep: char) -> String {
    let t = i64::from(t);
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `time_print_monthdays`: days 1-31 of the mask, with `st`/`nd`/`rd`/`th`
/// by the last digit when listing (so `11st`, as upstream).
fn monthdays(mask: u32, human: bool, out: &mut String) {
    out.push(' ');
    let mut first = true;
    for i in (1..=31).filter(|i| mask & (1 << i) != 0) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&i.to_string());
        if human {
            out.push_str(match i % 10 {
                1 => "st",
                2 => "nd",
                3 => "rd",
                _ => "th",
            });
        }
    }
}

fn weekdays(mask: u8, out: &mut String) {
    out.push(' ');
    let names: Vec<&str> = (1..=7)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| WEEK_DAYS[i])
        .collect();
    out.push_str(&names.join(","));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                &[(2, false, "01:00")][..],
                " --timestart 01:00:00 --timestop 23:59:59 --datestop 2038-01-19T03:14:07",
                " TIME from 01:00:00 to 23:59:59 UTC",
            ),
            (
                &[(0, false, "2001-02-30"), (6, true, "1,31"), (5, false, "Satur")][..],
                " --monthdays 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30 --weekdays Sat --datestart 2001-03-02T00:00:00 --datestop 2038-01-19T03:14:07",
                " TIME on Sat on 2nd,3rd,4th,5th,6th,7th,8th,9th,10th,11st,12nd,13rd,14th,15th,16th,17th,18th,19th,20th,21st,22nd,23rd,24th,25th,26th,27th,28th,29th,30th starting from 2001-03-02 00:00:00 UTC",
            ),
            (
                &[(0, false, "2001-00-00"), (1, false, "2038"), (6, false, "123")][..],
                " --monthdays 12 --datestart 2000-11-30T00:00:00 --datestop 2038-01-01T00:00:00",
                " TIME on 12nd starting from 2000-11-30 00:00:00 until date 2038-01-01 00:00:00 UTC",
            ),
            (
                &[(4, false, ""), (2, false, "23:00"), (3, false, "01:00"), (9, false, "")][..],
                " --timestart 23:00:00 --timestop 01:00:00 --datestop 2038-01-19T03:14:07 --kerneltz --contiguous",
                " TIME from 23:00:00 to 01:00:00 contiguous",
            ),
            (
                &[(5, false, "8"), (0, false, "2038-12-31")][..],
                " --weekdays  --datestart 2038-12-31T00:00:00 --datestop 2038-01-19T03:14:07",
                " TIME on  starting from 2038-12-31 00:00:00 UTC",
            ),
        ] {
            let t: Time = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&t, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&t, Family::V4), (0, 24));
        }
        let msg =
            |v: &[(usize, bool, &str)]| build_match::<Time>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(
            msg(&[(2, false, "01:02:03:04")]),
            "invalid time \"03:04\" specified, should be hh:mm[:ss] format and within the boundaries"
        );
        assert_eq!(
            msg(&[(0, false, "1969")]),
            "Invalid date \"1969\" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]"
        );
        assert_eq!(
            msg(&[(6, false, "0x1f")]),
            "0x is not a valid day for --monthdays"
        );
        assert_eq!(msg(&[(5, false, "T")]), "T is not a valid day specifier");
        assert_eq!(
            msg(&[(5, false, "0")]),
            "No, the week does NOT begin with Sunday."
        );
        assert_eq!(
            msg(&[(4, false, "")]),
            "time: --contiguous only makes sense when stoptime is smaller than starttime"
        );
    }
}
