mod applying;
mod catalog;
mod check;
mod cli;
mod converge;
mod corpus;
mod diff;
mod document;
mod dumps;
mod extensions;
mod fix;
mod generated;
mod hostile;
mod lint;
mod migrate;
mod migrate_chains;
mod migrate_changes;
mod migrate_up;
mod model;
mod names;
mod ownership;
mod pictures;
mod platform;
mod postgres;
mod provision;
mod rules;
mod sarif;
mod schema;
mod seed;
mod sql;
mod unseen;
mod up;
mod workspace;

/// The seed document whose file name starts with `prefix` (`"003"`), in `seeds/<dir>/`.
pub fn seed_file(dir: &str, prefix: &str) -> std::path::PathBuf {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(dir);
    std::fs::read_dir(&seeds)
        .expect("seeds dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .expect("seed exists")
        .path()
}

/// A connection to `database` as the server's administrative user but with the database's
/// own search_path (pgspec's administrative connections pin theirs to pg_catalog): for tests
/// that read the trusted documents' tables directly.
pub fn data_client(server: &pgspec::postgres::Server, database: &str) -> ::postgres::Client {
    server
        .app_config(database)
        .and_then(|c| {
            c.connect(::postgres::NoTls)
                .map_err(|e| pgspec::postgres::ClusterError::Server(e.to_string()))
        })
        .unwrap_or_else(|e| panic!("connect to {database}: {e}"))
}
