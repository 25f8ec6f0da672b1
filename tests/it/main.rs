mod postgres;
mod document;
mod sql;
