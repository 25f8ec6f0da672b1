//! Relationships a diagram draws as "one or more" (`CUSTOMER ||--|{ ORDER`, `ORDER }|--||
//! CUSTOMER`): every row of one side has at least one row of the other. `seed` gives every
//! parent a child, `verify` checks that it holds.

use crate::document::Document;
use crate::text::TextRange;

use super::model::{align_names, Cardinality};

/// "Every `parent` row has at least one `child` row", as a diagram draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredChild {
    /// Table names as the SQL spells them (lowercase, without schema).
    pub parent: String,
    pub child: String,
    /// The relationship statement.
    pub span: TextRange,
}

/// The "one or more" relationships of `doc`'s diagrams, their entity names aligned with the
/// tables the SQL creates (`sql_tables`: `CUSTOMER` → `customers`).
pub fn required_children(doc: &Document, sql_tables: &[String]) -> Vec<RequiredChild> {
    let (mut schema, _) = super::from_document(doc);
    align_names(&mut schema, sql_tables);
    let bare = |n: &str| n.rsplit('.').next().unwrap_or(n).to_lowercase();
    let mut out = Vec::new();
    for r in &schema.relationships {
        // The symbol next to an entity says how many of it one row of the other relates to.
        if r.right_card == Cardinality::OneOrMore && r.left != r.right {
            out.push(RequiredChild {
                parent: bare(&r.left),
                child: bare(&r.right),
                span: r.span,
            });
        }
        if r.left_card == Cardinality::OneOrMore && r.left != r.right {
            out.push(RequiredChild {
                parent: bare(&r.right),
                child: bare(&r.left),
                span: r.span,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_or_more_ends_name_the_parent_and_its_required_children() {
        let text = "# Shop\n\n```mermaid\nerDiagram\n    CUSTOMER ||--o{ ORDER : places\n    ORDER ||--|{ ORDER_ITEM : contains\n    INVOICE_LINE }|--|| INVOICE : \"belongs to\"\n```\n";
        let (doc, _) = crate::document::read(text.as_bytes());
        let tables: Vec<String> = [
            "customers",
            "orders",
            "order_items",
            "invoices",
            "invoice_lines",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let found: Vec<(String, String)> = required_children(&doc, &tables)
            .into_iter()
            .map(|r| (r.parent, r.child))
            .collect();
        assert_eq!(
            found,
            vec![
                ("orders".to_string(), "order_items".to_string()),
                ("invoices".to_string(), "invoice_lines".to_string()),
            ]
        );
    }
}
