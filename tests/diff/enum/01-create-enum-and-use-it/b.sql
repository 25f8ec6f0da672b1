CREATE TYPE priority AS ENUM ('low', 'high');
CREATE TABLE tickets (id int PRIMARY KEY, prio priority NOT NULL DEFAULT 'low');
