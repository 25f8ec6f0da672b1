use super::binaries::parse_version;
use super::server::{redact_url, replace_url_dbname};
use super::*;

#[test]
fn parses_postgres_version_output() {
    assert_eq!(
        parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(),
        Some("15.18")
    );
    assert_eq!(
        parse_version("postgres (PostgreSQL) 17beta1\n").as_deref(),
        Some("17beta1")
    );
    let bins = PgBinaries {
        bin_dir: PathBuf::new(),
        version: "17beta1".into(),
    };
    assert_eq!(bins.major(), "17");
}

#[test]
fn url_round_trips_through_postgres_config() {
    let bins = PgBinaries {
        bin_dir: PathBuf::from("/nonexistent"),
        version: "15.18".into(),
    };
    let layout = Layout::new(Path::new("/tmp/pgspec-0"), &bins).expect("layout");
    let cluster = Cluster::new(layout, &bins, RunAs::Current, false);
    let url = cluster.url("pgspec_check_1");
    assert_eq!(
        url,
        "postgresql://postgres@/pgspec_check_1?host=%2Ftmp%2Fpgspec-0%2Fpg15%2Frun&port=5432"
    );
    let config = postgres::Config::from_str(&url).expect("parses");
    assert_eq!(config.get_user(), Some("postgres"));
    assert_eq!(config.get_dbname(), Some("pgspec_check_1"));
    assert_eq!(config.get_ports(), &[5432]);
    assert_eq!(
        config.get_hosts(),
        &[postgres::config::Host::Unix(PathBuf::from(
            "/tmp/pgspec-0/pg15/run"
        ))]
    );
}

#[test]
fn rejects_long_or_odd_roots() {
    let bins = PgBinaries {
        bin_dir: PathBuf::new(),
        version: "15.1".into(),
    };
    assert!(Layout::new(&PathBuf::from(format!("/tmp/{}", "x".repeat(100))), &bins).is_err());
    assert!(Layout::new(Path::new("/tmp/a b"), &bins).is_err());
    assert!(Layout::new(Path::new("/tmp/pgspec-1000"), &bins).is_ok());
}

#[test]
fn privileged_connections_pin_search_path_after_the_urls_own_options() {
    let server = Server::Url(
        "postgresql://u@/app?host=/nonexistent&options=-c%20work_mem%3D8MB".to_string(),
    );
    let admin = server.config("scratch").expect("config");
    let options = admin.get_options().expect("options");
    assert!(
        options
            .starts_with("-c work_mem=8MB -c search_path=pg_catalog,pg_temp -c statement_timeout="),
        "{options}"
    );
    assert!(options.contains(" -c lock_timeout="), "{options}");
    assert!(options.ends_with(" -c jit=off"), "{options}");
    assert_eq!(admin.get_dbname(), Some("scratch"));
    assert_eq!(
        admin.get_application_name(),
        Some(application_name().as_str())
    );
    let app = server.app_config("scratch").expect("config");
    let options = app.get_options().expect("options");
    assert!(
        options.starts_with("-c work_mem=8MB -c statement_timeout="),
        "{options}"
    );
    assert!(!options.contains("search_path"), "{options}");
}

#[test]
fn rewrites_and_redacts_urls() {
    assert_eq!(
        replace_url_dbname(
            "postgresql://u:secret@h:5433/app?sslmode=disable",
            "scratch"
        ),
        "postgresql://u:secret@h:5433/scratch?sslmode=disable"
    );
    assert_eq!(replace_url_dbname("postgres://h", "s"), "postgres://h/s");
    assert_eq!(
        redact_url("postgresql://u:secret@h/app"),
        "postgresql://u:***@h/app"
    );
    assert_eq!(redact_url("postgresql://u@h/app"), "postgresql://u@h/app");
    assert_eq!(
        redact_url("host=h password=x user=u"),
        "host=h password=*** user=u"
    );
}

#[test]
fn a_pg_config_script_is_told_from_a_program() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("pg_config");
    fs::write(
        &script,
        "#!/bin/sh\nexec /usr/lib/postgresql/15/bin/pg_config \"$@\"\n",
    )
    .expect("write");
    assert!(binaries::is_script(&script));
    let program = dir.path().join("program");
    fs::write(&program, b"\x7fELF\x02\x01\x01").expect("write");
    assert!(!binaries::is_script(&program));
    assert!(!binaries::is_script(&dir.path().join("missing")));
    // The located installation is the newest Debian one here, as Debian's wrapper would say.
    let bins = PgBinaries::locate(None).expect("binaries");
    assert!(bins.tool("initdb").is_file(), "{bins:?}");
}
