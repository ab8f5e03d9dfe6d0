//! Source storage in the embedded engine: results kept as in-memory tables of the DataFusion
//! session, for as long as the session (and its clones) live. Nothing is written to disk, so
//! these entries are not in `xorq cache list` and a new process starts without them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use xorq_core::plan::{Memtable, SourceKind};
use xorq_core::{Address, Schema, Source};

use super::key::{EntryKey, rfc3339};
use super::store::{CacheStore, Committed, EntryMeta, EntryWriter, Lookup};
use crate::error::{ExecError, Result};

type Tables = BTreeMap<String, (EntryMeta, Arc<[RecordBatch]>)>;

/// Cached results as tables of the engine's session.
#[derive(Clone, Debug, Default)]
pub struct SessionStore {
    tables: Arc<Mutex<Tables>>,
}

impl SessionStore {
    /// An empty store.
    pub fn new() -> Self {
        SessionStore::default()
    }

    /// The sidecars of the tables it holds.
    pub fn entries(&self) -> Vec<EntryMeta> {
        self.lock().map(|t| t.values().map(|(m, _)| m.clone()).collect()).unwrap_or_default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Tables>> {
        self.tables.lock().map_err(|_| ExecError::Cache("the session's cache tables were poisoned by a panic".into()))
    }
}

impl CacheStore for SessionStore {
    fn describe(&self) -> String {
        "the DataFusion session".into()
    }

    fn peek(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup> {
        // Looking up changes nothing in the session.
        self.lookup(key, schema)
    }

    fn lookup(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup> {
        let tables = self.lock()?;
        if let Some((meta, batches)) = tables.get(&key.name()) {
            let content = Address::from_bytes(*blake3::hash(key.name().as_bytes()).as_bytes());
            let source = Source {
                name: format!("cache_{}", key.address.short()),
                kind: SourceKind::Memtable(Memtable { batches: Arc::clone(batches), content }),
                schema: Arc::new(schema.clone()),
            };
            return Ok(Lookup::Hit { source, meta: Box::new(meta.clone()) });
        }
        let prefix = key.prefix();
        let previous =
            tables.iter().filter(|(name, _)| name.starts_with(&prefix)).map(|(_, (m, _))| m.clone()).collect();
        Ok(Lookup::Miss { previous, damaged: None })
    }

    fn writer(&self, key: &EntryKey, schema: ArrowSchemaRef) -> Result<Box<dyn EntryWriter>> {
        Ok(Box::new(SessionWriter { store: self.clone(), key: key.clone(), schema, batches: Vec::new(), rows: 0 }))
    }
}

struct SessionWriter {
    store: SessionStore,
    key: EntryKey,
    schema: ArrowSchemaRef,
    batches: Vec<RecordBatch>,
    rows: u64,
}

impl EntryWriter for SessionWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.batches.push(batch.clone());
        Ok(())
    }

    fn commit(self: Box<Self>, mut meta: EntryMeta, replace: Option<SystemTime>) -> Result<Committed> {
        let mut batches = self.batches;
        if meta.ordered && batches.len() > 1 {
            // One batch is one partition: its order is the order it is read in.
            let one = arrow::compute::concat_batches(&self.schema, &batches)
                .map_err(|e| ExecError::Cache(format!("cannot keep the ordered result: {e}")))?;
            batches = vec![one];
        }
        meta.rows = self.rows;
        meta.bytes = batches.iter().map(|b| b.get_array_memory_size() as u64).sum();
        meta.created = rfc3339(SystemTime::now());
        let name = self.key.name();
        let mut tables = self.store.lock()?;
        let stale = match (tables.get(&name), replace) {
            (None, _) => true,
            (Some((existing, _)), Some(expired)) => existing.created_time().is_none_or(|c| c <= expired),
            (Some(_), None) => false,
        };
        if !stale {
            return Ok(Committed::Existing);
        }
        let prefix = self.key.prefix();
        tables.retain(|other, (m, _)| !(other.starts_with(&prefix) && m.params == meta.params));
        tables.insert(name, (meta.clone(), batches.into()));
        Ok(Committed::Published(Box::new(meta)))
    }
}
