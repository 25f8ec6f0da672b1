mod check;
mod cli;
mod document;
mod postgres;
mod sql;
