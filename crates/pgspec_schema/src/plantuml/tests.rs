use super::*;

const DIAGRAM: &str = "@startuml
' the shop
entity \"Users\" as users {
  * id : bigint <<PK>>
  --
  * email : varchar(255) <<UK>>
  name : text
}

entity orders {
  * id : bigint <<PK>>
  * user_id : bigint <<FK>>
  placed_at : timestamptz
}

users ||--o{ orders
@enduml
";

#[test]
fn entities_and_attributes_are_read() {
    let tables = parse(DIAGRAM);
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["users", "orders"]);
    assert_eq!(&DIAGRAM[tables[0].span.as_usize()], "users");
    let cols: Vec<(&str, Option<&str>)> = tables[0]
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type.as_deref()))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", Some("bigint")),
            ("email", Some("character varying(255)")),
            ("name", Some("text"))
        ]
    );
    let email = &tables[0].columns[1];
    assert!(email.unique);
    assert_eq!(email.not_null, Some(true));
    assert_eq!(&DIAGRAM[email.span.as_usize()], "email");
    assert_eq!(&DIAGRAM[email.type_span.as_usize()], "varchar(255)");
    assert_eq!(tables[0].columns[2].not_null, None);
    let user_id = &tables[1].columns[1];
    assert!(user_id.foreign_key);
    assert!(tables[1].columns[0].primary_key);
}

#[test]
fn odd_input_never_panics() {
    for text in [
        "@startuml\nentity {\n",
        "entity \"x\n : \n}",
        "entity a {\n * : int\n \"q : int\n x :\n}",
        "class b as \"B\" {\n+ id : int [PK]\n}",
        "entity a {\n primary_key( : int\n <b : x\n ** : y\n not_null(unique(x : z\n}",
        "!define T(a) entity a\nT(\"x) {\n}\na \"1 -- \"* b\na }o-[#red -|| b",
        "/' open comment\nentity a {",
        "entity é {\n * ü : int <<é\n}\né }o--|| ü",
    ] {
        let _ = read(text);
    }
}

/// The diagram text of `span`.
fn at(code: &str, span: TextRange) -> &str {
    &code[span.as_usize()]
}

#[test]
fn relationships_are_read_in_both_notations_and_any_line_style() {
    use Cardinality::*;
    let code = "@startuml
entity \"Clientes\" as clientes {
  * id : bigint <<PK>>
}
entity pedidos {
  * id : bigint <<PK>>
}
\"Clientes\" ||--o{ pedidos : \"faz\"
pedidos }|-u-|| clientes
pedidos |o..o{ clientes
clientes \"1\" -- \"0..*\" pedidos
clientes \"0..1\" -[#red]-> \"1..*\" pedidos : tem
clientes -- pedidos
clientes \"1\" *-- \"many\" pedidos
pedidos \"0..*\" --> \"1\" clientes : pertenece
skinparam linetype ortho
@enduml
";
    let reading = read(code);
    type Row<'a> = (
        &'a str,
        Cardinality,
        &'a str,
        Cardinality,
        bool,
        Option<&'a str>,
    );
    let rels: Vec<Row> = reading
        .relationships
        .iter()
        .map(|r| {
            (
                r.left.as_str(),
                r.left_card,
                r.right.as_str(),
                r.right_card,
                r.identifying,
                r.label.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            (
                "clientes",
                ExactlyOne,
                "pedidos",
                ZeroOrMore,
                true,
                Some("faz")
            ),
            ("pedidos", OneOrMore, "clientes", ExactlyOne, true, None),
            ("pedidos", ZeroOrOne, "clientes", ZeroOrMore, false, None),
            ("clientes", ExactlyOne, "pedidos", ZeroOrMore, true, None),
            (
                "clientes",
                ZeroOrOne,
                "pedidos",
                OneOrMore,
                true,
                Some("tem")
            ),
            ("clientes", ExactlyOne, "pedidos", ZeroOrMore, true, None),
            (
                "pedidos",
                ZeroOrMore,
                "clientes",
                ExactlyOne,
                true,
                Some("pertenece")
            ),
        ]
    );
    assert_eq!(
        at(code, reading.relationships[1].span),
        "pedidos }|-u-|| clientes"
    );
}

#[test]
fn table_classes_and_header_macros_are_tables_plain_classes_are_not() {
    let code = "@startuml
!define Table(name,desc) class name as \"desc\" << (T,#FFAAAA) >>
!define tbl(x) entity \"**x**\" as x << (T, #56b8ff) >>
!define primary_key(x) <b><color:#b8861b><&key></color> x</b>
!define not_null(x) <u>x</u>
Table(kunden, \"kunden\\n(Kunden)\") {
  primary_key(id) : bigint
  not_null(unique(email)) : varchar(200)
}
tbl( lager ) {
  primary_key( id ): integer
}
class bestellungen <<table>> {
  + id : bigint <<PK>>
}
class \"Artikel\" as artikel << (T,#FFAAAA) >> {
  +id : integer [PK]
}
class Bestellung <<Entity>> {
  - id : BestellungId
  + aufgeben() : void
}
class Warenkorb {
  + id : bigint
  + leeren() : void
}
@enduml
";
    let tables = read(code).tables;
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["kunden", "lager", "bestellungen", "artikel"]);
    assert_eq!(at(code, tables[0].span), "kunden");
    assert_eq!(at(code, tables[1].span), "lager");
    let id = &tables[0].columns[0];
    assert!(id.primary_key);
    assert_eq!(at(code, id.span), "id");
    assert_eq!(at(code, id.type_span), "bigint");
    let email = &tables[0].columns[1];
    assert_eq!(email.name, "email");
    assert!(email.unique);
    assert_eq!(email.not_null, Some(true));
    assert_eq!(at(code, email.span), "email");
    assert!(tables[1].columns[0].primary_key);
    assert!(tables[3].columns[0].primary_key);
}

#[test]
fn attributes_without_a_colon_and_their_marks() {
    let code = "entity users {
  * id INT(11) UNSIGNED AUTO_INCREMENT (PK)
  * login_id: VARCHAR(45) <<UQ>>
  name [氏名] : varchar(60) -- 表示名
  age INT NOT NULL DEFAULT 0
  <b>org_id</b> : bigint <<FK>>
  score numeric(5,2),UK
  bio
  {field} nickname : text
  {method} touch() : void
  --
  INDEX idx_login login_id, age
}
";
    let reading = read(code);
    let t = &reading.tables[0];
    let cols: Vec<(&str, Option<&str>)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type.as_deref()))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", Some("serial")),
            ("login_id", Some("character varying(45)")),
            ("name", Some("character varying(60)")),
            ("age", Some("integer")),
            ("org_id", Some("bigint")),
            ("score", Some("numeric(5,2)")),
            ("bio", None),
            ("nickname", Some("text")),
        ]
    );
    assert!(t.columns[0].primary_key);
    assert_eq!(at(code, t.columns[0].type_span), "INT(11)");
    assert!(t.columns[1].unique);
    assert_eq!(t.columns[2].comment.as_deref(), Some("表示名"));
    assert_eq!(at(code, t.columns[2].type_span), "varchar(60)");
    assert_eq!(t.columns[3].not_null, Some(true));
    assert_eq!(t.columns[3].default.as_deref(), Some("0"));
    assert!(t.columns[4].foreign_key);
    assert_eq!(at(code, t.columns[4].span), "org_id");
    assert!(t.columns[5].unique);
    assert_eq!(at(code, t.columns[5].type_span), "numeric(5,2)");
    assert_eq!(t.keys.len(), 1);
    assert!(t.keys[0].index);
    assert_eq!(t.keys[0].columns, ["login_id", "age"]);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
}

#[test]
fn unreadable_lines_are_problems_at_their_line() {
    let code = "entity posts {
  * id : bigint <<PK>>
  *users.id <<FK>>
  INDEX nothing_here
}
";
    let reading = read(code);
    let lines: Vec<&str> = reading.problems.iter().map(|p| at(code, p.range)).collect();
    assert_eq!(lines, ["*users.id <<FK>>", "INDEX nothing_here"]);
    assert_eq!(reading.tables[0].columns.len(), 1);
}

#[test]
fn a_relationship_draws_the_key_of_the_column_that_names_the_other_side() {
    let code = "entity autores {
  * id : integer <<PK>>
}
entity livros {
  * id : bigint <<PK>>
  * autor_id : integer
  * editora_id : integer
}
entity kunden {
  * id : bigint <<PK>>
}
entity bestellungen {
  * id : bigint <<PK>>
  * kunde_id : bigint <<FK>>
}
livros }o--|| autores
bestellungen }o--|| kunden
@enduml
";
    let tables = read(code).tables;
    let livros = &tables[1];
    assert!(livros.columns[1].foreign_key);
    assert_eq!(livros.columns[1].references, Some(("autores".into(), None)));
    assert!(!livros.columns[2].foreign_key);
    assert_eq!(
        tables[3].columns[1].references,
        Some(("kunden".into(), None))
    );
}

#[test]
fn comments_notes_and_procedures_hide_what_they_hold() {
    let code = "@startuml
/' entity hidden {
  * id : int
} '/
note as N1
  entity noted {
  }
end note
note \"one line\" as N2
note left of shown : one line too
!procedure $t($n)
  entity $n {
  }
!endprocedure
entity shown { /' inline '/
  * id : int
}
@enduml
";
    let tables = read(code).tables;
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["shown"]);
}

#[test]
fn an_enum_block_is_a_list_of_values() {
    let code = "@startuml
enum \"Estado\" as EstadoCita {
  pendiente
  atendida : ya vino
  --
  cancelada = 3
}
entity citas {
  * estado : EstadoCita
}
@enduml
";
    let reading = read(code);
    assert_eq!(reading.enums.len(), 1);
    let e = &reading.enums[0];
    assert_eq!(e.name, "estadocita");
    assert!(e.declared);
    assert_eq!(e.values, ["pendiente", "atendida", "cancelada"]);
    assert_eq!(at(code, e.span), "EstadoCita");
    assert_eq!(reading.tables[0].columns[0].raw_type, "EstadoCita");
}

#[test]
fn multiplicities_between_application_classes_are_no_relationships() {
    let code = "@startuml
class Order {
  + total() : Money
}
class LineItem
entity invoices {
  * id : bigint <<PK>>
}
Order \"1\" *-- \"many\" LineItem
invoices \"1\" -- \"*\" Order
invoices ||--o{ payments
@enduml
";
    let reading = read(code);
    let rels: Vec<(&str, &str)> = reading
        .relationships
        .iter()
        .map(|r| (r.left.as_str(), r.right.as_str()))
        .collect();
    assert_eq!(rels, [("invoices", "payments")]);
}
