//! Builder methods for the functions added with DataFusion's library: text, regular
//! expressions, hashing, date and time, math and statistics. Every built-in function is also
//! reachable by name through [`Expr::call_function`] and [`Expr::aggregate`]; these methods are
//! the common ones spelled as Rust methods.
//!
//! ```
//! use xorq_core::{col, lit};
//! let e = col("name").initcap().left(3);
//! assert_eq!(e.to_string(), "left(initcap(name), 3)");
//! let agg = col("name").string_agg(",").order_by(["id"]);
//! assert_eq!(agg.to_string(), "string_agg(name, ',' ORDER BY id)");
//! ```

use super::dsl::{Expr, lit};
use super::func::{AggFunc, ScalarFunc, WindowFunc};

impl Expr {
    fn fun(self, f: ScalarFunc, rest: Vec<Expr>) -> Expr {
        let mut args = vec![self];
        args.extend(rest);
        Expr::Function(f, args)
    }

    fn agg_with(self, f: AggFunc, rest: Vec<Expr>) -> Expr {
        let mut args = vec![self];
        args.extend(rest);
        Expr::aggregate(f, args)
    }

    /// Capitalizes the first letter of each word.
    pub fn initcap(self) -> Expr {
        self.fun(ScalarFunc::INITCAP, vec![])
    }
    /// The first `n` characters.
    pub fn left(self, n: i64) -> Expr {
        self.fun(ScalarFunc::LEFT, vec![lit(n)])
    }
    /// The last `n` characters.
    pub fn right(self, n: i64) -> Expr {
        self.fun(ScalarFunc::RIGHT, vec![lit(n)])
    }
    /// The text repeated `n` times.
    pub fn repeat(self, n: i64) -> Expr {
        self.fun(ScalarFunc::REPEAT, vec![lit(n)])
    }
    /// The `n`-th part (1-based) after splitting on `delimiter`.
    pub fn split_part(self, delimiter: &str, n: i64) -> Expr {
        self.fun(ScalarFunc::SPLIT_PART, vec![lit(delimiter), lit(n)])
    }
    /// Levenshtein edit distance to `other`.
    pub fn levenshtein(self, other: impl Into<Expr>) -> Expr {
        self.fun(ScalarFunc::LEVENSHTEIN, vec![other.into()])
    }
    /// Whether the text matches the regular expression `pattern`.
    pub fn regexp_like(self, pattern: &str) -> Expr {
        self.fun(ScalarFunc::REGEXP_LIKE, vec![lit(pattern)])
    }
    /// Replaces every match of `pattern` with `replacement` (`$1` names a group).
    pub fn regexp_replace(self, pattern: &str, replacement: &str) -> Expr {
        self.fun(ScalarFunc::REGEXP_REPLACE, vec![lit(pattern), lit(replacement), lit("g")])
    }
    /// Number of matches of `pattern`.
    pub fn regexp_count(self, pattern: &str) -> Expr {
        self.fun(ScalarFunc::REGEXP_COUNT, vec![lit(pattern)])
    }
    /// SQL `SIMILAR TO`: the whole text matches `pattern`.
    pub fn similar_to(self, pattern: &str) -> Expr {
        self.fun(ScalarFunc::SIMILAR_TO, vec![lit(pattern)])
    }
    /// MD5 digest as hexadecimal text.
    pub fn md5(self) -> Expr {
        self.fun(ScalarFunc::MD5, vec![])
    }
    /// SHA-256 digest (bytes).
    pub fn sha256(self) -> Expr {
        self.fun(ScalarFunc::SHA256, vec![])
    }
    /// Bytes as text in `encoding` (`base64`, `hex`).
    pub fn encode(self, encoding: &str) -> Expr {
        self.fun(ScalarFunc::ENCODE, vec![lit(encoding)])
    }
    /// Text in `encoding` (`base64`, `hex`) as bytes.
    pub fn decode(self, encoding: &str) -> Expr {
        self.fun(ScalarFunc::DECODE, vec![lit(encoding)])
    }
    /// A part of a date or time that has no method of its own (`week`, `epoch`, `millisecond`,
    /// …); `year`, `month`, … give their own functions, so both spellings are one expression.
    pub fn date_part(self, unit: &str) -> Expr {
        let unit = unit.to_ascii_lowercase();
        match super::func::DATE_PART_FUNCTIONS.iter().find(|(u, _)| *u == unit) {
            Some((_, name)) => match ScalarFunc::from_name(name) {
                Some(f) => self.fun(f, vec![]),
                None => Expr::Invalid(format!("date part function `{name}` is missing")),
            },
            None => Expr::Function(ScalarFunc::DATE_PART, vec![lit(unit.as_str()), self]),
        }
    }
    /// Truncates toward zero to `digits` decimal places.
    pub fn trunc(self, digits: i64) -> Expr {
        self.fun(ScalarFunc::TRUNC, vec![lit(digits)])
    }
    /// Cube root.
    pub fn cbrt(self) -> Expr {
        self.fun(ScalarFunc::CBRT, vec![])
    }
    /// Whether the value is NaN.
    pub fn is_nan(self) -> Expr {
        self.fun(ScalarFunc::ISNAN, vec![])
    }

    /// Median.
    pub fn median(self) -> Expr {
        self.agg_with(AggFunc::MEDIAN, vec![])
    }
    /// Exact quantile `q` in [0, 1], interpolated.
    pub fn quantile(self, q: f64) -> Expr {
        self.agg_with(AggFunc::PERCENTILE_CONT, vec![lit(q)])
    }
    /// 1 in the rows of a grouping set that leaves this key out, else 0 (with
    /// [`GroupBy::grouping_sets`](crate::table::GroupBy::grouping_sets), `rollup`, `cube`).
    pub fn grouping(self) -> Expr {
        self.agg_with(AggFunc::GROUPING, vec![])
    }
    /// Approximate number of distinct values.
    pub fn approx_distinct(self) -> Expr {
        self.agg_with(AggFunc::APPROX_DISTINCT, vec![])
    }
    /// Any one value of the group.
    pub fn any_value(self) -> Expr {
        self.agg_with(AggFunc::ANY_VALUE, vec![])
    }
    /// The values as text joined with `delimiter`; order them with [`Expr::order_by`].
    pub fn string_agg(self, delimiter: &str) -> Expr {
        self.agg_with(AggFunc::STRING_AGG, vec![lit(delimiter)])
    }
    /// Whether every value is true.
    pub fn bool_and(self) -> Expr {
        self.agg_with(AggFunc::BOOL_AND, vec![])
    }
    /// Whether any value is true.
    pub fn bool_or(self) -> Expr {
        self.agg_with(AggFunc::BOOL_OR, vec![])
    }
    /// Pearson correlation with `other`.
    pub fn corr(self, other: impl Into<Expr>) -> Expr {
        self.agg_with(AggFunc::CORR, vec![other.into()])
    }
    /// Sample covariance with `other`.
    pub fn covar(self, other: impl Into<Expr>) -> Expr {
        self.agg_with(AggFunc::COVAR_SAMP, vec![other.into()])
    }
    /// The `n`-th value (1-based), in the order given with [`Expr::order_by`]; over a window,
    /// use [`Expr::nth_value_over`].
    pub fn nth(self, n: i64) -> Expr {
        self.agg_with(AggFunc::NTH_VALUE, vec![lit(n)])
    }
    /// The `n`-th value of the window frame; use with `.over(…)`.
    pub fn nth_value_over(self, n: i64) -> Expr {
        Expr::window_function(WindowFunc::NTH_VALUE, vec![self, lit(n)])
    }
}
