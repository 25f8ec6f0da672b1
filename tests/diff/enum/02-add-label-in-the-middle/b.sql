CREATE TYPE stage AS ENUM ('todo', 'doing', 'done');
