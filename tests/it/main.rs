mod postgres;
mod document;
mod sql;
mod check;
mod cli;
