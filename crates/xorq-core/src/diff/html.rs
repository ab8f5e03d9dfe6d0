//! A self-contained HTML page of a diff: the two graphs side by side (changed nodes
//! highlighted, a click shows a node's counterpart), the output columns with the impacted ones
//! marked, and the changes in the report's words. One file: inline CSS and script, no network.

use serde_json::json;

use crate::lineage::html::{escape_html, fill, script_json};

use super::Diff;

const TEMPLATE: &str = include_str!("page/index.html");
const STYLE: &str = include_str!("page/style.css");
const SCRIPT: &str = include_str!("page/app.js");

/// What the page says about the diff beyond the diff itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffPage {
    /// The page title, such as `prod@r1 → prod@r2`.
    pub title: String,
    /// A line under the title.
    pub subtitle: String,
}

impl Diff {
    /// The page as one HTML document.
    ///
    /// ```
    /// use xorq_core::{col, diff, lit, Table};
    /// # use arrow_array::{RecordBatch, Float64Array};
    /// # use std::sync::Arc;
    /// # let batch = RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap();
    /// let t = Table::memtable(vec![batch])?;
    /// let d = diff::diff(&t, &t.filter(col("amount").gt(lit(0)))?)?;
    /// let page = d.to_html(&diff::DiffPage::default());
    /// assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script src"));
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn to_html(&self, page: &DiffPage) -> String {
        let title = if page.title.is_empty() { "Diff" } else { page.title.as_str() };
        let headlines: Vec<String> = self.changes.iter().map(super::NodeChange::headline).collect();
        let data = json!({
            "title": title,
            "subtitle": page.subtitle,
            "summary": self.summary(),
            "headlines": headlines,
            "diff": self,
        });
        fill(
            TEMPLATE,
            &[("title", &escape_html(title)), ("style", STYLE), ("data", &script_json(&data)), ("script", SCRIPT)],
        )
    }
}
