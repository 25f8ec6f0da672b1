CREATE TYPE size AS ENUM ('m');
