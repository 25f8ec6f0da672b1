//! Roles told by the cells when the header's words are not ones pgspec knows: a column table
//! written in a language (or a house style) beyond the header vocabulary is still a list of
//! names, PostgreSQL types and constraints.

use super::rows::{column_name, split_type};
use super::{Cell, Role};
use crate::model::normalize_type;
use crate::notes::{parse_notes, NoteFacts};

/// Rows a table needs before its cells are trusted to say what its columns hold.
const ROWS_TO_TELL: usize = 2;

/// Whether `hits` of `all` cells tell: at least three in five, and at least [`ROWS_TO_TELL`].
fn enough(hits: usize, all: usize) -> bool {
    hits >= ROWS_TO_TELL && hits * 5 >= all * 3
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
    if !roles.contains(&Role::Type) {
        let typed = unknown
            .iter()
            .map(|&k| {
                let cells = column(rows, k);
                let n = cells.iter().filter(|c| names_a_known_type(**c)).count();
                (k, n, cells.len())
            })
            .filter(|&(_, n, all)| enough(n, all))
            .max_by_key(|&(k, n, _)| (n, std::cmp::Reverse(k)));
        if let Some((k, _, _)) = typed {
            roles[k] = Role::Type;
        }
    }
    let Some(type_col) = roles.iter().position(|r| *r == Role::Type) else {
        return;
    };
    if !roles.iter().any(|r| matches!(r, Role::Name(_))) {
        // Names come before their types, and a table's column names differ (a type-mapping
        // table's `string`, `number` … repeat).
        let name_col = unknown.iter().copied().find(|&k| {
            k < type_col && {
                let cells = column(rows, k);
                let names: Vec<String> = cells
                    .iter()
                    .filter(|c| is_bare_name(**c))
                    .map(|c| c.text.trim().to_lowercase())
                    .collect();
                let mut distinct = names.clone();
                distinct.sort();
                distinct.dedup();
                enough(names.len(), cells.len()) && distinct.len() == names.len()
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
        let cells = column(rows, k);
        let stating = cells
            .iter()
            .filter(|c| parse_notes(c.text) != NoteFacts::default())
            .count();
        if enough(stating, cells.len()) {
            roles[k] = Role::Notes;
        }
    }
}
