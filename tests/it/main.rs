mod check;
mod cli;
mod document;
mod model;
mod postgres;
mod provision;
mod schema;
mod sql;
