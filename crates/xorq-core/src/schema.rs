//! Ordered, named, typed columns: the output schema every node knows from construction.

use std::fmt;
use std::sync::Arc;

use arrow_schema::{Field as ArrowField, Schema as ArrowSchema};

use crate::error::{CoreError, Result};
use crate::types::DataType;

/// One named, typed column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Column name, exactly as it appears in the data.
    pub name: String,
    /// Logical type.
    pub dtype: DataType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
}

impl Field {
    /// A new field.
    pub fn new(name: impl Into<String>, dtype: DataType, nullable: bool) -> Self {
        Field { name: name.into(), dtype, nullable }
    }
}

/// The columns of a relation, in order. Names are unique.
///
/// ```
/// use xorq_core::{DataType, Field, Schema};
/// let s = Schema::new(vec![
///     Field::new("region", DataType::String, true),
///     Field::new("amount", DataType::Float64, true),
/// ]).unwrap();
/// let err = s.field_or_err("amuont", "Filter input").unwrap_err();
/// assert!(err.to_string().contains("did you mean `amount`?"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schema {
    fields: Vec<Field>,
}

/// Shared schema.
pub type SchemaRef = Arc<Schema>;

impl Schema {
    /// A schema from fields; fails on a repeated name.
    pub fn new(fields: Vec<Field>) -> Result<Self> {
        Self::new_in(fields, "schema")
    }

    /// Like [`Schema::new`], naming `context` in the duplicate-name error.
    pub fn new_in(fields: Vec<Field>, context: &str) -> Result<Self> {
        for (i, f) in fields.iter().enumerate() {
            if fields[..i].iter().any(|g| g.name == f.name) {
                return Err(CoreError::DuplicateColumn { column: f.name.clone(), context: context.to_string() });
            }
        }
        Ok(Schema { fields })
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no columns.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Position of the column called `name`, if any.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field called `name`, or an error listing the columns and the closest one.
    pub fn field_or_err(&self, name: &str, context: &str) -> Result<&Field> {
        self.field(name).ok_or_else(|| CoreError::column_not_found(name, context, self.names()))
    }

    /// The Arrow schema of this logical schema.
    pub fn to_arrow(&self) -> ArrowSchema {
        ArrowSchema::new(
            self.fields.iter().map(|f| ArrowField::new(&f.name, f.dtype.to_arrow(), f.nullable)).collect::<Vec<_>>(),
        )
    }

    /// The logical schema of an Arrow schema.
    pub fn from_arrow(schema: &ArrowSchema) -> Result<Self> {
        let fields = schema
            .fields()
            .iter()
            .map(|f| Ok(Field::new(f.name().clone(), DataType::from_arrow(f.name(), f.data_type())?, f.is_nullable())))
            .collect::<Result<Vec<_>>>()?;
        Schema::new(fields)
    }

    /// Whether names and types agree (nullability ignored).
    pub fn same_columns(&self, other: &Schema) -> bool {
        self.fields.len() == other.fields.len()
            && self.fields.iter().zip(&other.fields).all(|(a, b)| a.name == b.name && a.dtype == b.dtype)
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {}", field.name, field.dtype)?;
            if !field.nullable {
                f.write_str(" not null")?;
            }
        }
        Ok(())
    }
}
