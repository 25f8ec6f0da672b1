CREATE FUNCTION is_email(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN s LIKE '%@%'; END $$;
CREATE DOMAIN email AS text CHECK (is_email(VALUE));
CREATE TABLE contacts (id int PRIMARY KEY, address email);
