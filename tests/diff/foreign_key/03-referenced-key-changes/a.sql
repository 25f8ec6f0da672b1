CREATE TABLE p (id int, code text, CONSTRAINT p_key UNIQUE (id));
CREATE TABLE c (p_id int REFERENCES p (id));
