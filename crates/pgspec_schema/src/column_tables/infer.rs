//! Roles told by the cells when the header's words are not ones pgspec knows: a column table
//! written in a language (or a house style) beyond the header vocabulary is still a list of
//! names, PostgreSQL types and constraints.

use super::rows::{column_name, split_type};
use super::{Cell, Role};
use crate::model::normalize_type;
use crate::notes::{parse_notes, NoteFacts};

/// Rows a table needs before its cells are trusted to say what its columns hold.
const ROWS_TO_TELL: usize = 2;

/// Whether at least three in five of `cells` (at least [`ROWS_TO_TELL`]) pass `test`.
fn mostly(cells: &[&str], test: impl Fn(&str) -> bool) -> bool {
    let hits = cells.iter().filter(|t| test(t)).count();
    hits >= ROWS_TO_TELL && hits * 5 >= cells.len() * 3
}

/// The non-empty cells of column `k`, with their ranges.
fn column<'a>(rows: &'a [Vec<Cell<'a>>], k: usize) -> Vec<Cell<'a>> {
    rows.iter()
        .filter_map(|r| r.get(k).copied())
        .filter(|c| !c.text.trim().is_empty())
        .collect()
}

fn names_a_known_type(cell: Cell<'_>) -> bool {
    split_type(cell).is_some_and(|(t, _, _)| normalize_type(&t).is_some())
}

fn is_bare_name(cell: Cell<'_>) -> bool {
    column_name(cell).is_some_and(|(_, _, rest)| rest.trim().is_empty())
}

/// Fill in the type, name and constraint roles a header left unknown ([`Role::Other`]).
/// Known roles are never changed.
pub(super) fn infer_roles(roles: &mut [Role], rows: &[Vec<Cell<'_>>]) {
    if rows.len() < ROWS_TO_TELL {
        return;
    }
    let unknown: Vec<usize> = (0..roles.len())
        .filter(|&k| roles[k] == Role::Other)
        .collect();
    let texts = |k: usize| -> Vec<Cell<'_>> { column(rows, k) };
    if !roles.contains(&Role::Type) {
        let typed = unknown
            .iter()
            .map(|&k| {
                let cells = texts(k);
                let n = cells.iter().filter(|c| names_a_known_type(**c)).count();
                (k, n, cells.len())
            })
            .filter(|&(_, n, all)| n >= ROWS_TO_TELL && n * 5 >= all * 3)
            .max_by_key(|&(k, n, _)| (n, std::cmp::Reverse(k)));
        if let Some((k, _, _)) = typed {
            roles[k] = Role::Type;
        }
    }
    let Some(type_col) = roles.iter().position(|r| *r == Role::Type) else {
        return;
    };
    if !roles.iter().any(|r| matches!(r, Role::Name(_))) {
        let name_col = unknown.iter().copied().find(|&k| {
            k != type_col && {
                let cells = texts(k);
                let flags: Vec<&str> = cells
                    .iter()
                    .filter(|c| is_bare_name(**c))
                    .map(|c| c.text)
                    .collect();
                flags.len() >= ROWS_TO_TELL && flags.len() * 5 >= cells.len() * 3
            }
        });
        if let Some(k) = name_col {
            roles[k] = Role::Name(false);
        }
    }
    for &k in &unknown {
        if roles[k] != Role::Other {
            continue;
        }
        let cells: Vec<&str> = texts(k).iter().map(|c| c.text).collect();
        if mostly(&cells, |t| parse_notes(t) != NoteFacts::default()) {
            roles[k] = Role::Notes;
        }
    }
}
