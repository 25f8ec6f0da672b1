//! Design documents of kinds the corpus did not have (schema per tenant with dynamic PL/pgSQL,
//! job queues, full-text search, extensions that are not installable here): what broke on
//! them, end to end on a real PostgreSQL.

use pgspec::check::StatementStatus;
use pgspec::document::Document;

use crate::check::check_bytes;

fn line_of(doc: &Document, needle: &str) -> u32 {
    let at = doc
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in document"));
    doc.line_index.line(u32::try_from(at).expect("small"))
}

/// pgvector's `hnsw` index is left out by assumption (pgvector is not installable here): a
/// statement that needs the index is a cascade of that statement, not an error saying no
/// statement of the document creates it.
#[test]
fn a_statement_needing_an_index_left_out_by_assumption_is_its_cascade() {
    let text = "# Vectors\n\n```sql\n\
        CREATE EXTENSION IF NOT EXISTS vector;\n\
        CREATE TABLE songs (id bigint PRIMARY KEY, embedding vector(3) NOT NULL);\n\
        CREATE INDEX songs_embedding_hnsw ON songs USING hnsw (embedding vector_cosine_ops);\n\
        COMMENT ON INDEX songs_embedding_hnsw IS 'nearest songs';\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let index_line = line_of(&doc, "CREATE INDEX songs_embedding_hnsw");
    let comment_line = line_of(&doc, "COMMENT ON INDEX");
    let comment = report
        .statements
        .iter()
        .find(|s| s.line == comment_line)
        .expect("the comment statement");
    assert_eq!(comment.status, StatementStatus::Cascade, "{comment:?}");
    assert_eq!(comment.root_line, Some(index_line), "{comment:?}");
    assert!(
        !report.diagnostics.iter().any(|d| d
            .help
            .iter()
            .any(|h| h.contains("no statement of the document creates"))),
        "{:#?}",
        report.diagnostics
    );
}
