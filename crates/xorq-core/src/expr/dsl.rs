//! The expression builder users write: untyped, infallible, cheap to clone. A relational call
//! (`filter`, `select`, `agg`, …) resolves it against its input schema into a typed [`ScalarExpr`]
//! and reports bad columns and types right there.
//!
//! [`ScalarExpr`]: crate::ScalarExpr

use crate::literal::Literal;
use crate::types::DataType;

use super::func::{AggFunc, ScalarFunc, WindowFunc};
use super::ir::{BinaryOp, FrameBound, FrameUnits, JoinSide, Param, WindowFrame};

/// An untyped scalar expression.
///
/// ```
/// use xorq_core::{col, lit};
/// let e = col("amount").gt(lit(100)).and(col("region").eq(lit("EU")));
/// assert_eq!(e.to_string(), r#"((amount > 100) AND (region = 'EU'))"#);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// A column, optionally of one join side.
    Column {
        /// Name.
        name: String,
        /// Join side, in join predicates.
        side: Option<JoinSide>,
    },
    /// A constant. Its type is its own (Rust integers are `Int64`, floats `Float64`, as SQL
    /// numbers are in DataFusion); it meets other types through the coercion rules.
    Literal(Literal),
    /// A named parameter.
    Param(Param),
    /// An output name.
    Alias(Box<Expr>, String),
    /// `left op right`.
    Binary(Box<Expr>, BinaryOp, Box<Expr>),
    /// Logical and.
    And(Box<Expr>, Box<Expr>),
    /// Logical or.
    Or(Box<Expr>, Box<Expr>),
    /// Logical not.
    Not(Box<Expr>),
    /// Arithmetic negation.
    Negate(Box<Expr>),
    /// `IS NULL`.
    IsNull(Box<Expr>),
    /// `IS NOT NULL`.
    IsNotNull(Box<Expr>),
    /// Explicit cast.
    Cast(Box<Expr>, DataType),
    /// `CASE WHEN …`.
    Case {
        /// Condition/value pairs.
        branches: Vec<(Expr, Expr)>,
        /// `ELSE` value.
        otherwise: Option<Box<Expr>>,
    },
    /// `[NOT] IN (…)`.
    InList {
        /// Tested value.
        expr: Box<Expr>,
        /// Candidates.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `[NOT] BETWEEN low AND high` (inclusive).
    Between {
        /// Tested value.
        expr: Box<Expr>,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// A scalar function call.
    Function(ScalarFunc, Vec<Expr>),
    /// An aggregate call.
    Aggregate {
        /// Function.
        func: AggFunc,
        /// Arguments.
        args: Vec<Expr>,
        /// Ordering for `first`/`last`.
        order_by: Vec<SortExpr>,
    },
    /// A window-only function before `.over(…)`.
    WindowFunction(WindowFunc, Vec<Expr>),
    /// An aggregate or window function evaluated over a window.
    Over(Box<Expr>, Window),
    /// A builder call that could not make sense (an invalid date text, `order_by` on a
    /// non-aggregate); reported with this message by the relational call that uses it.
    Invalid(String),
}

/// An ordering key: an expression with direction and null placement.
#[derive(Clone, Debug, PartialEq)]
pub struct SortExpr {
    /// What to order by.
    pub expr: Expr,
    /// Descending order.
    pub descending: bool,
    /// Nulls first; `None` means last (the default in both directions).
    pub nulls_first: Option<bool>,
}

impl SortExpr {
    /// Puts nulls before non-null values.
    pub fn nulls_first(mut self) -> Self {
        self.nulls_first = Some(true);
        self
    }

    /// Puts nulls after non-null values (the default).
    pub fn nulls_last(mut self) -> Self {
        self.nulls_first = Some(false);
        self
    }
}

impl From<Expr> for SortExpr {
    fn from(expr: Expr) -> Self {
        SortExpr { expr, descending: false, nulls_first: None }
    }
}

impl From<&str> for SortExpr {
    fn from(name: &str) -> Self {
        col(name).into()
    }
}

impl From<String> for SortExpr {
    fn from(name: String) -> Self {
        col(name).into()
    }
}

/// A window: partitioning, ordering and frame.
///
/// ```
/// use xorq_core::{col, Window, FrameBound};
/// let running = col("amount").sum().over(
///     Window::new()
///         .partition_by(["region"])
///         .order_by(["day"])
///         .rows_between(FrameBound::UnboundedPreceding, FrameBound::CurrentRow),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Window {
    /// Partition keys.
    pub partition_by: Vec<Expr>,
    /// Ordering.
    pub order_by: Vec<SortExpr>,
    /// Frame; `None` for SQL's default.
    pub frame: Option<WindowFrame>,
}

impl Window {
    /// An empty window: one partition, no order.
    pub fn new() -> Self {
        Window::default()
    }

    /// Adds partition keys.
    pub fn partition_by<E: Into<Expr>>(mut self, keys: impl IntoIterator<Item = E>) -> Self {
        self.partition_by.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Adds ordering keys.
    pub fn order_by<S: Into<SortExpr>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.order_by.extend(keys.into_iter().map(Into::into));
        self
    }

    /// A `ROWS BETWEEN start AND end` frame.
    pub fn rows_between(mut self, start: FrameBound, end: FrameBound) -> Self {
        self.frame = Some(WindowFrame { units: FrameUnits::Rows, start, end });
        self
    }

    /// A `RANGE BETWEEN start AND end` frame.
    pub fn range_between(mut self, start: FrameBound, end: FrameBound) -> Self {
        self.frame = Some(WindowFrame { units: FrameUnits::Range, start, end });
        self
    }
}

/// A column of the input.
///
/// ```
/// let amount = xorq_core::col("amount");
/// ```
pub fn col(name: impl Into<String>) -> Expr {
    Expr::Column { name: name.into(), side: None }
}

/// A column of the left input, in a join predicate.
pub fn lcol(name: impl Into<String>) -> Expr {
    Expr::Column { name: name.into(), side: Some(JoinSide::Left) }
}

/// A column of the right input, in a join predicate.
pub fn rcol(name: impl Into<String>) -> Expr {
    Expr::Column { name: name.into(), side: Some(JoinSide::Right) }
}

/// A constant. Rust integers are `Int64` constants and floats `Float64`, like numbers in
/// DataFusion's SQL; they meet other types by DataFusion's coercion rules, so
/// `col("amount").gt(lit(100))` and `col("amount").gt(lit(100.0))` are the same expression when
/// `amount` is `Float64`, and `col("qty") * lit(2)` is `Int64` when `qty` is `Int32`.
///
/// ```
/// use xorq_core::lit;
/// let _ = (lit(1), lit(2.5), lit("EU"), lit(true));
/// ```
pub fn lit(value: impl Into<LiteralValue>) -> Expr {
    Expr::Literal(value.into().value)
}

/// A null constant of a type.
pub fn lit_null(dtype: DataType) -> Expr {
    Expr::Literal(Literal::Null(dtype))
}

/// A named parameter with a type; bind its value at run time.
///
/// ```
/// use xorq_core::{col, param, DataType};
/// let threshold = param("threshold", DataType::Float64).with_default(100.0);
/// let predicate = col("amount").gt(threshold);
/// ```
pub fn param(name: impl Into<String>, dtype: DataType) -> ParamBuilder {
    ParamBuilder(Param { name: name.into(), dtype, default: None })
}

/// A parameter under construction; converts into an [`Expr`].
#[derive(Clone, Debug)]
pub struct ParamBuilder(Param);

impl ParamBuilder {
    /// The value used when a run binds none. Converted exactly to the parameter's type; a value
    /// that does not fit is reported when the expression is used.
    pub fn with_default(mut self, value: impl Into<LiteralValue>) -> Self {
        let value = value.into().value;
        let converted = value.convert_exact(&self.0.dtype).unwrap_or(value);
        self.0.default = Some(converted);
        self
    }
}

impl From<ParamBuilder> for Expr {
    fn from(p: ParamBuilder) -> Self {
        Expr::Param(p.0)
    }
}

/// A value accepted by [`lit`].
#[derive(Clone, Debug)]
pub struct LiteralValue {
    value: Literal,
}

impl LiteralValue {
    /// The literal.
    pub fn into_literal(self) -> Literal {
        self.value
    }
}

macro_rules! number_literal {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for LiteralValue {
            fn from(v: $t) -> Self {
                LiteralValue { value: Literal::$variant(v.into()) }
            }
        }
    )*};
}

number_literal!(i8 => Int64, i16 => Int64, i32 => Int64, i64 => Int64, u8 => Int64, u16 => Int64,
    u32 => Int64, f32 => Float64, f64 => Float64);

impl From<u64> for LiteralValue {
    fn from(v: u64) -> Self {
        let value = i64::try_from(v).map(Literal::Int64).unwrap_or(Literal::UInt64(v));
        LiteralValue { value }
    }
}

impl From<bool> for LiteralValue {
    fn from(v: bool) -> Self {
        LiteralValue { value: Literal::Boolean(v) }
    }
}

impl From<&str> for LiteralValue {
    fn from(v: &str) -> Self {
        LiteralValue { value: Literal::String(v.into()) }
    }
}

impl From<String> for LiteralValue {
    fn from(v: String) -> Self {
        LiteralValue { value: Literal::String(v.into()) }
    }
}

impl From<Literal> for LiteralValue {
    /// A typed literal keeps its type.
    fn from(value: Literal) -> Self {
        LiteralValue { value }
    }
}

impl From<&str> for Expr {
    /// A bare string in a column position is a column name.
    fn from(name: &str) -> Self {
        col(name)
    }
}

impl From<String> for Expr {
    fn from(name: String) -> Self {
        col(name)
    }
}

impl From<&String> for Expr {
    fn from(name: &String) -> Self {
        col(name.as_str())
    }
}

/// Starts a `CASE WHEN` chain: `when(cond).then(value).when(…).then(…).otherwise(default)`.
///
/// ```
/// use xorq_core::{col, lit, when};
/// let size = when(col("amount").gt(lit(1000))).then(lit("large")).otherwise(lit("small"));
/// ```
pub fn when(condition: impl Into<Expr>) -> When {
    When { branches: Vec::new(), pending: condition.into() }
}

/// A `CASE` chain waiting for the value of its last condition.
#[derive(Clone, Debug)]
pub struct When {
    branches: Vec<(Expr, Expr)>,
    pending: Expr,
}

impl When {
    /// The value when the pending condition holds.
    pub fn then(mut self, value: impl Into<Expr>) -> Then {
        self.branches.push((self.pending, value.into()));
        Then { branches: self.branches }
    }
}

/// A `CASE` chain that may take another condition or its default.
#[derive(Clone, Debug)]
pub struct Then {
    branches: Vec<(Expr, Expr)>,
}

impl Then {
    /// Another condition.
    pub fn when(self, condition: impl Into<Expr>) -> When {
        When { branches: self.branches, pending: condition.into() }
    }

    /// The value when no condition holds.
    pub fn otherwise(self, value: impl Into<Expr>) -> Expr {
        Expr::Case { branches: self.branches, otherwise: Some(Box::new(value.into())) }
    }

    /// Ends the chain; rows matching no condition get null.
    pub fn end(self) -> Expr {
        Expr::Case { branches: self.branches, otherwise: None }
    }
}

impl From<Then> for Expr {
    fn from(t: Then) -> Self {
        t.end()
    }
}

fn function<E: Into<Expr>>(f: ScalarFunc, args: impl IntoIterator<Item = E>) -> Expr {
    Expr::Function(f, args.into_iter().map(Into::into).collect())
}

/// First non-null of the arguments.
pub fn coalesce<E: Into<Expr>>(args: impl IntoIterator<Item = E>) -> Expr {
    function(ScalarFunc::Coalesce, args)
}

/// Largest of the arguments.
pub fn greatest<E: Into<Expr>>(args: impl IntoIterator<Item = E>) -> Expr {
    function(ScalarFunc::Greatest, args)
}

/// Smallest of the arguments.
pub fn least<E: Into<Expr>>(args: impl IntoIterator<Item = E>) -> Expr {
    function(ScalarFunc::Least, args)
}

/// Concatenation of strings.
pub fn concat<E: Into<Expr>>(args: impl IntoIterator<Item = E>) -> Expr {
    function(ScalarFunc::Concat, args)
}

/// Number of rows (`count(*)`).
pub fn count_star() -> Expr {
    Expr::Aggregate { func: AggFunc::CountStar, args: vec![], order_by: vec![] }
}

/// 1, 2, 3, … in window order; use with `.over(…)`.
pub fn row_number() -> Expr {
    Expr::WindowFunction(WindowFunc::RowNumber, vec![])
}

/// Rank with gaps; use with `.over(…)`.
pub fn rank() -> Expr {
    Expr::WindowFunction(WindowFunc::Rank, vec![])
}

/// Rank without gaps; use with `.over(…)`.
pub fn dense_rank() -> Expr {
    Expr::WindowFunction(WindowFunc::DenseRank, vec![])
}

/// Relative rank in [0, 1]; use with `.over(…)`.
pub fn percent_rank() -> Expr {
    Expr::WindowFunction(WindowFunc::PercentRank, vec![])
}

/// Cumulative distribution; use with `.over(…)`.
pub fn cume_dist() -> Expr {
    Expr::WindowFunction(WindowFunc::CumeDist, vec![])
}

/// Bucket number in 1..=n; use with `.over(…)`.
pub fn ntile(n: i64) -> Expr {
    Expr::WindowFunction(WindowFunc::Ntile, vec![lit(n)])
}

/// A date constant from `YYYY-MM-DD`; an invalid date is reported when the expression is used.
pub fn lit_date(text: &str) -> Expr {
    match Literal::date(text) {
        Ok(value) => Expr::Literal(value),
        Err(e) => Expr::Invalid(invalid_message(e)),
    }
}

/// The message of a constant that failed to parse, without its generic context.
fn invalid_message(e: crate::error::CoreError) -> String {
    match e {
        crate::error::CoreError::InvalidArgument { message, .. } => message,
        other => other.to_string(),
    }
}

/// A zone-less timestamp constant from `YYYY-MM-DD HH:MM:SS[.ffffff]`.
pub fn lit_timestamp(text: &str) -> Expr {
    match Literal::timestamp(text) {
        Ok(value) => Expr::Literal(value),
        Err(e) => Expr::Invalid(invalid_message(e)),
    }
}

/// An interval of whole days, for date arithmetic.
pub fn interval_days(days: i32) -> Expr {
    Expr::Literal(Literal::Interval { months: 0, days, nanos: 0 })
}

/// An interval of whole months, for date arithmetic.
pub fn interval_months(months: i32) -> Expr {
    Expr::Literal(Literal::Interval { months, days: 0, nanos: 0 })
}

macro_rules! std_binary {
    ($($tr:ident $method:ident => $op:ident),*) => {$(
        impl<T: Into<Expr>> std::ops::$tr<T> for Expr {
            type Output = Expr;
            fn $method(self, rhs: T) -> Expr {
                self.binary(BinaryOp::$op, rhs)
            }
        }
    )*};
}

std_binary!(Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div, Rem rem => Mod);

impl std::ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::Negate(Box::new(self))
    }
}

impl std::ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }
}

impl<T: Into<Expr>> std::ops::BitAnd<T> for Expr {
    type Output = Expr;
    fn bitand(self, rhs: T) -> Expr {
        self.and(rhs)
    }
}

impl<T: Into<Expr>> std::ops::BitOr<T> for Expr {
    type Output = Expr;
    fn bitor(self, rhs: T) -> Expr {
        self.or(rhs)
    }
}
