CREATE TABLE stamped (created_at timestamptz DEFAULT now());
CREATE TABLE notes (body text) INHERITS (stamped);
ALTER TABLE notes ADD COLUMN revision integer;
