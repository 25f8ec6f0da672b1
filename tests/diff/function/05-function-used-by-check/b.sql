CREATE FUNCTION is_code(c text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$SELECT c ~ '^[A-Z]+$'$$;
CREATE TABLE t (code text CHECK (is_code(code)));
