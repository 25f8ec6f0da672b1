CREATE DOMAIN amount AS bigint;
