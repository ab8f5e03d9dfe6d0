//! Every function of the catalogue typed by its rule and by DataFusion, for every combination of
//! IR argument types (all IR types for up to three arguments, a smaller set beyond): DataFusion's
//! signature coercion (`fields_with_udf`) and return type (`return_field_from_args`,
//! `return_field`, `field`) against the rule's accepted/refused decision, converted argument
//! types and result type, read as IR types.
//!
//! Where both accept, the types must be equal, except the deliberate differences listed in
//! [`deliberate`]. Where the rule refuses what DataFusion accepts, the combination must be a gap
//! listed with its reason in [`gap`]. The rule may never accept what DataFusion refuses.

use std::collections::BTreeMap;

use xorq_core::expr::func::{Arg, FunctionDef};
use xorq_core::expr::{AggFunc, ScalarFunc, WindowFunc};
use xorq_core::{DataType, Literal};

use crate::common::{Df, constant, df_aggregate, df_scalar, df_typing, df_window, few_types, ir_types};

/// Differences where both accept but a converted argument differs, by function and position.
fn deliberate(name: &str, position: usize) -> Option<&'static str> {
    match (name, position) {
        ("round", 1) => Some(
            "the digits are Int64 in the IR (as before scheme 2, so addresses stay); DataFusion narrows them to Int32 when it runs",
        ),
        ("lag" | "lead", 2) => {
            Some("the default is converted to the value's type in the IR; DataFusion converts it when it runs")
        }
        _ => None,
    }
}

/// Combinations DataFusion accepts that the rule refuses, with the reason; `refusal` is the
/// rule's message.
fn gap(name: &str, args: &[DataType], refusal: &str) -> Option<&'static str> {
    use DataType as T;
    let not_integer = |i: usize| args.get(i).is_some_and(|t| !t.is_integer());
    Some(match name {
        "approx_quantile" | "approx_percentile_cont_with_weight" | "percentile_cont"
            if refusal.contains("between 0 and 1") =>
        {
            "a quantile must be a constant number between 0 and 1 when the expression is built (DataFusion checks it when it runs)"
        }
        "approx_quantile" if args.len() == 3 => {
            "the third argument of `approx_percentile_cont` (the number of centroids), which xorq leaves at DataFusion's default"
        }
        "count" | "count_distinct" if args.len() != 1 => {
            "`count` of no or several expressions (count rows with `count_star`, or one expression)"
        }
        "concat_ws" if args.contains(&T::Binary) => {
            "`concat_ws` of bytes: DataFusion joins them as bytes; xorq joins text only (cast bytes to text)"
        }
        "gcd" | "lcm" if args.iter().any(|t| !(t.is_integer() || *t == T::Null)) => {
            "`gcd`/`lcm` of non-integers: DataFusion casts them to integers or works on decimals; xorq takes integers"
        }
        "strftime" if args.first() == Some(&T::String) => {
            "text formatted as a date: DataFusion reads it as a UTC timestamp; cast it to a timestamp first"
        }
        "strftime" if args.get(1) != Some(&T::String) => {
            "a format that is not text: DataFusion then reads the value as a UTC timestamp; write the format as text"
        }
        "first_value" | "last_value" if args.len() == 2 => {
            "a second argument of window `first_value`/`last_value`, which DataFusion accepts and ignores; write one argument"
        }
        "first_value" | "last_value" | "nth_value" if args.len() != 1 + usize::from(name == "nth_value") => {
            "window `first_value`/`last_value`/`nth_value` with another number of arguments: DataFusion's signature lists these forms and fails when it runs them (checked in `catalogue.rs`)"
        }
        "nth_value" if args.len() == 2 && not_integer(1) => "the position of `nth_value` must be an integer constant",
        "lag" | "lead" if not_integer(1) => "the offset of `lag`/`lead` must be an integer constant",
        "date_bin" if refusal.contains("zone") => {
            "`date_bin` with a zoned and a zone-less (or time and timestamp) source and origin: DataFusion reads the zone-less one as UTC; convert them to one kind first"
        }
        "to_date"
        | "to_time"
        | "to_timestamp"
        | "to_timestamp_seconds"
        | "to_timestamp_millis"
        | "to_timestamp_micros"
        | "to_timestamp_nanos"
        | "to_unixtime" => {
            "DataFusion types any arguments for its `to_*` conversions and refuses other types when it runs (checked in `catalogue.rs`); xorq accepts text with text formats, or one value of a type the conversion runs on"
        }
        _ => return None,
    })
}

/// Functions whose result type depends on constant arguments: typed with every argument a
/// constant too.
fn constant_sensitive(name: &str) -> bool {
    matches!(name, "round")
}

/// Text constants a function is typed with at its constant positions.
fn texts(name: &str) -> &'static [&'static str] {
    match name {
        "date_part" => &["week", "millisecond", "microsecond", "nanosecond", "epoch", "isodow", "isoyear"],
        "date_trunc" => &["month"],
        "strftime" => &["%Y"],
        "from_unixtime" => &["UTC"],
        "digest" => &["sha256"],
        "encode" | "decode" => &["base64"],
        "string_agg" => &[","],
        _ => &["a"],
    }
}

#[derive(Default)]
struct Tally {
    combinations: usize,
    both_accept: usize,
    both_refuse: usize,
    deliberate: usize,
    gaps: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

fn combinations(types: &[DataType], arity: usize) -> Vec<Vec<DataType>> {
    let mut all: Vec<Vec<DataType>> = vec![vec![]];
    for _ in 0..arity {
        all = all.into_iter().flat_map(|c| types.iter().map(move |t| [c.clone(), vec![t.clone()]].concat())).collect();
    }
    all
}

fn show(types: &[DataType]) -> String {
    types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn check(def: &FunctionDef, df: &Df, tally: &mut Tally) {
    let max = match def.typing.arity() {
        Some((_, max)) => max.min(6),
        None => 3,
    }
    .max(3);
    let full = ir_types();
    for arity in 0..=max {
        let types = if arity <= 3 { full.clone() } else { few_types(arity) };
        for combo in combinations(&types, arity) {
            let all_constant: &[bool] = if constant_sensitive(def.name) { &[false, true] } else { &[false] };
            for (text, all) in texts(def.name).iter().flat_map(|t| all_constant.iter().map(move |a| (t, *a))) {
                let constants: Vec<Option<Literal>> = combo
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (all || def.constants.contains(&i)).then(|| constant(t, text)))
                    .collect();
                let args: Vec<Arg<'_>> =
                    combo.iter().zip(&constants).map(|(t, c)| Arg { dtype: t, constant: c.as_ref() }).collect();
                let ours = def.signature(&args, "test");
                let refusal = ours.as_ref().err().map(ToString::to_string).unwrap_or_default();
                let ours = ours.ok();
                let call: Vec<(DataType, Option<Literal>)> = combo.iter().cloned().zip(constants.clone()).collect();
                let theirs = df_typing(df, &call);
                tally.combinations += 1;
                let at = || format!("{}({})", def.name, show(&combo));
                match (ours, theirs) {
                    (None, None) => tally.both_refuse += 1,
                    (Some(ours), Some((args, result))) => {
                        let differing: Vec<usize> =
                            (0..args.len()).filter(|i| ours.args.get(*i) != Some(&args[*i])).collect();
                        if ours.result != result || ours.args.len() != args.len() {
                            tally.failures.push(format!(
                                "{}: ours ({}) -> {}, DataFusion's ({}) -> {result}",
                                at(),
                                show(&ours.args),
                                ours.result,
                                show(&args)
                            ));
                        } else if differing.is_empty() {
                            tally.both_accept += 1;
                        } else if differing.iter().all(|i| deliberate(def.name, *i).is_some()) {
                            tally.deliberate += 1;
                        } else {
                            tally.failures.push(format!(
                                "{}: converted ({}) but DataFusion converts ({})",
                                at(),
                                show(&ours.args),
                                show(&args)
                            ));
                        }
                    }
                    (Some(ours), None) => tally.failures.push(format!(
                        "{}: ours accepts ({}) -> {}, DataFusion refuses",
                        at(),
                        show(&ours.args),
                        ours.result
                    )),
                    (None, Some((args, result))) => match gap(def.name, &combo, &refusal) {
                        Some(reason) => *tally.gaps.entry(reason).or_default() += 1,
                        None => tally.failures.push(format!(
                            "{}: refused, DataFusion accepts ({}) -> {result}",
                            at(),
                            show(&args)
                        )),
                    },
                }
            }
        }
    }
}

#[test]
fn every_function_is_typed_as_datafusion_types_it() {
    let mut tally = Tally::default();
    let mut functions = 0;
    let mut expressions = Vec::new();
    let mut run = |def: &FunctionDef, df: Df, tally: &mut Tally| {
        if let Df::Expression(form) = df {
            expressions.push(format!("{} ({form})", def.name));
            return;
        }
        functions += 1;
        check(def, &df, tally);
    };
    for f in ScalarFunc::BUILTINS {
        run(f.def(), df_scalar(*f), &mut tally);
    }
    for f in AggFunc::BUILTINS {
        run(f.def(), df_aggregate(*f), &mut tally);
    }
    for f in WindowFunc::BUILTINS.iter().filter(|f| **f != WindowFunc::AGGREGATE) {
        run(f.def(), df_window(*f), &mut tally);
    }
    println!(
        "function typing: {functions} functions, {} combinations: {} accepted alike, {} refused alike, {} deliberate differences, {} gaps ({} reasons), {} failures",
        tally.combinations,
        tally.both_accept,
        tally.both_refuse,
        tally.deliberate,
        tally.gaps.values().sum::<usize>(),
        tally.gaps.len(),
        tally.failures.len()
    );
    println!("typed as DataFusion expressions, checked end to end instead: {}", expressions.join(", "));
    for (reason, n) in &tally.gaps {
        println!("  gap ({n}): {reason}");
    }
    let mut by_function: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for f in &tally.failures {
        by_function.entry(f.split('(').next().unwrap_or_default().to_string()).or_default().push(f);
    }
    let report: Vec<String> = by_function
        .iter()
        .map(|(name, fs)| {
            let sample: Vec<&str> = fs.iter().take(12).map(|s| s.as_str()).collect();
            format!("{name}: {} failures, e.g.\n    {}", fs.len(), sample.join("\n    "))
        })
        .collect();
    assert!(tally.failures.is_empty(), "{}", report.join("\n"));
}
