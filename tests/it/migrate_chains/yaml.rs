#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
    Text(String),
    Null,
}

impl Yaml {
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<String> {
        match self {
            Yaml::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn items(&self) -> Vec<Yaml> {
        match self {
            Yaml::List(items) => items.clone(),
            _ => Vec::new(),
        }
    }

    pub fn entries(&self) -> Vec<(&str, &Yaml)> {
        match self {
            Yaml::Map(entries) => entries.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            _ => Vec::new(),
        }
    }
}

/// A line: its indentation and its text (`None`: blank).
struct Line {
    indent: usize,
    text: Option<String>,
}

pub fn parse(source: &str) -> Yaml {
    let mut lines: Vec<Line> = source
        .lines()
        .map(|l| {
            let trimmed = l.trim_start();
            Line {
                indent: l.len() - trimmed.len(),
                text: (!trimmed.is_empty()).then(|| l.to_string()),
            }
        })
        .collect();
    let mut i = 0;
    skip_blank(&lines, &mut i);
    match lines.get(i).map(|l| l.indent) {
        Some(indent) => node(&mut lines, &mut i, indent),
        None => Yaml::Null,
    }
}

fn is_comment(l: &Line) -> bool {
    l.text
        .as_deref()
        .is_some_and(|t| t.trim_start().starts_with('#'))
}

fn skip_blank(lines: &[Line], i: &mut usize) {
    while *i < lines.len() && (lines[*i].text.is_none() || is_comment(&lines[*i])) {
        *i += 1;
    }
}

fn content(l: &Line) -> &str {
    l.text.as_deref().unwrap_or("").trim()
}

fn is_item(l: &Line) -> bool {
    let c = content(l);
    c == "-" || c.starts_with("- ")
}

/// The block at `indent` starting at line `i`.
fn node(lines: &mut [Line], i: &mut usize, indent: usize) -> Yaml {
    skip_blank(lines, i);
    if *i < lines.len() && is_item(&lines[*i]) {
        list(lines, i, indent)
    } else {
        map(lines, i, indent)
    }
}

fn list(lines: &mut [Line], i: &mut usize, indent: usize) -> Yaml {
    let mut items = Vec::new();
    loop {
        skip_blank(lines, i);
        if *i >= lines.len() || lines[*i].indent != indent || !is_item(&lines[*i]) {
            break;
        }
        let rest = content(&lines[*i])[1..].trim_start().to_string();
        if rest.is_empty() {
            *i += 1;
            skip_blank(lines, i);
            let child = lines.get(*i).map_or(indent + 2, |l| l.indent);
            items.push(node(lines, i, child));
        } else if key_value(&rest).is_some() {
            // `- key: value`: the item is a mapping starting on this line.
            let child = indent + 2;
            lines[*i] = Line {
                indent: child,
                text: Some(format!("{}{rest}", " ".repeat(child))),
            };
            items.push(map(lines, i, child));
        } else {
            items.push(scalar(&rest));
            *i += 1;
        }
    }
    Yaml::List(items)
}

/// `key: value` or `key:`, the key unquoted.
fn key_value(s: &str) -> Option<(String, String)> {
    if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = s[1..].find(q)? + 1;
        let rest = s[end + 1..].strip_prefix(':')?;
        return Some((s[1..end].to_string(), rest.trim().to_string()));
    }
    let (k, v) = match s.find(": ") {
        Some(p) => (&s[..p], &s[p + 2..]),
        None => (s.strip_suffix(':')?, ""),
    };
    (!k.is_empty() && !k.contains(' ')).then(|| (k.to_string(), v.trim().to_string()))
}

fn map(lines: &mut [Line], i: &mut usize, indent: usize) -> Yaml {
    let mut entries = Vec::new();
    loop {
        skip_blank(lines, i);
        if *i >= lines.len() || lines[*i].indent != indent || is_item(&lines[*i]) {
            break;
        }
        let Some((key, value)) = key_value(content(&lines[*i])) else {
            *i += 1;
            continue;
        };
        *i += 1;
        let v = if value.starts_with('|') || value.starts_with('>') {
            block_scalar(lines, i, indent)
        } else if value.is_empty() {
            skip_blank(lines, i);
            match lines.get(*i) {
                Some(l) if l.indent > indent => {
                    let child = l.indent;
                    node(lines, i, child)
                }
                // A sequence may sit at its key's indentation.
                Some(l) if l.indent == indent && is_item(l) => list(lines, i, indent),
                _ => Yaml::Null,
            }
        } else {
            scalar(&value)
        };
        entries.push((key, v));
    }
    Yaml::Map(entries)
}

/// The lines indented deeper than `indent` (blank ones included), without their common
/// indentation, each ending in a newline.
fn block_scalar(lines: &[Line], i: &mut usize, indent: usize) -> Yaml {
    let start = *i;
    while *i < lines.len() && (lines[*i].text.is_none() || lines[*i].indent > indent) {
        *i += 1;
    }
    let body = &lines[start..*i];
    let common = body
        .iter()
        .filter(|l| l.text.is_some())
        .map(|l| l.indent)
        .min()
        .unwrap_or(0);
    let mut text: String = body
        .iter()
        .map(|l| {
            l.text
                .as_deref()
                .map_or("", |t| t.get(common..).unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join("\n");
    text = text.trim_end_matches('\n').to_string();
    text.push('\n');
    Yaml::Text(text)
}

fn scalar(s: &str) -> Yaml {
    let s = s.trim();
    if s == "null" || s == "~" {
        return Yaml::Null;
    }
    if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Yaml::Text(inner.replace("''", "'"));
    }
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Yaml::Text(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Yaml::List(
            inner
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(scalar)
                .collect(),
        );
    }
    Yaml::Text(s.to_string())
}

#[test]
fn the_subset_the_peers_use_reads_as_yaml_does() {
    let y = parse(
        "# header\nops:\n  - create:\n      name: 'it''s'\n      cols: [a, b]\n      gone: null\n  - sql:\n      up: SELECT 1\nCase:\n  current: |\n    CREATE TABLE t (\n      id int\n    );\n\n  desired: \"\"\nlist:\n- x\n- y\n",
    );
    let ops = y.get("ops").expect("ops").items();
    let create = ops[0].get("create").expect("create");
    assert_eq!(
        create.get("name").and_then(Yaml::text).as_deref(),
        Some("it's")
    );
    assert_eq!(
        create.get("cols").map(Yaml::items).map(|l| l.len()),
        Some(2)
    );
    assert_eq!(create.get("gone"), Some(&Yaml::Null));
    assert_eq!(
        ops[1]
            .get("sql")
            .and_then(|s| s.get("up"))
            .and_then(Yaml::text)
            .as_deref(),
        Some("SELECT 1")
    );
    let case = y.get("Case").expect("case");
    assert_eq!(
        case.get("current").and_then(Yaml::text).as_deref(),
        Some("CREATE TABLE t (\n  id int\n);\n")
    );
    assert_eq!(
        case.get("desired").and_then(Yaml::text).as_deref(),
        Some("")
    );
    assert_eq!(y.get("list").map(Yaml::items).map(|l| l.len()), Some(2));
}
