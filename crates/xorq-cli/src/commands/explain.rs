//! `xorq run <build> --explain`: what the run would do, stage by stage, without running it.

use xorq::CacheStrategy;
use xorq_build::Verification;
use xorq_exec::explain::{RunPlan, Stage};

use super::run::{RunArgs, parse_params, prepare};
use crate::error::Result;
use crate::output::{Format, Target};

/// Prints the plan of `xorq run` with `args` (every other flag taken as the run takes it). Reads
/// the build and the cache's entries, connects the build's profiles; runs nothing and writes
/// nothing (not the output, not a cache entry, not a verification record).
pub fn run(args: &RunArgs, cache: Option<CacheStrategy>) -> Result<()> {
    let target = args.output.as_deref().map_or(Target::Stdout, Target::parse);
    let format = target.format(args.format)?;
    let params = parse_params(&args.params)?;
    // Planning reports no cache events: the plan says what each cache node will do.
    let run_cache = super::cache::for_run(args.cache_dir.as_deref(), args.no_cache, false)?;
    // Every bundled file hashed, and no record of it kept: explain writes nothing.
    let (build, table, session) = prepare(args, cache, &Verification::Always, run_cache)?;
    let plan = xorq_exec::blocking::explain_in(&session, &table, &params)?;
    let output = match &target {
        Target::Stdout => "stdout".to_string(),
        Target::File(path) => path.display().to_string(),
    };
    if args.json {
        println!("{}", json(&plan, &build.path.display().to_string(), &build.metadata.address, &output, format));
    } else {
        // As the user named it (a path, an alias or an address prefix).
        println!("plan of {} (address {})", args.build.display(), build.metadata.address);
        print!("{plan}");
        println!("output: {output} as {} (not written: --explain runs nothing)", format.name());
    }
    Ok(())
}

fn json(plan: &RunPlan, build: &str, address: &str, output: &str, format: Format) -> serde_json::Value {
    let cache: Vec<serde_json::Value> = plan
        .cache
        .iter()
        .map(|e| {
            serde_json::json!({
                "address": e.address.hex(),
                "op": e.op,
                "strategy": e.strategy.to_string(),
                "storage": e.storage.to_string(),
                "outcome": outcome_kind(&e.outcome),
                "text": e.to_string(),
            })
        })
        .collect();
    let stages: Vec<serde_json::Value> = plan
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut v = serde_json::json!({ "stage": i + 1, "kind": s.kind(), "engine": s.engine() });
            match s {
                Stage::Store { address, summary, at_root } => {
                    v["address"] = address.hex().into();
                    v["summary"] = summary.clone().into();
                    v["at_root"] = (*at_root).into();
                }
                Stage::Move { table, summary, .. } => {
                    v["table"] = table.clone().into();
                    v["summary"] = summary.clone().into();
                }
                Stage::Backend { dialect, sql, .. } => {
                    v["dialect"] = dialect.clone().into();
                    v["sql"] = sql.clone().into();
                }
                Stage::Cluster { url, plan, .. } => {
                    v["url"] = url.clone().into();
                    v["plan"] = plan.clone().into();
                }
                Stage::Broadcast { summary } => v["summary"] = summary.clone().into(),
                Stage::Local { plan } => v["plan"] = plan.clone().into(),
                _ => {}
            }
            v
        })
        .collect();
    serde_json::json!({
        "build": build,
        "address": address,
        "cache": cache,
        "stages": stages,
        "output": { "target": output, "format": format.name(), "written": false },
    })
}

fn outcome_kind(outcome: &xorq_exec::cache::Outcome) -> &'static str {
    use xorq_exec::cache::Outcome;
    match outcome {
        Outcome::Hit { .. } => "hit",
        Outcome::Miss(_) => "miss",
        Outcome::Skipped => "skipped",
        Outcome::Unbound { .. } => "unbound",
        Outcome::Pinned { .. } => "pinned",
        Outcome::Warning(_) => "warning",
        _ => "other",
    }
}
