CREATE SCHEMA app;
CREATE TABLE app.events (id bigint, kind text);
CREATE VIEW app.recent AS SELECT * FROM app.events;
