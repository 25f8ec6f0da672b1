CREATE DOMAIN amount AS integer;
