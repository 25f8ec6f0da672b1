CREATE TABLE t (n integer DEFAULT 1);
