CREATE TABLE events (at date, v int) PARTITION BY RANGE (at);
