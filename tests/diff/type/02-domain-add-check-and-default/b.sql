CREATE DOMAIN code AS text DEFAULT 'x' CONSTRAINT code_short CHECK (length(VALUE) < 10);
