CREATE TABLE readings (sensor int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE ONLY readings ADD CONSTRAINT readings_key PRIMARY KEY (sensor, at);
CREATE UNIQUE INDEX readings_2026_key ON readings_2026 (sensor, at);
ALTER TABLE readings_2026 ADD CONSTRAINT readings_2026_key PRIMARY KEY USING INDEX readings_2026_key;
ALTER INDEX readings_key ATTACH PARTITION readings_2026_key;
