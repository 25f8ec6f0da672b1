CREATE TABLE q (id int PRIMARY KEY, v text);
