CREATE TABLE m (at date, v int) PARTITION BY RANGE (at);
