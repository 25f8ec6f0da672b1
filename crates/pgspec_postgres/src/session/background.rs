//! A third connection of a session, superuser like `admin` and set up the same, opened in the
//! background while the session opens: pgspec's own queries run on it meanwhile (the
//! server's available extensions while the other two connections open; the control files of
//! the extensions the document will create, [`ApplySession::expect_extensions`], while its
//! first statements run), and the catalog then reads half of its queries on it instead of
//! opening one ([`ApplySession::admin_opener`]). Only pgspec's own queries run on it.

use std::collections::HashMap;
use std::sync::mpsc;

use crate::sql::quote::quote_literals;

use super::*;

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// How long the connection has to answer an empty query before it is given up.
const ANSWER_BOUND: Duration = Duration::from_secs(5);

/// The connection, owned by a thread that runs the jobs it is given in order.
pub(super) struct Background {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<std::thread::JoinHandle<Option<Client>>>,
}

impl Background {
    /// Open the connection on a thread of its own (`None` there when it cannot: every job is
    /// then dropped unrun, and its asker does the work itself).
    pub(super) fn open(config: postgres::Config, setup: String) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let worker = std::thread::spawn(move || {
            let mut client = Conn::connect(&config, &setup).ok()?;
            for job in queue {
                job(&mut client);
            }
            Some(client)
        });
        Background {
            jobs: Some(jobs),
            worker: Some(worker),
        }
    }

    /// Run `query` on the connection after the jobs given before; its answer arrives on the
    /// receiver (which hears nothing when the connection could not be opened or is gone).
    pub(super) fn ask<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut Client) -> T + Send + 'static,
    ) -> mpsc::Receiver<T> {
        let (answer, answered) = mpsc::channel();
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(Box::new(move |client: &mut Client| {
                let _ = answer.send(query(client));
            }));
        }
        answered
    }

    /// The connection, once the jobs given are done, if it still answers (`None` when it
    /// could not be opened or was ended meanwhile: by an interrupted run's cleanup, say, whose
    /// error the run would otherwise report first).
    pub(super) fn into_client(mut self) -> Option<Client> {
        self.finish()
            .and_then(|mut client| client.is_valid(ANSWER_BOUND).is_ok().then_some(client))
    }

    fn finish(&mut self) -> Option<Client> {
        self.jobs.take();
        self.worker.take()?.join().ok().flatten()
    }
}

impl Drop for Background {
    /// Closed before the session's end: a scratch database is dropped only once its sessions
    /// are gone.
    fn drop(&mut self) {
        drop(self.finish());
    }
}

pub(super) use super::control_file::ExtensionControl;

/// [`ExtensionControl`] of each of `names`: from their control files where the server lets
/// the superuser read them ([`super::control_file`]), else from the
/// `pg_available_extension_versions` view. None when the server does not answer.
pub(super) fn read_extension_controls(
    client: &mut Client,
    names: &[String],
) -> Option<HashMap<String, ExtensionControl>> {
    super::control_file::read_all(names, |files| read_extension_files(client, files)).or_else(
        || {
            simple_rows(client, &extension_controls_query(names))
                .ok()
                .map(|rows| extension_controls(names, rows))
        },
    )
}

/// The text of each of `files` in the server's extension directory (None: no such file), in
/// order; an error when the server will not read them (not a superuser, say).
fn read_extension_files(
    client: &mut Client,
    files: &[String],
) -> Result<Vec<Option<String>>, postgres::Error> {
    let list = quote_literals(files);
    let rows = simple_rows(
        client,
        &format!(
            "SELECT pg_catalog.pg_read_file(s.dir OPERATOR(pg_catalog.||) '/extension/' \
             OPERATOR(pg_catalog.||) f.name, 0, 1048576, true) \
             FROM (SELECT setting AS dir FROM pg_catalog.pg_config \
             WHERE name OPERATOR(pg_catalog.=) 'SHAREDIR') s, \
             pg_catalog.unnest(ARRAY[{list}]::pg_catalog.text[]) WITH ORDINALITY AS f(name, n) \
             ORDER BY f.n"
        ),
    )?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_iter().next().flatten())
        .collect())
}

/// The query that reads [`ExtensionControl`] of the default versions of `names`. The view
/// reads every extension's control and script files whatever the names (~15 ms with
/// PostGIS installed), so one query answers for all of them.
fn extension_controls_query(names: &[String]) -> String {
    let list = quote_literals(names);
    format!(
        "SELECT v.name, v.trusted, v.schema IS NOT NULL FROM pg_catalog.pg_available_extension_versions v \
         JOIN pg_catalog.pg_available_extensions a ON a.name = v.name AND a.default_version = v.version \
         WHERE v.name IN ({list})"
    )
}

/// [`ExtensionControl`] of each of `names` from the rows of [`extension_controls_query`]: a
/// name without a row (not installed) is neither trusted nor of a fixed schema.
fn extension_controls(
    names: &[String],
    rows: Vec<Vec<Option<String>>>,
) -> HashMap<String, ExtensionControl> {
    let mut controls: HashMap<String, ExtensionControl> =
        names.iter().map(|n| (n.clone(), (false, false))).collect();
    // One row a name at most: an extension has one default version.
    for row in rows {
        let flag = |i: usize| row.get(i).cloned().flatten().as_deref() == Some("t");
        if let Some(control) = row
            .first()
            .cloned()
            .flatten()
            .and_then(|n| controls.get_mut(&n))
        {
            *control = (flag(1), flag(2));
        }
    }
    controls
}
