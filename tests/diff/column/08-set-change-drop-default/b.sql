CREATE TABLE t (a int, b int DEFAULT 3, c int DEFAULT 4);
