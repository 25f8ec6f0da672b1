CREATE TABLE docs (id int, owner name);
CREATE POLICY own ON docs USING (owner = current_user);
