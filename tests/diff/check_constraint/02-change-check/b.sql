CREATE TABLE t (qty int CONSTRAINT qty_ok CHECK (qty > 0));
