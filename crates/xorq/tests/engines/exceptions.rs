//! Where an engine's semantics differ from DataFusion's, on purpose or by nature; each entry
//! says why. The test checks each still happens.

/// What an engine is expected to do with a corpus entry.
pub enum Expect {
    /// DataFusion's result.
    Equal,
    /// An error that contains this text: the operation the dialect cannot express (refused
    /// before any SQL is written), or a capability the engine lacks.
    Refused(&'static str),
    /// A different result, for the documented reason.
    Differs(&'static str),
}

/// The expectation for corpus entry `name` on the engine of profile `engine`.
pub fn expect(name: &str, engine: &str) -> Expect {
    match (name, engine) {
        // SQLite's upper()/lower() change ASCII letters only ('Zürich' → 'ZüRICH').
        ("mutate_strings", "sqlite") => Expect::Differs("SQLite upper-cases ASCII letters only"),
        // Refused when the SQL is written, naming the aggregate (see dialect/support.rs).
        ("group_many_aggs", "sqlite") => Expect::Refused("aggregate `std`"),
        ("group_first_last", "sqlite" | "postgres") => Expect::Refused("aggregate `first`"),
        // Grouping sets run on the embedded engine only: refused when the SQL is written.
        ("group_rollup", _) => Expect::Refused("grouping sets"),
        // Time-zone-aware functions (`date_trunc` of a TIMESTAMPTZ) live in DuckDB's ICU
        // extension, which the bundled build lacks and which is never downloaded.
        ("mutate_temporal", "duckdb") => Expect::Refused("Extension \"icu\""),
        _ => Expect::Equal,
    }
}
