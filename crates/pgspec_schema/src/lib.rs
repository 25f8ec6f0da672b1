//! Schema facts the document states outside SQL (ERD, column tables) and the model they share.
//!
//! [`erd`] reads mermaid `erDiagram` blocks, [`column_tables`] reads Markdown column tables and
//! prose column lists; both produce [`DocTable`]s of one [`DocSchema`], with types in
//! PostgreSQL's spelling ([`normalize_type`]). [`from_document`] runs both.

// Earlier stages under their stage names, so paths read `crate::sql::…` as they did when
// the stages were modules of one crate.
use pgspec_diagnostics as diagnostics;
use pgspec_diagnostics::text;
use pgspec_document as document;
use pgspec_postgres as postgres;
use pgspec_sql as sql;

pub mod class_diagram;
pub mod column_tables;
pub mod dbml;
pub mod drift;
pub mod erd;
pub mod merged;
pub mod model;
mod notes;
pub mod plantuml;
pub mod prisma;
pub mod psql_describe;
pub mod rails_schema;
pub mod required;
pub mod synth;

pub use model::{
    align_names, infer_references, normalize_type, Cardinality, DocColumn, DocEnum, DocIndex,
    DocRelationship, DocSchema, DocTable, SourceKind, StatedKey,
};

use crate::diagnostics::Diagnostic;
use crate::document::Document;

/// Everything the document says about its schema outside SQL: every ER diagram's entities and
/// relationships, every column table and prose column list, tables in document order. ERD001
/// reports diagram lines that cannot be read, ERD002 column tables or rows that cannot be read.
/// `FK` columns that name no target get one guessed by [`infer_references`] among the
/// document's non-SQL tables.
/// The tables `parse` reads from every block `is_block` takes (Prisma), in document
/// order, their ranges mapped from the block into the document.
fn tables_of_blocks(
    doc: &Document,
    is_block: fn(&document::CodeBlock) -> bool,
    parse: fn(&str) -> Vec<DocTable>,
) -> Vec<DocTable> {
    let mut tables = Vec::new();
    for block in doc.blocks.iter().filter(|b| is_block(b)) {
        for mut t in parse(&block.code) {
            t.map_ranges(|r| block.source_map.range_to_document(r));
            tables.push(t);
        }
    }
    tables
}

pub fn from_document(doc: &Document) -> (DocSchema, Vec<Diagnostic>) {
    let (mut tables, mut relationships, mut diagnostics) = erd::from_document(doc);
    let column_tables::Reading {
        tables: column_tables,
        indexes,
        enums,
        diagnostics: column_diagnostics,
    } = column_tables::from_document(doc);
    tables.extend(column_tables);
    for block in doc.blocks.iter().filter(|b| dbml::is_dbml_block(b)) {
        let (dbml_tables, problems) = dbml::parse_with_problems(&block.code);
        for mut t in dbml_tables {
            t.map_ranges(|r| block.source_map.range_to_document(r));
            tables.push(t);
        }
        diagnostics.extend(problems.into_iter().map(|p| {
            Diagnostic::new(
                diagnostics::Code::ErdSyntax,
                diagnostics::Category::Document,
                p.message,
                block.source_map.range_to_document(p.range),
            )
            .help(p.help)
        }));
    }
    let plantuml = plantuml::from_blocks(doc.blocks.iter());
    tables.extend(plantuml.tables);
    relationships.extend(plantuml.relationships);
    let plantuml_enums = plantuml.enums;
    diagnostics.extend(plantuml.problems.into_iter().map(|p| {
        Diagnostic::new(
            diagnostics::Code::ErdSyntax,
            diagnostics::Category::Document,
            p.message,
            p.range,
        )
        .help(p.help)
    }));
    let psql = psql_describe::from_document(doc);
    tables.extend(psql.tables);
    diagnostics.extend(psql.problems.into_iter().map(|p| {
        Diagnostic::new(
            diagnostics::Code::PsqlDescribeUnread,
            diagnostics::Category::Document,
            p.message,
            p.range,
        )
        .help(p.help)
    }));
    let rails = rails_schema::from_document(doc);
    tables.extend(rails.tables);
    let rails_enums = rails.enums;
    diagnostics.extend(rails.problems.into_iter().map(|p| {
        Diagnostic::new(
            diagnostics::Code::RailsSchemaUnread,
            diagnostics::Category::Document,
            p.message,
            p.range,
        )
        .help(p.help)
    }));
    tables.extend(tables_of_blocks(
        doc,
        prisma::is_prisma_block,
        prisma::parse,
    ));
    let (class_tables, class_relationships) = class_diagram::from_document(doc);
    tables.extend(class_tables);
    relationships.extend(class_relationships);
    // Document order, with a diagram's entities together at their block and in diagram order
    // (the sort is stable).
    let block_starts: Vec<u32> = doc.blocks.iter().map(|b| b.fence.start).collect();
    tables.sort_by_key(|t| match t.source {
        SourceKind::Erd
        | SourceKind::Dbml
        | SourceKind::PlantUml
        | SourceKind::Prisma
        | SourceKind::ClassDiagram
        | SourceKind::PsqlDescribe
        | SourceKind::RailsSchema => {
            let i = block_starts.partition_point(|&s| s <= t.span.start);
            i.checked_sub(1).map_or(t.span.start, |i| block_starts[i])
        }
        SourceKind::ColumnTable | SourceKind::Prose => t.span.start,
    });
    // A table guessed from a sentence gives way to any other description of it.
    let described: Vec<String> = tables
        .iter()
        .filter(|t| !t.inferred && t.defined)
        .map(|t| t.name.clone())
        .collect();
    tables.retain(|t| !t.inferred || !described.contains(&t.name));
    diagnostics.extend(column_diagnostics);
    diagnostics.sort_by_key(|d| d.primary.range.start);
    let mut indexes = indexes;
    indexes.extend(psql.indexes);
    let mut enums = enums;
    enums.extend(plantuml_enums);
    enums.extend(rails_enums);
    let mut schema = DocSchema {
        tables,
        relationships,
        indexes,
        enums,
    };
    infer_references(&mut schema, &[]);
    (schema, diagnostics)
}
