CREATE TABLE events (at date, v int);
