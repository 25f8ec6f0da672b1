//! `--format sarif` validates against the SARIF 2.1.0 JSON schema (vendored from the OASIS
//! sarif-spec repository, tests/fixtures/sarif-schema-2.1.0.json) with a small draft-04
//! validator: type, enum, required, properties, additionalProperties, items, minItems,
//! uniqueItems, minimum, anyOf, oneOf and local `$ref`s. `pattern` and `format` are not checked.

use std::process::Command;

use serde_json::Value;

use crate::postgres::shared_cluster;

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sarif-schema-2.1.0.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON")
}

fn type_ok(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn validate(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/definitions/");
        validate(root, &root["definitions"][name], value, path, errors);
        return;
    }
    match &schema["type"] {
        Value::String(t) if !type_ok(value, t) => errors.push(format!("{path}: not a {t}")),
        Value::Array(ts)
            if !ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| type_ok(value, t))) =>
        {
            errors.push(format!("{path}: none of {ts:?}"));
        }
        _ => {}
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            errors.push(format!("{path}: {value} not in {options:?}"));
        }
    }
    if let Some(min) = schema["minimum"].as_f64() {
        if value.as_f64().is_some_and(|v| v < min) {
            errors.push(format!("{path}: {value} < {min}"));
        }
    }
    if let Some(any) = schema["anyOf"].as_array() {
        let ok = any.iter().any(|s| {
            let mut e = Vec::new();
            validate(root, s, value, path, &mut e);
            e.is_empty()
        });
        if !ok {
            errors.push(format!("{path}: matches no anyOf branch"));
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let matching = one
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                validate(root, s, value, path, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{path}: matches {matching} oneOf branches"));
        }
    }
    if let Value::Object(obj) = value {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap_or_default();
            if !obj.contains_key(req) {
                errors.push(format!("{path}: missing required `{req}`"));
            }
        }
        for (k, v) in obj {
            let sub = format!("{path}.{k}");
            match schema["properties"].get(k) {
                Some(s) => validate(root, s, v, &sub, errors),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) if schema.get("properties").is_some() => {
                        errors.push(format!("{sub}: property not allowed"));
                    }
                    s @ Value::Object(_) => validate(root, s, v, &sub, errors),
                    _ => {}
                },
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(min) = schema["minItems"].as_u64() {
            if (items.len() as u64) < min {
                errors.push(format!("{path}: fewer than {min} items"));
            }
        }
        if schema["uniqueItems"].as_bool() == Some(true) {
            for (i, a) in items.iter().enumerate() {
                if items[..i].contains(a) {
                    errors.push(format!("{path}[{i}]: duplicate item"));
                }
            }
        }
        if schema["items"].is_object() {
            for (i, item) in items.iter().enumerate() {
                validate(
                    root,
                    &schema["items"],
                    item,
                    &format!("{path}[{i}]"),
                    errors,
                );
            }
        }
    }
}

fn errors_of(log: &Value) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, log, "$", &mut errors);
    errors
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let bad = serde_json::json!({"version": "2.0.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal", "message": {"text": "x"}}]}], "extra": 1});
    let errors = errors_of(&bad);
    for part in [
        "$.version",
        "$.extra",
        "driver: missing required `name`",
        "results[0].level",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(part)),
            "{part} not in {errors:#?}"
        );
    }
}

#[test]
fn check_format_sarif_validates_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.md");
    std::fs::write(
        &path,
        "# Doc\n\n```sql\nCREATE TABLE t (id bigint PRIMARY KEY, at timestamp, s text CHECK (s IN ('a')));\nUPDATE t SET s = 'b' WHERE id = $1;\nCREATE INDEX ON missing_table (x);\n```\n\n```ts\nawait redis.del(`t:*`);\n```\n",
    )
    .expect("write");
    let url = shared_cluster().url("postgres");
    for command in ["check", "lint"] {
        let _guard = crate::check::seed_lock();
        let out = Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args([
                command,
                "--format",
                "sarif",
                "--db",
                &url,
                &path.display().to_string(),
            ])
            .output()
            .expect("run pgspec");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
        let errors = errors_of(&log);
        assert!(errors.is_empty(), "{command}: {errors:#?}");
        let results = log["runs"][0]["results"].as_array().expect("results");
        let ids: Vec<&str> = results
            .iter()
            .filter_map(|r| r["ruleId"].as_str())
            .collect();
        for id in ["LNT101", "LNT404", "LNT601"] {
            assert!(ids.contains(&id), "{command}: {id} not in {ids:?}");
        }
        assert_eq!(
            ids.contains(&"PG001"),
            command == "check",
            "{command}: {ids:?}"
        );
        let lnt101 = results
            .iter()
            .find(|r| r["ruleId"] == "LNT101")
            .expect("LNT101");
        assert_eq!(
            lnt101["locations"][0]["physicalLocation"]["region"]["startLine"],
            5
        );
    }
}

#[test]
fn lint_findings_go_through_github_annotations_and_rule_explains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.md");
    std::fs::write(
        &path,
        "# Doc\n\n```sql\nCREATE TABLE t (id bigint PRIMARY KEY, at timestamp);\n```\n",
    )
    .expect("write");
    let url = shared_cluster().url("postgres");
    let out = {
        let _guard = crate::check::seed_lock();
        Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args([
                "lint",
                "--format",
                "github",
                "--fail-on",
                "warning",
                "--db",
                &url,
                &path.display().to_string(),
            ])
            .output()
            .expect("run pgspec")
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(",line=4,") && stdout.contains("title=LNT404 prefer-timestamptz"),
        "{stdout}"
    );
    let rule = Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(["rule", "LNT404"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&rule.stdout);
    assert!(
        text.contains("## Why is this bad?") && text.contains("squawk"),
        "{text}"
    );
    let list = Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(["rule"])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).lines().count(),
        pgspec::lint::Rule::ALL.len()
    );
    let unknown = Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(["rule", "LNT999"])
        .output()
        .expect("run");
    assert_eq!(unknown.status.code(), Some(2));
}
