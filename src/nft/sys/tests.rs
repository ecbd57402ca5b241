//! Tests that touch the kernel run on a thread moved into a private
//! network namespace (never the machine's own ruleset).
#![allow(unsafe_code)]

use super::*;

const T: &str = "filter";
const F: NfProto = NfProto::Ipv4;

/// Runs `f` on a new thread inside a new network namespace.
fn in_netns<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let h = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        f()
    });
    match h.join() {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e),
    }
}

/// Runs a command inside the calling thread's network namespace.
fn run_here(cmd: &[&str]) -> String {
    let ns = format!(
        "/proc/{}/task/{}/ns/net",
        std::process::id(),
        nix::unistd::gettid()
    );
    let out = std::process::Command::new("nsenter")
        .arg(format!("--net={ns}"))
        .args(cmd)
        .output()
        .expect("run nsenter");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rule(chain: &str, exprs: Vec<Expr>) -> NftRule {
    NftRule {
        chain: chain.into(),
        handle: 0,
        exprs,
        compat: None,
        udata: None,
    }
}

fn add(chain: &str, exprs: Vec<Expr>, pos: Position) -> Op {
    Op::AddRule {
        table: T.into(),
        rule: rule(chain, exprs),
        pos,
    }
}

fn base_input() -> BaseSpec {
    BaseSpec {
        kind: "filter".into(),
        hook: Hook::Input,
        prio: 0,
        policy_accept: true,
    }
}

/// table `filter`, base chain INPUT, user chain USER
fn setup(nft: &mut Nft) {
    nft.commit(
        F,
        None,
        &[
            Op::AddTable { table: T.into() },
            Op::AddChain {
                table: T.into(),
                chain: "INPUT".into(),
                base: Some(base_input()),
                excl: false,
            },
            Op::AddChain {
                table: T.into(),
                chain: "USER".into(),
                base: None,
                excl: true,
            },
        ],
    )
    .expect("setup commit");
}

fn saddr(a: [u8; 4]) -> Vec<Expr> {
    vec![
        Expr::Payload {
            base: PayloadBase::Network,
            offset: 12,
            len: 4,
            dreg: REG_1,
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Eq,
            data: a.to_vec(),
        },
    ]
}

fn tcp_dport22_info() -> Vec<u8> {
    // struct xt_tcp: spts[2], dpts[2] (host order), option, flg_mask,
    // flg_cmp, invflags; XT_ALIGNed to 16.
    let mut v = Vec::new();
    for p in [0u16, 0xffff, 22, 22] {
        v.extend_from_slice(&p.to_ne_bytes());
    }
    v.resize(16, 0);
    v
}

fn comment_info(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(256, 0);
    v
}

fn log_info(prefix: &str) -> Vec<u8> {
    // struct xt_log_info { u8 level; u8 logflags; char prefix[30]; }
    let mut v = vec![4u8, 0];
    v.extend_from_slice(prefix.as_bytes());
    v.resize(32, 0);
    v
}

/// A rule exercising most expression kinds the kernel accepts without
/// extra objects.
fn rich_exprs() -> Vec<Expr> {
    let mut e = vec![
        Expr::Meta {
            key: meta::L4PROTO,
            dreg: REG_1,
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Eq,
            data: vec![6],
        },
        Expr::Payload {
            base: PayloadBase::Network,
            offset: 12,
            len: 4,
            dreg: REG_1,
        },
        Expr::Bitwise {
            sreg: REG_1,
            dreg: REG_1,
            len: 4,
            mask: vec![255, 255, 255, 0],
            xor: vec![0; 4],
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Neq,
            data: vec![10, 0, 0, 0],
        },
        Expr::Payload {
            base: PayloadBase::Transport,
            offset: 2,
            len: 2,
            dreg: REG_1,
        },
        Expr::Range {
            sreg: REG_1,
            op: CmpOp::Eq,
            from: vec![0, 22],
            to: vec![0, 80],
        },
        Expr::Immediate {
            dreg: 2,
            data: vec![0, 0, 0, 7],
        },
        Expr::Cmp {
            sreg: 2,
            op: CmpOp::Gte,
            data: vec![0, 0, 0, 7],
        },
        // `-j TRACE`'s native form
        Expr::Immediate {
            dreg: 9,
            data: vec![1],
        },
        Expr::MetaSet { key: 12, sreg: 9 },
        Expr::Match {
            name: "tcp".into(),
            rev: 0,
            info: tcp_dport22_info(),
        },
        Expr::Match {
            name: "comment".into(),
            rev: 0,
            info: comment_info("hello"),
        },
        Expr::Limit {
            rate: 3,
            unit: 1,
            burst: 5,
            kind: 0,
            flags: 0,
        },
        Expr::Counter {
            packets: 0,
            bytes: 0,
        },
        Expr::Target {
            name: "LOG".into(),
            rev: 0,
            info: log_info("rx: "),
        },
    ];
    e.truncate(e.len());
    e
}

fn all_exprs() -> Vec<Expr> {
    let mut all = rich_exprs();
    all.extend([
        Expr::Lookup {
            sreg: REG_1,
            set: "__set0".into(),
            invert: true,
        },
        Expr::Lookup {
            sreg: REG_1,
            set: "s".into(),
            invert: false,
        },
        Expr::Verdict(Verdict::Accept),
        Expr::Verdict(Verdict::Drop),
        Expr::Verdict(Verdict::Return),
        Expr::Verdict(Verdict::Continue),
        Expr::Verdict(Verdict::Jump("USER".into())),
        Expr::Verdict(Verdict::Goto("USER_CHAIN".into())),
        Expr::Verdict(Verdict::Other(3)),
        Expr::Payload {
            base: PayloadBase::Link,
            offset: 6,
            len: 6,
            dreg: 9,
        },
        Expr::Payload {
            base: PayloadBase::Other(3),
            offset: 0,
            len: 1,
            dreg: 8,
        },
        Expr::Cmp {
            sreg: 9,
            op: CmpOp::Lt,
            data: vec![1, 2, 3, 4, 5, 6, 7],
        },
        Expr::Range {
            sreg: 1,
            op: CmpOp::Neq,
            from: vec![1],
            to: vec![9],
        },
        Expr::Limit {
            rate: 1 << 40,
            unit: 86400,
            burst: 0,
            kind: 1,
            flags: 1,
        },
        Expr::Counter {
            packets: u64::MAX,
            bytes: 1 << 33,
        },
        Expr::Target {
            name: "MARK".into(),
            rev: 2,
            info: vec![1, 2, 3, 4, 5, 6, 7, 8],
        },
    ]);
    all
}

fn args<'a>(
    chain: &'a str,
    handle: Option<u64>,
    position: Option<u64>,
    body: Option<&'a NftRule>,
) -> RuleArgs<'a> {
    RuleArgs {
        table: "filter",
        chain,
        handle,
        position,
        body,
    }
}

/// Every shape of rule message, native and libnftnl, byte for byte;
/// both decoders agree with the input.
#[test]
fn codec_matches_libnftnl_without_kernel() {
    let mut body = rule("INPUT", all_exprs());
    let b1 = body.clone();
    body.compat = Some(RuleCompat {
        proto: 17,
        inv: true,
    });
    body.udata = Some(vec![0, 3, b'a', b'b', b'c']);
    let b2 = body.clone();
    body.udata = Some(vec![1, 2, 3, 4]);
    body.compat = Some(RuleCompat::default());
    let b3 = body;
    let b4 = rule("C", vec![]);
    type Case<'a> = (
        u16,
        u16,
        &'a str,
        Option<u64>,
        Option<u64>,
        Option<&'a NftRule>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            NFT_MSG_NEWRULE,
            NLM_F_CREATE | NLM_F_APPEND,
            "INPUT",
            None,
            None,
            Some(&b1),
        ),
        (
            NFT_MSG_NEWRULE,
            NLM_F_CREATE,
            "INPUT",
            None,
            Some(77),
            Some(&b2),
        ),
        (
            NFT_MSG_NEWRULE,
            NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
            "INPUT",
            Some(1 << 40),
            None,
            Some(&b3),
        ),
        (NFT_MSG_NEWRULE, NLM_F_CREATE, "C", None, None, Some(&b4)),
        (NFT_MSG_DELRULE, 0, "INPUT", Some(12), None, None),
        (NFT_MSG_DELRULE, 0, "INPUT", None, None, None),
        (NFT_MSG_DELRULE, 0, "", None, None, None),
        (NFT_MSG_GETRULE, NLM_F_DUMP, "INPUT", None, None, None),
    ];
    for (i, (cmd, flags, chain, handle, position, body)) in cases.into_iter().enumerate() {
        let seq = 1000 + i as u32;
        let mut native = MsgBuf::new(16);
        rule_msg(
            &mut native,
            cmd,
            NfProto::Ipv6,
            flags,
            seq,
            args(chain, handle, position, body),
        )
        .unwrap();
        let mut reference = MsgBuf::new(16);
        oracle::rule_msg(
            &mut reference,
            cmd,
            NfProto::Ipv6,
            flags,
            seq,
            args(chain, handle, position, body),
        )
        .unwrap();
        assert_eq!(native.bytes(), reference.bytes(), "case {i}");
        if let (NFT_MSG_NEWRULE, Some(body)) = (cmd, body) {
            let mut bad = false;
            let msg = messages(native.bytes(), &mut bad).next().unwrap();
            let (t, mine) = rule_from_msg(&msg).unwrap();
            let (t2, theirs) = oracle::rule_from_msg(&msg).unwrap();
            assert_eq!(t, b"filter");
            assert_eq!(t2, "filter");
            assert_eq!(mine, theirs, "case {i}");
            let mut want = body.clone();
            want.handle = handle.unwrap_or(0);
            assert_eq!(mine, want, "case {i}");
        }
    }
}

#[test]
fn bad_exprs_are_refused_without_kernel() {
    for e in [
        Expr::Unknown { name: "ct".into() },
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![0; 65],
        },
        Expr::Immediate {
            dreg: 0,
            data: vec![1],
        },
        Expr::Match {
            name: "x".repeat(29),
            rev: 0,
            info: vec![],
        },
        Expr::Lookup {
            sreg: 1,
            set: "a\0b".into(),
            invert: false,
        },
    ] {
        let mut buf = MsgBuf::new(16);
        let body = rule("C", vec![Expr::Verdict(Verdict::Accept), e.clone()]);
        let a = args("C", None, None, Some(&body));
        assert_eq!(
            rule_msg(&mut buf, NFT_MSG_NEWRULE, F, 0, 1, a),
            Err(libc::EINVAL),
            "{e:?}"
        );
        assert!(buf.bytes().is_empty());
    }
    let mut buf = MsgBuf::new(16);
    assert_eq!(
        op_msg(
            &mut buf,
            F,
            1,
            &Op::FlushChain {
                table: "t".into(),
                chain: String::new()
            },
            0
        ),
        Err(libc::EINVAL)
    );
    assert_eq!(
        op_msg(
            &mut buf,
            F,
            1,
            &Op::AddTable {
                table: "a\0".into()
            },
            0
        ),
        Err(libc::EINVAL)
    );
    assert!(buf.bytes().is_empty());
}

#[test]
fn unknown_and_partial_exprs_decode_as_unknown_without_kernel() {
    // a name-only expression, a payload *write* (sreg), a bad cmp op
    let mut b = MsgBuf::new(64);
    let start = b.begin(nft_type(NFT_MSG_NEWRULE), 0, 1, 2, 0);
    b.strz(NFTA_RULE_TABLE, "t");
    b.strz(NFTA_RULE_CHAIN, "c");
    b.u64(NFTA_RULE_HANDLE, 4);
    let l = b.nest_start(NFTA_RULE_EXPRESSIONS);
    let e = b.nest_start(NFTA_LIST_ELEM);
    b.strz(NFTA_EXPR_NAME, "socket");
    b.nest_end(e);
    let e = b.nest_start(NFTA_LIST_ELEM);
    b.strz(NFTA_EXPR_NAME, "payload");
    let d = b.nest_start(NFTA_EXPR_DATA);
    b.u32(PAYLOAD_SREG, 1);
    b.u32(PAYLOAD_BASE, 1);
    b.nest_end(d);
    b.nest_end(e);
    let e = b.nest_start(NFTA_LIST_ELEM);
    b.strz(NFTA_EXPR_NAME, "cmp");
    let d = b.nest_start(NFTA_EXPR_DATA);
    b.u32(CMP_SREG, 1);
    b.u32(CMP_OP, 42);
    b.nest_end(d);
    b.nest_end(e);
    b.nest_end(l);
    b.finish(start).unwrap();
    let mut bad = false;
    let msg = messages(b.bytes(), &mut bad).next().unwrap();
    let (_, r) = rule_from_msg(&msg).unwrap();
    assert_eq!(r.handle, 4);
    assert_eq!(
        r.exprs,
        vec![
            Expr::Unknown {
                name: "socket".into()
            },
            Expr::Unknown {
                name: "payload".into()
            },
            Expr::Unknown { name: "cmp".into() }
        ]
    );
    // truncated input is refused, not trusted
    let mut bad = false;
    assert_eq!(
        messages(&b.bytes()[..b.bytes().len() - 1], &mut bad).count(),
        0
    );
    assert!(bad);
}

#[test]
fn oversized_rules_are_refused_without_kernel() {
    let mut body = rule("C", rich_exprs());
    body.udata = Some(vec![7; 200]);
    for _ in 0..20 {
        body.exprs.push(Expr::Match {
            name: "comment".into(),
            rev: 0,
            info: comment_info("x"),
        });
    }
    let mut buf = MsgBuf::new(16);
    rule_msg(
        &mut buf,
        NFT_MSG_NEWRULE,
        F,
        NLM_F_CREATE,
        1,
        args("C", None, Some(5), Some(&body)),
    )
    .unwrap();
    let (t, r) = {
        let mut bad = false;
        let msgs: Vec<_> = messages(buf.bytes(), &mut bad).collect();
        assert_eq!(msgs.len(), 1);
        let (t, r) = rule_from_msg(&msgs[0]).unwrap();
        (t.to_vec(), r)
    };
    assert_eq!(t, b"filter");
    assert_eq!(r.exprs, body.exprs);
    assert_eq!(r.udata, body.udata);
    assert_eq!(r.compat, None);

    // Too big for 16-bit nested lengths: refused, not mis-encoded.
    let mut huge = rule("C", Vec::new());
    for _ in 0..300 {
        huge.exprs.push(Expr::Match {
            name: "comment".into(),
            rev: 0,
            info: comment_info("x"),
        });
    }
    let before = buf.bytes().len();
    assert_eq!(
        rule_msg(
            &mut buf,
            NFT_MSG_NEWRULE,
            F,
            0,
            2,
            args("C", None, None, Some(&huge))
        ),
        Err(libc::E2BIG)
    );
    assert_eq!(buf.bytes().len(), before);
}

#[test]
fn tables_chains_and_lookups() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
        assert!(!nft.table_exists(F, T).unwrap());
        assert_eq!(nft.chains(F, T).unwrap(), vec![]);
        assert_eq!(nft.chain(F, T, "INPUT").unwrap(), None);
        assert_eq!(nft.rules(F, T, None).unwrap(), vec![]);
        assert_eq!(nft.rules(F, T, Some("INPUT")).unwrap(), vec![]);
        let g0 = nft.genid().unwrap();
        setup(&mut nft);
        assert!(nft.genid().unwrap() != g0);
        // another table, other family: not listed
        nft.commit(
            NfProto::Ipv4,
            None,
            &[Op::AddTable {
                table: "other".into(),
            }],
        )
        .unwrap();
        nft.commit(
            NfProto::Ipv6,
            None,
            &[Op::AddTable {
                table: "six".into(),
            }],
        )
        .unwrap();
        nft.commit(
            F,
            None,
            &[Op::AddChain {
                table: "other".into(),
                chain: "X".into(),
                base: None,
                excl: false,
            }],
        )
        .unwrap();
        assert_eq!(
            nft.tables(F).unwrap(),
            vec![T.to_string(), "other".to_string()]
        );
        assert_eq!(nft.tables(NfProto::Ipv6).unwrap(), vec!["six".to_string()]);
        assert!(nft.table_exists(F, T).unwrap());
        assert!(!nft.table_exists(NfProto::Ipv6, T).unwrap());

        let chains = nft.chains(F, T).unwrap();
        assert_eq!(chains.len(), 2);
        assert_eq!(chains[0].name, "INPUT");
        assert_eq!(chains[0].table, T);
        assert_eq!(chains[0].base, Some(base_input()));
        assert_eq!((chains[0].packets, chains[0].bytes), (0, 0));
        assert_eq!(chains[1].name, "USER");
        assert_eq!(chains[1].base, None);
        assert!(chains[0].handle != 0 && chains[1].handle != 0);
        assert_eq!(nft.chain(F, T, "USER").unwrap().as_ref(), Some(&chains[1]));
        assert_eq!(nft.chain(F, T, "INPUT").unwrap().as_ref(), Some(&chains[0]));
        assert_eq!(nft.chain(F, T, "NOPE").unwrap(), None);
        assert_eq!(nft.chain(F, "nope", "INPUT").unwrap(), None);

        // -N of an existing chain: EEXIST; re-adding a built-in: fine
        let e = nft
            .commit(
                F,
                None,
                &[Op::AddChain {
                    table: T.into(),
                    chain: "USER".into(),
                    base: None,
                    excl: true,
                }],
            )
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(0),
                errno: libc::EEXIST
            }
        );
        nft.commit(
            F,
            None,
            &[
                Op::AddTable { table: T.into() },
                Op::AddChain {
                    table: T.into(),
                    chain: "INPUT".into(),
                    base: Some(base_input()),
                    excl: false,
                },
            ],
        )
        .unwrap();
        assert_eq!(nft.chains(F, T).unwrap().len(), 2);

        // policy and counters
        nft.commit(
            F,
            None,
            &[Op::SetPolicy {
                table: T.into(),
                chain: "INPUT".into(),
                accept: false,
                counters: Some((5, 600)),
            }],
        )
        .unwrap();
        let c = nft.chain(F, T, "INPUT").unwrap().unwrap();
        assert!(!c.base.as_ref().unwrap().policy_accept);
        assert_eq!((c.packets, c.bytes), (5, 600));
        assert!(run_here(&["iptables-nft-save", "-c"]).contains(":INPUT DROP [5:600]"));

        // rename keeps the handle
        let user = nft.chain(F, T, "USER").unwrap().unwrap();
        nft.commit(
            F,
            None,
            &[Op::RenameChain {
                table: T.into(),
                handle: user.handle,
                new_name: "USER2".into(),
            }],
        )
        .unwrap();
        assert_eq!(nft.chain(F, T, "USER").unwrap(), None);
        assert_eq!(
            nft.chain(F, T, "USER2").unwrap().unwrap().handle,
            user.handle
        );

        // delete chain: refused while it has rules (NLM_F_NONREC)
        nft.commit(
            F,
            None,
            &[add(
                "USER2",
                vec![Expr::Verdict(Verdict::Return)],
                Position::Append,
            )],
        )
        .unwrap();
        let del = Op::DelChain {
            table: T.into(),
            chain: "USER2".into(),
        };
        assert_eq!(
            nft.commit(F, None, std::slice::from_ref(&del)).unwrap_err(),
            CommitError {
                index: Some(0),
                errno: libc::EBUSY
            }
        );
        nft.commit(
            F,
            None,
            &[
                Op::FlushChain {
                    table: T.into(),
                    chain: "USER2".into(),
                },
                del,
            ],
        )
        .unwrap();
        assert_eq!(nft.chains(F, T).unwrap().len(), 1);
        nft.commit(
            F,
            None,
            &[Op::DelTable {
                table: "other".into(),
            }],
        )
        .unwrap();
        assert_eq!(nft.tables(F).unwrap(), vec![T.to_string()]);
        assert_eq!(nft.commit_waits, 0);
    });
}

#[test]
fn rules_roundtrip_and_positions() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        setup(&mut nft);
        let mut rich = rule("INPUT", rich_exprs());
        rich.exprs.push(Expr::Verdict(Verdict::Jump("USER".into())));
        rich.compat = Some(RuleCompat {
            proto: 6,
            inv: false,
        });
        rich.udata = Some(b"\x00\x05hello".to_vec());
        let mut inv = rule("USER", saddr([1, 2, 3, 4]));
        inv.exprs.push(Expr::Verdict(Verdict::Drop));
        inv.compat = Some(RuleCompat {
            proto: 17,
            inv: true,
        });
        let mut ret = rule("USER", vec![Expr::Verdict(Verdict::Return)]);
        ret.compat = Some(RuleCompat::default());
        nft.commit(
            F,
            None,
            &[
                Op::AddRule {
                    table: T.into(),
                    rule: rich.clone(),
                    pos: Position::Append,
                },
                Op::AddRule {
                    table: T.into(),
                    rule: inv.clone(),
                    pos: Position::Append,
                },
                Op::AddRule {
                    table: T.into(),
                    rule: ret.clone(),
                    pos: Position::Append,
                },
            ],
        )
        .unwrap();
        let all = nft.rules(F, T, None).unwrap();
        assert_eq!(all.len(), 3);
        let strip = |r: &NftRule| NftRule {
            handle: 0,
            compat: None,
            ..r.clone()
        };
        // The kernel keeps no NFTA_RULE_COMPAT: it reads back as None.
        assert_eq!(strip(&all[0]), strip(&rich));
        assert_eq!(all[0].compat, None);
        assert_eq!(all[0].udata, rich.udata);
        assert_eq!(strip(&all[1]), strip(&inv));
        assert_eq!(all[2].exprs, ret.exprs);
        assert!(all.iter().all(|r| r.handle != 0));
        let user = nft.rules(F, T, Some("USER")).unwrap();
        assert_eq!(user, all[1..].to_vec());
        assert_eq!(nft.rules(F, T, Some("NOPE")).unwrap(), vec![]);
        assert_eq!(nft.rules(F, "nope", None).unwrap(), vec![]);

        // iptables-nft reads what was written (the rich rule is beyond
        // what iptables-nft 1.8.9 parses: replace it by a typical one)
        let ipt = rule(
            "INPUT",
            vec![
                Expr::Meta {
                    key: meta::L4PROTO,
                    dreg: REG_1,
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Eq,
                    data: vec![6],
                },
                Expr::Match {
                    name: "tcp".into(),
                    rev: 0,
                    info: tcp_dport22_info(),
                },
                Expr::Match {
                    name: "comment".into(),
                    rev: 0,
                    info: comment_info("hello"),
                },
                Expr::Counter {
                    packets: 0,
                    bytes: 0,
                },
                Expr::Verdict(Verdict::Accept),
            ],
        );
        nft.commit(
            F,
            None,
            &[Op::ReplaceRule {
                table: T.into(),
                rule: NftRule {
                    handle: all[0].handle,
                    compat: Some(RuleCompat {
                        proto: 6,
                        inv: false,
                    }),
                    ..ipt
                },
            }],
        )
        .unwrap();
        let save = run_here(&["iptables-nft-save"]);
        assert!(
            save.contains("-A INPUT -p tcp -m tcp --dport 22 -m comment --comment hello"),
            "{save}"
        );
        assert!(save.contains("-A USER -s 1.2.3.4/32 -j DROP"), "{save}");
        assert!(save.contains("-A USER -j RETURN"), "{save}");

        // xt tcp match needs the compat protocol: without it the
        // kernel refuses the rule.
        let mut nocompat = rich.clone();
        nocompat.compat = None;
        let e = nft
            .commit(
                F,
                None,
                &[Op::AddRule {
                    table: T.into(),
                    rule: nocompat,
                    pos: Position::Append,
                }],
            )
            .unwrap_err();
        assert_eq!(e.index, Some(0));
        assert_eq!(e.errno, libc::EINVAL);

        // positions: chain C gets A B, then P at the head, X before B,
        // Y after A => P A Y X B
        let mark = |n: u8| {
            let mut r = rule("USER", saddr([10, 0, 0, n]));
            r.exprs.push(Expr::Counter {
                packets: 0,
                bytes: 0,
            });
            r
        };
        let ops = |r: NftRule, pos| Op::AddRule {
            table: T.into(),
            rule: r,
            pos,
        };
        nft.commit(
            F,
            None,
            &[Op::FlushChain {
                table: T.into(),
                chain: "USER".into(),
            }],
        )
        .unwrap();
        nft.commit(
            F,
            None,
            &[
                ops(mark(1), Position::Append),
                ops(mark(2), Position::Append),
            ],
        )
        .unwrap();
        let r = nft.rules(F, T, Some("USER")).unwrap();
        let (ha, hb) = (r[0].handle, r[1].handle);
        nft.commit(
            F,
            None,
            &[
                ops(mark(3), Position::Prepend),
                ops(mark(4), Position::Before(hb)),
                ops(mark(5), Position::After(ha)),
            ],
        )
        .unwrap();
        let order = |nft: &mut Nft| -> Vec<u8> {
            nft.rules(F, T, Some("USER"))
                .unwrap()
                .iter()
                .map(|r| match &r.exprs[1] {
                    Expr::Cmp { data, .. } => data[3],
                    _ => 0,
                })
                .collect()
        };
        assert_eq!(order(&mut nft), vec![3, 1, 5, 4, 2]);

        // replace rule 5 (third) by 6, in place
        let r = nft.rules(F, T, Some("USER")).unwrap();
        let mut six = mark(6);
        six.handle = r[2].handle;
        nft.commit(
            F,
            None,
            &[Op::ReplaceRule {
                table: T.into(),
                rule: six,
            }],
        )
        .unwrap();
        assert_eq!(order(&mut nft), vec![3, 1, 6, 4, 2]);

        // delete by handle
        let r = nft.rules(F, T, Some("USER")).unwrap();
        nft.commit(
            F,
            None,
            &[Op::DelRule {
                table: T.into(),
                chain: "USER".into(),
                handle: r[0].handle,
            }],
        )
        .unwrap();
        assert_eq!(order(&mut nft), vec![1, 6, 4, 2]);
        // unknown handle: ENOENT at its index
        let e = nft
            .commit(
                F,
                None,
                &[
                    Op::FlushChain {
                        table: T.into(),
                        chain: "INPUT".into(),
                    },
                    Op::DelRule {
                        table: T.into(),
                        chain: "USER".into(),
                        handle: 999_999,
                    },
                ],
            )
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(1),
                errno: libc::ENOENT
            }
        );
        assert_eq!(nft.rules(F, T, Some("INPUT")).unwrap().len(), 1, "atomic");

        // flush one chain, then the table
        nft.commit(
            F,
            None,
            &[Op::FlushChain {
                table: T.into(),
                chain: "USER".into(),
            }],
        )
        .unwrap();
        assert_eq!(nft.rules(F, T, Some("USER")).unwrap(), vec![]);
        assert_eq!(nft.rules(F, T, None).unwrap().len(), 1);
        nft.commit(F, None, &[Op::FlushTable { table: T.into() }])
            .unwrap();
        assert_eq!(nft.rules(F, T, None).unwrap(), vec![]);
        assert_eq!(nft.chains(F, T).unwrap().len(), 2);
        assert_eq!(nft.commit_waits, 0);
    });
}

#[test]
fn unknown_expressions_decode_as_unknown() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        setup(&mut nft);
        run_here(&[
            "nft",
            "add",
            "rule",
            "ip",
            T,
            "USER",
            "ct",
            "state",
            "established",
            "counter",
            "accept",
        ]);
        let r = nft.rules(F, T, Some("USER")).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].exprs[0], Expr::Unknown { name: "ct".into() });
        assert_eq!(r[0].exprs.last(), Some(&Expr::Verdict(Verdict::Accept)));
    });
}

/// Rules written by iptables-nft and nft, dumped by the kernel (whose
/// attribute order differs from libnftnl's): the native decoder agrees
/// with libnftnl's on every one.
#[test]
fn kernel_dumps_decode_like_libnftnl() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        for r in [
            "-A INPUT -p tcp --dport 22 -m limit --limit 3/s -j ACCEPT",
            "-A INPUT -s 10.128.0.0/9 ! -i eth0 -m comment --comment hi -j LOG --log-prefix x",
            "-A INPUT ! -p udp -d 192.168.1.1 -m conntrack --ctstate NEW -j DROP",
            "-A INPUT -p tcp -m multiport --dports 1:100 -j RETURN",
            "-N USER",
            "-A USER -o lo -j MARK --set-mark 5",
            "-I INPUT 2 -j USER",
        ] {
            let mut cmd = vec!["iptables-nft"];
            cmd.extend(r.split(' '));
            run_here(&cmd);
        }
        run_here(&[
            "nft",
            "add",
            "rule",
            "ip",
            T,
            "USER",
            "ct",
            "state",
            "established",
            "counter",
            "accept",
        ]);
        run_here(&[
            "nft", "add", "rule", "ip", T, "USER", "tcp", "dport", "{", "1,", "2", "}", "drop",
        ]);
        let count = std::cell::Cell::new(0);
        nft.dump(
            "test dump",
            |b, seq| {
                rule_msg(
                    b,
                    NFT_MSG_GETRULE,
                    F,
                    NLM_F_DUMP,
                    seq,
                    args("", None, None, None),
                )
            },
            || count.set(0),
            |m| {
                if m.ty == nft_type(NFT_MSG_NEWRULE) {
                    let (t, mine) = rule_from_msg(m)?;
                    let (t2, theirs) = oracle::rule_from_msg(m)?;
                    assert_eq!(t, t2.as_bytes());
                    assert_eq!(mine, theirs);
                    count.set(count.get() + 1);
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(count.get(), 8);
        let rules = nft.rules(F, T, None).unwrap();
        assert_eq!(rules.len(), 8);
        // ! -i eth0 -s 10.128.0.0/9: meta, cmp, payload, bitwise, cmp
        assert_eq!(
            rules[2].exprs[..5],
            [
                Expr::Meta {
                    key: meta::IIFNAME,
                    dreg: REG_1
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Neq,
                    data: b"eth0\0".to_vec()
                },
                Expr::Payload {
                    base: PayloadBase::Network,
                    offset: 12,
                    len: 4,
                    dreg: REG_1
                },
                Expr::Bitwise {
                    sreg: REG_1,
                    dreg: REG_1,
                    len: 4,
                    mask: vec![255, 128, 0, 0],
                    xor: vec![0; 4]
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Eq,
                    data: vec![10, 128, 0, 0]
                },
            ]
        );
        assert_eq!(
            rules[1].exprs,
            vec![
                Expr::Counter {
                    packets: 0,
                    bytes: 0
                },
                Expr::Verdict(Verdict::Jump("USER".into()))
            ]
        );
        assert_eq!(rules[0].udata, None);
        assert!(rules.iter().all(|r| r.compat.is_none()));
        assert!(
            matches!(&rules[7].exprs[3], Expr::Lookup { invert: false, .. }),
            "{:?}",
            rules[7]
        );
    });
}

#[test]
fn failed_commit_is_atomic_and_indexed() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        let e = nft
            .commit(
                F,
                None,
                &[
                    Op::AddTable { table: T.into() },
                    Op::AddChain {
                        table: T.into(),
                        chain: "INPUT".into(),
                        base: Some(base_input()),
                        excl: false,
                    },
                    add(
                        "INPUT",
                        vec![Expr::Verdict(Verdict::Accept)],
                        Position::Append,
                    ),
                    add(
                        "MISSING",
                        vec![Expr::Verdict(Verdict::Accept)],
                        Position::Append,
                    ),
                    add(
                        "INPUT",
                        vec![Expr::Verdict(Verdict::Drop)],
                        Position::Append,
                    ),
                ],
            )
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(3),
                errno: libc::ENOENT
            }
        );
        assert!(!e.is_restart());
        assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
        // Unencodable op: refused locally with its index.
        let e = nft
            .commit(
                F,
                None,
                &[
                    Op::AddTable { table: T.into() },
                    add(
                        "INPUT",
                        vec![Expr::Unknown { name: "ct".into() }],
                        Position::Append,
                    ),
                ],
            )
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(1),
                errno: libc::EINVAL
            }
        );
        assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
        // So many errors that they overflow the receive buffer: the
        // first one is still reported.
        let mut ops = vec![
            Op::AddTable { table: T.into() },
            Op::AddChain {
                table: T.into(),
                chain: "INPUT".into(),
                base: Some(base_input()),
                excl: false,
            },
        ];
        ops.extend((0..50_000).map(|_| {
            add(
                "MISSING",
                vec![Expr::Verdict(Verdict::Accept)],
                Position::Append,
            )
        }));
        let e = nft.commit(F, None, &ops).unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(2),
                errno: libc::ENOENT
            }
        );
        assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
        // The socket is still in sync afterwards.
        setup(&mut nft);
        assert_eq!(nft.chains(F, T).unwrap().len(), 2);
        assert_eq!(nft.commit_waits, 0);
    });
}

#[test]
fn shared_commit_is_one_batch_in_order() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        let ops: Vec<Op> = [
            Op::AddTable { table: T.into() },
            Op::AddChain {
                table: T.into(),
                chain: "INPUT".into(),
                base: Some(base_input()),
                excl: false,
            },
        ]
        .into_iter()
        .chain((0..1000u32).map(|i| {
            let [_, _, a, b] = i.to_be_bytes();
            add("INPUT", saddr([10, 0, a, b]), Position::Append)
        }))
        .collect();
        // built by three threads, sent as one datagram of three pieces
        nft.commit_shared(F, None, ops.len(), 3, |i| ops[i].clone())
            .unwrap();
        let rules = nft.rules(F, T, Some("INPUT")).unwrap();
        assert_eq!(rules.len(), 1000);
        for (i, r) in rules.iter().enumerate() {
            let [_, _, a, b] = (i as u32).to_be_bytes();
            assert_eq!(r.exprs, saddr([10, 0, a, b]), "rule {i}");
        }
        // a failure in the last share: nothing applied, its index kept
        let mut bad: Vec<Op> = (0..100u32)
            .map(|_| {
                add(
                    "INPUT",
                    vec![Expr::Verdict(Verdict::Drop)],
                    Position::Append,
                )
            })
            .collect();
        bad.push(add(
            "MISSING",
            vec![Expr::Verdict(Verdict::Accept)],
            Position::Append,
        ));
        let e = nft
            .commit_shared(F, None, bad.len(), 4, |i| bad[i].clone())
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(100),
                errno: libc::ENOENT
            }
        );
        assert_eq!(nft.rules(F, T, Some("INPUT")).unwrap().len(), 1000);
        // an op that cannot be encoded, in the second share
        let e = nft
            .commit_shared(F, None, 10, 2, |i| {
                let exprs = if i == 7 {
                    vec![Expr::Unknown { name: "ct".into() }]
                } else {
                    vec![Expr::Verdict(Verdict::Drop)]
                };
                add("INPUT", exprs, Position::Append)
            })
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: Some(7),
                errno: libc::EINVAL
            }
        );
        assert_eq!(nft.rules(F, T, Some("INPUT")).unwrap().len(), 1000);
    });
}

#[test]
fn stale_genid_asks_for_retry() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        let g = nft.genid().unwrap();
        nft.commit(F, Some(g), &[Op::AddTable { table: "a".into() }])
            .unwrap();
        let e = nft
            .commit(F, Some(g), &[Op::AddTable { table: "b".into() }])
            .unwrap_err();
        assert_eq!(
            e,
            CommitError {
                index: None,
                errno: ERESTART
            }
        );
        assert!(e.is_restart());
        assert_eq!(nft.tables(F).unwrap(), vec!["a".to_string()]);
        let g = nft.genid().unwrap();
        nft.commit(F, Some(g), &[Op::AddTable { table: "b".into() }])
            .unwrap();
        assert_eq!(
            nft.tables(F).unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
    });
}

#[test]
fn compat_revisions() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        assert!(nft.compat_revision(F, "tcp", 0, false).unwrap());
        assert!(nft.compat_revision(F, "conntrack", 3, false).unwrap());
        assert!(nft.compat_revision(F, "LOG", 0, true).unwrap());
        assert!(nft.compat_revision(NfProto::Ipv6, "LOG", 0, true).unwrap());
        assert!(!nft.compat_revision(F, "tcp", 99, false).unwrap());
        assert!(!nft.compat_revision(F, "no_such_match_x", 0, false).unwrap());
        assert!(!nft.compat_revision(F, "tcp", 0, true).unwrap());
        // an extension at some revision (this kernel has `mark` 1, not 0)
        // or at none (no `xt_LED` here)
        assert!(!nft.compat_revision(F, "mark", 0, false).unwrap());
        assert!(nft.compat_extension(F, "mark", false).unwrap());
        assert!(nft.compat_extension(F, "tcp", false).unwrap());
        assert!(!nft.compat_extension(F, "LED", true).unwrap());
        assert!(!nft.compat_extension(F, "no_such_match_x", false).unwrap());
    });
}

fn thread_user_time() -> std::time::Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the rusage struct it is given.
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_THREAD, ru.as_mut_ptr());
        ru.assume_init()
    };
    std::time::Duration::new(ru.ru_utime.tv_sec as u64, ru.ru_utime.tv_usec as u32 * 1000)
}

fn perf_ops(n: u32) -> Vec<Op> {
    let mk = |i: u32| {
        let mut r = rule("USER", saddr(i.to_be_bytes()));
        r.exprs.splice(
            0..0,
            [
                Expr::Meta {
                    key: meta::L4PROTO,
                    dreg: REG_1,
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Eq,
                    data: vec![6],
                },
            ],
        );
        r.exprs.extend([
            Expr::Payload {
                base: PayloadBase::Transport,
                offset: 2,
                len: 2,
                dreg: REG_1,
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Eq,
                data: vec![0, 22],
            },
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
            Expr::Verdict(Verdict::Accept),
        ]);
        r.compat = Some(RuleCompat {
            proto: 6,
            inv: false,
        });
        Op::AddRule {
            table: T.into(),
            rule: r,
            pos: Position::Append,
        }
    };
    (0..n).map(mk).collect()
}

/// Encoding and decoding cost alone, no kernel:
/// `cargo test --release -- --ignored --nocapture perf_codec`
#[test]
#[ignore]
fn perf_codec() {
    let n = 100_000u32;
    let ops = perf_ops(n);
    let t0 = thread_user_time();
    let mut buf = MsgBuf::new(64 * 1024 + ops.len() * 512);
    for (i, op) in ops.iter().enumerate() {
        op_msg(&mut buf, F, i as u32, op, 0).unwrap();
    }
    let t1 = thread_user_time();
    let mut bad = false;
    let mut out = Vec::new();
    for m in messages(buf.bytes(), &mut bad) {
        out.push(rule_from_msg(&m).unwrap().1);
    }
    let t2 = thread_user_time();
    assert_eq!(out.len(), n as usize);
    println!(
        "native (user time): encode {n} rules ({} bytes): {:?}; decode: {:?}",
        buf.bytes().len(),
        t1 - t0,
        t2 - t1
    );
    let t0 = thread_user_time();
    let mut buf = MsgBuf::new(64 * 1024 + ops.len() * 512);
    for (i, op) in ops.iter().enumerate() {
        let Op::AddRule { rule, .. } = op else {
            unreachable!()
        };
        let a = args(&rule.chain, None, None, Some(rule));
        oracle::rule_msg(
            &mut buf,
            NFT_MSG_NEWRULE,
            F,
            NLM_F_CREATE | NLM_F_APPEND,
            i as u32,
            a,
        )
        .unwrap();
    }
    let t1 = thread_user_time();
    let mut bad = false;
    let mut out = Vec::new();
    for m in messages(buf.bytes(), &mut bad) {
        out.push(oracle::rule_from_msg(&m).unwrap().1);
    }
    let t2 = thread_user_time();
    println!(
        "libnftnl (user time): encode {:?}; decode: {:?}",
        t1 - t0,
        t2 - t1
    );
}

/// `cargo test --release -- --ignored --nocapture perf_100k`
#[test]
#[ignore]
fn perf_100k() {
    in_netns(|| {
        let mut nft = Nft::open().unwrap();
        setup(&mut nft);
        let n = 100_000u32;
        let mk = |i: u32| {
            let mut r = rule("USER", saddr(i.to_be_bytes()));
            r.exprs.splice(
                0..0,
                [
                    Expr::Meta {
                        key: meta::L4PROTO,
                        dreg: REG_1,
                    },
                    Expr::Cmp {
                        sreg: REG_1,
                        op: CmpOp::Eq,
                        data: vec![6],
                    },
                ],
            );
            r.exprs.extend([
                Expr::Payload {
                    base: PayloadBase::Transport,
                    offset: 2,
                    len: 2,
                    dreg: REG_1,
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Eq,
                    data: vec![0, 22],
                },
                Expr::Counter {
                    packets: 0,
                    bytes: 0,
                },
                Expr::Verdict(Verdict::Accept),
            ]);
            r.compat = Some(RuleCompat {
                proto: 6,
                inv: false,
            });
            Op::AddRule {
                table: T.into(),
                rule: r,
                pos: Position::Append,
            }
        };
        let ops: Vec<Op> = (0..n).map(mk).collect();
        let (u0, t0) = (thread_user_time(), std::time::Instant::now());
        nft.commit(F, None, &ops).unwrap();
        let (u1, t1) = (thread_user_time(), std::time::Instant::now());
        println!("commit {n} rules: user {:?}, wall {:?}", u1 - u0, t1 - t0);
        let rules = nft.rules(F, T, None).unwrap();
        let (u2, t2) = (thread_user_time(), std::time::Instant::now());
        println!(
            "dump {} rules: user {:?}, wall {:?}",
            rules.len(),
            u2 - u1,
            t2 - t1
        );
        assert_eq!(rules.len(), n as usize);
        let one = nft.rules(F, T, Some("INPUT")).unwrap();
        let (u3, t3) = (thread_user_time(), std::time::Instant::now());
        println!(
            "dump of the other chain ({}): user {:?}, wall {:?}",
            one.len(),
            u3 - u2,
            t3 - t2
        );
        assert_eq!(nft.commit_waits, 0);
    });
}
