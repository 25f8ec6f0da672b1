CREATE SCHEMA old_stuff;
CREATE TABLE old_stuff.t (id int);
