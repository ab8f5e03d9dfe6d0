//! Error messages users see when an expression is rejected at construction.

use crate::common::{customers, sales};
use xorq_core::*;

fn message(r: Result<Table>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_columns_name_the_column_the_context_and_the_closest() {
    let s = sales();
    insta::assert_snapshot!(message(s.filter(col("amuont").gt(lit(100)))), @r"
    no column `amuont` in Filter input; did you mean `amount`?
    available columns: `order_id`, `region`, `amount`, `qty`, `price`, `day`, `ts`, `customer_id`, `note`
    ");
    insta::assert_snapshot!(message(s.select(["regoin"])), @r"
    no column `regoin` in Select input; did you mean `region`?
    available columns: `order_id`, `region`, `amount`, `qty`, `price`, `day`, `ts`, `customer_id`, `note`
    ");
    insta::assert_snapshot!(message(s.group_by(["zone"]).agg([col("amount").sum()])), @r"
    no column `zone` in Group by input
    available columns: `order_id`, `region`, `amount`, `qty`, `price`, `day`, `ts`, `customer_id`, `note`
    ");
    insta::assert_snapshot!(message(s.drop(["Note"])), @r"
    no column `Note` in Drop input; did you mean `note`?
    available columns: `order_id`, `region`, `amount`, `qty`, `price`, `day`, `ts`, `customer_id`, `note`
    ");
    insta::assert_snapshot!(message(s.join(&customers(), JoinKind::Inner, [("customer_id", "cust_id")])), @r"
    no column `cust_id` in Join keys (right side)
    available columns: `customer_id`, `name`, `region`, `since`
    ");
}

#[test]
fn type_errors_name_both_types() {
    let s = sales();
    insta::assert_snapshot!(message(s.group_by(["region"]).agg([col("note").sum()])), @r"
    type error in Aggregate input: `sum` cannot take `String`
    hint: sum needs a numeric column; cast it first if it holds numbers as text
    ");
    insta::assert_snapshot!(message(s.filter(col("day").gt(lit(true)))), @"type error in Filter input: `>` cannot take `Date` and `Boolean`");
    insta::assert_snapshot!(message(s.filter(col("qty").eq(lit(true)))), @r#"
    type error in Filter input: `=` cannot take `Int32` and `Boolean`
    hint: cast one side, e.g. `col("x").cast(DataType::Int64)`
    "#);
    insta::assert_snapshot!(message(s.select([(col("region") + lit(1)).alias("x")])), @"type error in Select input: `+` cannot take `String` and `Int64`");
    insta::assert_snapshot!(message(s.filter(col("amount"))), @"Filter input needs a Boolean predicate, got `Float64`");
    insta::assert_snapshot!(message(s.select([col("day").cast(DataType::Boolean)])), @"cannot cast `Date` to `Boolean` in Select input");
}

#[test]
fn misplaced_aggregates_and_windows_explain_the_fix() {
    let s = sales();
    insta::assert_snapshot!(message(s.filter(col("amount").sum().gt(lit(1)))), @r"
    aggregate `sum` cannot be used in Filter input
    hint: aggregate with `group_by(...).agg(...)`, or evaluate it per row with `.over(Window::new())`
    ");
    insta::assert_snapshot!(message(s.group_by(["region"]).agg([col("amount")])), @r"
    column `amount` in aggregate `amount` is not aggregated
    hint: wrap it in an aggregate such as `.sum()` or `.first()`, or add it to `group_by`
    ");
    insta::assert_snapshot!(message(s.mutate([row_number()])), @"Mutate input: `row_number` needs a window: add `.over(Window::new().order_by([...]))`");
    insta::assert_snapshot!(message(s.select([col("amount"), col("amount")])), @r"
    duplicate column name `amount` in Select output
    hint: give one of them another name with `.alias(...)`
    ");
}

#[test]
fn set_operations_and_joins_check_their_inputs() {
    let s = sales();
    let c = customers();
    insta::assert_snapshot!(message(s.select(["region", "amount"]).and_then(|a| a.union(&c.select(["region", "customer_id"])?))), @r"
    union inputs have different schemas: column 2 is `amount: Float64` in the first input and `customer_id: Int64` in the second
    hint: rename or cast so both inputs have the same columns
    ");
    insta::assert_snapshot!(message(s.join_where(&c, JoinKind::Inner, (), col("region").eq(lit("EU")))), @r#"
    column `region` in Join predicate exists on both sides of the join
    hint: write `lcol("region")` or `rcol("region")`
    "#);
    insta::assert_snapshot!(message(s.join(&c, JoinKind::Inner, [("amount", "since")])), @r"
    type error in Join keys `amount` = `since`: `=` cannot take `Float64` and `Date`
    hint: cast one key so both sides have comparable types
    ");
}

#[test]
fn invalid_constants_fail_where_they_are_used() {
    let s = sales();
    insta::assert_snapshot!(message(s.filter(col("day").gt(lit_date("2024-13-01")))), @"Filter input: `2024-13-01` is not a date of the form YYYY-MM-DD (input is out of range)");
    insta::assert_snapshot!(message(s.filter(col("qty").gt(param("n", DataType::Int8).with_default(1000)))), @"literal 1000 does not fit type `Int8`");
}
