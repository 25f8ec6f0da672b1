CREATE TABLE t (id int PRIMARY KEY, legacy text);
