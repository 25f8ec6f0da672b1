CREATE TABLE t (a int, changed timestamptz);
