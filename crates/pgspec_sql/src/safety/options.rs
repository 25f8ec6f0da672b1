//! Reading what a role statement says from its tree: the allowlisted role options
//! ([`RoleOptions`](super::RoleOptions)), role names and specifications, and the arguments of a
//! statement's option list (`DefElem`).

use pg_query::protobuf::{self, RoleSpecType};
use pg_query::NodeEnum;

use super::{RoleOptions, SUPERUSER_ATTRIBUTES};
use crate::quote::quote_literal;

/// The allowlisted options, and the superuser-only attributes that were left out.
pub(super) fn role_options(
    options: &[protobuf::Node],
    what: &str,
) -> Result<(RoleOptions, Vec<String>), String> {
    let mut out = RoleOptions::default();
    let mut dropped = Vec::new();
    for option in defelems(options) {
        let name = option.defname.as_str();
        if let Some((_, keyword)) = SUPERUSER_ATTRIBUTES.iter().find(|(n, _)| *n == name) {
            if bool_arg(option).unwrap_or(true) {
                dropped.push((*keyword).to_string());
            }
            continue;
        }
        match name {
            "canlogin" => out.login = bool_arg(option),
            "inherit" => out.inherit = bool_arg(option),
            "connectionlimit" => out.connection_limit = int_arg(option),
            "validUntil" => out.valid_until = string_arg(option),
            "password" => out.password = Some(string_arg(option)),
            "addroleto" => out.in_roles = spec_list(option, what)?,
            "rolemembers" => out.members = spec_list(option, what)?,
            "adminmembers" => out.admins = spec_list(option, what)?,
            "sysid" => {}
            other => return Err(format!("{what} option `{other}` is not one pgspec runs")),
        }
    }
    if let Some(role) = out
        .in_roles
        .iter()
        .chain(&out.members)
        .chain(&out.admins)
        .find(|r| r.starts_with("pg_"))
    {
        return Err(format!(
            "membership in the predefined role `{role}` gives the server's own powers"
        ));
    }
    Ok((out, dropped))
}

pub(super) fn spec_list(option: &protobuf::DefElem, what: &str) -> Result<Vec<String>, String> {
    match option.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::List(list)) => role_names(&list.items, what),
        _ => Err(format!("{what}: a role list pgspec cannot read")),
    }
}

pub(super) fn role_names(nodes: &[protobuf::Node], what: &str) -> Result<Vec<String>, String> {
    nodes
        .iter()
        .map(|n| match n.node.as_ref() {
            Some(NodeEnum::RoleSpec(spec)) => role_spec(Some(spec), what),
            _ => Err(format!("{what}: a role pgspec cannot read")),
        })
        .collect()
}

/// A role named by the statement. `CURRENT_USER`, `SESSION_USER`, `CURRENT_ROLE` and `PUBLIC`
/// are pgspec's own role or every role: refused.
pub(super) fn role_spec(spec: Option<&protobuf::RoleSpec>, what: &str) -> Result<String, String> {
    let Some(spec) = spec else {
        return Err(format!("{what} without a role"));
    };
    match RoleSpecType::try_from(spec.roletype) {
        Ok(RoleSpecType::RolespecCstring) => Ok(spec.rolename.clone()),
        Ok(RoleSpecType::RolespecPublic) => Err(format!("{what} PUBLIC: every role of the server")),
        _ => Err(format!(
            "{what} of the current user: that is pgspec's role for this database, not the document's"
        )),
    }
}

pub(super) fn defelems(nodes: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::DefElem> {
    nodes.iter().filter_map(|n| match n.node.as_ref() {
        Some(NodeEnum::DefElem(d)) => Some(&**d),
        _ => None,
    })
}

fn arg(option: &protobuf::DefElem) -> Option<&NodeEnum> {
    option.arg.as_ref().and_then(|a| a.node.as_ref())
}

pub(super) fn bool_arg(option: &protobuf::DefElem) -> Option<bool> {
    match arg(option)? {
        NodeEnum::Boolean(b) => Some(b.boolval),
        NodeEnum::Integer(i) => Some(i.ival != 0),
        NodeEnum::String(s) => Some(matches!(s.sval.as_str(), "true" | "on" | "1")),
        _ => None,
    }
}

fn int_arg(option: &protobuf::DefElem) -> Option<i32> {
    match arg(option)? {
        NodeEnum::Integer(i) => Some(i.ival),
        _ => None,
    }
}

pub(super) fn string_arg(option: &protobuf::DefElem) -> Option<String> {
    match arg(option)? {
        NodeEnum::String(s) => Some(s.sval.clone()),
        NodeEnum::Integer(i) => Some(i.ival.to_string()),
        NodeEnum::Float(f) => Some(f.fval.clone()),
        _ => None,
    }
}

/// A constant of a SET statement, as an SQL literal.
pub(super) fn constant(node: &protobuf::Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            protobuf::a_const::Val::Sval(s) => Some(quote_literal(&s.sval)),
            protobuf::a_const::Val::Ival(i) => Some(i.ival.to_string()),
            protobuf::a_const::Val::Fval(f) => {
                // A float's text is digits, sign, dot and exponent only; quote it anyway.
                Some(quote_literal(&f.fval))
            }
            protobuf::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            protobuf::a_const::Val::Bsval(_) => None,
        },
        _ => None,
    }
}
