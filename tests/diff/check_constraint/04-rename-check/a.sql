CREATE TABLE t (qty int CONSTRAINT a CHECK (qty > 0));
