//! The PostgreSQL installation pgspec runs: `--pg-bin`, `$PG_BIN`, `pg_config --bindir`, the
//! usual install locations or `PATH`; with its version, tools and preloadable libraries.

use super::*;

/// Located PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`).
#[derive(Clone, Debug)]
pub struct PgBinaries {
    pub bin_dir: PathBuf,
    /// e.g. "15.18"
    pub version: String,
}

impl PgBinaries {
    /// Find binaries: `explicit` (--pg-bin), then `$PG_BIN`, then `pg_config --bindir`, then
    /// the highest `/usr/lib/postgresql/*/bin` (and other common install locations, then `PATH`).
    pub fn locate(explicit: Option<&Path>) -> Result<Self, ClusterError> {
        if let Some(dir) = explicit {
            return Self::from_dir(dir).ok_or_else(|| ClusterError::BinariesNotFound {
                searched: format!("{} (--pg-bin)", dir.display()),
            });
        }
        if let Some(dir) = std::env::var_os("PG_BIN").filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(dir);
            return Self::from_dir(&dir).ok_or_else(|| ClusterError::BinariesNotFound {
                searched: format!("{} ($PG_BIN)", dir.display()),
            });
        }
        let mut searched = Vec::new();
        let debian = versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin");
        // Debian's `pg_config` on PATH is a shell script that runs the newest
        // /usr/lib/postgresql/*/bin/pg_config: the first of `debian` below, found without the
        // ~5 ms of a shell every command would pay. A real pg_config (a program) is asked.
        if os::on_path("pg_config").is_some_and(|p| is_script(&p)) {
            if let Some(bins) = debian.iter().find_map(|d| Self::from_dir(d)) {
                return Ok(bins);
            }
        }
        match os::command_output(Command::new("pg_config").arg("--bindir")) {
            Some(bindir) => {
                let dir = PathBuf::from(bindir);
                if let Some(bins) = Self::from_dir(&dir) {
                    return Ok(bins);
                }
                searched.push(format!("{} (pg_config --bindir)", dir.display()));
            }
            None => searched.push("pg_config (not on PATH)".to_string()),
        }
        let mut candidates = debian;
        candidates.extend(versioned_dirs(Path::new("/usr"), "pgsql-", "bin"));
        candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).filter(|d| d.join("initdb").is_file()));
        }
        for dir in &candidates {
            if let Some(bins) = Self::from_dir(dir) {
                return Ok(bins);
            }
        }
        searched.push(
            "/usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, /usr/local/pgsql/bin, PATH".to_string(),
        );
        Err(ClusterError::BinariesNotFound {
            searched: searched.join(", "),
        })
    }

    /// `dir` if it holds initdb, pg_ctl and a `postgres`, with the version its `pg_config`
    /// reports, or else `postgres` itself.
    fn from_dir(dir: &Path) -> Option<Self> {
        if !["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|t| dir.join(t).is_file())
        {
            return None;
        }
        // The installation's own pg_config answers in ~1 ms; `postgres --version` loads the
        // server's shared libraries first (~50 ms), which every command would pay.
        let version = ["pg_config", "postgres"]
            .iter()
            .map(|tool| dir.join(tool))
            .filter(|tool| tool.is_file())
            .find_map(|tool| {
                parse_version(&os::command_output(Command::new(tool).arg("--version"))?)
            })?;
        Some(PgBinaries {
            bin_dir: dir.to_path_buf(),
            version,
        })
    }

    /// The major version ("15" for "15.18").
    pub fn major(&self) -> &str {
        let end = self
            .version
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.version.len());
        &self.version[..end]
    }

    /// Path of the tool `name` in `bin_dir`.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The directory of loadable modules (`pg_config --pkglibdir` of this installation).
    pub fn pkglibdir(&self) -> Option<PathBuf> {
        let pg_config = self.tool("pg_config");
        if pg_config.is_file() {
            if let Some(dir) = os::command_output(Command::new(&pg_config).arg("--pkglibdir"))
                .map(PathBuf::from)
                .filter(|dir| dir.is_dir())
            {
                return Some(dir);
            }
        }
        // Debian layout: /usr/lib/postgresql/15/{bin,lib}.
        let lib = self.bin_dir.parent()?.join("lib");
        lib.join("plpgsql.so").is_file().then_some(lib)
    }

    /// Which of the libraries pgspec preloads (pg_cron, pg_stat_statements) are installed.
    pub fn preload_libraries(&self) -> Vec<&'static str> {
        let Some(dir) = self.pkglibdir() else {
            return Vec::new();
        };
        PRELOAD_CANDIDATES
            .iter()
            .copied()
            .filter(|lib| {
                dir.join(format!("{lib}.so")).is_file()
                    || dir.join(format!("{lib}.dylib")).is_file()
            })
            .collect()
    }
}

/// Whether `path` is a script (`#!`) rather than a program.
pub(super) fn is_script(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 2];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"#!")
}

/// The version token of `postgres --version` ("postgres (PostgreSQL) 15.18 (Debian …)").
pub(super) fn parse_version(output: &str) -> Option<String> {
    output
        .split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| {
            t.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
}

/// `<parent>/<prefix><version>/<sub>` directories, highest version first.
pub(super) fn versioned_dirs(parent: &Path, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix(prefix)?;
            let key: Vec<u32> = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((key, e.path().join(sub)))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, p)| p).collect()
}
