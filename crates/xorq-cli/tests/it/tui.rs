//! `xorq catalog tui` on a real pseudo-terminal, read back through a terminal emulator: the
//! entries and aliases, each pane of the selected entry, keys, the re-read on an interval, and
//! the terminal given back however it ends.

use crate::common::pty::Pty;
use crate::common::sandbox::Sandbox;

const SQL: &str =
    "SELECT region, sum(amount) AS total FROM read_parquet('data/sales.parquet') GROUP BY region ORDER BY region";

/// Leaving the alternate screen: the shell's screen comes back as it was.
const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";

fn short(build: &str) -> String {
    let name = std::path::Path::new(build).file_name().expect("build name").to_string_lossy().into_owned();
    name[..12].to_string()
}

#[test]
fn the_browser_shows_entries_panes_and_changes_and_gives_the_terminal_back() {
    let s = Sandbox::new("sales", 200);
    let cat = s.catalog("cat");
    let a = s.build_sql("a.sql", SQL, &[]);
    let b = s.build_sql("b.sql", &SQL.replace("sum(amount)", "avg(amount)"), &[]);
    s.ok(&["catalog", "-p", &cat, "add", &a, "-a", "revenue", "--no-sync"]);
    s.ok(&["catalog", "-p", &cat, "add", &b, "-a", "revenue", "--no-sync"]);

    let mut tui = Pty::spawn(&s.command(&["catalog", "-p", &cat, "tui", "--refresh", "0.5"]), 120, 40);
    let screen = tui.wait_for("2 entries · 1 alias");
    // The aliased entry first, selected, with its details.
    let (a, b) = (short(&a), short(&b));
    assert!(screen.contains(&format!("> {b}  revenue")), "{screen}");
    assert!(screen.contains(&a), "{screen}");
    tui.wait_for(&format!("Details · {b}"));
    tui.wait_for("root         Sort");

    tui.send("2");
    let screen = tui.wait_for("2 columns");
    assert!(screen.contains("region") && screen.contains("total"), "{screen}");

    tui.send("3");
    tui.wait_for("└── Mean");

    tui.send("\t");
    let screen = tui.wait_for("Revisions · ");
    assert!(screen.contains("r2") && screen.contains("<- this entry, latest"), "{screen}");

    // Down: the older entry, which the alias pointed to before.
    tui.send("\u{1b}[B");
    tui.wait_for(&format!("Revisions · {a}"));
    let screen = tui.wait_gone("this entry, latest");
    assert!(screen.contains("r1") && screen.contains("<- this entry"), "{screen}");

    // Another shell adds an entry: the browser shows it at its next read.
    let c = s.build_sql("c.sql", &SQL.replace("sum(amount)", "max(amount)"), &[]);
    s.ok(&["catalog", "-p", &cat, "add", &c, "-a", "fresh", "--no-sync"]);
    let screen = tui.wait_for("3 entries · 2 aliases");
    assert!(screen.contains(&format!("{}  fresh", short(&c))), "{screen}");
    // The selection stayed on the entry it was on.
    assert!(screen.contains(&format!("> {a}")), "{screen}");

    // `/` filters by a part of an alias or address; Esc clears the filter, then quits.
    tui.send("/fre");
    let screen = tui.wait_for("1 of 3 entries");
    assert!(screen.contains(&format!("> {}  fresh", short(&c))) && !screen.contains(&a), "{screen}");
    assert!(screen.contains("filter: fre"), "{screen}");
    tui.send("\r");
    tui.wait_for("filter: fre (/ to change, Esc to clear)");
    // `/` goes on editing it.
    tui.send("/zzz");
    tui.wait_for("No entry matches the filter.");
    tui.send("\u{1b}");
    let screen = tui.wait_gone("of 3 entries");
    assert!(screen.contains("3 entries · 2 aliases") && !screen.contains("filter:"), "{screen}");

    tui.send("q");
    assert_eq!(tui.wait(), 0);
    assert!(tui.raw().contains(LEAVE_ALTERNATE_SCREEN), "the alternate screen was not left");
}

#[test]
fn ctrl_c_and_esc_quit_and_an_empty_catalog_says_how_to_fill_it() {
    let s = Sandbox::new("sales", 20);
    let cat = s.catalog("cat");
    for key in ["\u{3}", "\u{1b}"] {
        let mut tui = Pty::spawn(&s.command(&["catalog", "-p", &cat, "tui"]), 100, 30);
        tui.wait_for("0 entries · 0 aliases");
        tui.wait_for("`xorq catalog add <build>`");
        tui.send(key);
        let code = tui.wait();
        assert_eq!(code, 0, "key {key:?}");
        assert!(tui.raw().contains(LEAVE_ALTERNATE_SCREEN), "key {key:?}: the alternate screen was not left");
    }
}

#[test]
fn without_a_terminal_or_with_a_bad_interval_it_says_what_to_use() {
    let s = Sandbox::new("sales", 20);
    let cat = s.catalog("cat");
    let err = s.fails(2, &["catalog", "-p", &cat, "tui"]);
    assert!(err.contains("needs a terminal") && err.contains("xorq catalog list"), "{err}");
    let err = s.fails(2, &["catalog", "-p", &cat, "tui", "--refresh", "0"]);
    assert!(err.contains("positive number of seconds"), "{err}");
}
