use super::*;

const SCHEMA: &str = r#"ActiveRecord::Schema[7.1].define(version: 2024_05_01_120000) do
  enable_extension "plpgsql"
  create_enum "post_state", ["draft", "published"]

  create_table "users", force: :cascade do |t|
    t.string "email", null: false
    t.string "name", limit: 80
    t.integer "role", limit: 2, default: 0, null: false
    t.boolean "admin", default: false
    t.timestamps
    t.index ["email"], name: "index_users_on_email", unique: true
  end

  create_table "posts", force: :cascade do |t|
    t.references "user", null: false, foreign_key: true
    t.bigint "editor_id"
    t.bigint "topic_id"
    t.string "title", null: false
    t.decimal "price", precision: 10, scale: 2, default: "0.0"
    t.string "tags", array: true
    t.enum "state", enum_type: "post_state", default: "draft", null: false
    t.enum "mood", enum_type: "x); DROP TABLE users; --"
    t.datetime "published_at", default: -> { "CURRENT_TIMESTAMP" }
    t.index ["title"], name: "index_posts_on_title_active", where: "(published_at IS NOT NULL)"
    t.check_constraint "price >= 0", name: "posts_price_check"
  end

  create_table "tags", id: :uuid, default: -> { "gen_random_uuid()" }, force: :cascade do |t|
    t.string "label", null: false
  end

  add_foreign_key "posts", "users", column: "editor_id", on_delete: :nullify
  add_foreign_key "posts", "topics"
  add_foreign_key "comments", "posts"
  add_foreign_key "posts", "categories"
end
"#;

fn column<'a>(reading: &'a Reading, table: &str, name: &str) -> &'a DocColumn {
    reading
        .tables
        .iter()
        .find(|t| t.name == table)
        .and_then(|t| t.columns.iter().find(|c| c.name == name))
        .unwrap_or_else(|| panic!("{table}.{name}"))
}

#[test]
fn tables_columns_and_keys_are_read_with_their_positions() {
    let reading = read(SCHEMA);
    let names: Vec<&str> = reading.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["users", "posts", "tags"]);
    let users = &reading.tables[0];
    assert_eq!(&SCHEMA[users.span.as_usize()], "users");
    let cols: Vec<(&str, Option<&str>, Option<bool>)> = users
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type.as_deref(), c.not_null))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", Some("bigserial"), Some(true)),
            ("email", Some("character varying"), Some(true)),
            ("name", Some("character varying(80)"), Some(false)),
            ("role", Some("smallint"), Some(true)),
            ("admin", Some("boolean"), Some(false)),
            (
                "created_at",
                Some("timestamp without time zone"),
                Some(true)
            ),
            (
                "updated_at",
                Some("timestamp without time zone"),
                Some(true)
            ),
        ]
    );
    assert!(users.columns[0].primary_key);
    let email = &users.columns[1];
    assert_eq!(&SCHEMA[email.span.as_usize()], "email");
    assert_eq!(&SCHEMA[email.type_span.as_usize()], "string");
    assert_eq!(users.columns[3].default.as_deref(), Some("0"));
    assert_eq!(users.keys.len(), 1);
    assert!(!users.keys[0].index && !users.keys[0].primary);
    assert_eq!(users.keys[0].columns, ["email"]);

    let user_id = column(&reading, "posts", "user_id");
    assert!(user_id.foreign_key && user_id.not_null == Some(true));
    assert_eq!(&SCHEMA[user_id.span.as_usize()], "user");
    let editor = column(&reading, "posts", "editor_id");
    assert_eq!(editor.references, Some(("users".to_string(), None)));
    assert_eq!(editor.on_delete.as_deref(), Some("SET NULL"));
    // Rails' column for a table named in the plural: `topic_id` for `topics`.
    let topic = column(&reading, "posts", "topic_id");
    assert_eq!(topic.references, Some(("topics".to_string(), None)));
    let price = column(&reading, "posts", "price");
    assert_eq!(price.pg_type.as_deref(), Some("numeric(10,2)"));
    assert_eq!(price.default.as_deref(), Some("'0.0'"));
    let tags = column(&reading, "posts", "tags");
    assert_eq!(tags.pg_type.as_deref(), Some("character varying[]"));
    let state = column(&reading, "posts", "state");
    assert_eq!(state.pg_type.as_deref(), Some("post_state"));
    assert_eq!(reading.enums[0].name, "post_state");
    assert_eq!(reading.enums[0].values, ["draft", "published"]);
    let id = column(&reading, "tags", "id");
    assert_eq!(id.pg_type.as_deref(), Some("uuid"));
    assert_eq!(id.default.as_deref(), Some("gen_random_uuid()"));
}

#[test]
fn lines_it_cannot_build_are_problems_at_their_line() {
    let reading = read(SCHEMA);
    let lines: Vec<&str> = reading
        .problems
        .iter()
        .map(|p| &SCHEMA[p.range.as_usize()])
        .collect();
    assert_eq!(
        lines,
        [
            "t.enum \"mood\", enum_type: \"x); DROP TABLE users; --\"",
            "t.datetime \"published_at\", default: -> { \"CURRENT_TIMESTAMP\" }",
            "t.index [\"title\"], name: \"index_posts_on_title_active\", where: \"(published_at IS NOT NULL)\"",
            "t.check_constraint \"price >= 0\", name: \"posts_price_check\"",
            "add_foreign_key \"comments\", \"posts\"",
            "add_foreign_key \"posts\", \"categories\"",
        ]
    );
    assert!(reading.problems[5]
        .message
        .contains("no column `category_id`"));
    assert!(reading.problems[2].message.contains("partial index"));
}

#[test]
fn only_ruby_blocks_with_create_table_are_schemas_and_keep_document_positions() {
    let text = format!(
        "# Blog\n\n```ruby\n{SCHEMA}```\n\n```ruby\nclass User < ApplicationRecord\n  has_many :posts\nend\n```\n\n```text\n{SCHEMA}```\n"
    );
    let (doc, _) = crate::document::read(text.as_bytes());
    let reading = from_document(&doc);
    assert_eq!(reading.tables.len(), 3);
    let users = &reading.tables[0];
    assert_eq!(&text[users.span.as_usize()], "users");
    assert_eq!(
        &text[reading.problems[3].range.as_usize()][..18],
        "t.check_constraint"
    );
}

#[test]
fn odd_input_never_panics() {
    for text in [
        "create_table \"",
        "create_table \"x\" do |t|\n t.\n t.string\n t.string \"\n t.index [\"a\"\n t.references\nend",
        "create_table \"é\", id: false do |t|\n  t.integer \"ü\", limit: \nend\nadd_foreign_key \"é\"",
        "create_table \"x\", primary_key: [\"a\", \"b\"] do |t|\n t.decimal \"a\", precision: x\nadd_foreign_key",
    ] {
        let _ = read(text);
    }
}
