//! Drop-in compatibility with the Python tool's command line, generated from its `--help`
//! output (`fixtures/python-xorq-cli-help.txt`, a copy of the shared reference): every command
//! and flag there must exist here under the same name (our own name may differ, with the
//! Python spelling as an alias) with the same short flag, unless it is listed below as not
//! applying to xorq-rs, with the reason. A flag pair `--x / --no-x` needs both spellings.

use std::collections::BTreeSet;

const REFERENCE: &str = include_str!("../fixtures/python-xorq-cli-help.txt");

/// Commands and flags of the Python tool that do not apply to xorq-rs, and why. A path is the
/// command (`catalog compose`); a flag entry adds the flag (`catalog init --gcs`).
const NOT_APPLICABLE: &[(&str, &str)] = &[
    ("--pdb", "drops into Python's debugger; there is no Python frame to inspect"),
    ("--pdb-runcall", "the same"),
    (
        "uv",
        "runs a script in a uv-managed virtual environment; `pip install xorq-rs` (or `xorq build script.py` under `$XORQ_PYTHON`) is the route here",
    ),
    ("serve-flight-udxf", "serves Python UDXF nodes; xorq-rs has no Python user functions in the graph"),
    (
        "install-completion",
        "edits shell start-up files; `xorq completion <shell>` prints the script and `--help` says where to put it",
    ),
    ("init -b", "templates are compiled into the binary, not cloned from a git repository"),
    ("init --branch", "the same"),
    ("catalog -u", "a catalog is cloned with `xorq catalog clone <url>`"),
    ("catalog --url", "the same"),
    ("catalog -r", "git submodules are managed with git itself"),
    ("catalog --root-repo", "the same"),
    ("catalog --init", "`xorq catalog init` creates a catalog; other commands never create one by accident"),
    ("catalog --no-init", "the same"),
    (
        "catalog embed-readonly",
        "the catalog keeps bundled data in git; there is no external content store with credentials",
    ),
    ("catalog replay", "replays a git-annex operation log into another content store; not applicable without one"),
    ("catalog init --env-file", "content-store credentials: no external content store"),
    ("catalog init --env-prefix", "the same"),
    ("catalog init --gcs", "the same"),
    ("catalog init --content-store", "the same"),
    ("catalog init --remote-url", "`xorq catalog set-remote` sets the remote"),
    (
        "catalog compose --use-this-venv",
        "Python virtual environments of entries; entries here carry no Python environment",
    ),
    ("catalog compose --no-use-this-venv", "the same"),
    ("catalog run --use-this-venv", "the same"),
    ("catalog run --no-use-this-venv", "the same"),
    ("catalog run-cached --use-this-venv", "the same"),
    ("catalog run-cached --no-use-this-venv", "the same"),
    ("catalog join --ignore-venv-mismatch", "the same"),
    ("catalog union --ignore-venv-mismatch", "the same"),
    ("catalog rebase --ignore-venv-mismatch", "the same"),
    (
        "join --ignore-library-version-mismatch",
        "builds record the hash scheme, which is checked instead of a library version",
    ),
    ("union --ignore-library-version-mismatch", "the same"),
    (
        "union --rebind-backends",
        "parts that name one profile always share its one connection (profiles are merged by name), the only mode here; `--help` says so",
    ),
    ("union --no-rebind-backends", "the same"),
    ("join --rebind-backends", "the same"),
    ("join --no-rebind-backends", "the same"),
    ("catalog union --rebind-backends", "the same"),
    ("catalog union --no-rebind-backends", "the same"),
    ("catalog join --rebind-backends", "the same"),
    ("catalog join --no-rebind-backends", "the same"),
    (
        "catalog run --fuse",
        "composed entries are always fused into one expression, the only mode here (`catalog run --help` says so); rows streamed from one entry's run into the next are a pipe: `-f arrow` into `-i -`",
    ),
    ("catalog run --no-fuse", "the same"),
    ("catalog run-cached --fuse", "the same"),
    ("catalog run-cached --no-fuse", "the same"),
    ("catalog serve-unbound --fuse", "the same"),
    ("catalog serve-unbound --no-fuse", "the same"),
    (
        "catalog run-cached --instream",
        "a cache entry is named by the address of what computed it, and rows streamed in have none, so such a run cannot be cached; `catalog run -i` runs it",
    ),
    (
        "catalog lineage --level",
        "the Python tool's node-level lineage of stored sidecars (compact, boundaries, raw); lineage here is column-level, the same for builds and entries: `-f tree|json|dot|mermaid|html|openlineage`, `--column`, `--depth`, `--control`",
    ),
    ("catalog lineage --node", "the same"),
    ("catalog lineage --expand", "the same"),
];

/// Commands and flags of the Python tool not built yet. Empty: every one is built or listed in
/// `NOT_APPLICABLE` with its reason; the test fails when a listed one starts to exist, so the
/// list only shrinks.
const PENDING: &[&str] = &[];

struct Section {
    path: Vec<String>,
    flags: Vec<Flag>,
    commands: Vec<String>,
}

#[derive(Clone, Debug)]
struct Flag {
    short: Option<char>,
    long: String,
}

fn sections() -> Vec<Section> {
    let mut out = Vec::new();
    let mut lines = REFERENCE.lines();
    while let Some(line) = lines.next() {
        let Some(header) = line.strip_prefix("$ ").and_then(|l| l.strip_suffix(" --help")) else { continue };
        let path: Vec<String> = header.split_whitespace().skip(1).map(str::to_string).collect();
        let (mut flags, mut commands) = (Vec::new(), Vec::new());
        let mut block = "";
        for line in lines.by_ref() {
            if line.starts_with("Options:") || line.starts_with("Commands:") {
                block = if line.starts_with("Options:") { "options" } else { "commands" };
                continue;
            }
            if line.starts_with("=====") {
                if block.is_empty() {
                    continue;
                }
                break;
            }
            let Some(entry) = line.strip_prefix("  ") else { continue };
            match block {
                "options" if entry.starts_with('-') => {
                    let spec = entry.split("  ").next().unwrap_or(entry);
                    for part in spec.split(" / ") {
                        let mut short = None;
                        let mut long = None;
                        for word in part.split([',', ' ']).filter(|w| !w.is_empty()) {
                            if let Some(l) = word.strip_prefix("--") {
                                long = Some(l.to_string());
                            } else if let Some(s) = word.strip_prefix('-') {
                                short = s.chars().next();
                            }
                        }
                        if let Some(long) = long {
                            flags.push(Flag { short, long });
                        }
                    }
                }
                "commands" if entry.starts_with(|c: char| c.is_ascii_lowercase()) => {
                    commands.push(entry.split_whitespace().next().unwrap_or_default().to_string());
                }
                _ => {}
            }
        }
        out.push(Section { path, flags, commands });
    }
    out
}

fn find<'c>(root: &'c clap::Command, path: &[String]) -> Option<&'c clap::Command> {
    let mut cmd = root;
    for name in path {
        cmd = cmd.find_subcommand(name)?;
    }
    Some(cmd)
}

fn has_flag(cmd: &clap::Command, flag: &Flag) -> Result<(), String> {
    let arg = cmd.get_arguments().find(|a| {
        a.get_long() == Some(flag.long.as_str())
            || a.get_all_aliases().is_some_and(|aliases| aliases.contains(&flag.long.as_str()))
    });
    let Some(arg) = arg else { return Err(format!("--{}", flag.long)) };
    if let Some(short) = flag.short {
        // The short spelling may be an argument of its own where the long one is global (the
        // catalog's `-p`, written before the subcommand, beside `--path` anywhere).
        let has_short = |a: &clap::Arg| {
            a.get_short() == Some(short) || a.get_all_short_aliases().is_some_and(|aliases| aliases.contains(&short))
        };
        let ours =
            has_short(arg) || cmd.get_arguments().any(|a| !a.is_global_set() && has_short(a) && a.get_long().is_none());
        if !ours {
            return Err(format!("-{short} (for --{})", flag.long));
        }
    }
    Ok(())
}

#[test]
fn every_command_and_flag_of_the_python_tool_works_here() {
    let mut root = xorq_cli::command();
    root.build();
    let skipped: BTreeSet<&str> = NOT_APPLICABLE.iter().map(|(what, _)| *what).collect();
    let pending: BTreeSet<&str> = PENDING.iter().copied().collect();
    let mut missing = Vec::new();
    let mut still_pending = BTreeSet::new();
    let mut checked = 0;
    let sections = sections();
    assert!(sections.len() > 40, "the reference parses into its sections");
    let mut check = |what: String, ok: bool| {
        checked += 1;
        let listed_pending = pending.contains(what.as_str());
        if skipped.contains(what.as_str()) {
            return;
        }
        if !ok {
            still_pending.insert(what.clone());
        }
        if !ok && !listed_pending {
            missing.push(what);
        }
    };
    for section in &sections {
        let path = section.path.join(" ");
        if section.path.first().is_some_and(|c| skipped.contains(c.as_str())) || skipped.contains(path.as_str()) {
            continue;
        }
        // A command that is missing is reported once, from its parent's list of commands.
        let Some(cmd) = find(&root, &section.path) else { continue };
        for sub in &section.commands {
            let what = if path.is_empty() { sub.clone() } else { format!("{path} {sub}") };
            check(what, cmd.find_subcommand(sub).is_some());
        }
        for flag in section.flags.iter().filter(|f| f.long != "help" && f.long != "version") {
            let what = if path.is_empty() { format!("--{}", flag.long) } else { format!("{path} --{}", flag.long) };
            let result = has_flag(cmd, flag);
            let what = match (&result, flag.short) {
                (Err(e), Some(s)) if e.starts_with(&format!("-{s} ")) => {
                    if path.is_empty() {
                        format!("-{s}")
                    } else {
                        format!("{path} -{s}")
                    }
                }
                _ => what,
            };
            check(what, result.is_ok());
        }
    }
    assert!(checked > 200, "{checked} checks: the reference was parsed");
    assert!(
        missing.is_empty(),
        "the Python tool has these, xorq-rs does not (add them, or list them in NOT_APPLICABLE with the reason):\n  {}",
        missing.join("\n  ")
    );
    let now_present: Vec<&str> = pending.iter().copied().filter(|p| !still_pending.contains(*p)).collect();
    assert!(now_present.is_empty(), "these exist now; remove them from PENDING:\n  {}", now_present.join("\n  "));
}

#[test]
fn every_exception_is_still_about_something_the_python_tool_has() {
    let text = REFERENCE;
    for (what, why) in NOT_APPLICABLE {
        assert!(!why.is_empty());
        let last = what.split_whitespace().last().unwrap_or_default();
        assert!(text.contains(last), "`{what}` is not in the reference any more");
    }
}
