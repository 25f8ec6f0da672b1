CREATE TABLE tasks (id bigint PRIMARY KEY, queue text NOT NULL);
CREATE FUNCTION next_tasks(p_queue text) RETURNS SETOF tasks LANGUAGE sql STABLE AS 'SELECT * FROM tasks WHERE queue = p_queue';
CREATE FUNCTION task_label(t tasks) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT t.queue || t.id';
CREATE FUNCTION queue_size(p_queue text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN (SELECT count(*) FROM tasks WHERE queue = p_queue); END $$;
