//! `pgspec fix` on the seed documents: the diffs it proposes (snapshots), convergence, and what
//! `check` still reports afterwards (only behaviour-changing fixes and human decisions).

use std::process::Command;

use crate::postgres::shared_cluster;

fn pgspec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

fn seed_copy(dir: &tempfile::TempDir, prefix: &str) -> String {
    let source = crate::seed_file("original", prefix);
    let target = dir.path().join(format!("{prefix}.md"));
    std::fs::copy(&source, &target).expect("copy seed");
    target.display().to_string()
}

#[test]
fn seed_fix_diffs_snapshot() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    for seed in ["000", "001", "002", "003", "004"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let doc = seed_copy(&dir, seed);
        let out = pgspec(&["fix", "--unsafe", "--diff", "--db", &url, &doc]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let diff = String::from_utf8_lossy(&out.stdout).replace(&doc, "DOC");
        insta::assert_snapshot!(format!("fix_diff_{seed}"), diff);
    }
}

#[test]
fn fixed_seeds_keep_only_fixes_for_review_and_decisions_and_fix_converges() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    for seed in ["000", "001", "003", "004"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let doc = seed_copy(&dir, seed);
        let out = pgspec(&["fix", "--db", &url, &doc]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let once = std::fs::read(&doc).expect("read");
        let out = pgspec(&["fix", "--db", &url, &doc]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            once,
            std::fs::read(&doc).expect("read"),
            "seed {seed}: fix twice != fix once"
        );

        let out = pgspec(&["check", "--format", "json", "--db", &url, &doc]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let document = &json["documents"][0];
        for d in document["diagnostics"].as_array().expect("diagnostics") {
            assert_ne!(
                d["fix"]["applicability"], "safe",
                "seed {seed}: a safe fix is left after `fix`: {d}"
            );
        }
        // Every failed schema statement has a fix for review or says what a person must decide.
        let diagnostics = document["diagnostics"].as_array().expect("diagnostics");
        for s in document["statements"].as_array().expect("statements") {
            if s["status"] != "failed" || !matches!(s["kind"].as_str(), Some("schema" | "data")) {
                continue;
            }
            let has_review_fix = diagnostics.iter().any(|d| {
                d["line"].as_u64() >= s["line"].as_u64()
                    && d["line"].as_u64() <= s["end_line"].as_u64()
                    && d["fix"]["applicability"] == "unsafe"
            });
            assert!(
                has_review_fix || s["decision"].is_string(),
                "seed {seed}: {s} has neither a fix for review nor a decision"
            );
        }
    }
}

/// A plain `.sql` file is one SQL block at the file's own positions: `check` reports each
/// finding at its line of the file, and `fix` edits the file in place (no fence added).
#[test]
fn a_plain_sql_file_is_checked_and_fixed_at_its_own_lines() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("schema.sql");
    let original = "-- accounts and their sessions\n\
                    CREATE TABLE accounts (id int PRIMARY KEY);\n\
                    CREATE TABLE sessions (id int PRIMARY KEY, account_id int REFERENCES accounts, seen timestamp);\n\
                    CREATE INDEX sessions_recent ON sessions (account_id) WHERE seen > now();\n";
    std::fs::write(&path, original).expect("write");
    let doc = path.display().to_string();
    let out = pgspec(&["check", "--format", "json", "--db", &url, &doc]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let document = &json["documents"][0];
    assert_eq!(document["summary"]["statements"], 3, "{document}");
    let error = document["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["severity"] == "error"))
        .unwrap_or_else(|| panic!("the index predicate is an error: {document}"));
    assert_eq!(error["line"], 4, "{error}");
    let fixed = pgspec(&["fix", "--unsafe", "--db", &url, &doc]);
    assert_eq!(fixed.status.code(), Some(0), "{fixed:?}");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains("```"), "{text}");
    assert!(
        text.starts_with("-- accounts and their sessions\n"),
        "{text}"
    );
    assert!(
        text.contains("CREATE INDEX sessions_recent ON sessions (account_id);"),
        "{text}"
    );
}

/// A schema carried over from MySQL: `fix` rewrites its dialect, and the fixed file applies
/// with no error left, its rows and keys as the MySQL table meant them.
#[test]
fn a_mysql_schema_is_rewritten_and_then_applies() {
    let _guard = crate::check::seed_lock();
    let text = rewritten_then_applied(
        "shop.sql",
        "CREATE TABLE `customers` (\n  `id` INT(11) UNSIGNED NOT NULL AUTO_INCREMENT,\n  `email` VARCHAR(255) NOT NULL,\n  `is_vip` TINYINT(1) DEFAULT 0,\n  `created_at` DATETIME DEFAULT CURRENT_TIMESTAMP,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `uq_email` (`email`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
         CREATE TABLE orders (\n  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  customer_id INT UNSIGNED NOT NULL,\n  status ENUM('new','paid') NOT NULL DEFAULT 'new',\n  FOREIGN KEY (customer_id) REFERENCES customers(id),\n  INDEX idx_orders_customer (customer_id)\n);\n",
        2,
        &["`", "AUTO_INCREMENT", "UNSIGNED", "ENGINE", "TINYINT", "ENUM"],
    );
    assert!(
        text.contains("CREATE UNIQUE INDEX uq_email ON customers (email);"),
        "{text}"
    );
}

/// A schema carried over from SQL Server (`[names]`, `dbo.`, `IDENTITY(1,1)`, `BIT`,
/// `NVARCHAR(MAX)`, `NONCLUSTERED`, `ON [PRIMARY]`): `fix` rewrites it and the fixed file applies
/// with no error left.
#[test]
fn a_sql_server_schema_is_rewritten_and_then_applies() {
    let text = rewritten_then_applied(
        "inventory.sql",
        "CREATE TABLE [dbo].[Warehouses] (\n  [Id] UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),\n  [Name] NVARCHAR(200) NOT NULL,\n  [Notes] NVARCHAR(MAX) NULL,\n  [IsActive] BIT NOT NULL DEFAULT 1,\n  CONSTRAINT [PK_Warehouses] PRIMARY KEY CLUSTERED ([Id])\n) ON [PRIMARY];\n\
         CREATE TABLE dbo.Items (\n  ItemId INT IDENTITY(1,1) NOT NULL PRIMARY KEY,\n  WarehouseId UNIQUEIDENTIFIER NOT NULL REFERENCES dbo.Warehouses (Id),\n  Made DATETIME2(7) DEFAULT GETDATE()\n);\n\
         CREATE NONCLUSTERED INDEX [IX_Items_Warehouse] ON [dbo].[Items] ([WarehouseId]);\n",
        3,
        &["[", "dbo", "IDENTITY(", "BIT ", "NONCLUSTERED", "CLUSTERED", "PRIMARY]"],
    );
    assert!(
        text.contains("CREATE INDEX ix_items_warehouse ON items (warehouseid);"),
        "{text}"
    );
}

/// `sql` written to `file`: `check` finds `errors` errors, each with the dialect fix; `fix`
/// leaves none of `gone` and the fixed file checks with no error. The fixed text.
fn rewritten_then_applied(file: &str, sql: &str, errors: usize, gone: &[&str]) -> String {
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(file);
    std::fs::write(&path, sql).expect("write");
    let doc = path.display().to_string();
    let errors_of = |document: serde_json::Value| -> Vec<serde_json::Value> {
        document["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["severity"] == "error")
            .cloned()
            .collect()
    };
    let found = errors_of(checked(&url, &doc));
    assert_eq!(found.len(), errors, "{found:#?}");
    assert!(
        found.iter().all(|d| d["fix"]["title"]
            .as_str()
            .is_some_and(|t| t.contains("another system's dialect"))),
        "{found:#?}"
    );
    let fixed = pgspec(&["fix", "--db", &url, &doc]);
    assert_eq!(fixed.status.code(), Some(0), "{fixed:?}");
    let text = std::fs::read_to_string(&path).expect("read");
    for gone in gone {
        assert!(!text.contains(gone), "{gone} left in:\n{text}");
    }
    let left = errors_of(checked(&url, &doc));
    assert!(left.is_empty(), "{left:#?}\n{text}");
    text
}

/// A document whose tables are a DBML (dbdiagram.io) block: `check` builds them, with their
/// keys, references and enumerations, and a finding on a column points at its line.
#[test]
fn a_dbml_model_is_read_and_built() {
    let text = built_from_blocks(
        "blog.md",
        "# Blog\n\n```dbml\nEnum post_state {\n  draft\n  published\n}\n\nTable authors {\n  id bigint [pk, increment]\n  handle varchar(40) [not null, unique]\n}\n\nTable posts {\n  id bigint [pk, increment]\n  author_id bigint [not null, ref: > authors.id]\n  state post_state [not null, default: 'draft']\n  edited timestamp\n}\n```\n\n```sql\nCREATE INDEX posts_state_idx ON posts (state);\n```\n",
        3,
        "LNT404",
        18,
    );
    assert!(
        text.contains("author_id bigint NOT NULL REFERENCES authors (id)"),
        "{text}"
    );
    assert!(
        text.contains("CHECK (state IN ('draft', 'published'))"),
        "{text}"
    );
}

/// A Prisma schema is a schema source too: its models become the tables Prisma's PostgreSQL
/// connector makes (mapped names, `?` nullable, relations as foreign keys, an enum's values as
/// a CHECK, `@@index` as an index after the table), and a finding on a field points at its line.
#[test]
fn a_prisma_schema_is_read_and_built() {
    let text = built_from_blocks(
        "booking.md",
        "# Booking\n\n```prisma\nmodel Customer {\n  id       String    @id @default(uuid()) @db.Uuid\n  email    String    @unique\n  bookings Booking[]\n  @@map(\"customers\")\n}\n\nmodel Booking {\n  id         Int      @id @default(autoincrement())\n  customer   Customer @relation(fields: [customerId], references: [id])\n  customerId String   @map(\"customer_id\") @db.Uuid\n  state      State    @default(OPEN)\n  startsAt   DateTime @map(\"starts_at\")\n  note       String?\n  @@index([customerId])\n  @@map(\"bookings\")\n}\n\nenum State {\n  OPEN\n  CLOSED\n}\n```\n\n```sql\nCREATE INDEX bookings_starts_idx ON bookings (starts_at);\n```\n",
        4,
        "LNT404",
        16,
    );
    for expected in [
        "id uuid PRIMARY KEY",
        "email text NOT NULL UNIQUE",
        "customer_id uuid NOT NULL REFERENCES customers (id)",
        "CHECK (state IN ('OPEN', 'CLOSED'))",
        "starts_at timestamp(3) without time zone NOT NULL",
        "note text\n",
        "CREATE INDEX ON bookings (customer_id);",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
}

/// A PlantUML entity diagram is a schema source too: its entities become tables, `*` is NOT
/// NULL, `<<FK>>` a reference found by the column's name.
#[test]
fn a_plantuml_entity_diagram_is_read_and_built() {
    let text = built_from_blocks(
        "orders.md",
        "# 受注\n\n```plantuml\n@startuml\nentity \"顧客\" as customers {\n  * id : bigint <<PK>>\n  --\n  * email : varchar(255) <<UK>>\n}\n\nentity orders {\n  * id : bigint <<PK>>\n  * customer_id : bigint <<FK>>\n  placed : timestamp\n}\n\ncustomers ||--o{ orders\n@enduml\n```\n",
        2,
        "LNT404",
        14,
    );
    assert!(
        text.contains("customer_id bigint NOT NULL REFERENCES customers (id)"),
        "{text}"
    );
    assert!(
        text.contains("email character varying(255) NOT NULL UNIQUE"),
        "{text}"
    );
}

/// `check --format json` of `doc` on `url`: the document's report.
fn checked(url: &str, doc: &str) -> serde_json::Value {
    let out = pgspec(&["check", "--format", "json", "--db", url, doc]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    json["documents"][0].clone()
}

/// A document of schema-describing blocks checks with no error, and a finding of rule `code`
/// lands on `line`; returns what `pgspec sql` prints for it.
fn built_from_blocks(file: &str, text: &str, applied: u64, code: &str, line: u64) -> String {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(file);
    std::fs::write(&path, text).expect("write");
    let doc = path.display().to_string();
    let document = checked(&url, &doc);
    assert_eq!(document["summary"]["errors"], 0, "{document}");
    assert_eq!(document["summary"]["applied"], applied, "{document}");
    let finding = document["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == code))
        .unwrap_or_else(|| panic!("no {code} finding: {document}"));
    assert_eq!(finding["line"], line, "{finding}");
    let sql = pgspec(&["sql", "--db", &url, &doc]);
    String::from_utf8_lossy(&sql.stdout).into_owned()
}

#[test]
fn one_fix_run_applies_fixes_that_show_only_after_others_applied() {
    // The dialect fix makes `datetime` a `timestamp`; only then does LNT404 offer
    // `timestamptz`. One run applies both, and a second one finds nothing left.
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("mysql.md");
    std::fs::write(
        &doc,
        "# Orders\n\n```sql\nCREATE TABLE orders (\n  id int PRIMARY KEY,\n  created_at datetime NOT NULL\n);\n```\n",
    )
    .expect("write");
    let doc = doc.display().to_string();
    let out = pgspec(&["fix", "--unsafe", "--db", &url, &doc]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let once = std::fs::read_to_string(&doc).expect("read");
    assert!(once.contains("created_at timestamptz NOT NULL"), "{once}");
    let out = pgspec(&["fix", "--unsafe", "--db", &url, &doc]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read_to_string(&doc).expect("read"), once);
}
