CREATE TABLE docs (id int, owner name);
CREATE POLICY own ON docs FOR UPDATE USING (owner = current_user) WITH CHECK (id > 0);
