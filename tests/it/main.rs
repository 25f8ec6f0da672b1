mod check;
mod cli;
mod document;
mod postgres;
mod provision;
mod schema;
mod seed;
mod sql;
