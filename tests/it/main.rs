mod check;
mod cli;
mod document;
mod lint;
mod postgres;
mod provision;
mod schema;
mod sql;
