CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE people (id int PRIMARY KEY, m mood DEFAULT 'sad', ms mood[]);
CREATE VIEW sad_people AS SELECT id FROM people WHERE m = 'sad';
