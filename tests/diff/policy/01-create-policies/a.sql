CREATE TABLE docs (id int, owner name);
