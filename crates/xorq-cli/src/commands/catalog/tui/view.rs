//! How the catalog browser is drawn: a header line, the entry list on the left, the selected
//! entry's pane on the right (with tabs), and a footer of keys.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, Paragraph, Tabs, Wrap};

use super::super::print::{details_text, schema_rows, short};
use super::state::{Browser, Pane};

/// The keys, as the footer lists them.
pub const KEYS: &str = "↑↓/jk select · Tab/1-4 pane · PgUp/PgDn scroll · / filter · r refresh · q quit";

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, browser: &mut Browser) {
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    let shown =
        if browser.rows.len() == browser.total() { String::new() } else { format!("{} of ", browser.rows.len()) };
    let title = format!(
        " xorq catalog · {} · {shown}{} entr{} · {} alias{} · read at {}",
        browser.catalog_path(),
        browser.total(),
        if browser.total() == 1 { "y" } else { "ies" },
        browser.alias_count,
        if browser.alias_count == 1 { "" } else { "es" },
        browser.refreshed_at,
    );
    frame.render_widget(Paragraph::new(title).style(Style::new().add_modifier(Modifier::REVERSED)), header);

    let [left, right] = Layout::horizontal([Constraint::Percentage(36), Constraint::Percentage(64)]).areas(body);
    draw_list(frame, browser, left);

    let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(right);
    let titles: Vec<String> = Pane::ALL.iter().enumerate().map(|(i, p)| format!("{} {}", i + 1, p.title())).collect();
    let selected = Pane::ALL.iter().position(|p| *p == browser.pane).unwrap_or(0);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)),
        tabs,
    );
    let text = pane_text(browser);
    let pane_title = match browser.selected() {
        Some(row) => format!(" {} · {} ", browser.pane.title(), short(&row.address)),
        None => format!(" {} ", browser.pane.title()),
    };
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().title(pane_title)).scroll((browser.scroll, 0)),
        pane,
    );

    let footer_line = match (&browser.error, browser.typing) {
        (Some(error), _) => Line::from(Span::styled(format!(" {error}"), Style::new().fg(Color::Red))),
        (None, true) => Line::from(format!(" filter: {}▏  (Enter keeps it, Esc clears it)", browser.filter)),
        (None, false) if !browser.filter.is_empty() => {
            Line::from(format!(" filter: {} (/ to change, Esc to clear) · {KEYS}", browser.filter))
        }
        (None, false) => Line::from(format!(" {KEYS}")),
    };
    frame.render_widget(Paragraph::new(footer_line), footer);
}

fn draw_list(frame: &mut Frame, browser: &mut Browser, area: ratatui::layout::Rect) {
    let block = Block::bordered().title(" Entries ");
    if browser.rows.is_empty() {
        let hint = if browser.total() > 0 {
            "No entry matches the filter.\n\nEsc clears it."
        } else {
            "No entries yet.\n\n`xorq catalog add <build>` adds one."
        };
        frame.render_widget(Paragraph::new(hint).wrap(Wrap { trim: true }).block(block), area);
        return;
    }
    let items: Vec<ListItem> = browser
        .rows
        .iter()
        .map(|row| {
            let mut spans = vec![Span::raw(short(&row.address).to_string())];
            if !row.aliases.is_empty() {
                spans.push(Span::raw("  "));
                spans.push(Span::styled(row.aliases.join(", "), Style::new().add_modifier(Modifier::BOLD)));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let list = List::new(items)
        .block(block)
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ");
    frame.render_stateful_widget(list, area, &mut browser.list);
}

/// The text of the pane on the right for the selected entry.
fn pane_text(browser: &mut Browser) -> String {
    if browser.selected().is_none() {
        return String::new();
    }
    if browser.pane == Pane::Lineage {
        return match browser.lineage() {
            Some(Ok(text)) => text.clone(),
            Some(Err(e)) => format!("cannot read the entry's expression: {e}"),
            None => String::new(),
        };
    }
    let pane = browser.pane;
    let Some(view) = browser.view() else { return String::new() };
    let details = match &view.details {
        Ok(details) => details,
        Err(e) => return format!("cannot read the entry: {e}"),
    };
    match pane {
        Pane::Details => details_text(details),
        Pane::Schema => {
            let columns = &details.metadata.schema;
            format!("{} column{}\n\n{}", columns.len(), if columns.len() == 1 { "" } else { "s" }, schema_rows(columns))
        }
        Pane::Revisions => {
            let address = &details.metadata.address;
            if view.revisions.is_empty() {
                return "No alias points or pointed to this entry.\n\n`xorq catalog add-alias <entry> <alias>` names it."
                    .into();
            }
            let mut out = String::new();
            for file in &view.revisions {
                let _ = writeln!(out, "{}", file.alias);
                let latest = file.revisions.last().map(|r| r.revision);
                for r in &file.revisions {
                    let mut marks = Vec::new();
                    if &r.address == address {
                        marks.push("this entry");
                    }
                    if Some(r.revision) == latest {
                        marks.push("latest");
                    }
                    let marks = if marks.is_empty() { String::new() } else { format!("  <- {}", marks.join(", ")) };
                    let _ = writeln!(out, "  r{:<3} {}  {}{marks}", r.revision, short(&r.address), r.at);
                }
                out.push('\n');
            }
            out
        }
        Pane::Lineage => String::new(),
    }
}
