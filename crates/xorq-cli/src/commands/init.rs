//! `xorq init [-t template] [dir]`: a new project with sample data and a pipeline.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use clap::ValueEnum;

use crate::error::{CliError, Result};

/// Project templates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// Revenue per region over 10,000 generated orders (Parquet).
    Sales,
    /// The Palmer Penguins dataset, summarised per species and island (CSV).
    Penguins,
}

/// What `xorq init` was asked.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory to create (it must not exist, or be empty) [default: xorq-project].
    #[arg(conflicts_with = "path")]
    pub dir: Option<PathBuf>,
    /// The directory, as a flag (the Python tool's spelling).
    #[arg(short = 'p', long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Which project to scaffold.
    #[arg(short = 't', long, value_enum, default_value = "sales")]
    pub template: Template,
    /// How many orders to generate for the `sales` template (to try pipelines at scale).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub rows: usize,
    /// Print a JSON object (path, template, files) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Prefix of the staging directory a project is written in.
const INIT_PREFIX: &str = ".xorq-init-";

/// Creates the project.
pub fn run(args: &InitArgs) -> Result<()> {
    let dir = &args.dir.clone().or_else(|| args.path.clone()).unwrap_or_else(|| PathBuf::from("xorq-project"));
    if dir.exists() && fs::read_dir(dir).map_err(CliError::io("read", dir))?.next().is_some() {
        return Err(CliError::Usage(format!(
            "`{}` already exists and is not empty; choose a new directory, for example `xorq init my-project`",
            dir.display()
        )));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(CliError::io("create directory", &parent))?;
    // Everything is written into a staging directory beside the target, then renamed: an
    // interrupted init leaves no half project (and the next init here sweeps what a killed one
    // left).
    xorq_fs::sweep(&parent, INIT_PREFIX);
    let staging = xorq_fs::Staging::new_in(&parent, INIT_PREFIX)?;
    let files = write_template(args.template, args.rows, staging.path())?;
    if dir.exists() {
        fs::remove_dir(dir).map_err(CliError::io("replace the empty directory", dir))?;
    }
    if let xorq_fs::Published::TargetExists(_) = staging.publish(dir)? {
        return Err(CliError::Usage(format!(
            "`{}` appeared while the project was being written; choose a new directory",
            dir.display()
        )));
    }

    let name = args.template.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
    if args.json {
        println!("{}", serde_json::json!({ "path": dir, "template": name, "files": files }));
    } else {
        println!("Created the {name} project in {}", dir.display());
        for f in &files {
            println!("  {f}");
        }
        println!(
            "\nNext:\n  cd {}\n  xorq build pipeline.sql\n  xorq run builds/<address printed by build>",
            dir.display()
        );
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8], files: &mut Vec<String>) -> Result<()> {
    let path = dir.join(name);
    // One level at a time: a staging directory removed on interruption is never recreated.
    if let Some(parent) = path.parent().filter(|p| !p.exists()) {
        fs::create_dir(parent).map_err(CliError::io("create directory", parent))?;
    }
    xorq_fs::write_new(&path, bytes)?;
    files.push(name.to_string());
    Ok(())
}

fn write_template(template: Template, rows: usize, dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    match template {
        Template::Sales => {
            write(dir, "pipeline.sql", include_bytes!("../../templates/sales/pipeline.sql"), &mut files)?;
            write(dir, "README.md", include_bytes!("../../templates/sales/README.md"), &mut files)?;
            write(dir, "data/sales.parquet", &sales_parquet(rows)?, &mut files)?;
        }
        Template::Penguins => {
            write(dir, "pipeline.sql", include_bytes!("../../templates/penguins/pipeline.sql"), &mut files)?;
            write(dir, "score.sql", include_bytes!("../../templates/penguins/score.sql"), &mut files)?;
            write(dir, "README.md", include_bytes!("../../templates/penguins/README.md"), &mut files)?;
            write(dir, "data/penguins.csv", include_bytes!("../../templates/penguins/data/penguins.csv"), &mut files)?;
        }
    }
    write(dir, crate::project::FILE_NAME, include_bytes!("../../templates/xorq.yaml"), &mut files)?;
    write(dir, ".gitignore", b"builds/\n", &mut files)?;
    Ok(files)
}

/// `rows` generated orders, the same bytes every time (a fixed-seed generator), as Parquet.
pub fn sales_parquet(rows: usize) -> Result<Vec<u8>> {
    const REGIONS: [&str; 4] = ["EU", "US", "APAC", "LATAM"];
    const PRODUCTS: [&str; 5] = ["widget", "gadget", "gizmo", "doohickey", "sprocket"];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        // xorshift64*: tiny, deterministic, good enough for sample data.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let (mut day, mut region, mut product, mut quantity, mut amount) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // 2024-01-01 is day 19723 since the epoch.
    for _ in 0..rows {
        day.push(19_723 + (next() % 366) as i32);
        region.push(REGIONS[(next() % 4) as usize]);
        product.push(PRODUCTS[(next() % 5) as usize]);
        let q = 1 + (next() % 9) as i64;
        quantity.push(q);
        amount.push(((next() % 6_000) as f64 / 100.0 + 5.0) * q as f64);
    }
    let amount: Vec<f64> = amount.into_iter().map(|a| (a * 100.0).round() / 100.0).collect();
    let batch = RecordBatch::try_from_iter([
        ("order_id", Arc::new(Int64Array::from_iter_values(1..=rows as i64)) as _),
        ("day", Arc::new(Date32Array::from(day)) as _),
        ("region", Arc::new(StringArray::from(region)) as _),
        ("product", Arc::new(StringArray::from(product)) as _),
        ("quantity", Arc::new(Int64Array::from(quantity)) as _),
        ("amount", Arc::new(Float64Array::from(amount)) as _),
    ])
    .map_err(|e| CliError::Output { format: "parquet", message: e.to_string() })?;
    let perr = |e: parquet::errors::ParquetError| CliError::Output { format: "parquet", message: e.to_string() };
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).map_err(perr)?;
    writer.write(&batch).map_err(perr)?;
    writer.close().map_err(perr)?;
    Ok(out)
}
