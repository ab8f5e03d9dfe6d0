//! Which DataFusion function computes each function of the IR's catalogue.
//!
//! Most entries are DataFusion's own function of the same name, taken from its function
//! registry ([`Implementations`]), so lowering is one generic call rather than a case per
//! function. This module lists only the exceptions: IR names that differ from DataFusion's
//! (the first functions of the IR kept their names: `length` is `character_length`), date parts
//! (`year(x)` is `date_part('year', x)`), and functions that are DataFusion expressions rather
//! than functions (`LIKE`, `||`, `count(*)`). A registry of user functions adds its entries to
//! an [`Implementations`] under their own names.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use xorq_core::expr::{AggFunc, ScalarFunc, WindowFunc};

/// How DataFusion computes a scalar function of the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarForm {
    /// DataFusion's scalar function of this name, with the same arguments.
    Udf(&'static str),
    /// `date_part('unit', x)`.
    DatePart(&'static str),
    /// `x [I]LIKE pattern [ESCAPE c]`.
    Like {
        /// `ILIKE`.
        case_insensitive: bool,
    },
    /// `x SIMILAR TO pattern`.
    SimilarTo,
    /// `a || b || …` (null when any is null).
    Concat,
}

/// How DataFusion computes an aggregate of the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateForm {
    /// DataFusion's aggregate of this name, with the same arguments.
    Udaf(&'static str),
    /// `count(1)`.
    CountStar,
    /// `count(DISTINCT x)`.
    CountDistinct,
    /// `approx_percentile_cont(q) WITHIN GROUP (ORDER BY x)`: arguments `(x, q)`.
    WithinGroup(&'static str),
}

/// Scalar functions whose DataFusion form is not the function of the same name.
const SCALAR: &[(&str, ScalarForm)] = &[
    ("length", ScalarForm::Udf("character_length")),
    ("trim", ScalarForm::Udf("btrim")),
    ("strftime", ScalarForm::Udf("to_char")),
    ("sign", ScalarForm::Udf("signum")),
    ("year", ScalarForm::DatePart("year")),
    ("month", ScalarForm::DatePart("month")),
    ("day", ScalarForm::DatePart("day")),
    ("hour", ScalarForm::DatePart("hour")),
    ("minute", ScalarForm::DatePart("minute")),
    ("second", ScalarForm::DatePart("second")),
    ("day_of_week", ScalarForm::DatePart("dow")),
    ("day_of_year", ScalarForm::DatePart("doy")),
    ("quarter", ScalarForm::DatePart("quarter")),
    ("like", ScalarForm::Like { case_insensitive: false }),
    ("ilike", ScalarForm::Like { case_insensitive: true }),
    ("similar_to", ScalarForm::SimilarTo),
    ("concat", ScalarForm::Concat),
];

/// Aggregates whose DataFusion form is not the aggregate of the same name.
const AGGREGATE: &[(&str, AggregateForm)] = &[
    ("count_star", AggregateForm::CountStar),
    ("count_distinct", AggregateForm::CountDistinct),
    ("mean", AggregateForm::Udaf("avg")),
    ("std", AggregateForm::Udaf("stddev")),
    ("std_pop", AggregateForm::Udaf("stddev_pop")),
    ("first", AggregateForm::Udaf("first_value")),
    ("last", AggregateForm::Udaf("last_value")),
    ("approx_quantile", AggregateForm::WithinGroup("approx_percentile_cont")),
    ("approx_percentile_cont_with_weight", AggregateForm::WithinGroup("approx_percentile_cont_with_weight")),
];

/// The DataFusion form of a scalar function.
pub fn scalar_form(func: ScalarFunc) -> ScalarForm {
    SCALAR.iter().find(|(n, _)| *n == func.name()).map(|(_, f)| *f).unwrap_or(ScalarForm::Udf(func.name()))
}

/// The DataFusion form of an aggregate.
pub fn aggregate_form(func: AggFunc) -> AggregateForm {
    AGGREGATE.iter().find(|(n, _)| *n == func.name()).map(|(_, f)| *f).unwrap_or(AggregateForm::Udaf(func.name()))
}

/// The name of DataFusion's window function for a window-only function of the IR (the same).
pub fn window_name(func: WindowFunc) -> &'static str {
    func.name()
}

/// The IR's scalar function that DataFusion's function `name` (canonical name, not an alias)
/// is, where it is one function with the same arguments.
pub fn scalar_from_datafusion(name: &str) -> Option<ScalarFunc> {
    ScalarFunc::BUILTINS.iter().copied().find(|f| matches!(scalar_form(*f), ScalarForm::Udf(n) if n == name))
}

/// The IR's aggregate that DataFusion's aggregate `name` is, where it is one aggregate with the
/// same arguments.
pub fn aggregate_from_datafusion(name: &str) -> Option<AggFunc> {
    AggFunc::BUILTINS
        .iter()
        .copied()
        .find(|f| matches!(aggregate_form(*f), AggregateForm::Udaf(n) | AggregateForm::WithinGroup(n) if n == name))
}

/// The IR's window function that DataFusion's window function `name` is.
pub fn window_from_datafusion(name: &str) -> Option<WindowFunc> {
    WindowFunc::BUILTINS.iter().copied().find(|f| *f != WindowFunc::AGGREGATE && window_name(*f) == name)
}

/// DataFusion's implementations of functions, by name: its default registry (what
/// `SessionContext::new()` registers), to which registered user functions can be added.
#[derive(Clone, Default)]
pub struct Implementations {
    scalar: HashMap<String, Arc<ScalarUDF>>,
    aggregate: HashMap<String, Arc<AggregateUDF>>,
    window: HashMap<String, Arc<WindowUDF>>,
}

static BUILTIN: LazyLock<Implementations> = LazyLock::new(|| {
    let mut all = Implementations::default();
    for f in datafusion::functions::all_default_functions() {
        all.scalar.insert(f.name().to_string(), f);
    }
    for f in datafusion::functions_aggregate::all_default_aggregate_functions() {
        all.aggregate.insert(f.name().to_string(), f);
    }
    for f in datafusion::functions_window::all_default_window_functions() {
        all.window.insert(f.name().to_string(), f);
    }
    all
});

impl Implementations {
    /// DataFusion's default functions.
    pub fn builtin() -> &'static Implementations {
        &BUILTIN
    }

    /// With `udf` computing the scalar function of its name.
    pub fn with_scalar(mut self, udf: Arc<ScalarUDF>) -> Self {
        self.scalar.insert(udf.name().to_string(), udf);
        self
    }

    /// With `udaf` computing the aggregate of its name.
    pub fn with_aggregate(mut self, udaf: Arc<AggregateUDF>) -> Self {
        self.aggregate.insert(udaf.name().to_string(), udaf);
        self
    }

    /// DataFusion's scalar function `name`.
    pub fn scalar(&self, name: &str) -> Option<&Arc<ScalarUDF>> {
        self.scalar.get(name)
    }

    /// DataFusion's aggregate `name`.
    pub fn aggregate(&self, name: &str) -> Option<&Arc<AggregateUDF>> {
        self.aggregate.get(name)
    }

    /// DataFusion's window function `name`.
    pub fn window(&self, name: &str) -> Option<&Arc<WindowUDF>> {
        self.window.get(name)
    }
}

/// DataFusion's implementations of registered functions (`xorq_core::expr::func::registry`), by
/// name and version: a new version of a function is a new implementation. Only ever added to,
/// so a poisoned lock still holds a consistent map.
#[derive(Default)]
struct Registered {
    scalar: HashMap<(&'static str, u32), Arc<ScalarUDF>>,
    aggregate: HashMap<(&'static str, u32), Arc<AggregateUDF>>,
}

static REGISTERED: LazyLock<RwLock<Registered>> = LazyLock::new(RwLock::default);

fn not_registered(what: &str, name: &str) -> crate::EngineError {
    crate::EngineError::Unsupported {
        engine: "DataFusion".into(),
        what: format!("{what} `{name}`"),
        hint:
            "\nhint: it is a built-in function, not a registered one; only registered functions take an implementation"
                .into(),
    }
}

/// Registers `udf` as DataFusion's implementation of the registered scalar function `func`.
pub fn register_scalar_udf(func: ScalarFunc, udf: ScalarUDF) -> crate::Result<()> {
    if func.is_builtin() {
        return Err(not_registered("function", func.name()));
    }
    let mut all = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    all.scalar.insert((func.name(), func.version()), Arc::new(udf));
    Ok(())
}

/// Registers `udaf` as DataFusion's implementation of the registered aggregate `func`.
pub fn register_aggregate_udaf(func: AggFunc, udaf: AggregateUDF) -> crate::Result<()> {
    if func.is_builtin() {
        return Err(not_registered("aggregate", func.name()));
    }
    let mut all = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    all.aggregate.insert((func.name(), func.version()), Arc::new(udaf));
    Ok(())
}

/// The implementation registered for the registered scalar function `func`.
pub(crate) fn registered_scalar(func: ScalarFunc) -> Option<Arc<ScalarUDF>> {
    REGISTERED.read().unwrap_or_else(PoisonError::into_inner).scalar.get(&(func.name(), func.version())).cloned()
}

/// The implementation registered for the registered aggregate `func`.
pub(crate) fn registered_aggregate(func: AggFunc) -> Option<Arc<AggregateUDF>> {
    REGISTERED.read().unwrap_or_else(PoisonError::into_inner).aggregate.get(&(func.name(), func.version())).cloned()
}

/// The implementation of the registered scalar function called `name` (its highest version),
/// for SQL pipelines that call it: DataFusion's planner needs its signature.
pub(crate) fn registered_scalar_named(name: &str) -> Option<Arc<ScalarUDF>> {
    ScalarFunc::from_name(name).filter(|f| !f.is_builtin()).and_then(registered_scalar)
}

/// The implementation of the registered aggregate called `name` (its highest version).
pub(crate) fn registered_aggregate_named(name: &str) -> Option<Arc<AggregateUDF>> {
    AggFunc::from_name(name).filter(|f| !f.is_builtin()).and_then(registered_aggregate)
}

/// The registered function `udf` implements, as `(name, version)`, for a serialized plan.
pub(crate) fn registered_scalar_key(udf: &ScalarUDF) -> Option<(&'static str, u32)> {
    let all = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    all.scalar.iter().find(|(_, f)| f.as_ref() == udf).map(|(key, _)| *key)
}

/// The registered aggregate `udaf` implements, as `(name, version)`.
pub(crate) fn registered_aggregate_key(udaf: &AggregateUDF) -> Option<(&'static str, u32)> {
    let all = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    all.aggregate.iter().find(|(_, f)| f.as_ref() == udaf).map(|(key, _)| *key)
}

/// The implementation registered for `name` at `version`, looked up by the name a serialized
/// plan carries.
pub(crate) fn registered_scalar_at(name: &str, version: u32) -> Option<Arc<ScalarUDF>> {
    let all = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    all.scalar.iter().find(|((n, v), _)| *n == name && *v == version).map(|(_, f)| Arc::clone(f))
}

/// The implementation registered for the aggregate `name` at `version`.
pub(crate) fn registered_aggregate_at(name: &str, version: u32) -> Option<Arc<AggregateUDF>> {
    let all = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    all.aggregate.iter().find(|((n, v), _)| *n == name && *v == version).map(|(_, f)| Arc::clone(f))
}

/// Every registered implementation, the highest version of each name last.
pub(crate) fn all_registered() -> (Vec<Arc<ScalarUDF>>, Vec<Arc<AggregateUDF>>) {
    let all = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    let mut scalar: Vec<_> = all.scalar.iter().collect();
    scalar.sort_by_key(|(key, _)| **key);
    let mut aggregate: Vec<_> = all.aggregate.iter().collect();
    aggregate.sort_by_key(|(key, _)| **key);
    (
        scalar.into_iter().map(|(_, f)| Arc::clone(f)).collect(),
        aggregate.into_iter().map(|(_, f)| Arc::clone(f)).collect(),
    )
}
