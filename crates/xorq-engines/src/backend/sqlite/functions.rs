//! Functions every other engine has and SQLite's default build lacks (its math functions need
//! `SQLITE_ENABLE_MATH_FUNCTIONS`), registered on each connection so that the same SQL runs.
//! A NULL argument gives NULL, as in SQL.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

type Unary = fn(f64) -> f64;

/// Registers the functions on `conn`.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let unary: [(&str, Unary); 5] =
        [("sqrt", f64::sqrt), ("exp", f64::exp), ("ln", f64::ln), ("log10", f64::log10), ("log2", f64::log2)];
    for (name, f) in unary {
        conn.create_scalar_function(name, 1, flags, move |ctx| Ok(ctx.get::<Option<f64>>(0)?.map(f)))?;
    }
    for name in ["pow", "power"] {
        conn.create_scalar_function(name, 2, flags, |ctx| {
            Ok(ctx.get::<Option<f64>>(0)?.zip(ctx.get::<Option<f64>>(1)?).map(|(a, b)| a.powf(b)))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_functions_answer_like_other_engines() {
        let conn = Connection::open_in_memory().expect("SQLite");
        register(&conn).expect("registered");
        let (root, none, power): (f64, Option<f64>, f64) = conn
            .query_row("SELECT sqrt(16), sqrt(NULL), power(2, 10)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query");
        assert_eq!((root, none, power), (4.0, None, 1024.0));
    }
}
