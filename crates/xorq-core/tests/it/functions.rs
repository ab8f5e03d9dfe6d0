//! The function catalogue in the IR: one entry per function, aggregate options (FILTER,
//! DISTINCT, IGNORE NULLS) in addresses, manifests, display and lineage, and the refusals a
//! user meets when building.

use crate::common::sales;
use xorq_core::expr::func::{Arg, Determinism, FunctionKind};
use xorq_core::lineage::{TreeOptions, column_lineage};
use xorq_core::manifest::{LoadContext, from_yaml, to_yaml};
use xorq_core::{AggFunc, DataType, Expr, ScalarFunc, Table, Window, WindowFunc, col, lit};

fn round_trip(t: &Table) -> String {
    let yaml = to_yaml(t).expect("written");
    let back = from_yaml(&yaml, &LoadContext::new()).unwrap_or_else(|e| panic!("read back: {e}\n{yaml}"));
    assert_eq!(back.address(), t.address(), "{yaml}");
    yaml
}

#[test]
fn every_entry_is_named_once_and_documented() {
    let mut names: Vec<(FunctionKind, &str)> = Vec::new();
    let scalar = ScalarFunc::BUILTINS.iter().map(|f| f.def());
    let aggregate = AggFunc::BUILTINS.iter().map(|f| f.def());
    let window = WindowFunc::BUILTINS.iter().map(|f| f.def());
    for def in scalar.chain(aggregate).chain(window) {
        assert!(!def.doc.is_empty() && def.version >= 1, "{}", def.name);
        assert!(!names.contains(&(def.kind, def.name)), "`{}` is listed twice", def.name);
        names.push((def.kind, def.name));
    }
    assert!(names.len() > 150, "{}", names.len());
    // The first functions keep their names (they are part of addresses).
    for name in ["length", "trim", "strftime", "sign", "day_of_week", "concat"] {
        assert!(ScalarFunc::from_name(name).is_some(), "{name}");
    }
    for name in ["count_star", "count_distinct", "mean", "std", "first", "approx_quantile"] {
        assert!(AggFunc::from_name(name).is_some(), "{name}");
    }
    assert_eq!(AggFunc::ANY_VALUE.def().determinism, Determinism::RowOrder);
    assert_eq!(ScalarFunc::UPPER.def().determinism, Determinism::Deterministic);
}

#[test]
fn a_registry_can_hand_out_handles_of_the_same_shape() {
    // The shape a registry of user functions fills in: a handle to an entry, typed and named
    // like a built-in.
    static DOUBLE: xorq_core::expr::func::FunctionDef = xorq_core::expr::func::FunctionDef::scalar(
        "double_it",
        xorq_core::expr::func::typing::params(
            &[xorq_core::expr::func::Param::Float64],
            xorq_core::expr::func::Ret::Fixed(xorq_core::expr::func::Ty::Float64),
        ),
        "Twice the value",
    )
    .version(3);
    let f = ScalarFunc::new(&DOUBLE).expect("a scalar entry");
    assert_eq!((f.name(), f.version()), ("double_it", 3));
    let sig = f.signature(&[Arg::of(&DataType::Int32)], "test").expect("typed");
    assert_eq!((sig.args, sig.result), (vec![DataType::Float64], DataType::Float64));
    assert!(AggFunc::new(&DOUBLE).is_err(), "a scalar entry is not an aggregate");
    let t = sales().mutate([Expr::call_function(f, vec![col("qty")]).alias("twice")]).expect("builds");
    assert!(t.to_string().contains("double_it(CAST(qty AS Float64))"), "{t}");
}

#[test]
fn aggregate_options_enter_the_address_only_when_set() {
    let s = sales();
    let agg = |e: Expr| s.group_by(["region"]).agg([e.alias("v")]).expect("builds");
    let plain = agg(col("qty").sum());
    let distinct = agg(col("qty").sum().distinct());
    let filtered = agg(col("qty").sum().filter(col("amount").gt(lit(10))));
    assert_ne!(plain.address(), distinct.address());
    assert_ne!(plain.address(), filtered.address());
    assert_ne!(distinct.address(), filtered.address());
    // DISTINCT changes nothing in `max`; `count(DISTINCT x)` is `count_distinct(x)`.
    assert_eq!(agg(col("qty").max().distinct()).address(), agg(col("qty").max()).address());
    assert_eq!(agg(col("qty").count().distinct()).address(), agg(col("qty").count_distinct()).address());
    // Two filters on one call are their conjunction.
    let twice = agg(col("qty").sum().filter(col("amount").gt(lit(10))).filter(col("qty").lt(lit(5))));
    let once = agg(col("qty").sum().filter(col("amount").gt(lit(10)).and(col("qty").lt(lit(5)))));
    assert_eq!(twice.address(), once.address());
    let first = agg(col("amount").first().order_by(["ts"]).ignore_nulls());
    assert_ne!(first.address(), agg(col("amount").first().order_by(["ts"])).address());
    for t in [&distinct, &filtered, &first] {
        round_trip(t);
    }
    let yaml = round_trip(&filtered);
    assert!(yaml.contains("filter:"), "{yaml}");
    assert!(!round_trip(&plain).contains("distinct"), "unset options are not written");
    assert!(filtered.to_string().contains("sum(CAST(qty AS Int64)) FILTER (WHERE (amount > 10.0))"), "{filtered}");
    assert!(distinct.to_string().contains("sum(DISTINCT CAST(qty AS Int64))"), "{distinct}");
}

#[test]
fn options_are_refused_where_they_mean_nothing() {
    let s = sales();
    let err = |e: Expr| s.group_by(["region"]).agg([e.alias("v")]).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(col("amount").std().distinct()).contains("`std` has no DISTINCT form"));
    assert!(err(col("amount").sum().ignore_nulls()).contains("`sum` has no IGNORE NULLS form"));
    assert!(err(col("amount").sum().order_by(["ts"])).contains("`order_by` only applies to order-sensitive"));
    assert!(err(col("amount").sum().filter(col("qty"))).contains("the FILTER of `sum`"));
    assert!(col("amount").filter(col("qty").gt(lit(1))).to_string().contains("invalid"));
    let over = s.mutate([col("qty").sum().distinct().over(Window::new()).alias("v")]).err().map(|e| e.to_string());
    assert!(over.unwrap_or_default().contains("over a window cannot take DISTINCT or FILTER"));
}

#[test]
fn new_functions_type_write_display_and_trace() {
    let s = sales();
    let t = s
        .mutate([
            col("note").initcap().left(3).alias("n3"),
            col("note").regexp_replace("a+", "b").alias("r"),
            col("ts").date_part("epoch").alias("e"),
            col("day").date_part("YEAR").alias("y"),
            col("note").md5().alias("h"),
        ])
        .expect("builds");
    let schema = t.schema();
    let dtype = |n: &str| schema.field(n).map(|f| f.dtype.clone());
    assert_eq!(dtype("n3"), Some(DataType::String));
    assert_eq!(dtype("e"), Some(DataType::Float64));
    assert_eq!(dtype("y"), Some(DataType::Int32));
    // `date_part('year', d)` is `year(d)`: one expression, one address.
    assert_eq!(
        s.mutate([col("day").date_part("year").alias("y")]).expect("builds").address(),
        s.mutate([col("day").year().alias("y")]).expect("builds").address()
    );
    round_trip(&t);
    let tree = column_lineage(&t, "n3").expect("lineage").render(&TreeOptions::default());
    assert!(tree.contains("Left") && tree.contains("Initcap") && tree.contains("Field:note"), "{tree}");
    let agg = s
        .group_by(["region"])
        .agg([col("note").string_agg(",").order_by(["ts"]).filter(col("qty").gt(lit(1))).alias("notes")])
        .expect("builds");
    round_trip(&agg);
    let tree = column_lineage(&agg, "notes").expect("lineage").render(&TreeOptions::default().control(true));
    assert!(tree.contains("StringAgg") && tree.contains("Field:note"), "{tree}");
    assert!(
        tree.contains("Field:qty") && tree.contains("Field:ts"),
        "the filter and the order are control inputs: {tree}"
    );
}

#[test]
fn a_manifest_naming_an_unknown_function_lists_what_this_program_has() {
    let t = sales().mutate([col("note").initcap().alias("i")]).expect("builds");
    let yaml = to_yaml(&t).expect("written").replace("function: initcap", "function: initcapp");
    let err = from_yaml(&yaml, &LoadContext::new()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("unknown function `initcapp`; did you mean `initcap`?"), "{err}");
    assert!(err.contains("this xorq-rs knows the functions"), "{err}");
}
