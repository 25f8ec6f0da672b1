//! Sequences (identity sequences are their columns' business): options, ownership.

use pgspec_postgres::catalog::{OwnedBy, Sequence};

use crate::names::{ident, qualified};
use crate::{Phase, Planner};

fn standalone(s: &Sequence) -> bool {
    !s.owned_by.as_ref().is_some_and(|o| o.identity)
}

fn owner(o: Option<&OwnedBy>) -> String {
    match o {
        Some(o) => format!("{}.{}", qualified(&o.schema, &o.table), ident(&o.column)),
        None => "NONE".to_string(),
    }
}

pub(crate) fn diff(p: &mut Planner<'_>) {
    let to = p.to;
    for s in to.sequences.iter().filter(|s| standalone(s)) {
        let name = qualified(&s.schema, &s.name);
        let existing = p
            .from
            .sequences
            .iter()
            .find(|f| f.schema == s.schema && f.name == s.name && standalone(f))
            .cloned();
        match &existing {
            None => p.push(
                Phase::Sequences,
                format!(
                    "CREATE SEQUENCE {name} AS {} {}",
                    s.data_type,
                    crate::columns::sequence_options(s)
                ),
            ),
            Some(f) => {
                let mut changes = Vec::new();
                if f.data_type != s.data_type {
                    changes.push(format!("AS {}", s.data_type));
                }
                if f.increment != s.increment {
                    changes.push(format!("INCREMENT BY {}", s.increment));
                }
                if f.min != s.min {
                    changes.push(format!("MINVALUE {}", s.min));
                }
                if f.max != s.max {
                    changes.push(format!("MAXVALUE {}", s.max));
                }
                if f.start != s.start {
                    changes.push(format!("START WITH {}", s.start));
                }
                if f.cache != s.cache {
                    changes.push(format!("CACHE {}", s.cache));
                }
                if f.cycle != s.cycle {
                    changes.push(if s.cycle { "CYCLE" } else { "NO CYCLE" }.to_string());
                }
                if !changes.is_empty() {
                    p.push(
                        Phase::Sequences,
                        format!("ALTER SEQUENCE {name} {}", changes.join(" ")),
                    );
                }
            }
        }
        let mut before = existing.as_ref().and_then(|f| f.owned_by.clone());
        // A sequence whose owning table or column goes away would go with it: it is released
        // first, and owned again below.
        let owner_goes = before.as_ref().is_some_and(|o| {
            to.table(&o.schema, &o.table)
                .is_none_or(|t| t.column(&o.column).is_none())
        });
        if owner_goes && before != s.owned_by {
            p.push(
                Phase::DropViews,
                format!("ALTER SEQUENCE {name} OWNED BY NONE"),
            );
            before = None;
        }
        if before.as_ref() != s.owned_by.as_ref() {
            p.push(
                Phase::SequenceOwners,
                format!(
                    "ALTER SEQUENCE {name} OWNED BY {}",
                    owner(s.owned_by.as_ref())
                ),
            );
        }
    }
    for f in p.from.sequences.iter().filter(|s| standalone(s)) {
        if to
            .sequences
            .iter()
            .any(|s| s.schema == f.schema && s.name == f.name)
        {
            continue;
        }
        // A sequence owned by a column that goes away goes with it.
        let goes_with_owner = f.owned_by.as_ref().is_some_and(|o| {
            to.table(&o.schema, &o.table)
                .is_none_or(|t| t.column(&o.column).is_none())
        });
        if !goes_with_owner {
            crate::push_plain(
                &mut p.statements,
                Phase::DropSequences,
                format!("DROP SEQUENCE {}", qualified(&f.schema, &f.name)),
            );
        }
    }
}
