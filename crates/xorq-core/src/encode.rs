//! The canonical, versioned, length-prefixed byte encoding that addresses are hashed from.
//!
//! Rules: every value is written with a fixed-width or length-prefixed form, every variant is
//! written by its stable name (never by a Rust discriminant or `std::hash::Hash`), and sequences
//! carry their length, so two different values never encode to the same bytes.

use crate::address::Address;
use crate::expr::ir::{AggregateCall, ExprKind, FrameBound, FrameUnits, JoinSide, ScalarExpr, SortKey, WindowCall};
use crate::literal::Literal;
use crate::types::DataType;

/// Version of the byte form, written first in every hash. Unchanged since hash scheme 1: scheme 2
/// changed what expressions canonicalize to, not how a canonical form is written, so a node that
/// both schemes canonicalize alike keeps its address (and scheme-1 builds still verify).
const ENCODING_VERSION: u64 = 1;

/// Streams canonical bytes into BLAKE3.
pub(crate) struct Encoder {
    hasher: blake3::Hasher,
    /// Pending bytes: BLAKE3 is much faster fed in large pieces than value by value. The hash of
    /// the concatenation is the same however it is split, so buffering changes no address.
    buffer: Vec<u8>,
}

const FLUSH_AT: usize = 64 * 1024;

impl Encoder {
    /// An encoder for one kind of object (`node`, `expr`, …), led by the scheme version.
    pub(crate) fn new(domain: &str) -> Self {
        let mut e = Encoder { hasher: blake3::Hasher::new(), buffer: Vec::with_capacity(256) };
        e.raw(b"xorq-rs");
        e.u64(ENCODING_VERSION);
        e.str(domain);
        e
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= FLUSH_AT {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }

    pub(crate) fn i128(&mut self, v: i128) {
        self.raw(&v.to_le_bytes());
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.raw(&[u8::from(v)]);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.raw(b);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub(crate) fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    pub(crate) fn address(&mut self, a: &Address) {
        self.raw(a.as_bytes());
    }

    pub(crate) fn dtype(&mut self, t: &DataType) {
        self.str(&t.to_string());
    }

    pub(crate) fn opt<T>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            Some(v) => {
                self.bool(true);
                f(self, v);
            }
            None => self.bool(false),
        }
    }

    pub(crate) fn finish(mut self) -> Address {
        self.hasher.update(&self.buffer);
        Address::from_bytes(*self.hasher.finalize().as_bytes())
    }

    pub(crate) fn literal(&mut self, l: &Literal) {
        self.dtype(&l.dtype());
        match l {
            Literal::Int8(_)
            | Literal::Int16(_)
            | Literal::Int32(_)
            | Literal::Int64(_)
            | Literal::UInt8(_)
            | Literal::UInt16(_)
            | Literal::UInt32(_)
            | Literal::UInt64(_) => {
                // Integers of every width share one form; the type written above tells them apart.
                self.str("int");
                self.i128(l.as_i128().unwrap_or_default());
            }
            Literal::Null(_) => self.str("null"),
            Literal::Boolean(b) => {
                self.str("bool");
                self.bool(*b);
            }
            Literal::Float32(v) => {
                self.str("f32");
                self.u64(u64::from(v.to_bits()));
            }
            Literal::Float64(v) => {
                self.str("f64");
                self.u64(v.to_bits());
            }
            Literal::Decimal { value, .. } => {
                self.str("decimal");
                self.i128(*value);
            }
            Literal::String(s) => {
                self.str("string");
                self.str(s);
            }
            Literal::Binary(b) => {
                self.str("binary");
                self.bytes(b);
            }
            Literal::Date(d) => {
                self.str("date");
                self.i128(i128::from(*d));
            }
            Literal::Time(t) => {
                self.str("time");
                self.i128(i128::from(*t));
            }
            Literal::Timestamp { value, .. } | Literal::Duration { value, .. } => {
                self.str("ticks");
                self.i128(i128::from(*value));
            }
            Literal::Interval { months, days, nanos } => {
                self.str("interval");
                self.i128(i128::from(*months));
                self.i128(i128::from(*days));
                self.i128(i128::from(*nanos));
            }
        }
    }

    fn sort_keys(&mut self, keys: &[SortKey]) {
        self.len(keys.len());
        for k in keys {
            self.expr(&k.expr);
            self.bool(k.descending);
            self.bool(k.nulls_first);
        }
    }

    fn exprs(&mut self, es: &[ScalarExpr]) {
        self.len(es.len());
        for e in es {
            self.expr(e);
        }
    }

    fn aggregate(&mut self, call: &AggregateCall) {
        self.str(call.func.name());
        self.u64(u64::from(call.func.version()));
        self.exprs(&call.args);
        self.opt(call.filter.as_ref(), |e, f| e.expr(f));
        self.sort_keys(&call.order_by);
    }

    fn window(&mut self, call: &WindowCall) {
        self.str(call.func.name());
        self.u64(u64::from(call.func.version()));
        self.exprs(&call.args);
        self.exprs(&call.partition_by);
        self.sort_keys(&call.order_by);
        self.opt(call.frame.as_ref(), |e, fr| {
            e.str(match fr.units {
                FrameUnits::Rows => "rows",
                FrameUnits::Range => "range",
            });
            for b in [fr.start, fr.end] {
                match b {
                    FrameBound::UnboundedPreceding => e.str("unbounded_preceding"),
                    FrameBound::Preceding(n) => {
                        e.str("preceding");
                        e.u64(n);
                    }
                    FrameBound::CurrentRow => e.str("current_row"),
                    FrameBound::Following(n) => {
                        e.str("following");
                        e.u64(n);
                    }
                    FrameBound::UnboundedFollowing => e.str("unbounded_following"),
                }
            }
        });
    }

    /// Encodes a typed scalar expression (its type included).
    #[recursive::recursive]
    pub(crate) fn expr(&mut self, e: &ScalarExpr) {
        self.dtype(&e.dtype);
        match &e.kind {
            ExprKind::Column(c) => {
                self.str("column");
                self.str(&c.name);
                self.str(match c.side {
                    None => "",
                    Some(JoinSide::Left) => "left",
                    Some(JoinSide::Right) => "right",
                });
            }
            ExprKind::Literal(l) => {
                self.str("literal");
                self.literal(l);
            }
            ExprKind::Param(p) => {
                self.str("param");
                self.str(&p.name);
                self.dtype(&p.dtype);
                self.opt(p.default.as_ref(), |e, d| e.literal(d));
            }
            ExprKind::Binary { op, left, right } => {
                self.str(op.name());
                self.expr(left);
                self.expr(right);
            }
            ExprKind::And(terms) => {
                self.str("and");
                self.exprs(terms);
            }
            ExprKind::Or(terms) => {
                self.str("or");
                self.exprs(terms);
            }
            ExprKind::Not(x) => {
                self.str("not");
                self.expr(x);
            }
            ExprKind::Negate(x) => {
                self.str("negate");
                self.expr(x);
            }
            ExprKind::IsNull(x) => {
                self.str("is_null");
                self.expr(x);
            }
            ExprKind::IsNotNull(x) => {
                self.str("is_not_null");
                self.expr(x);
            }
            ExprKind::Cast(x) => {
                self.str("cast");
                self.expr(x);
            }
            ExprKind::Case { branches, otherwise } => {
                self.str("case");
                self.len(branches.len());
                for (c, v) in branches {
                    self.expr(c);
                    self.expr(v);
                }
                self.opt(otherwise.as_deref(), |e, o| e.expr(o));
            }
            ExprKind::InList { expr, list, negated } => {
                self.str("in_list");
                self.expr(expr);
                self.exprs(list);
                self.bool(*negated);
            }
            ExprKind::Function { func, args } => {
                self.str("function");
                self.str(func.name());
                self.u64(u64::from(func.version()));
                self.exprs(args);
            }
            ExprKind::Aggregate(call) => {
                self.str("aggregate");
                self.aggregate(call);
            }
            ExprKind::Window(call) => {
                self.str("window");
                self.window(call);
            }
        }
    }
}

/// The digest of one scalar expression: its identity for canonical ordering.
pub(crate) fn expr_digest(e: &ScalarExpr) -> Address {
    let mut enc = Encoder::new("expr");
    enc.expr(e);
    enc.finish()
}
