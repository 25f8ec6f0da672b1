CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE stock (id int PRIMARY KEY, qty positive_int);
