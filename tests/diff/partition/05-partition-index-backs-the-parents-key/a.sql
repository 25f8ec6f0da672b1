CREATE TABLE readings (sensor int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE ONLY readings ADD CONSTRAINT readings_key PRIMARY KEY (sensor, at);
CREATE UNIQUE INDEX readings_2026_key ON readings_2026 (sensor, at);
