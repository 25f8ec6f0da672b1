//! Where the document's SQL creates each table as it is at the end, through the renames of a
//! migration log (`CREATE TABLE musteri …` then `ALTER TABLE musteri RENAME TO musteriler`,
//! `RENAME COLUMN agirlik_kg TO agirlik`) and its drops: the model, drift, seed and verify
//! point at the `CREATE TABLE` and the column's line in it, not at the rename.

use std::collections::HashMap;

use crate::tables::TableChange;
use crate::{ObjectKind, Statement, StatementKind};

/// Tables by their final (unqualified, lowercased) name.
#[derive(Debug, Default)]
pub struct Lineage {
    /// Final table name → index of the document statement that created it.
    creators: HashMap<String, usize>,
    /// (final table, final column) → the column's name in the `CREATE TABLE`.
    columns: HashMap<(String, String), String>,
    /// (final table, the column's name when added) → the `ALTER TABLE … ADD COLUMN` that added
    /// it: its statement and the byte offset of the column's definition in it.
    added: HashMap<(String, String), (usize, usize)>,
    /// Unqualified names whose creator so far is a table outside `public`: a later table of
    /// that name in `public` takes the unqualified name (as the catalog side gives it).
    outside_public: std::collections::HashSet<String>,
}

impl Lineage {
    /// Follow the document's own schema statements in order (generated ones left out).
    pub fn of(statements: &[Statement]) -> Lineage {
        let mut l = Lineage::default();
        for (i, s) in statements.iter().enumerate() {
            if s.generated().is_some() || !matches!(s.kind, StatementKind::Schema) {
                continue;
            }
            match s.table_change() {
                Some(TableChange::Renamed { from, to }) => {
                    let (from, to) = (from.to_lowercase(), to.to_lowercase());
                    let creator = l.creators.remove(&from).unwrap_or(i);
                    l.creators.entry(to.clone()).or_insert(creator);
                    let moved: Vec<_> = l
                        .columns
                        .keys()
                        .filter(|(t, _)| *t == from)
                        .cloned()
                        .collect();
                    for key in moved {
                        if let Some(origin) = l.columns.remove(&key) {
                            l.columns.insert((to.clone(), key.1), origin);
                        }
                    }
                    let moved: Vec<_> = l
                        .added
                        .keys()
                        .filter(|(t, _)| *t == from)
                        .cloned()
                        .collect();
                    for key in moved {
                        if let Some(at) = l.added.remove(&key) {
                            l.added.insert((to.clone(), key.1), at);
                        }
                    }
                    continue;
                }
                Some(TableChange::ColumnRenamed { table, from, to }) => {
                    let table = table.to_lowercase();
                    let origin = l
                        .columns
                        .remove(&(table.clone(), from.clone()))
                        .unwrap_or(from);
                    l.columns.insert((table, to), origin);
                    continue;
                }
                Some(TableChange::Dropped(names)) => {
                    for name in names {
                        let name = name.to_lowercase();
                        l.creators.remove(&name);
                        l.columns.retain(|(t, _), _| *t != name);
                        l.added.retain(|(t, _), _| *t != name);
                    }
                    continue;
                }
                None => {}
            }
            if let Some((table, columns)) = s.ast().and_then(crate::tables::added_columns_in) {
                for (column, at) in columns {
                    l.added
                        .entry((table.to_lowercase(), column))
                        .or_insert((i, at));
                }
            }
            for o in &s.facts.creates {
                if o.kind == ObjectKind::Relation {
                    let name = o.name.to_lowercase();
                    match o.schema.as_deref().map(str::to_lowercase) {
                        Some(schema) if schema != "public" => {
                            // The same name in several schemas (a schema per tenant): each
                            // also by its qualified name.
                            l.creators.entry(format!("{schema}.{name}")).or_insert(i);
                            if !l.creators.contains_key(&name) {
                                l.outside_public.insert(name.clone());
                            }
                            l.creators.entry(name).or_insert(i);
                        }
                        _ => {
                            if l.outside_public.remove(&name) {
                                l.creators.insert(name, i);
                            } else {
                                l.creators.entry(name).or_insert(i);
                            }
                        }
                    }
                }
            }
            if !s.facts.parses {
                // MySQL-isms (inline INDEX) keep the parser from reading the name; the server
                // may still have created the table after check's safe fix.
                if let Some(name) = crate::tables::written_table_name(&s.text) {
                    l.creators.entry(name.to_lowercase()).or_insert(i);
                }
            }
        }
        l
    }

    /// The statement that created the table now named `table`.
    pub fn creator(&self, table: &str) -> Option<usize> {
        self.creators.get(table).copied()
    }

    /// The name column `column` of table `table` had in the table's `CREATE TABLE`.
    pub fn original_column<'a>(&'a self, table: &str, column: &'a str) -> &'a str {
        self.columns
            .get(&(table.to_owned(), column.to_owned()))
            .map_or(column, String::as_str)
    }

    /// The `ALTER TABLE … ADD COLUMN` that added column `column` (its final name) to `table`:
    /// the statement's index and the offset of the column's definition in its text.
    pub fn added_column(&self, table: &str, column: &str) -> Option<(usize, usize)> {
        let original = self.original_column(table, column);
        self.added
            .get(&(table.to_owned(), original.to_owned()))
            .copied()
    }

    /// The final names of the tables the statements created, with their creators.
    pub fn tables(&self) -> impl Iterator<Item = (&str, usize)> {
        self.creators.iter().map(|(n, &i)| (n.as_str(), i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_logs_renames_and_drops_are_followed_to_the_create_table() {
        let sql = "CREATE TABLE musteri (id int PRIMARY KEY, tel text);\n\
                   CREATE TABLE eski (id int);\n\
                   ALTER TABLE musteri RENAME COLUMN tel TO telefon;\n\
                   ALTER TABLE musteri RENAME TO musteriler;\n\
                   ALTER TABLE musteriler RENAME COLUMN telefon TO gsm;\n\
                   CREATE VIEW musteri AS SELECT id FROM musteriler;\n\
                   DROP TABLE eski;";
        let (doc, _) = pgspec_document::read(format!("# T\n\n```sql\n{sql}\n```\n").as_bytes());
        let (statements, _) = crate::extract(&doc);
        let l = Lineage::of(&statements);
        assert_eq!(l.creator("musteriler"), Some(0));
        // The old name is free again: the view took it.
        assert_eq!(l.creator("musteri"), Some(5));
        assert_eq!(l.creator("eski"), None);
        assert_eq!(l.original_column("musteriler", "gsm"), "tel");
        assert_eq!(l.original_column("musteriler", "id"), "id");
    }

    #[test]
    fn a_column_an_alter_table_adds_is_found_at_its_definition_through_renames() {
        let sql = "CREATE TABLE c (id int PRIMARY KEY);\n\
                   ALTER TABLE c ADD COLUMN mail text, ADD COLUMN tel text;\n\
                   ALTER TABLE c RENAME COLUMN mail TO email;\n\
                   ALTER TABLE c RENAME TO customers;";
        let (doc, _) = pgspec_document::read(format!("# T\n\n```sql\n{sql}\n```\n").as_bytes());
        let (statements, _) = crate::extract(&doc);
        let l = Lineage::of(&statements);
        let (i, at) = l.added_column("customers", "email").expect("email added");
        assert_eq!(i, 1);
        assert!(statements[1].text[at..].starts_with("mail text"));
        let (_, at) = l.added_column("customers", "tel").expect("tel added");
        assert!(statements[1].text[at..].starts_with("tel text"));
        assert_eq!(l.added_column("customers", "id"), None);
    }
}
