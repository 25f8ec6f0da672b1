use super::*;

fn refs(t: &str, c: Option<&str>) -> Option<(String, Option<String>)> {
    Some((t.to_string(), c.map(str::to_string)))
}

#[test]
fn keys_and_references() {
    let n = parse_notes("PK");
    assert!(n.primary_key && !n.foreign_key);
    let n = parse_notes("FK → users.id");
    assert!(n.foreign_key);
    assert_eq!(n.references, refs("users", Some("id")));
    assert_eq!(parse_notes("FK(users)").references, refs("users", None));
    assert_eq!(
        parse_notes("FK -> branches").references,
        refs("branches", None)
    );
    assert_eq!(
        parse_notes("references users(id) on delete cascade").references,
        refs("users", Some("id"))
    );
    assert_eq!(
        parse_notes("REFERENCES auth.users.id").references,
        refs("auth.users", Some("id"))
    );
    assert_eq!(
        parse_notes("FOREIGN KEY to auth.users").references,
        refs("auth.users", None)
    );
    assert_eq!(
        parse_notes("users.id 참조").references,
        refs("users", Some("id"))
    );
    assert_eq!(
        parse_notes("외래키: `orders`").references,
        refs("orders", None)
    );
    let n = parse_notes("FK nullable");
    assert!(n.foreign_key && n.references.is_none());
    assert_eq!(n.not_null, Some(false));
    assert_eq!(
        parse_notes("→ orders.id").references,
        refs("orders", Some("id"))
    );
    // A bare arrow to a single word is prose, not a reference.
    let n = parse_notes("maps -> something");
    assert!(!n.foreign_key && n.references.is_none());
    assert!(parse_notes("PK, FK").foreign_key);
    assert!(parse_notes("primary key").primary_key);
    assert!(parse_notes("기본키").primary_key);
    assert!(!parse_notes("primary contact").primary_key);
}

#[test]
fn unique_nullability_default() {
    assert!(parse_notes("unique.").unique);
    assert!(parse_notes("UK").unique);
    assert!(parse_notes("중복 불가").unique);
    assert!(!parse_notes("not unique").unique);
    assert_eq!(parse_notes("NOT NULL").not_null, Some(true));
    assert_eq!(parse_notes("필수").not_null, Some(true));
    assert_eq!(parse_notes("nullable for HQ users.").not_null, Some(false));
    assert_eq!(parse_notes("optional window.").not_null, Some(false));
    assert_eq!(parse_notes("NULL 허용").not_null, Some(false));
    assert_eq!(parse_notes("Argon2id.").not_null, None);
    assert_eq!(parse_notes("default true").default.as_deref(), Some("true"));
    assert_eq!(
        parse_notes("default Asia/Seoul.").default.as_deref(),
        Some("Asia/Seoul")
    );
    assert_eq!(
        parse_notes("DEFAULT now()").default.as_deref(),
        Some("now()")
    );
    assert_eq!(
        parse_notes("defaults to 'pending', set by trigger")
            .default
            .as_deref(),
        Some("'pending'")
    );
    assert_eq!(parse_notes("기본값: `0`").default.as_deref(), Some("0"));
    assert_eq!(
        parse_notes("default: gen_random_uuid()").default.as_deref(),
        Some("gen_random_uuid()")
    );
    assert_eq!(parse_notes("(default 1)").default.as_deref(), Some("1"));
    assert_eq!(parse_notes("no defaults here").default, None);
}

#[test]
fn japanese_and_chinese_notes() {
    let n = parse_notes("NOT NULL, FOREIGN KEY (users.id)");
    assert_eq!(n.references, refs("users", Some("id")));
    assert_eq!(n.not_null, Some(true));
    assert!(parse_notes("主キー").primary_key);
    assert!(parse_notes("主键，自增").primary_key);
    assert!(parse_notes("ユニーク制約").unique);
    assert!(parse_notes("唯一").unique);
    assert_eq!(parse_notes("NULL不可").not_null, Some(true));
    assert_eq!(parse_notes("NULL 可").not_null, Some(false));
    assert_eq!(parse_notes("非空").not_null, Some(true));
    assert_eq!(parse_notes("可为空").not_null, Some(false));
    assert_eq!(
        parse_notes("users.idを参照").references,
        refs("users", Some("id"))
    );
    assert_eq!(
        parse_notes("外键，关联 orders.id").references,
        refs("orders", Some("id"))
    );
    assert_eq!(
        parse_notes("外部キー（teams.id）").references,
        refs("teams", Some("id"))
    );
    assert_eq!(parse_notes("デフォルト値：0").default.as_deref(), Some("0"));
    assert_eq!(
        parse_notes("默认值为 now()").default.as_deref(),
        Some("now()")
    );
    assert_eq!(parse_notes("{NOT_NULL}").not_null, Some(true));
}

#[test]
fn enumerations() {
    let e = |s: &str| parse_notes(s).enum_values;
    assert_eq!(e("`ko` or `en`."), ["ko", "en"]);
    assert_eq!(e("OPEN / LOCKED."), ["OPEN", "LOCKED"]);
    assert_eq!(
        e("PENDING / SYNCED / CONFLICT / FAILED."),
        ["PENDING", "SYNCED", "CONFLICT", "FAILED"]
    );
    assert_eq!(e("'A', 'B', 'C'"), ["A", "B", "C"]);
    assert_eq!(
        e("one of active, inactive, banned"),
        ["active", "inactive", "banned"]
    );
    assert_eq!(e("enum: draft | published"), ["draft", "published"]);
    assert_eq!(
        e("(HQ_ADMIN, BRANCH_MANAGER, INSTALLER)"),
        ["HQ_ADMIN", "BRANCH_MANAGER", "INSTALLER"]
    );
    assert_eq!(e("UNREAD/READ"), ["UNREAD", "READ"]);
    assert_eq!(e("`a` 또는 `b`"), ["a", "b"]);
    // Examples and prose are not enumerations.
    assert!(e("e.g., C01, P01, A01.").is_empty());
    assert!(e("e.g., [\"aircon\", \"premium\"]").is_empty());
    assert!(e("Enum of manual states.").is_empty());
    assert!(e("PK, FK").is_empty());
    assert!(e("Uses SHA256, AES for keys").is_empty());
    assert!(e("matches manual \"부서코드\".").is_empty());
}

#[test]
fn tokens_keep_dotted_names_and_split_arrows() {
    assert_eq!(
        tokens("FK->users.id, non-null 'x'"),
        [
            Tok::Word("FK"),
            Tok::Punct('-'),
            Tok::Punct('>'),
            Tok::Word("users.id"),
            Tok::Punct(','),
            Tok::Word("non-null"),
            Tok::Quoted("x"),
        ]
    );
    assert_eq!(
        tokens("user's"),
        [Tok::Word("user"), Tok::Punct('\''), Tok::Word("s")]
    );
}

#[test]
fn european_and_russian_notes() {
    for (note, table, column) in [
        (
            "Fremdschlüssel → artikel.id, nicht null",
            "artikel",
            Some("id"),
        ),
        ("FK auf lagerorte.id", "lagerorte", Some("id")),
        (
            "clé étrangère vers formateurs.id, obligatoire",
            "formateurs",
            Some("id"),
        ),
        ("référence cours.id", "cours", Some("id")),
        ("clave foránea a clientes.id", "clientes", Some("id")),
        ("chave estrangeira para pedidos(id)", "pedidos", Some("id")),
        ("внешний ключ на tickets.id", "tickets", Some("id")),
    ] {
        let n = parse_notes(note);
        assert!(n.foreign_key, "{note}");
        assert_eq!(n.references, refs(table, column), "{note}");
    }
    for note in [
        "Primärschlüssel",
        "clé primaire",
        "Clave primaria",
        "chave primária",
        "первичный ключ",
    ] {
        assert!(parse_notes(note).primary_key, "{note}");
    }
    for (note, not_null) in [
        ("nicht null", Some(true)),
        ("obligatoire", Some(true)),
        ("non nul", Some(true)),
        ("obligatorio", Some(true)),
        ("não nulo", Some(true)),
        ("не null", Some(true)),
        ("обязательное", Some(true)),
        ("facultatif", Some(false)),
        ("opcional", Some(false)),
    ] {
        assert_eq!(parse_notes(note).not_null, not_null, "{note}");
    }
    assert!(parse_notes("eindeutig, nicht null").unique);
    assert!(parse_notes("уникальный").unique);
    assert!(!parse_notes("nicht eindeutig").unique);
    for (note, value) in [
        ("Standardwert: true", "true"),
        ("Standard: 'Stück'", "'Stück'"),
        ("valeur par défaut : 0", "0"),
        ("non nul, par défaut now()", "now()"),
        ("valor por defecto 'activo'", "'activo'"),
        ("По умолчанию 'new'", "'new'"),
        ("не null, по умолчанию now()", "now()"),
    ] {
        assert_eq!(parse_notes(note).default.as_deref(), Some(value), "{note}");
    }
    // `Standard` is a default only as a label.
    assert_eq!(parse_notes("Standard-Einheit des Artikels").default, None);
    assert_eq!(
        parse_notes("`Stück`, `kg` oder `m`").enum_values,
        ["Stück", "kg", "m"]
    );
    assert_eq!(
        parse_notes("`debutant`, `intermediaire` ou `avance`").enum_values,
        ["debutant", "intermediaire", "avance"]
    );
}

#[test]
fn auto_increment_is_read_but_not_every_identity() {
    assert!(parse_notes("auto_increment").auto_increment);
    assert!(parse_notes("PK, auto increment").auto_increment);
    assert!(parse_notes("generated always as identity").auto_increment);
    assert!(!parse_notes("the identity provider's user id").auto_increment);
}

#[test]
fn the_delete_action_of_a_reference() {
    let action = |t: &str| parse_notes(t).on_delete;
    assert_eq!(
        action("references users(id) on delete cascade").as_deref(),
        Some("CASCADE")
    );
    assert_eq!(
        action("FK → teams.id, ON DELETE SET NULL").as_deref(),
        Some("SET NULL")
    );
    assert_eq!(
        action("FK, on-delete: restrict").as_deref(),
        Some("RESTRICT")
    );
    assert_eq!(action("FK → users.id"), None);
    assert_eq!(action("deleted on delete of the user"), None);
}

#[test]
fn reference_words_between_marker_and_target_are_not_the_target() {
    for note in [
        "مفتاح أجنبي يشير إلى teachers.id",
        "कुंजी संदर्भ teachers.id",
        "FK อ้างอิง teachers.id",
        "främmande nyckel, refererar till teachers.id",
    ] {
        assert_eq!(
            parse_notes(note).references,
            refs("teachers", Some("id")),
            "{note}"
        );
    }
    // A Devanagari word with a virama is one word, not three.
    let toks = tokens("प्राथमिक कुंजी");
    assert_eq!(toks.len(), 2, "{toks:?}");
}
