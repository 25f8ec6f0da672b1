CREATE TABLE t (id int, v text);
