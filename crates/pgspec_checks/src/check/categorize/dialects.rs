//! Helps for statements PostgreSQL's parser stops in, mostly written in another system's SQL:
//! what the statement is (MySQL's upsert, SQLite's trigger, a UNIQUE over an expression, …)
//! and how PostgreSQL writes it.

/// The help for a syntax error at the token `upper` (upper-cased) of a statement whose text,
/// upper-cased and trimmed, is `head`; None when the statement is no form pgspec knows.
pub(super) fn syntax_help(head: &str, upper: &str) -> Option<String> {
    let help = if (head.starts_with("UPDATE") || head.starts_with("DELETE")) && upper == "LIMIT" {
        "PostgreSQL has no `UPDATE/DELETE … LIMIT`; restrict the rows with `WHERE ctid IN (SELECT ctid FROM … LIMIT n)`"
    } else if head.starts_with("REPLACE")
        || upper == "DUPLICATE"
        || head.starts_with("INSERT OR REPLACE")
    {
        "this is another system's upsert (MySQL's `REPLACE INTO` and `ON DUPLICATE KEY UPDATE`, SQLite's `INSERT OR REPLACE`): PostgreSQL writes `INSERT … ON CONFLICT (key columns) DO UPDATE SET col = EXCLUDED.col`"
    } else if head.starts_with("ALTER") && matches!(upper, "MODIFY" | "CHANGE") {
        "this is MySQL's column change: `MODIFY [COLUMN] c type …` is PostgreSQL's `ALTER COLUMN c TYPE type` (with `SET`/`DROP NOT NULL` and `SET DEFAULT` as separate actions), and `CHANGE [COLUMN] old new type` is `RENAME COLUMN old TO new` (a statement of its own) then `ALTER COLUMN new TYPE type`"
    } else if head.starts_with("SELECT TOP") || head.starts_with("SELECT DISTINCT TOP") {
        "`SELECT TOP n` is SQL Server's: PostgreSQL writes `SELECT … LIMIT n` at the end (after `ORDER BY`)"
    } else if upper == "("
        && (head.starts_with("ALTER TABLE") || head.starts_with("CREATE TABLE"))
        && head.contains("UNIQUE")
    {
        "a UNIQUE constraint names columns only; to make an expression unique (`lower(email)`), create a unique index: `CREATE UNIQUE INDEX name ON table (lower(email));`"
    } else if upper == "WHERE"
        && (head.starts_with("ALTER TABLE") || head.starts_with("CREATE TABLE"))
        && head.contains("UNIQUE")
    {
        "a UNIQUE constraint has no WHERE; a rule that holds only for some rows is a partial unique index: `CREATE UNIQUE INDEX name ON table (columns) WHERE …;`"
    } else if head.contains("DETACH PARTITION") {
        "`DETACH PARTITION` belongs to the parent: `ALTER TABLE parent DETACH PARTITION child;`"
    } else if creates_trigger(head)
        && !head.contains("EXECUTE FUNCTION")
        && !head.contains("EXECUTE PROCEDURE")
    {
        "this trigger carries its body in the statement, as SQLite, MySQL and SQL Server write it; a PostgreSQL trigger runs a function: `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN …; RETURN NEW; END $$;` then `CREATE TRIGGER … FOR EACH ROW EXECUTE FUNCTION f();` (a trigger that sets a column of the row it fires for, such as `updated_at`, is a BEFORE trigger that assigns `NEW.updated_at := now()`: an AFTER trigger that updates its own table fires again on that update)"
    } else {
        return None;
    };
    Some(help.to_string())
}

/// `CREATE [OR REPLACE] [TEMP|TEMPORARY] [CONSTRAINT] TRIGGER …`, upper-cased.
fn creates_trigger(head: &str) -> bool {
    let mut words = head.split_whitespace();
    if words.next() != Some("CREATE") {
        return false;
    }
    words
        .find(|w| {
            !matches!(
                *w,
                "OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "CONSTRAINT" | "DEFINER"
            )
        })
        .is_some_and(|w| w == "TRIGGER")
}

#[cfg(test)]
mod tests {
    use super::syntax_help;

    #[test]
    fn triggers_with_their_body_inside_are_explained() {
        for (sql, token) in [
            // SQLite
            ("CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN UPDATE notes SET x = 1; END", "BEGIN"),
            // MySQL
            ("CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", "SET"),
            // SQL Server
            ("CREATE TRIGGER trg ON dbo.t AFTER INSERT AS BEGIN SELECT 1 END", "ON"),
        ] {
            let help = syntax_help(&sql.to_uppercase(), token).unwrap_or_default();
            assert!(help.contains("runs a function"), "{sql}: {help}");
        }
        let top = syntax_help("SELECT TOP 10 * FROM T ORDER BY QTY DESC", "10");
        assert!(top.is_some_and(|h| h.contains("LIMIT n")));
        // PostgreSQL's own form, stopped elsewhere, is not told it is another system's.
        let own = "CREATE TRIGGER t BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(,)";
        assert_eq!(syntax_help(own, ","), None);
        assert_eq!(syntax_help("CREATE TABLE trigger_log (id int", "INT"), None);
    }
}
