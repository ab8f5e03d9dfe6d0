//! The function catalogue: one declarative entry ([`FunctionDef`]) per scalar, aggregate and
//! window function, with its stable name and version (both part of the address), kind,
//! determinism, typing rule, null behaviour and a one-line description.
//!
//! The IR refers to a function through a handle ([`ScalarFunc`], [`AggFunc`], [`WindowFunc`]):
//! a pointer to its entry, compared by name and version. Built-in entries are constants of the
//! handle types (`ScalarFunc::UPPER`), listed in `BUILTINS`; a registry of user functions can
//! hand out handles to entries of the same shape (`ScalarFunc::new`), so built-ins and
//! registered functions are typed, addressed, written to manifests and displayed alike.
//!
//! The catalogue holds names, versions and typing rules only; which engine function computes an
//! entry is the engines' business (`xorq-engines/src/datafusion/functions.rs` maps each name to
//! DataFusion's implementation).
//!
//! ```
//! use xorq_core::{DataType, ScalarFunc};
//! use xorq_core::expr::func::Arg;
//! let f = ScalarFunc::from_name("initcap").unwrap();
//! let sig = f.signature(&[Arg::of(&DataType::String)], "example").unwrap();
//! assert_eq!(sig.result, DataType::String);
//! ```

mod aggregate;
mod legacy;
pub mod registry;
mod rules;
mod scalar;
pub mod table;
pub mod typing;
mod window;

use std::fmt;

use crate::error::{CoreError, Result};
use crate::types::DataType;

use super::ir::{ExprKind, ScalarExpr};

pub use rules::{DATE_PART_FUNCTIONS, DATE_PART_UNITS};
pub use typing::{Arg, CustomRule, Ints, Param, Refusal, Ret, Signature, Ty, Typing};

/// What kind of function an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FunctionKind {
    /// One value per row.
    Scalar,
    /// One value per group.
    Aggregate,
    /// One value per row, computed over a window of rows.
    Window,
}

/// Whether a function's result is a function of its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Determinism {
    /// The same inputs give the same result.
    Deterministic,
    /// The result depends on the order in which rows arrive unless the call orders them
    /// (`first_value` and `string_agg` without `ORDER BY`, `any_value`): any one of the possible
    /// results is a right answer, so a cached result is still an answer to the expression.
    RowOrder,
}

/// When a call's result may be null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nulls {
    /// Null when an argument is null (nullable when any argument is).
    Propagate,
    /// May be null even when no argument is (`nullif`, most aggregates).
    Introduces,
    /// Null only when every argument is (`coalesce`).
    AllArguments,
    /// Never null (`count`).
    Never,
}

impl Nulls {
    /// Whether a call with these (converted) arguments may be null.
    pub fn nullable(self, args: &[ScalarExpr]) -> bool {
        match self {
            Nulls::Propagate => args.iter().any(|a| a.nullable),
            Nulls::Introduces => true,
            Nulls::AllArguments => args.iter().all(|a| a.nullable),
            Nulls::Never => false,
        }
    }
}

/// The arguments of a call as typing sees them: types, and values of literals.
pub(crate) fn call_args(resolved: &[ScalarExpr]) -> Vec<Arg<'_>> {
    resolved
        .iter()
        .map(|a| Arg {
            dtype: &a.dtype,
            constant: match &a.kind {
                ExprKind::Literal(l) => Some(l),
                _ => None,
            },
        })
        .collect()
}

/// `resolved` converted to the types of a signature.
pub(crate) fn cast_args(resolved: Vec<ScalarExpr>, types: &[DataType]) -> Vec<ScalarExpr> {
    resolved.into_iter().zip(types).map(|(a, t)| crate::canonical::cast(a, t)).collect()
}

/// What `DISTINCT` does inside an aggregate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distinct {
    /// Not supported (DataFusion has no distinct form).
    Refused,
    /// Aggregates each distinct value once.
    Supported,
    /// Changes nothing (`min`, `max`, `bool_and`, …): dropped, so both spellings have one address.
    Idempotent,
}

/// What an `ORDER BY` inside an aggregate call means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The function does not take one.
    Refused,
    /// It orders the values the function sees (`first_value`, `string_agg`, `nth_value`).
    Sensitive,
}

/// Properties that only aggregates have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggregateOptions {
    /// `f(DISTINCT x)`.
    pub distinct: Distinct,
    /// `f(x ORDER BY y)`.
    pub order: Order,
    /// `f(x) IGNORE NULLS`.
    pub ignore_nulls: bool,
    /// Whether its arguments are training inputs (a model's fit): lineage marks them so.
    pub training: bool,
}

/// Properties that only window functions have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowOptions {
    /// Whether the function reads the window frame (others ignore it, and a frame given is
    /// dropped so both spellings have one address).
    pub frame: bool,
    /// `f(x) IGNORE NULLS`.
    pub ignore_nulls: bool,
}

/// One function of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct FunctionDef {
    /// Stable name: in manifests, in the address, in messages.
    pub name: &'static str,
    /// Version of the function's meaning; part of the address, so a changed meaning is a new
    /// address.
    pub version: u32,
    /// Scalar, aggregate or window.
    pub kind: FunctionKind,
    /// Whether the result is a function of the inputs.
    pub determinism: Determinism,
    /// How calls are typed.
    pub typing: Typing,
    /// When the result may be null.
    pub nulls: Nulls,
    /// Positions of arguments that must be constants (a `date_part` unit, a format).
    pub constants: &'static [usize],
    /// Aggregate properties (ignored for other kinds).
    pub aggregate: AggregateOptions,
    /// Window properties (ignored for other kinds).
    pub window: WindowOptions,
    /// One line saying what it computes.
    pub doc: &'static str,
}

const NO_AGGREGATE: AggregateOptions =
    AggregateOptions { distinct: Distinct::Refused, order: Order::Refused, ignore_nulls: false, training: false };
const NO_WINDOW: WindowOptions = WindowOptions { frame: false, ignore_nulls: false };

impl FunctionDef {
    const fn new(kind: FunctionKind, name: &'static str, typing: Typing, nulls: Nulls, doc: &'static str) -> Self {
        FunctionDef {
            name,
            version: 1,
            kind,
            determinism: Determinism::Deterministic,
            typing,
            nulls,
            constants: &[],
            aggregate: NO_AGGREGATE,
            window: NO_WINDOW,
            doc,
        }
    }

    /// A deterministic scalar function of version 1 whose result is null when an argument is.
    pub const fn scalar(name: &'static str, typing: Typing, doc: &'static str) -> Self {
        FunctionDef::new(FunctionKind::Scalar, name, typing, Nulls::Propagate, doc)
    }

    /// A deterministic aggregate of version 1 (null over no rows), without `DISTINCT` or
    /// `ORDER BY`.
    pub const fn aggregate(name: &'static str, typing: Typing, doc: &'static str) -> Self {
        FunctionDef::new(FunctionKind::Aggregate, name, typing, Nulls::Introduces, doc)
    }

    /// A deterministic window function of version 1 that ignores the frame.
    pub const fn window(name: &'static str, typing: Typing, doc: &'static str) -> Self {
        FunctionDef::new(FunctionKind::Window, name, typing, Nulls::Never, doc)
    }

    /// With another version.
    pub const fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// With another null behaviour.
    pub const fn nulls(mut self, nulls: Nulls) -> Self {
        self.nulls = nulls;
        self
    }

    /// With arguments that must be constants.
    pub const fn constants(mut self, positions: &'static [usize]) -> Self {
        self.constants = positions;
        self
    }

    /// Depending on the order rows arrive in.
    pub const fn row_order(mut self) -> Self {
        self.determinism = Determinism::RowOrder;
        self
    }

    /// With a `DISTINCT` form.
    pub const fn distinct(mut self, distinct: Distinct) -> Self {
        self.aggregate.distinct = distinct;
        self
    }

    /// Taking an `ORDER BY`.
    pub const fn ordered(mut self) -> Self {
        self.aggregate.order = Order::Sensitive;
        self
    }

    /// An aggregate whose arguments are training inputs (it fits a model): column lineage
    /// marks the path through it as training.
    pub const fn training(mut self) -> Self {
        self.aggregate.training = true;
        self
    }

    /// Taking `IGNORE NULLS`.
    pub const fn ignoring_nulls(mut self) -> Self {
        self.aggregate.ignore_nulls = true;
        self.window.ignore_nulls = true;
        self
    }

    /// Reading the window frame.
    pub const fn framed(mut self) -> Self {
        self.window.frame = true;
        self
    }

    /// Types a call, or explains why it does not type. `context` names the relational call
    /// for messages.
    pub fn signature(&self, args: &[Arg<'_>], context: &str) -> Result<Signature> {
        for &position in self.constants {
            if let Some(a) = args.get(position)
                && a.constant.is_none()
            {
                return Err(CoreError::InvalidArgument {
                    context: context.to_string(),
                    message: format!("argument {} of `{}` must be a constant", position + 1, self.name),
                });
            }
        }
        self.typing.apply(args).map_err(|refusal| self.refusal(refusal, args, context))
    }

    pub(crate) fn refusal(&self, refusal: Refusal, args: &[Arg<'_>], context: &str) -> CoreError {
        match refusal {
            Refusal::Arity(expected) => CoreError::InvalidArgument {
                context: context.to_string(),
                message: format!("`{}` takes {expected} arguments, got {}", self.name, args.len()),
            },
            Refusal::Types(hint) => {
                let types: Vec<&DataType> = args.iter().map(|a| a.dtype).collect();
                CoreError::type_mismatch(self.name, &types, context, hint)
            }
            Refusal::Message(message) => CoreError::InvalidArgument {
                context: context.to_string(),
                message: format!("`{}`: {message}", self.name),
            },
        }
    }
}

/// Defines a handle type over catalogue entries of one kind.
macro_rules! handle {
    ($(#[$meta:meta])* $handle:ident, $kind:expr, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $handle(&'static FunctionDef);

        impl $handle {
            /// A handle to `def`, which must be of this handle's kind (a registry of user
            /// functions hands these out; the built-ins are the constants of this type).
            pub fn new(def: &'static FunctionDef) -> Result<Self> {
                if def.kind != $kind {
                    return Err(CoreError::Internal(format!(
                        "function `{}` is not {}",
                        def.name, $what
                    )));
                }
                Ok($handle(def))
            }

            /// The catalogue entry.
            pub fn def(self) -> &'static FunctionDef {
                self.0
            }

            /// Stable name, used in manifests, in the address and in messages.
            pub fn name(self) -> &'static str {
                self.0.name
            }

            /// Version of the function's semantics; part of the address.
            pub fn version(self) -> u32 {
                self.0.version
            }

            /// The built-in function called `name`, else the highest version registered under
            /// that name (`registry`).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::BUILTINS
                    .iter()
                    .copied()
                    .find(|f| f.name() == name)
                    .or_else(|| registry::find($kind, name, None).map($handle))
            }

            /// The function called `name` with `version`: a built-in, or a registered one.
            pub fn lookup(name: &str, version: u32) -> Option<Self> {
                Self::BUILTINS
                    .iter()
                    .copied()
                    .find(|f| f.name() == name && f.version() == version)
                    .or_else(|| registry::find($kind, name, Some(version)).map($handle))
            }

            /// The versions of the function called `name` this program has (built-in or
            /// registered), for messages.
            pub fn versions(name: &str) -> Vec<u32> {
                let mut out: Vec<u32> =
                    Self::BUILTINS.iter().filter(|f| f.name() == name).map(|f| f.version()).collect();
                out.extend(registry::versions($kind, name));
                out.sort_unstable();
                out.dedup();
                out
            }

            /// Whether this is a built-in function (not one the program registered).
            pub fn is_builtin(self) -> bool {
                // By name: a registered function cannot take a built-in's name.
                Self::BUILTINS.iter().any(|f| f.name() == self.name())
            }

            /// Names of the functions of this kind, built-in then registered, for messages.
            pub fn names() -> Vec<&'static str> {
                let mut names: Vec<&'static str> = Self::BUILTINS.iter().map(|f| f.name()).collect();
                for def in registry::registered() {
                    if def.kind == $kind && !names.contains(&def.name) {
                        names.push(def.name);
                    }
                }
                names
            }
        }

        impl PartialEq for $handle {
            fn eq(&self, other: &Self) -> bool {
                self.name() == other.name() && self.version() == other.version()
            }
        }

        impl Eq for $handle {}

        impl PartialOrd for $handle {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $handle {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                (self.name(), self.version()).cmp(&(other.name(), other.version()))
            }
        }

        impl std::hash::Hash for $handle {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.name().hash(state);
                self.version().hash(state);
            }
        }

        impl fmt::Debug for $handle {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.version() == 1 {
                    write!(f, "{}", self.name())
                } else {
                    write!(f, "{}@{}", self.name(), self.version())
                }
            }
        }
    };
}

handle! {
    /// A scalar function: one value per row.
    ScalarFunc, FunctionKind::Scalar, "a scalar function"
}

handle! {
    /// An aggregate function: one value per group.
    AggFunc, FunctionKind::Aggregate, "an aggregate function"
}

handle! {
    /// A window function (aggregates evaluated over a window use [`WindowFunc::AGGREGATE`]).
    WindowFunc, FunctionKind::Window, "a window function"
}

/// Defines the built-in entries of a handle type, each as an associated constant, and the list
/// of them all.
macro_rules! builtins {
    ($handle:ident { $($(#[$meta:meta])* $konst:ident = $def:expr;)* }) => {
        impl $handle {
            $($(#[$meta])* pub const $konst: $handle = $handle(&$def);)*

            /// Every built-in function of this kind.
            pub const BUILTINS: &'static [$handle] = &[$($handle::$konst,)*];
        }
    };
}
pub(crate) use builtins;

/// The names of every built-in function, of every kind.
fn builtin_names() -> Vec<&'static str> {
    let scalar = ScalarFunc::BUILTINS.iter().map(|f| f.name());
    let aggregate = AggFunc::BUILTINS.iter().map(|f| f.name());
    scalar.chain(aggregate).chain(WindowFunc::BUILTINS.iter().map(|f| f.name())).collect()
}

fn scheme() -> u32 {
    crate::canonical::scheme()
}

impl ScalarFunc {
    /// Types `args` for this function, or explains why they do not fit.
    pub fn signature(self, args: &[Arg<'_>], context: &str) -> Result<Signature> {
        if scheme() < 2
            && let Some(sig) = legacy::scalar(self, args, context)
        {
            return sig;
        }
        self.0.signature(args, context)
    }
}

impl AggFunc {
    /// Types an aggregate call.
    pub fn signature(self, args: &[Arg<'_>], context: &str) -> Result<Signature> {
        if scheme() < 2
            && let Some(sig) = legacy::aggregate(self, args, context)
        {
            return sig;
        }
        self.0.signature(args, context)
    }
}

impl WindowFunc {
    /// Types a window-only function call (aggregates over windows use [`AggFunc::signature`]).
    pub fn signature(self, args: &[Arg<'_>], context: &str) -> Result<Signature> {
        if scheme() < 2
            && let Some(sig) = legacy::window(self, args, context)
        {
            return sig;
        }
        self.0.signature(args, context)
    }
}

#[cfg(test)]
mod tests {
    use crate::manifest::{LoadContext, from_yaml, to_yaml};
    use crate::{DataType, Field, Schema, Table, col};

    fn table() -> Table {
        let schema = Schema::new(vec![
            Field::new("qty", DataType::Int32, true),
            Field::new("price", DataType::decimal(15, 2).expect("decimal"), true),
        ])
        .expect("schema");
        let source = crate::plan::Source::file(crate::plan::FileFormat::Parquet, "/data/x.parquet", schema)
            .expect("absolute path");
        Table::from_source(source).expect("source")
    }

    /// Builds written under hash scheme 1 keep the typing they were addressed with: `sum` of an
    /// `Int32` read its argument as it was, and `round` of a decimal gave a float.
    #[test]
    fn scheme_one_keeps_its_function_typing() {
        let build = || {
            table()
                .group_by(["qty"])
                .agg([col("qty").sum().alias("s"), col("price").round(1).max().alias("r")])
                .expect("aggregate")
        };
        let old = crate::canonical::with_scheme(1, build);
        let new = build();
        assert!(old.to_string().contains("sum(qty)"), "{old}");
        assert!(new.to_string().contains("sum(CAST(qty AS Int64))"), "{new}");
        assert_eq!(old.schema().field("r").map(|f| f.dtype.clone()), Some(DataType::Float64));
        assert_eq!(new.schema().field("r").map(|f| f.dtype.clone()), Some(DataType::decimal(15, 1).expect("decimal")));
        let yaml = to_yaml(&old).expect("yaml");
        let reread = from_yaml(&yaml, &LoadContext::new().with_hash_scheme(1)).expect("rebuilds under scheme 1");
        assert_eq!(reread.address(), old.address());
    }
}
