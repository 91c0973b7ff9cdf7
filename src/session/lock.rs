//! Coordination with other processes of the same app: an advisory lock file per account in
//! the lock directory (the app's data directory), held around a refresh, a sign-in's save and
//! a logout, so two app instances never use the same rotated refresh token twice. The lock is
//! the OS's (`flock` / `LockFileEx`, through the `fs4` crate) and is released when the file
//! closes, also when the process dies.

use std::time::Duration;

use super::account::Account;
use super::SessionManager;
use crate::error::{Error, Result};

/// How long a refresh waits for another process holding the account's lock.
const CROSS_PROCESS_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

impl SessionManager {
    pub(super) async fn cross_process_lock(&self, acct: &Account) -> Result<Option<std::fs::File>> {
        let Some(dir) = self.lock_dir.clone() else {
            return Ok(None);
        };
        use sha2::{Digest, Sha256};
        let service = self.vault()?.service().to_string();
        let digest = Sha256::digest(format!("{service}\n{}\n{}", acct.provider, acct.account));
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!("{name}.lock"));
        let task = crate::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            std::fs::create_dir_all(&dir)?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            fs4::fs_std::FileExt::lock_exclusive(&file)?;
            Ok(file)
        });
        match tokio::time::timeout(CROSS_PROCESS_LOCK_TIMEOUT, task).await {
            Ok(Ok(Ok(file))) => Ok(Some(file)),
            Ok(Ok(Err(e))) => Err(Error::StoreUnavailable(format!("account lock file: {e}"))),
            Ok(Err(e)) => Err(Error::Internal(format!("lock task: {e}"))),
            Err(_) => Err(Error::StoreUnavailable(
                "another process held the account lock for 30 s".into(),
            )),
        }
    }
}
