//! `xorq catalog tui`: an interactive browser of a catalog's entries, aliases and revisions,
//! with schema and lineage panes, re-reading the catalog on an interval (a teammate's push
//! pulled in, or another shell's `catalog add`, shows up without restarting).
//!
//! `/` filters the entries by a part of an alias or address (Esc clears the filter, then quits).
//!
//! The terminal is restored however the browser ends: `q`, Esc or Ctrl+C, an error, or a panic
//! (ratatui's hook restores it before the panic message is printed).

mod state;
mod view;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use xorq_catalog::Catalog;

use crate::error::{CliError, Result};
use state::{Browser, Pane};

/// What a key does.
enum Action {
    Quit,
    Move(isize),
    Pane(Pane),
    CyclePane { back: bool },
    Scroll(i32),
    Refresh,
    StartFilter,
    ClearFilter,
    None,
}

fn action(key: KeyEvent, page: isize, filtered: bool) -> Action {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc if filtered => Action::ClearFilter,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Down | KeyCode::Char('j') => Action::Move(1),
        KeyCode::Up | KeyCode::Char('k') => Action::Move(-1),
        KeyCode::Home | KeyCode::Char('g') => Action::Move(isize::MIN / 2),
        KeyCode::End | KeyCode::Char('G') => Action::Move(isize::MAX / 2),
        KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => Action::CyclePane { back: false },
        KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => Action::CyclePane { back: true },
        KeyCode::Char(c @ '1'..='4') => Action::Pane(Pane::ALL[c as usize - '1' as usize]),
        KeyCode::PageDown | KeyCode::Char(' ') => Action::Scroll(page as i32),
        KeyCode::PageUp => Action::Scroll(-(page as i32)),
        KeyCode::Char('J') => Action::Scroll(1),
        KeyCode::Char('K') => Action::Scroll(-1),
        KeyCode::Char('r') => Action::Refresh,
        _ => Action::None,
    }
}

/// Browses `catalog` until the user quits, re-reading it every `refresh` seconds.
pub fn run(catalog: &Catalog, refresh: f64) -> Result<()> {
    if !(refresh.is_finite() && refresh > 0.0) {
        return Err(CliError::Usage(format!(
            "--refresh {refresh}: give a positive number of seconds, such as 2 or 0.5"
        )));
    }
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(CliError::Usage(
            "`xorq catalog tui` is interactive and needs a terminal; in scripts use `xorq catalog list`, \
             `list-aliases`, `show <entry>` or `lineage <entry>` (each has `--json`)"
                .into(),
        ));
    }
    let interval = Duration::from_secs_f64(refresh.min(86_400.0));
    let mut browser = Browser::new(catalog, !crate::commands::lineage::unicode_terminal());
    let mut terminal = ratatui::try_init().map_err(CliError::Terminal)?;
    let browsed = browse(&mut terminal, &mut browser, interval);
    let restored = ratatui::try_restore().map_err(CliError::Terminal);
    browsed.and(restored)
}

fn browse(terminal: &mut DefaultTerminal, browser: &mut Browser, interval: Duration) -> Result<()> {
    let mut read_at = Instant::now();
    loop {
        let mut page = 10;
        terminal
            .draw(|frame| {
                page = (frame.area().height.saturating_sub(6) as isize).max(1);
                view::draw(frame, browser);
            })
            .map_err(CliError::Terminal)?;
        let wait = interval.saturating_sub(read_at.elapsed());
        if event::poll(wait).map_err(CliError::Terminal)?
            && let Event::Key(key) = event::read().map_err(CliError::Terminal)?
            && key.kind == KeyEventKind::Press
        {
            if browser.typing {
                if type_filter(browser, key) {
                    return Ok(());
                }
                continue;
            }
            match action(key, page, !browser.filter.is_empty()) {
                Action::Quit => return Ok(()),
                Action::Move(delta) => browser.move_by(delta),
                Action::Pane(pane) => browser.show(pane),
                Action::CyclePane { back } => browser.cycle_pane(back),
                Action::Scroll(delta) => browser.scroll_by(delta),
                Action::Refresh => {
                    browser.refresh();
                    read_at = Instant::now();
                }
                Action::StartFilter => browser.typing = true,
                Action::ClearFilter => browser.filter_clear(),
                Action::None => {}
            }
        }
        if read_at.elapsed() >= interval {
            browser.refresh();
            read_at = Instant::now();
        }
    }
}

/// A key while the filter is typed: characters go into it, Backspace deletes, Enter keeps it,
/// Esc clears it, ↑↓ still select. Whether the key quits (Ctrl+C quits from anywhere).
fn type_filter(browser: &mut Browser, key: KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => return true,
        KeyCode::Char(c) if !ctrl => browser.filter_push(c),
        KeyCode::Backspace => browser.filter_pop(),
        KeyCode::Enter => browser.typing = false,
        KeyCode::Esc => browser.filter_clear(),
        KeyCode::Down => browser.move_by(1),
        KeyCode::Up => browser.move_by(-1),
        _ => {}
    }
    false
}
