//! Functions and procedures.

use serde::Serialize;

/// A function or procedure of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Function {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub kind: FunctionKind,
    /// The signature's arguments, as pg_get_function_identity_arguments prints them
    /// (`uid uuid, n integer`).
    pub arguments: String,
    /// Input argument types (format_type) and names (empty where unnamed), in order.
    pub argument_types: Vec<String>,
    pub argument_names: Vec<String>,
    /// pg_get_function_result (`integer`, `SETOF orders`, `TABLE(…)`); `None` for a procedure.
    pub result: Option<String>,
    pub returns_trigger: bool,
    pub language: String,
    pub volatility: Volatility,
    pub security_definer: bool,
    pub strict: bool,
    /// `SET` options (`search_path=pg_catalog, public`).
    pub config: Vec<String>,
    /// The body (prosrc).
    pub body: String,
    pub comment: Option<String>,
    /// `CREATE OR REPLACE FUNCTION …` as pg_get_functiondef prints it (`None` for an
    /// aggregate, which it cannot print).
    pub definition: Option<String>,
    /// A SQL-standard body (`BEGIN ATOMIC … END` or `RETURN …`), parsed when it is created.
    pub sql_body: bool,
    /// The user's functions PostgreSQL records it depends on, `schema.name(arguments)`.
    pub uses_functions: Vec<String>,
    /// The relations PostgreSQL records it depends on (a SQL-standard body's), `schema.name`.
    pub uses_relations: Vec<String>,
}

/// `prokind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Aggregate,
    Window,
}

/// `provolatile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

impl Function {
    /// Whether a `SET search_path` option pins the function's search path.
    pub fn sets_search_path(&self) -> bool {
        self.config
            .iter()
            .any(|c| c.to_ascii_lowercase().starts_with("search_path="))
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Function>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/functions.sql"))?
        .iter()
        .map(|r| {
            let kind: String = r.get(3);
            let volatility: String = r.get(10);
            Function {
                oid: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                kind: match kind.as_str() {
                    "p" => FunctionKind::Procedure,
                    "a" => FunctionKind::Aggregate,
                    "w" => FunctionKind::Window,
                    _ => FunctionKind::Function,
                },
                arguments: r.get(4),
                argument_types: r.get(5),
                argument_names: r.get(6),
                result: r.get(7),
                returns_trigger: r.get(8),
                language: r.get(9),
                volatility: match volatility.as_str() {
                    "i" => Volatility::Immutable,
                    "s" => Volatility::Stable,
                    _ => Volatility::Volatile,
                },
                security_definer: r.get(11),
                strict: r.get(12),
                config: r.get(13),
                body: r.get(14),
                comment: r.get(15),
                definition: r.get(16),
                sql_body: r.get(17),
                uses_functions: r.get(18),
                uses_relations: r.get(19),
            }
        })
        .collect())
}
