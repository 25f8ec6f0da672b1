CREATE SCHEMA app;
CREATE TABLE app.event_rows (id bigint, kind text, at timestamptz);
CREATE VIEW app.events AS SELECT id, kind FROM app.event_rows;
CREATE VIEW app.recent AS SELECT * FROM app.events;
