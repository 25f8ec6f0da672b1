//! One connection of a session: its notice buffer, its backend's process id, how to open it
//! again, and how to leave it outside any transaction block.

use super::*;

/// One connection with its notice buffer and how to recreate it.
pub(super) struct Conn {
    pub(super) client: Client,
    /// The backend's process id (for pg_terminate_backend), recorded at connect.
    pub(super) pid: Option<i32>,
    pub(super) config: postgres::Config,
    pub(super) setup: String,
    pub(super) notices: Arc<Mutex<Vec<Notice>>>,
}

impl Conn {
    /// `stepper` hears each batch marker as it arrives (see `batch`).
    pub(super) fn open(
        mut config: postgres::Config,
        setup: String,
        stepper: Option<Stepper>,
    ) -> Result<Self, ClusterError> {
        let notices = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&notices);
        config.notice_callback(move |db| {
            let notice = notice(&db);
            if let (Some(stepper), true) = (&stepper, batch::is_marker(&notice)) {
                stepper.step();
            }
            lock(&sink).push(notice);
        });
        let mut client = Self::connect(&config, &setup)?;
        Ok(Conn {
            pid: backend_pid(&mut client),
            client,
            config,
            setup,
            notices,
        })
    }

    pub(super) fn connect(config: &postgres::Config, setup: &str) -> Result<Client, ClusterError> {
        let target = describe(config);
        let mut client = connect(config, &target)?;
        client
            .batch_execute(setup)
            .map_err(|e| ClusterError::Connect {
                target,
                message: error_text(&e),
            })?;
        Ok(client)
    }

    /// Reconnect, retrying for a while (the server may be restarting after a crash).
    pub(super) fn reconnect(&mut self) -> Result<(), ClusterError> {
        let started = Instant::now();
        loop {
            match Self::connect(&self.config, &self.setup) {
                Ok(mut client) => {
                    self.pid = backend_pid(&mut client);
                    self.client = client;
                    self.take_notices();
                    return Ok(());
                }
                Err(e) if started.elapsed() > Duration::from_secs(15) => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    pub(super) fn take_notices(&self) -> Vec<Notice> {
        std::mem::take(&mut *lock(&self.notices))
    }

    /// Leave no transaction block open: commit one the statement opened, roll back a
    /// failed one. Outside a block, `now()` (transaction start) equals `statement_timestamp()`.
    pub(super) fn settle_transaction(&mut self) {
        match simple_rows(
            &mut self.client,
            "SELECT pg_catalog.now() OPERATOR(pg_catalog.=) pg_catalog.statement_timestamp()",
        ) {
            Ok(rows) => {
                if rows
                    .first()
                    .and_then(|r| r.first())
                    .cloned()
                    .flatten()
                    .as_deref()
                    == Some("f")
                    && self.client.batch_execute("COMMIT").is_err()
                {
                    let _ = self.client.batch_execute("ROLLBACK");
                }
            }
            Err(_) => {
                let _ = self.client.batch_execute("ROLLBACK");
            }
        }
        self.take_notices();
    }
}
