CREATE TABLE items (id int PRIMARY KEY, name text);
CREATE FUNCTION all_items() RETURNS SETOF items LANGUAGE sql STABLE AS 'SELECT * FROM items';
