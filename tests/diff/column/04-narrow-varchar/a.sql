CREATE TABLE t (name varchar(200));
