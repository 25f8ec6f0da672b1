CREATE TABLE t (price numeric, qty int, total numeric GENERATED ALWAYS AS (price * qty) STORED);
