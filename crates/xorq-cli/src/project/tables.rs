//! `<profile>.<schema>.<table>` in a SQL pipeline, read from the profiles of its project file:
//! each profile is connected once, when the query first names it, and the table's schema is read
//! from the engine.

use std::cell::RefCell;
use std::collections::BTreeMap;

use xorq::backends::BackendRef;
use xorq::{Source, Table};
use xorq_engines::EngineError;
use xorq_engines::datafusion::sql::TableResolver;

use super::{FILE_NAME, Project};

/// Tables of the project's profiles, for the SQL front end.
pub struct ProjectTables<'p> {
    project: Option<&'p Project>,
    connected: RefCell<BTreeMap<String, BackendRef>>,
}

impl<'p> ProjectTables<'p> {
    /// The tables of `project`'s profiles (none without a project).
    pub fn new(project: Option<&'p Project>) -> Self {
        ProjectTables { project, connected: RefCell::new(BTreeMap::new()) }
    }

    fn backend(&self, name: &str, table: &str) -> Result<BackendRef, EngineError> {
        if let Some(backend) = self.connected.borrow().get(name) {
            return Ok(backend.clone());
        }
        let not_found = |message: String| EngineError::Backend {
            profile: name.to_string(),
            context: format!("reading `{table}`"),
            message,
        };
        let Some(project) = self.project else {
            return Err(not_found(format!(
                "there is no {FILE_NAME} above the pipeline file to define it\nhint: add one at the project root, for \
                 example `profiles: {{{name}: {{kind: sqlite, path: shop.db}}}}`, or read files with \
                 read_parquet('…'), read_csv('…') or read_json('…')"
            )));
        };
        let Some(profile) = project.profile(name) else {
            let known: Vec<&str> = project.profiles.iter().map(|p| p.name()).collect();
            let suggestion = xorq::error::closest(name, known.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(not_found(format!(
                "{} defines no profile `{name}` (it has: {}){suggestion}",
                project.file().display(),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )));
        };
        let resolved = project.resolve_paths(profile);
        let connectors = xorq::backends::connectors();
        let backend =
            xorq_exec::blocking::block_on(connectors.connect(&resolved)).map_err(|e| not_found(e.to_string()))??;
        self.connected.borrow_mut().insert(name.to_string(), backend.clone());
        Ok(backend)
    }
}

impl TableResolver for ProjectTables<'_> {
    fn table(&self, profile: &str, path: &[String]) -> Result<Table, EngineError> {
        let shown = std::iter::once(profile).chain(path.iter().map(String::as_str)).collect::<Vec<_>>().join(".");
        let backend = self.backend(profile, &shown)?;
        let schema = xorq_exec::blocking::block_on(backend.table_schema(path))
            .map_err(|e| EngineError::Internal(e.to_string()))??;
        Ok(Table::from_source(Source::table(profile, path.to_vec(), schema))?)
    }
}
