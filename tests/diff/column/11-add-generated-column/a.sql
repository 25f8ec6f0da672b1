CREATE TABLE t (price numeric, qty int);
