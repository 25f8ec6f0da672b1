CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE people (id int PRIMARY KEY, m mood DEFAULT 'ok', ms mood[]);
CREATE VIEW sad_people AS SELECT id FROM people WHERE m = 'sad';
