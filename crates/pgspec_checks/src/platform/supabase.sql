-- pgspec compatibility shim for Supabase-only objects.
--
-- Runs as superuser, any number of times (IF NOT EXISTS / CREATE OR REPLACE / guarded DO
-- blocks). Each `-- pgspec:section <object>: <what>` line starts a part that pgspec runs as one
-- statement batch (one transaction) and reports as one action; the whole file is also a valid
-- psql script. Every object carries a comment starting with 'pgspec shim for Supabase:'.
-- Nothing here reaches the network: net.http_* only record the request.
--
-- "The database owner" below is the role that owns the current database: pgspec's app role
-- (which runs the document's SQL) in a pgspec scratch database, `postgres` on Supabase.

-- pgspec:section anon, authenticated, service_role: roles (NOLOGIN; service_role without BYPASSRLS: RLS policies apply to it here, unlike on Supabase)
DO $shim$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                -- Supabase gives service_role BYPASSRLS; that is a privilege pgspec does not
                -- hand out, so policies apply to it here.
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- another session created it meanwhile: roles are cluster-wide
            END;
        END IF;
    END LOOP;
END
$shim$;

-- pgspec:section schema public: default privileges in schema public for anon, authenticated, service_role, as on Supabase (RLS policies decide what they see)
DO $shim$
DECLARE
    owner name := (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database
                   WHERE datname = pg_catalog.current_database());
BEGIN
    GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
    -- Supabase grants these on every table in public; existing ones get them now, new ones
    -- through the database owner's default privileges.
    GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
    GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated, service_role;
    GRANT ALL ON ALL FUNCTIONS IN SCHEMA public TO anon, authenticated, service_role;
    EXECUTE pg_catalog.format(
        'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role', owner);
    EXECUTE pg_catalog.format(
        'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role', owner);
    EXECUTE pg_catalog.format(
        'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role', owner);
END
$shim$;

-- pgspec:section schema extensions: where Supabase installs extensions, on the database's search_path for new sessions
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO PUBLIC;
COMMENT ON SCHEMA extensions IS 'pgspec shim for Supabase: the schema Supabase installs extensions into';
-- Supabase's search_path includes `extensions`, so documents call extension functions
-- (gen_random_bytes, uuid_generate_v4) unqualified. Takes effect in new sessions.
DO $shim$
BEGIN
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET search_path = "$user", public, extensions',
                              pg_catalog.current_database());
END
$shim$;

-- pgspec:section schema auth: the schema of Supabase Auth
CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
COMMENT ON SCHEMA auth IS 'pgspec shim for Supabase: the schema of Supabase Auth (GoTrue)';

-- pgspec:section auth.users: the columns documents use, no GoTrue behaviour; ALL privileges for the database owner (foreign keys, triggers)
CREATE TABLE IF NOT EXISTS auth.users (
    instance_id uuid,
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    aud text,
    role text,
    email text UNIQUE,
    encrypted_password text,
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb DEFAULT '{}'::jsonb,
    raw_user_meta_data jsonb DEFAULT '{}'::jsonb,
    is_super_admin boolean,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    phone text UNIQUE,
    phone_confirmed_at timestamptz,
    banned_until timestamptz,
    deleted_at timestamptz,
    is_anonymous boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE auth.users IS 'pgspec shim for Supabase: the users of Supabase Auth; rows are inserted by hand here, nothing signs users up';
-- On Supabase the document's role (postgres) may reference auth.users and put triggers on it
-- (the usual "create a profile on sign-up" trigger); the database owner plays that role here.
DO $shim$
BEGIN
    EXECUTE pg_catalog.format('GRANT ALL ON TABLE auth.users TO %I',
        (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database
         WHERE datname = pg_catalog.current_database()));
END
$shim$;
GRANT ALL ON TABLE auth.users TO service_role;

-- pgspec:section auth.uid(), auth.role(), auth.email(), auth.jwt(): read the JWT claims PostgREST puts into request.jwt.claims (NULL / '{}' when unset)
-- PostgREST (9+) runs `set_config('request.jwt.claims', '<claims json>', true)` per request;
-- older versions set one `request.jwt.claim.<name>` per claim, which Supabase still honours.
-- After a transaction that set the claims ends, the setting is '' rather than NULL: nullif.
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE
AS $fn$
    SELECT nullif(
        coalesce(
            nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
            nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
        ), ''
    )::uuid
$fn$;
COMMENT ON FUNCTION auth.uid() IS 'pgspec shim for Supabase: the user id (claim sub) of the request, from request.jwt.claims; NULL when unset';

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
LANGUAGE sql STABLE
AS $fn$
    SELECT nullif(
        coalesce(
            nullif(pg_catalog.current_setting('request.jwt.claim.role', true), ''),
            nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
        ), ''
    )
$fn$;
COMMENT ON FUNCTION auth.role() IS 'pgspec shim for Supabase: the role claim of the request, from request.jwt.claims; NULL when unset';

CREATE OR REPLACE FUNCTION auth.email() RETURNS text
LANGUAGE sql STABLE
AS $fn$
    SELECT nullif(
        coalesce(
            nullif(pg_catalog.current_setting('request.jwt.claim.email', true), ''),
            nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'
        ), ''
    )
$fn$;
COMMENT ON FUNCTION auth.email() IS 'pgspec shim for Supabase: the email claim of the request, from request.jwt.claims; NULL when unset';

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
LANGUAGE sql STABLE
AS $fn$
    SELECT coalesce(
        nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
        nullif(pg_catalog.current_setting('request.jwt.claims', true), ''),
        '{}'
    )::jsonb
$fn$;
COMMENT ON FUNCTION auth.jwt() IS 'pgspec shim for Supabase: the JWT claims of the request (request.jwt.claims); ''{}'' when unset';

GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.email(), auth.jwt() TO PUBLIC;

-- pgspec:section publication supabase_realtime: empty, owned by the database owner so the document can ALTER PUBLICATION … ADD TABLE
DO $shim$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
        CREATE PUBLICATION supabase_realtime;
    END IF;
    EXECUTE pg_catalog.format('ALTER PUBLICATION supabase_realtime OWNER TO %I',
        (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database
         WHERE datname = pg_catalog.current_database()));
END
$shim$;
COMMENT ON PUBLICATION supabase_realtime IS 'pgspec shim for Supabase: the publication Supabase Realtime streams; nothing subscribes to it here';

-- pgspec:section schema net: net.http_get/http_post/http_delete record requests in net.http_request_queue and never send them
CREATE SCHEMA IF NOT EXISTS net;
GRANT USAGE ON SCHEMA net TO PUBLIC;
COMMENT ON SCHEMA net IS 'pgspec shim for Supabase: the schema of pg_net; requests are recorded, never sent';

CREATE TABLE IF NOT EXISTS net.http_request_queue (
    id bigserial PRIMARY KEY,
    method text NOT NULL,
    url text NOT NULL,
    body jsonb,
    params jsonb,
    headers jsonb,
    timeout_milliseconds integer,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE net.http_request_queue IS 'pgspec shim for Supabase: the requests net.http_* were asked to send (pgspec sends none)';
-- The functions run with the caller's rights, so callers need these.
GRANT SELECT, INSERT ON TABLE net.http_request_queue TO PUBLIC;
GRANT USAGE ON SEQUENCE net.http_request_queue_id_seq TO PUBLIC;

CREATE TABLE IF NOT EXISTS net._http_response (
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out boolean,
    error_msg text,
    created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE net._http_response IS 'pgspec shim for Supabase: pg_net''s responses; always empty here';
GRANT SELECT ON TABLE net._http_response TO PUBLIC;

-- Signatures and defaults as in pg_net, so calls written for Supabase resolve the same way.
CREATE OR REPLACE FUNCTION net.http_post(
    url text,
    body jsonb DEFAULT '{}'::jsonb,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = ''
AS $fn$
    INSERT INTO net.http_request_queue (method, url, body, params, headers, timeout_milliseconds)
    VALUES ('POST', $1, $2, $3, $4, $5)
    RETURNING id
$fn$;
COMMENT ON FUNCTION net.http_post(text, jsonb, jsonb, jsonb, integer) IS 'pgspec shim for Supabase: records a POST in net.http_request_queue and returns its id; sends nothing';

CREATE OR REPLACE FUNCTION net.http_get(
    url text,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{}'::jsonb,
    timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = ''
AS $fn$
    INSERT INTO net.http_request_queue (method, url, params, headers, timeout_milliseconds)
    VALUES ('GET', $1, $2, $3, $4)
    RETURNING id
$fn$;
COMMENT ON FUNCTION net.http_get(text, jsonb, jsonb, integer) IS 'pgspec shim for Supabase: records a GET in net.http_request_queue and returns its id; sends nothing';

CREATE OR REPLACE FUNCTION net.http_delete(
    url text,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{}'::jsonb,
    timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = ''
AS $fn$
    INSERT INTO net.http_request_queue (method, url, params, headers, timeout_milliseconds)
    VALUES ('DELETE', $1, $2, $3, $4)
    RETURNING id
$fn$;
COMMENT ON FUNCTION net.http_delete(text, jsonb, jsonb, integer) IS 'pgspec shim for Supabase: records a DELETE in net.http_request_queue and returns its id; sends nothing';

GRANT EXECUTE ON FUNCTION net.http_post(text, jsonb, jsonb, jsonb, integer),
    net.http_get(text, jsonb, jsonb, integer),
    net.http_delete(text, jsonb, jsonb, integer) TO PUBLIC;

-- pgspec:section schema storage: tables buckets and objects and storage.foldername/filename/extension (metadata only; no files are stored)
CREATE SCHEMA IF NOT EXISTS storage;
GRANT USAGE ON SCHEMA storage TO PUBLIC;
COMMENT ON SCHEMA storage IS 'pgspec shim for Supabase: the schema of Supabase Storage (metadata only)';

CREATE TABLE IF NOT EXISTS storage.buckets (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    owner uuid,
    public boolean DEFAULT false,
    file_size_limit bigint,
    allowed_mime_types text[],
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
COMMENT ON TABLE storage.buckets IS 'pgspec shim for Supabase: Storage buckets (metadata only)';

CREATE TABLE IF NOT EXISTS storage.objects (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    bucket_id text REFERENCES storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    metadata jsonb,
    path_tokens text[] GENERATED ALWAYS AS (pg_catalog.string_to_array(name, '/')) STORED,
    version text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    last_accessed_at timestamptz DEFAULT now(),
    UNIQUE (bucket_id, name)
);
COMMENT ON TABLE storage.objects IS 'pgspec shim for Supabase: Storage objects (metadata only; no file content)';
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT ALL ON TABLE storage.buckets, storage.objects TO anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $fn$
    SELECT (pg_catalog.string_to_array($1, '/'))[1:pg_catalog.array_length(pg_catalog.string_to_array($1, '/'), 1) - 1]
$fn$;
COMMENT ON FUNCTION storage.foldername(text) IS 'pgspec shim for Supabase: the folders of an object path (all parts but the last)';

CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $fn$
    SELECT (pg_catalog.string_to_array($1, '/'))[pg_catalog.array_length(pg_catalog.string_to_array($1, '/'), 1)]
$fn$;
COMMENT ON FUNCTION storage.filename(text) IS 'pgspec shim for Supabase: the file name of an object path (the last part)';

CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $fn$
    SELECT pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(storage.filename($1)), '.', 1))
$fn$;
COMMENT ON FUNCTION storage.extension(text) IS 'pgspec shim for Supabase: the extension of an object''s file name';

GRANT EXECUTE ON FUNCTION storage.foldername(text), storage.filename(text), storage.extension(text) TO PUBLIC;

-- On Supabase the document's role writes policies on storage.objects and inserts buckets; that
-- needs ownership here.
DO $shim$
DECLARE
    owner name := (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database
                   WHERE datname = pg_catalog.current_database());
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE storage.buckets OWNER TO %I', owner);
    EXECUTE pg_catalog.format('ALTER TABLE storage.objects OWNER TO %I', owner);
END
$shim$;
