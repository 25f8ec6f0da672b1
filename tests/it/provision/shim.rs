//! The Supabase stand-in: its objects, claims, row level security, and when a document needs it.

use super::*;

fn install(session: &mut ApplySession) -> Vec<ProvisionAction> {
    let actions = supabase::install_all(session).unwrap_or_else(|e| panic!("install: {e}"));
    let skipped: Vec<&ProvisionAction> = actions
        .iter()
        .filter(|a| a.kind != ActionKind::ShimCreated)
        .collect();
    assert!(skipped.is_empty(), "{skipped:#?}");
    actions
}

const ALICE: &str = "11111111-1111-1111-1111-111111111111";
const BOB: &str = "22222222-2222-2222-2222-222222222222";

#[test]
fn supabase_shim_claims_and_row_level_security() {
    let _guard = crate::check::seed_lock();
    let db = scratch();
    let mut s = session(&db);
    let first = install(&mut s);
    let second = install(&mut s);
    assert_eq!(first.len(), second.len());
    assert_eq!(
        column(
            &mut s,
            "SELECT rolname::text FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role') \
             AND NOT rolcanlogin AND NOT rolbypassrls AND NOT rolsuper ORDER BY 1"
        ),
        vec!["anon", "authenticated", "service_role"]
    );
    // Every shim object says so.
    assert_eq!(
        value(
            &mut s,
            "SELECT obj_description('auth.uid()'::regprocedure, 'pg_proc')"
        )
        .map(|d| d.starts_with("pgspec shim for Supabase:")),
        Some(true)
    );

    // Claims as PostgREST sets them, on the app connection.
    apply(
        &mut s,
        &format!(
            r#"SET request.jwt.claims = '{{"sub":"{ALICE}","role":"authenticated","email":"a@example.com"}}'"#
        ),
    );
    apply(
        &mut s,
        &format!(
            "DO $$ BEGIN \
               IF auth.uid() IS DISTINCT FROM '{ALICE}'::uuid THEN RAISE EXCEPTION 'uid %', auth.uid(); END IF; \
               IF auth.role() IS DISTINCT FROM 'authenticated' THEN RAISE EXCEPTION 'role %', auth.role(); END IF; \
               IF auth.email() IS DISTINCT FROM 'a@example.com' THEN RAISE EXCEPTION 'email'; END IF; \
               IF auth.jwt() ->> 'sub' IS DISTINCT FROM '{ALICE}' THEN RAISE EXCEPTION 'jwt'; END IF; \
             END $$"
        ),
    );
    // Reset: the setting is now '' (not NULL) — still NULL, no error.
    apply(&mut s, "RESET request.jwt.claims");
    apply(
        &mut s,
        "DO $$ BEGIN \
           IF auth.uid() IS NOT NULL OR auth.role() IS NOT NULL THEN RAISE EXCEPTION 'not null'; END IF; \
           IF auth.jwt() <> '{}'::jsonb THEN RAISE EXCEPTION 'jwt %', auth.jwt(); END IF; \
         END $$",
    );
    // Never set in this session (the admin connection).
    assert_eq!(
        value(
            &mut s,
            "SELECT (auth.uid() IS NULL AND auth.role() IS NULL)::text"
        )
        .as_deref(),
        Some("true")
    );

    // RLS with auth.uid(), as the app role would write it for Supabase.
    apply(
        &mut s,
        "CREATE TABLE notes (id serial PRIMARY KEY, user_id uuid NOT NULL, body text NOT NULL)",
    );
    apply(&mut s, "ALTER TABLE notes ENABLE ROW LEVEL SECURITY");
    apply(
        &mut s,
        "CREATE POLICY own_notes ON notes FOR SELECT TO authenticated USING (user_id = auth.uid())",
    );
    apply(&mut s, "GRANT SELECT ON notes TO authenticated");
    apply(
        &mut s,
        &format!(
            "INSERT INTO notes (user_id, body) VALUES ('{ALICE}', 'a1'), ('{BOB}', 'b1'), ('{ALICE}', 'a2')"
        ),
    );
    // As superuser (only a superuser may SET ROLE to every role), table named by schema.
    let column = |s: &mut ApplySession, sql: &str| -> Vec<String> {
        s.query_strings(sql)
            .unwrap_or_else(|e| panic!("query `{sql}`: {e}"))
            .into_iter()
            .map(|r| r.into_iter().next().flatten().unwrap_or_default())
            .collect()
    };
    let as_user = |s: &mut ApplySession, sub: &str| -> Vec<String> {
        column(
            s,
            &format!(
                r#"BEGIN; SET LOCAL ROLE authenticated; SET LOCAL request.jwt.claims = '{{"sub":"{sub}","role":"authenticated"}}'; SELECT body FROM public.notes ORDER BY body; COMMIT"#
            ),
        )
    };
    assert_eq!(as_user(&mut s, ALICE), vec!["a1", "a2"]);
    assert_eq!(as_user(&mut s, BOB), vec!["b1"]);
    // No claims: no rows, no error.
    assert!(column(
        &mut s,
        "BEGIN; SET LOCAL ROLE authenticated; SELECT body FROM public.notes; COMMIT"
    )
    .is_empty());
    // service_role has no BYPASSRLS here: policies apply to it too.
    assert!(column(
        &mut s,
        "BEGIN; SET LOCAL ROLE service_role; SELECT body FROM public.notes; COMMIT"
    )
    .is_empty());
}

#[test]
fn supabase_shim_objects_work_for_the_app_role() {
    let _guard = crate::check::seed_lock();
    let db = scratch();
    let mut s = session(&db);
    install(&mut s);

    // The usual profile table with a sign-up trigger on auth.users.
    apply(
        &mut s,
        "CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, \
         full_name text)",
    );
    apply(
        &mut s,
        "CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER \
         SET search_path = '' AS $$ BEGIN \
           INSERT INTO public.profiles (id, full_name) VALUES (new.id, new.raw_user_meta_data ->> 'full_name'); \
           RETURN new; END $$",
    );
    apply(
        &mut s,
        "CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users \
         FOR EACH ROW EXECUTE FUNCTION handle_new_user()",
    );
    apply(
        &mut s,
        &format!(
            r#"INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ('{ALICE}', 'a@example.com', '{{"full_name":"Alice"}}')"#
        ),
    );
    assert_eq!(
        value(&mut s, "SELECT full_name FROM profiles").as_deref(),
        Some("Alice")
    );

    // Realtime publication, owned by the database owner.
    apply(
        &mut s,
        "ALTER PUBLICATION supabase_realtime ADD TABLE profiles",
    );
    assert_eq!(
        column(
            &mut s,
            "SELECT tablename::text FROM pg_publication_tables WHERE pubname = 'supabase_realtime'"
        ),
        vec!["profiles"]
    );

    // Storage policies and helpers.
    apply(
        &mut s,
        "INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true)",
    );
    apply(
        &mut s,
        "CREATE POLICY avatar_upload ON storage.objects FOR INSERT TO authenticated \
         WITH CHECK (bucket_id = 'avatars' AND (storage.foldername(name))[1] = auth.uid()::text)",
    );
    assert_eq!(
        value(
            &mut s,
            "SELECT storage.foldername('a/b/c.png')::text || ' ' || storage.filename('a/b/c.png') || ' ' || storage.extension('a/b/c.png')"
        )
        .as_deref(),
        Some("{a,b} c.png png")
    );

    // pg_net: recorded, never sent.
    let id = value(
        &mut s,
        "SELECT net.http_post('https://example.invalid', '{}')::text",
    )
    .expect("request id");
    assert!(id.parse::<i64>().is_ok(), "{id}");
    apply(
        &mut s,
        "CREATE FUNCTION notify_hook() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           PERFORM net.http_get(url := 'https://example.invalid/hook', params := jsonb_build_object('id', new.id)); \
           RETURN new; END $$",
    );
    apply(
        &mut s,
        "CREATE TRIGGER hook AFTER INSERT ON profiles FOR EACH ROW EXECUTE FUNCTION notify_hook()",
    );
    apply(
        &mut s,
        &format!("INSERT INTO auth.users (id, email) VALUES ('{BOB}', 'b@example.com')"),
    );
    assert_eq!(
        strings(
            &mut s,
            "SELECT method, url, body::text, headers::text FROM net.http_request_queue ORDER BY id"
        ),
        vec![
            vec![
                Some("POST".to_string()),
                Some("https://example.invalid".to_string()),
                Some("{}".to_string()),
                Some(r#"{"Content-Type": "application/json"}"#.to_string()),
            ],
            vec![
                Some("GET".to_string()),
                Some("https://example.invalid/hook".to_string()),
                None,
                Some("{}".to_string()),
            ],
        ]
    );
    // The functions are plain SQL: no extension, nothing that could open a connection.
    assert_eq!(
        column(
            &mut s,
            "SELECT DISTINCT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang \
             WHERE p.pronamespace = 'net'::regnamespace"
        ),
        vec!["sql"]
    );
    assert_eq!(
        value(&mut s, "SELECT count(*)::text FROM net._http_response").as_deref(),
        Some("0")
    );

    // Default privileges: a table the app role creates now is readable by anon (RLS decides).
    apply(&mut s, "CREATE TABLE public_posts (id int)");
    assert_eq!(
        value(
            &mut s,
            "SELECT has_table_privilege('anon', 'public_posts', 'SELECT')::text"
        )
        .as_deref(),
        Some("true")
    );
    // `extensions` is on the search_path of new sessions.
    s.reset_app_session().expect("reset");
    apply(
        &mut s,
        "DO $$ BEGIN IF current_setting('search_path') NOT LIKE '%extensions%' THEN \
           RAISE EXCEPTION 'search_path %', current_setting('search_path'); END IF; END $$",
    );
}

#[test]
fn needs_shim_on_a_supabase_document() {
    let statements = [
        "CREATE TABLE todos (id bigint, user_id uuid REFERENCES auth.users)",
        "ALTER TABLE todos ENABLE ROW LEVEL SECURITY",
    ];
    assert!(supabase::needs_shim(statements.iter().copied()));
    assert!(!supabase::needs_shim(
        ["CREATE TABLE t (id int)"].iter().copied()
    ));
}
