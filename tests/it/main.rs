mod check;
mod cli;
mod document;
mod fix;
mod hostile;
mod lint;
mod model;
mod postgres;
mod provision;
mod sarif;
mod schema;
mod seed;
mod sql;
mod up;

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
