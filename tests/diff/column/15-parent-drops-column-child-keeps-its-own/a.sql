CREATE TABLE stamped (created_at timestamptz DEFAULT now(), revision integer);
CREATE TABLE notes (body text) INHERITS (stamped);
