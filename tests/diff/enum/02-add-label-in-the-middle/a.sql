CREATE TYPE stage AS ENUM ('todo', 'done');
