CREATE TABLE docs (id int, owner name);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs FOR SELECT USING (owner = current_user);
CREATE POLICY ins ON docs AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (owner = current_user);
