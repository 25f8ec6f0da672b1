//! Schema facts the document states outside SQL (ERD, column tables) and the model they share.
