CREATE TABLE t (slot int);
