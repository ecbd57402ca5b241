//! `-p sctp [-m sctp] [!] --sport P[:P] [!] --dport P[:P] [!] --chunk-types
//! (all|any|only) CHUNK[:FLAGS],...` (`libxt_sctp.c`): xt match `sctp`
//! revision 0, `struct xt_sctp_info`, in both families (iptables-nft
//! writes it as an xt match, not natively). `-p sctp` loads it implicitly.

use super::opt::parse_port_range;
use super::udp::print_ports;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_sctp_info`: the chunk map is 64 host-order `u32` words
    /// (only the first 8 name chunk types), `flag_info` four
    /// `{chunktype, flag, flag_mask}` triples.
    pub struct SctpInfo {
        pub dpts: [u8; 4], pub spts: [u8; 4], pub chunkmap: [u8; 256],
        pub chunk_match_type: u32, pub flag_info: [u8; 12], pub flag_count: i32,
        pub flags: u32, pub invflags: u32,
    }
}
const _: () = assert!(SctpInfo::SIZE == 292);

const SRC_PORTS: u32 = 0x01;
const DEST_PORTS: u32 = 0x02;
const CHUNK_TYPES: u32 = 0x04;
const MATCH_ANY: u32 = 1;
const MATCH_ALL: u32 = 2;
const MATCH_ONLY: u32 = 4;
/// `XT_NUM_SCTP_FLAGS`
const NUM_FLAGS: usize = 4;

/// upstream's chunk table: name, type, valid flag letters (bit 7 first).
/// Its index, not the type, is what iptables stores as a flag entry's
/// chunk type (so flags of I_DATA and later never show).
const CHUNKS: &[(&str, u8, &[u8; 8])] = &[
    ("DATA", 0, b"----IUBE"),
    ("INIT", 1, b"--------"),
    ("INIT_ACK", 2, b"--------"),
    ("SACK", 3, b"--------"),
    ("HEARTBEAT", 4, b"--------"),
    ("HEARTBEAT_ACK", 5, b"--------"),
    ("ABORT", 6, b"-------T"),
    ("SHUTDOWN", 7, b"--------"),
    ("SHUTDOWN_ACK", 8, b"--------"),
    ("ERROR", 9, b"--------"),
    ("COOKIE_ECHO", 10, b"--------"),
    ("COOKIE_ACK", 11, b"--------"),
    ("ECN_ECNE", 12, b"--------"),
    ("ECN_CWR", 13, b"--------"),
    ("SHUTDOWN_COMPLETE", 14, b"-------T"),
    ("I_DATA", 64, b"----IUBE"),
    ("RE_CONFIG", 130, b"--------"),
    ("PAD", 132, b"--------"),
    ("ASCONF", 193, b"--------"),
    ("ASCONF_ACK", 128, b"--------"),
    ("FORWARD_TSN", 192, b"--------"),
    ("I_FORWARD_TSN", 194, b"--------"),
];

/// The sctp match: the kernel struct as iptables fills it (boxed: the
/// chunk map is 256 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sctp(pub Box<SctpInfo>);

fn pair(b: [u8; 4]) -> (u16, u16) {
    (
        u16::from_ne_bytes([b[0], b[1]]),
        u16::from_ne_bytes([b[2], b[3]]),
    )
}

fn unpair(r: (u16, u16)) -> [u8; 4] {
    let (a, b) = (r.0.to_ne_bytes(), r.1.to_ne_bytes());
    [a[0], a[1], b[0], b[1]]
}

fn word(map: &[u8; 256], w: usize) -> u32 {
    u32::from_ne_bytes([map[w * 4], map[w * 4 + 1], map[w * 4 + 2], map[w * 4 + 3]])
}

fn is_set(map: &[u8; 256], t: usize) -> bool {
    word(map, t / 32) & (1 << (t % 32)) != 0
}

fn set(map: &mut [u8; 256], t: usize) {
    let w = (word(map, t / 32) | 1 << (t % 32)).to_ne_bytes();
    map[t / 32 * 4..t / 32 * 4 + 4].copy_from_slice(&w);
}

impl Default for SctpInfo {
    fn default() -> Self {
        // `sctp_init`: every flag entry's chunk type is -1
        let mut flag_info = [0u8; 12];
        for e in flag_info.chunks_mut(3) {
            e[0] = 0xff;
        }
        SctpInfo {
            dpts: [0; 4],
            spts: [0; 4],
            chunkmap: [0; 256],
            chunk_match_type: 0,
            flag_info,
            flag_count: 0,
            flags: 0,
            invflags: 0,
        }
    }
}

/// `--chunk-types TYPE CHUNKS` into `i` (`parse_sctp_chunks`).
fn parse_chunks(i: &mut SctpInfo, kind: &str, chunks: &str) -> Result<(), Error> {
    i.chunk_match_type = match kind.to_ascii_uppercase().as_str() {
        "ANY" => MATCH_ANY,
        "ALL" => MATCH_ALL,
        "ONLY" => MATCH_ONLY,
        _ => {
            return Err(param(
                "Match type has to be one of \"ALL\", \"ANY\" or \"ONLY\"",
            ))
        }
    };
    i.chunkmap = [0; 256];
    if chunks.eq_ignore_ascii_case("ALL") {
        i.chunkmap = [0xff; 256];
        return Ok(());
    }
    if chunks.eq_ignore_ascii_case("NONE") {
        return Ok(());
    }
    // strtok: empty pieces are skipped
    for piece in chunks.split(',').filter(|p| !p.is_empty()) {
        let (name, flags) = match piece.split_once(':') {
            Some((n, f)) => (n, Some(f)),
            None => (piece, None),
        };
        let idx = CHUNKS
            .iter()
            .position(|c| c.0.eq_ignore_ascii_case(name))
            .ok_or_else(|| param(format!("Unknown sctp chunk `{name}'")))?;
        set(&mut i.chunkmap, usize::from(CHUNKS[idx].1));
        for c in flags.unwrap_or("").bytes() {
            let pos = CHUNKS[idx]
                .2
                .iter()
                .position(|v| *v == c.to_ascii_uppercase())
                .ok_or_else(|| param(format!("Invalid flags for chunk type {idx}")))?;
            save_flag(i, idx as u8, 7 - pos as u8, c.is_ascii_uppercase())?;
        }
    }
    Ok(())
}

/// `save_chunk_flag_info`: merge a flag bit into the entry of `chunk`
/// (the table index) or take the next free entry.
fn save_flag(i: &mut SctpInfo, chunk: u8, bit: u8, on: bool) -> Result<(), Error> {
    let n = usize::try_from(i.flag_count).unwrap_or(0).min(NUM_FLAGS);
    let e = match (0..n).find(|k| i.flag_info[k * 3] == chunk) {
        Some(k) => k,
        None => {
            if n == NUM_FLAGS {
                return Err(param("Number of chunk types with flags exceeds currently allowed limit. Increasing this limit involves changing IPT_NUM_SCTP_FLAGS and recompiling both the kernel space and user space modules"));
            }
            i.flag_count += 1;
            n
        }
    };
    i.flag_info[e * 3] = chunk;
    i.flag_info[e * 3 + 2] |= 1 << bit;
    if on {
        i.flag_info[e * 3 + 1] |= 1 << bit;
    }
    Ok(())
}

impl MatchExt for Sctp {
    const NAME: &'static str = "sctp";
    const PROTO: Option<u8> = Some(132);
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("source-port").alias("sport").multi(),
        OptSpec::value("destination-port").alias("dport").multi(),
        OptSpec::value("chunk-types").two().multi(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = SctpInfo::default();
        for h in hits {
            let (bit, name) = match h.idx {
                0 => (SRC_PORTS, "source-port"),
                1 => (DEST_PORTS, "destination-port"),
                _ => (CHUNK_TYPES, "chunk-types"),
            };
            if i.flags & bit != 0 {
                return Err(param(format!("Only one `--{name}' allowed")));
            }
            match h.idx {
                0 => i.spts = unpair(parse_port_range(h.arg(), "sctp")?),
                1 => i.dpts = unpair(parse_port_range(h.arg(), "sctp")?),
                _ => {
                    let Some(chunks) = h.args.get(1) else {
                        return Err(param("--chunk-types requires two args"));
                    };
                    parse_chunks(&mut i, h.arg(), chunks)?;
                }
            }
            i.flags |= bit;
            if h.inv {
                i.invflags |= bit;
            }
        }
        Ok(Sctp(Box::new(i)))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        for (bit, r, name) in [
            (SRC_PORTS, pair(i.spts), "sport"),
            (DEST_PORTS, pair(i.dpts), "dport"),
        ] {
            if i.flags & bit != 0 {
                if i.invflags & bit != 0 {
                    out.push_str(" !");
                }
                if r.0 != r.1 {
                    out.push_str(&format!(" --{name} {}:{}", r.0, r.1));
                } else {
                    out.push_str(&format!(" --{name} {}", r.0));
                }
            }
        }
        if i.flags & CHUNK_TYPES != 0 {
            if i.invflags & CHUNK_TYPES != 0 {
                out.push_str(" !");
            }
            out.push_str(" --chunk-types");
            self.chunks(false, out);
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(" sctp");
        for (bit, r, name) in [
            (SRC_PORTS, pair(i.spts), "spt"),
            (DEST_PORTS, pair(i.dpts), "dpt"),
        ] {
            if i.flags & bit != 0 {
                print_ports(out, name, r, i.invflags & bit != 0, cx.numeric, "sctp");
            }
        }
        if i.flags & CHUNK_TYPES != 0 {
            if i.invflags & CHUNK_TYPES != 0 {
                out.push_str(" !");
            }
            self.chunks(cx.numeric, out);
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
        SctpInfo::from_blob(info)
            .filter(|_| rev == 0)
            .map(|i| Sctp(Box::new(i)))
            .ok_or_else(|| DecodeError(format!("sctp revision {rev} of {} bytes", info.len())))
    }
}

impl Sctp {
    /// `print_chunks`: the match type and the chunks with their flags.
    fn chunks(&self, numeric: bool, out: &mut String) {
        let i = &self.0;
        out.push_str(match i.chunk_match_type {
            MATCH_ANY => " any",
            MATCH_ALL => " all",
            MATCH_ONLY => " only",
            _ => "Never reach here\n",
        });
        if i.chunkmap.iter().all(|b| *b == 0) {
            out.push_str(" NONE");
            return;
        }
        if i.chunkmap.iter().all(|b| *b == 0xff) {
            out.push_str(" ALL");
            return;
        }
        let n = usize::try_from(i.flag_count).unwrap_or(0).min(NUM_FLAGS);
        let mut first = true;
        for t in 0..256usize {
            if !is_set(&i.chunkmap, t) {
                continue;
            }
            out.push_str(if first { " " } else { "," });
            first = false;
            if numeric {
                out.push_str(&format!("0x{t:04X}"));
            } else if let Some(c) = CHUNKS.iter().find(|c| usize::from(c.1) == t) {
                out.push_str(c.0);
            }
            for e in i.flag_info[..n * 3].chunks(3) {
                if usize::from(e[0]) != t || e[2] == 0 {
                    continue;
                }
                out.push(':');
                // upstream indexes its table by the type here
                let Some(valid) = CHUNKS.get(t).map(|c| c.2) else {
                    continue;
                };
                for bit in (0..8).rev() {
                    if e[2] & (1 << bit) != 0 {
                        let c = valid[7 - bit];
                        out.push(if e[1] & (1 << bit) != 0 {
                            char::from(c)
                        } else {
                            char::from(c.to_ascii_lowercase())
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    fn two<'a>(inv: bool, a: &'a str, b: &'a str) -> OptHit<'a> {
        OptHit::new(2, inv, &[a, b])
    }

    fn cx(numeric: bool) -> FmtCx {
        FmtCx {
            family: Family::V4,
            numeric,
            proto: Some(132),
        }
    }

    fn pcx() -> ParseCx<'static> {
        ParseCx {
            family: Family::V4,
            proto: None,
            table: crate::model::Table::Filter,
            chain: "INPUT",
            rule: true,
        }
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let s: Sctp = build_match(Family::V4, &[(0, true, "1:2"), (1, true, "3")]).unwrap();
        assert_eq!(
            texts(&s, &cx(true)),
            (
                " ! --sport 1:2 ! --dport 3".into(),
                " sctp spts:!1:2 dpt:!3".into()
            )
        );
        assert_eq!(xt_round_trip(&s, Family::V4), (0, 296));
        let s: Sctp = build_match(Family::V4, &[(1, false, "0:65535")]).unwrap();
        assert_eq!(
            texts(&s, &cx(true)),
            (" --dport 0:65535".into(), " sctp".into())
        );
        for (kind, chunks, saved, numeric) in [
            (
                "all",
                "DATA:IUbe,ABORT:T",
                " all DATA:IUbe,ABORT:T",
                " all 0x0000:IUbe,0x0006:T",
            ),
            ("only", "all", " only ALL", " only ALL"),
            ("any", "NONE", " any NONE", " any NONE"),
            (
                "ANY",
                "data,SHUTDOWN_COMPLETE:t,asconf",
                " any DATA,SHUTDOWN_COMPLETE:t,ASCONF",
                " any 0x0000,0x000E:t,0x00C1",
            ),
            (
                "all",
                "DATA:I,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA:E,DATA:E",
                " all DATA:IE,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA",
                " all 0x0000:IE,0x0006:T,0x000E:T,0x0040",
            ),
            ("all", ",DATA:", " all DATA", " all 0x0000"),
        ] {
            let s = Sctp::build(&[two(false, kind, chunks)], &pcx()).unwrap();
            assert_eq!(
                texts(&s, &cx(true)),
                (format!(" --chunk-types{saved}"), format!(" sctp{numeric}"))
            );
            assert_eq!(xt_round_trip(&s, Family::V4), (0, 296));
        }
        let msg = |h: &[OptHit]| Sctp::build(h, &pcx()).unwrap_err().to_string();
        assert_eq!(
            msg(&[two(false, "all", "DATA:I,INIT:I")]),
            "Invalid flags for chunk type 1"
        );
        assert_eq!(
            msg(&[two(false, "foo", "DATA")]),
            "Match type has to be one of \"ALL\", \"ANY\" or \"ONLY\""
        );
        assert_eq!(msg(&[two(false, "any", "FOO")]), "Unknown sctp chunk `FOO'");
        assert_eq!(
            msg(&[OptHit::new(2, false, &["any"])]),
            "--chunk-types requires two args"
        );
        assert!(msg(&[two(
            false,
            "all",
            "DATA:I,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA:E,ASCONF:-"
        )])
        .starts_with("Number of chunk types"));
    }
}
