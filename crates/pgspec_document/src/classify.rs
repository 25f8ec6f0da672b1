//! Whether a code block is SQL: by its language tag, or for untagged blocks by its content.

/// Info-string languages that mean PostgreSQL SQL.
pub(crate) const SQL_LANGS: &[&str] = &[
    "sql",
    "postgres",
    "postgresql",
    "plpgsql",
    "psql",
    "pgsql",
    "pg",
];

/// Info-string languages of other systems' SQL. A design document carries its schema in the
/// dialect it was first written in (a ```mysql block from an earlier system): its statements are
/// read and applied like the rest, where the dialect fixes rewrite them, never silently left out.
pub(crate) const OTHER_SQL_LANGS: &[&str] = &[
    "mysql",
    "mariadb",
    "tsql",
    "mssql",
    "sqlserver",
    "sqlite",
    "sqlite3",
    "plsql",
    "oracle",
    "ddl",
];

/// Languages whose blocks may well start like SQL and are not (Redis's `SET key value`), or
/// that pgspec reads as schema sources of their own.
const NOT_SQL_LANGS: &[&str] = &[
    "redis",
    "mermaid",
    "dbml",
    "dbdiagram",
    "prisma",
    "plantuml",
    "puml",
    "cypher",
    "sparql",
    "graphql",
    "kql",
    "promql",
    "logql",
    "cql",
];

/// Whether a block is tagged with a language that is not SQL and still holds what reads as SQL
/// (a ```text or ```sh block of `CREATE TABLE …;`): its statements are not applied, which the
/// document should know.
pub(crate) fn sql_in_other_block(block: &crate::CodeBlock) -> bool {
    !block.is_sql
        && !block.lang.is_empty()
        && !NOT_SQL_LANGS.contains(&block.lang.as_str())
        && (looks_like_sql(&block.code) || psql_heredoc(&block.code).is_some())
}

/// The first line of SQL a shell block feeds psql through a here-document (`psql "$URL"
/// <<'SQL'` … `SQL`), when that text reads as SQL: setup steps that create the design's tables
/// are SQL pgspec does not apply.
pub(crate) fn psql_heredoc(code: &str) -> Option<&str> {
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let runs_psql = words.iter().any(|w| *w == "psql" || w.ends_with("/psql"));
        let Some(marker) = line.split_once("<<").map(|(_, m)| m) else {
            continue;
        };
        if !runs_psql {
            continue;
        }
        let marker = marker
            .trim_start_matches(['-', '~'])
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(['\'', '"']);
        if marker.is_empty() || !marker.chars().all(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != marker).collect();
        let text = body.join("\n");
        if looks_like_sql(&text) {
            return body
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty() && !l.starts_with("--"));
        }
    }
    None
}

/// Words a SQL statement of a design document starts with.
const STATEMENT_KEYWORDS: &[&str] = &[
    "CREATE", "ALTER", "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "DROP", "GRANT", "COMMENT",
    "DO", "BEGIN", "EXPLAIN", "SET", "REVOKE", "TRUNCATE", "VACUUM", "ANALYZE", "REFRESH", "CALL",
    "COMMIT", "ROLLBACK",
];

/// Words that follow CREATE / ALTER / DROP in a real statement (as opposed to prose such as
/// "Create a user for the app").
const DDL_OBJECTS: &[&str] = &[
    "OR",
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "UNIQUE",
    "MATERIALIZED",
    "TABLE",
    "INDEX",
    "VIEW",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "SCHEMA",
    "EXTENSION",
    "TYPE",
    "SEQUENCE",
    "ROLE",
    "USER",
    "POLICY",
    "DOMAIN",
    "DATABASE",
    "AGGREGATE",
    "RULE",
    "PUBLICATION",
    "SUBSCRIPTION",
    "COLLATION",
    "OPERATOR",
    "CAST",
    "SERVER",
    "FOREIGN",
    "EVENT",
    "STATISTICS",
    "TEXT",
    "DEFAULT",
    "CONSTRAINT",
    "GLOBAL",
    "LOCAL",
    "RECURSIVE",
    "IF",
    "CONVERSION",
    "TABLESPACE",
    "OWNED",
];

/// Whether a block tagged `lang` (lowercase, possibly empty) holding `code` is SQL.
pub(crate) fn is_sql(lang: &str, code: &str) -> bool {
    if SQL_LANGS.contains(&lang) || OTHER_SQL_LANGS.contains(&lang) {
        return true;
    }
    lang.is_empty() && looks_like_sql(code)
}

/// Heuristic for untagged blocks: the first line that is not blank or a comment starts with a
/// statement keyword, and the block either terminates a statement with `;` or has an
/// unmistakably SQL shape (`CREATE TABLE`, `INSERT INTO`, `SELECT … FROM`). ASCII-art trees and
/// prose never start with a keyword followed by such a shape.
pub(crate) fn looks_like_sql(code: &str) -> bool {
    let Some(first) = first_code_line(code) else {
        return false;
    };
    if !first.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return false;
    }
    let mut words = first
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    let Some(keyword) = words.next().map(str::to_ascii_uppercase) else {
        return false;
    };
    if !STATEMENT_KEYWORDS.contains(&keyword.as_str()) {
        return false;
    }
    if code.lines().any(|l| l.trim_end().ends_with(';')) {
        return true;
    }
    let second = words
        .next()
        .map(str::to_ascii_uppercase)
        .unwrap_or_default();
    let upper = code.to_ascii_uppercase();
    let has_word = |w: &str| {
        upper
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|x| x == w)
    };
    match keyword.as_str() {
        "CREATE" | "ALTER" | "DROP" => DDL_OBJECTS.contains(&second.as_str()),
        "INSERT" => second == "INTO",
        "DELETE" => second == "FROM",
        "SELECT" => has_word("FROM"),
        "WITH" => upper.contains(" AS (") || upper.contains(" AS("),
        "UPDATE" => has_word("SET"),
        _ => false,
    }
}

/// The first line that is neither blank nor inside a `--` or `/* */` comment, trimmed.
pub(crate) fn first_code_line(code: &str) -> Option<&str> {
    let mut in_block_comment = false;
    for line in code.lines() {
        let mut rest = line.trim();
        loop {
            if in_block_comment {
                match rest.find("*/") {
                    Some(end) => {
                        in_block_comment = false;
                        rest = rest[end + 2..].trim_start();
                    }
                    None => {
                        rest = "";
                        break;
                    }
                }
            } else if let Some(after) = rest.strip_prefix("/*") {
                in_block_comment = true;
                rest = after;
            } else {
                break;
            }
        }
        if rest.is_empty() || rest.starts_with("--") {
            continue;
        }
        return Some(rest);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_blocks_follow_the_tag() {
        for lang in SQL_LANGS.iter().chain(OTHER_SQL_LANGS) {
            assert!(is_sql(lang, "whatever"));
        }
        assert!(!is_sql("typescript", "CREATE TABLE t (id int);"));
        assert!(!is_sql("bash", "psql -c 'SELECT 1;'"));
    }

    #[test]
    fn sql_in_a_block_of_another_language_is_told() {
        let block = |lang: &str, code: &str| crate::CodeBlock {
            lang: lang.into(),
            is_sql: is_sql(lang, code),
            fence: crate::TextRange::empty(0),
            code: code.into(),
            source_map: crate::SourceMap {
                segments: Vec::new(),
            },
            closed: true,
            transcript: false,
        };
        assert!(sql_in_other_block(&block(
            "text",
            "CREATE TABLE t (id int);"
        )));
        assert!(sql_in_other_block(&block(
            "sh",
            "INSERT INTO t VALUES (1);"
        )));
        // SQL blocks are read; Redis and schema languages are not SQL; prose is not.
        assert!(!sql_in_other_block(&block(
            "sql",
            "CREATE TABLE t (id int);"
        )));
        assert!(!sql_in_other_block(&block(
            "mysql",
            "CREATE TABLE t (id int);"
        )));
        assert!(!sql_in_other_block(&block("redis", "SET k 1;\nDEL k;")));
        assert!(!sql_in_other_block(&block(
            "text",
            "Create a user for the app."
        )));
        assert!(!sql_in_other_block(&block("", "CREATE TABLE t (id int);")));
    }

    #[test]
    fn untagged_sql_is_recognised() {
        assert!(is_sql("", "-- users\nCREATE TABLE users (id int);"));
        assert!(is_sql("", "/* header\n comment */\ncreate index on t (a)"));
        assert!(is_sql("", "SELECT id\nFROM users\nWHERE id = 1"));
        assert!(is_sql("", "INSERT INTO t VALUES (1)"));
        assert!(is_sql("", "BEGIN;\nCOMMIT;"));
    }

    #[test]
    fn untagged_prose_and_diagrams_are_not_sql() {
        assert!(!is_sql(
            "",
            "Master Key (KMS)\n└── Data Encryption Key (DEK)\n    ├── PII DEK"
        ));
        assert!(!is_sql(
            "",
            "Create a user for the application\nthen grant it access"
        ));
        assert!(!is_sql("", "users ──< orders ──< order_items"));
        assert!(!is_sql("", ""));
        assert!(!is_sql("", "-- only a comment"));
        assert!(!is_sql("", "Update the config and restart"));
    }
}
