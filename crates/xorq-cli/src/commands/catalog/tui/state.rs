//! What the catalog browser shows, apart from how it is drawn: the entries (aliased ones first),
//! the selection, the pane on the right, and what was read about each entry.
//!
//! Entries are immutable (an entry directory is written once), so what is read about one
//! (metadata, the lineage trees) is kept for the whole session; aliases move, so they are
//! re-read on every refresh.

use std::collections::HashMap;

use ratatui::widgets::ListState;
use xorq::lineage::{TreeOptions, column_lineage};
use xorq_catalog::{AliasFile, Catalog, EntryDetails};

/// The panes on the right, in the order Tab visits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// Address, build, sources, parameters, size.
    Details,
    /// Output columns.
    Schema,
    /// Where each output column comes from (the `xorq lineage` tree).
    Lineage,
    /// The revisions of every alias that points (or pointed) to the entry.
    Revisions,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Details, Pane::Schema, Pane::Lineage, Pane::Revisions];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Details => "Details",
            Pane::Schema => "Schema",
            Pane::Lineage => "Lineage",
            Pane::Revisions => "Revisions",
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// One line of the entry list.
#[derive(Clone, Debug)]
pub struct Row {
    /// Full address.
    pub address: String,
    /// Aliases whose latest revision is this entry.
    pub aliases: Vec<String>,
}

/// What was read about one entry.
pub struct EntryView {
    /// `catalog show`'s details (re-read on refresh: they name the aliases).
    pub details: Result<EntryDetails, String>,
    /// The full history of each alias that points or pointed to the entry.
    pub revisions: Vec<AliasFile>,
}

/// The browser's state.
pub struct Browser<'c> {
    catalog: &'c Catalog,
    /// The entries shown: those the filter matches, aliased ones first (by alias), then the
    /// rest by address.
    pub rows: Vec<Row>,
    /// Every entry, in the same order.
    all: Vec<Row>,
    /// What the entry list is filtered by (a part of an alias or an address), `/` to type it.
    pub filter: String,
    /// Whether keys are typed into the filter.
    pub typing: bool,
    /// How many aliases the catalog has.
    pub alias_count: usize,
    /// The selection in `rows`.
    pub list: ListState,
    /// The pane on the right.
    pub pane: Pane,
    /// Lines scrolled down in the pane on the right.
    pub scroll: u16,
    /// When the catalog was last read (local time, `HH:MM:SS`).
    pub refreshed_at: String,
    /// The last refresh's error, shown in the footer until one succeeds.
    pub error: Option<String>,
    /// Draw trees with ASCII characters.
    pub ascii: bool,
    views: HashMap<String, EntryView>,
    lineage: HashMap<String, Result<String, String>>,
}

impl<'c> Browser<'c> {
    /// A browser of `catalog`, read once.
    pub fn new(catalog: &'c Catalog, ascii: bool) -> Browser<'c> {
        let mut browser = Browser {
            catalog,
            rows: Vec::new(),
            all: Vec::new(),
            filter: String::new(),
            typing: false,
            alias_count: 0,
            list: ListState::default(),
            pane: Pane::Details,
            scroll: 0,
            refreshed_at: String::new(),
            error: None,
            ascii,
            views: HashMap::new(),
            lineage: HashMap::new(),
        };
        browser.refresh();
        browser
    }

    /// Where the catalog is.
    pub fn catalog_path(&self) -> String {
        self.catalog.path().display().to_string()
    }

    /// Re-reads the entries and aliases, keeping the selected entry selected.
    pub fn refresh(&mut self) {
        let selected = self.selected().map(|r| r.address.clone());
        match self.catalog.entries().and_then(|e| Ok((e, self.catalog.aliases()?.len()))) {
            Ok((entries, alias_count)) => {
                let mut rows: Vec<Row> =
                    entries.into_iter().map(|e| Row { address: e.address, aliases: e.aliases }).collect();
                rows.sort_by(|a, b| {
                    (a.aliases.is_empty(), a.aliases.first(), &a.address).cmp(&(
                        b.aliases.is_empty(),
                        b.aliases.first(),
                        &b.address,
                    ))
                });
                self.all = rows;
                self.alias_count = alias_count;
                self.error = None;
                // Aliases may have moved: what names them is read again.
                self.views.clear();
            }
            Err(e) => self.error = Some(first_line(&e.to_string())),
        }
        self.apply_filter(selected);
        self.refreshed_at = chrono::Local::now().format("%H:%M:%S").to_string();
    }

    /// How many entries the catalog has (the list may show fewer: see `filter`).
    pub fn total(&self) -> usize {
        self.all.len()
    }

    /// Types `c` into the filter.
    pub fn filter_push(&mut self, c: char) {
        let selected = self.selected().map(|r| r.address.clone());
        self.filter.push(c);
        self.apply_filter(selected);
    }

    /// Deletes the filter's last character.
    pub fn filter_pop(&mut self) {
        let selected = self.selected().map(|r| r.address.clone());
        self.filter.pop();
        self.apply_filter(selected);
    }

    /// Clears the filter.
    pub fn filter_clear(&mut self) {
        let selected = self.selected().map(|r| r.address.clone());
        self.filter.clear();
        self.typing = false;
        self.apply_filter(selected);
    }

    /// The entries the filter matches (a case-insensitive part of an alias or of the address),
    /// keeping `selected` selected when it is still shown.
    fn apply_filter(&mut self, selected: Option<String>) {
        let needle = self.filter.to_lowercase();
        self.rows = self
            .all
            .iter()
            .filter(|r| {
                needle.is_empty()
                    || r.address.contains(&needle)
                    || r.aliases.iter().any(|a| a.to_lowercase().contains(&needle))
            })
            .cloned()
            .collect();
        let index = selected.and_then(|a| self.rows.iter().position(|r| r.address == a));
        let before = self.list.selected();
        self.list.select(match (index, self.rows.is_empty()) {
            (_, true) => None,
            (Some(i), false) => Some(i),
            (None, false) => Some(self.list.selected().unwrap_or(0).min(self.rows.len() - 1)),
        });
        if self.list.selected() != before {
            self.scroll = 0;
        }
    }

    /// The selected entry.
    pub fn selected(&self) -> Option<&Row> {
        self.list.selected().and_then(|i| self.rows.get(i))
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let current = self.list.selected().unwrap_or(0) as isize;
        let next = (current + delta).clamp(0, self.rows.len() as isize - 1) as usize;
        if Some(next) != self.list.selected() {
            self.list.select(Some(next));
            self.scroll = 0;
        }
    }

    /// Shows the next (or, with `back`, the previous) pane.
    pub fn cycle_pane(&mut self, back: bool) {
        let n = Pane::ALL.len();
        let i = self.pane.index();
        self.pane = Pane::ALL[if back { (i + n - 1) % n } else { (i + 1) % n }];
        self.scroll = 0;
    }

    /// Shows `pane`.
    pub fn show(&mut self, pane: Pane) {
        if self.pane != pane {
            self.pane = pane;
            self.scroll = 0;
        }
    }

    /// Scrolls the pane on the right by `delta` lines.
    pub fn scroll_by(&mut self, delta: i32) {
        self.scroll = (i32::from(self.scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }

    /// What was read about the selected entry (read now if it was not yet).
    pub fn view(&mut self) -> Option<&EntryView> {
        let address = self.selected()?.address.clone();
        if !self.views.contains_key(&address) {
            let view = self.read_view(&address);
            self.views.insert(address.clone(), view);
        }
        self.views.get(&address)
    }

    /// The lineage trees of the selected entry's columns (read once per entry).
    pub fn lineage(&mut self) -> Option<&Result<String, String>> {
        let address = self.selected()?.address.clone();
        if !self.lineage.contains_key(&address) {
            let text = self.read_lineage(&address);
            self.lineage.insert(address.clone(), text);
        }
        self.lineage.get(&address)
    }

    fn read_view(&self, address: &str) -> EntryView {
        let details = self.catalog.details(address).map_err(|e| first_line(&e.to_string()));
        let mut revisions = Vec::new();
        if let Ok(names) = self.catalog.alias_files() {
            for file in names.into_values() {
                if file.revisions.iter().any(|r| r.address == address) {
                    revisions.push(file);
                }
            }
        }
        EntryView { details, revisions }
    }

    fn read_lineage(&self, address: &str) -> Result<String, String> {
        let dir = self.catalog.resolve(address).map_err(|e| first_line(&e.to_string()))?.dir;
        let build = xorq_build::load(&dir).map_err(|e| first_line(&e.to_string()))?;
        let options = TreeOptions::default().ascii(self.ascii);
        let mut trees = Vec::new();
        for column in build.table.columns() {
            let graph = column_lineage(&build.table, column).map_err(|e| first_line(&e.to_string()))?;
            trees.push(graph.render(&options));
        }
        Ok(trees.join("\n"))
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}
