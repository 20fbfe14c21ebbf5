//! Out-of-space faults: a small tmpfs of its own for a database, filled to the last byte while the
//! bot runs and emptied again. Mounting needs root (the tests and CI run as root); a test that
//! cannot mount fails, it never skips. Everything is unmounted when dropped, a failing test too.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::TestApp;

/// ENOSPC on Linux.
const NO_SPACE: i32 = 28;

/// A tmpfs mounted on a fresh directory.
pub struct SmallDisk {
    mount_point: TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (`mount -o size=`, e.g. `"8m"`), owned by `owner` (uid, gid; root
    /// when `None`) with mode 0700.
    pub fn mount(size: &str, owner: Option<(u32, u32)>) -> SmallDisk {
        let mount_point = tempfile::tempdir().expect("a directory to mount on");
        let mut options = format!("size={size},mode=0700");
        if let Some((uid, gid)) = owner {
            options.push_str(&format!(",uid={uid},gid={gid}"));
        }
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
            .arg(mount_point.path())
            .output()
            .unwrap_or_else(|e| panic!("this test needs `mount` (and root) for a small tmpfs: {e}"));
        assert!(
            output.status.success(),
            "this test needs root to mount a small tmpfs for the database (`mount -t tmpfs -o {options} tmpfs {}`): \
             {}{}",
            mount_point.path().display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        SmallDisk { mount_point }
    }

    pub fn path(&self) -> &Path {
        self.mount_point.path()
    }

    fn filler(&self) -> PathBuf {
        self.path().join("filler")
    }

    /// Writes a filler file until the file system is full (ENOSPC) and checks that not one more
    /// byte fits. Returns the bytes the filler took.
    pub fn fill(&self) -> u64 {
        let mut file = std::fs::File::create(self.filler()).expect("create the filler file");
        let chunk = vec![0x5a_u8; 64 << 10];
        let mut written = 0_u64;
        loop {
            match file.write(&chunk) {
                Ok(0) => panic!("the filler write made no progress"),
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(NO_SPACE) => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        drop(file);
        let mut probe = std::fs::File::create(self.path().join("probe")).expect("create a probe file");
        let one_more = probe.write(&chunk[..4096]).and_then(|_| probe.sync_all());
        assert!(
            one_more.as_ref().is_err_and(|e| e.raw_os_error() == Some(NO_SPACE)),
            "the tmpfs is full after {written} bytes of filler: {one_more:?}"
        );
        let _ = std::fs::remove_file(self.path().join("probe"));
        written
    }

    /// Deletes the filler: the space is free again.
    pub fn free(&self) {
        std::fs::remove_file(self.filler()).expect("delete the filler file");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a bot that is still being killed may hold files on it.
        let _ = Command::new("umount").arg("-l").arg(self.mount_point.path()).status();
    }
}

/// A PostgreSQL tablespace on a [`SmallDisk`] owned by the server's OS user. The server must run
/// on this machine (the test server does); superuser needed (the test server trusts `postgres`).
/// Dropped after the test's database (declare it before the [`TestApp`]).
pub struct Tablespace {
    pub name: String,
    admin: String,
    /// Dropped after the tablespace (fields drop after `Drop::drop`).
    pub disk: SmallDisk,
}

impl Tablespace {
    /// Mounts a tmpfs of `size` for the PostgreSQL server named by `admin` and creates a tablespace
    /// on it.
    pub async fn create(admin: &str, size: &str) -> Tablespace {
        let pool = sqlx::PgPool::connect(admin).await.expect("connect to PostgreSQL");
        let data_dir: String = sqlx::query_scalar("SHOW data_directory").fetch_one(&pool).await.unwrap();
        let owner = std::fs::metadata(&data_dir).unwrap_or_else(|e| {
            panic!("the PostgreSQL server must run on this machine for a tablespace test: {data_dir}: {e}")
        });
        let disk = SmallDisk::mount(size, Some((owner.uid(), owner.gid())));
        let name = format!("anketa_small_{}", super::uuid_like());
        sqlx::query(&format!("CREATE TABLESPACE {name} LOCATION '{}'", disk.path().display()))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("CREATE TABLESPACE on {}: {e}", disk.path().display()));
        pool.close().await;
        Tablespace { name, admin: admin.to_string(), disk }
    }

    /// The admin URL of [`TestApp`]'s PostgreSQL server.
    pub fn admin_url() -> String {
        std::env::var("ANKETA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
    }

    /// Moves every table and index of the app's database (the system catalogs stay) here.
    pub async fn take_tables_of(&self, app: &TestApp) {
        let pool = sqlx::PgPool::connect(&app.db_url).await.expect("open the test database");
        for kind in ["TABLE", "INDEX"] {
            let sql = format!("ALTER {kind} ALL IN TABLESPACE pg_default SET TABLESPACE {}", self.name);
            sqlx::query(&sql).execute(&pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let elsewhere: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') \
             AND c.reltablespace <> (SELECT oid FROM pg_tablespace WHERE spcname = $1)",
        )
        .bind(&self.name)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(elsewhere, 0, "every table and index of the test database is on the small disk");
        pool.close().await;
    }
}

impl Drop for Tablespace {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked: use a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP TABLESPACE IF EXISTS {name}")).execute(&pool).await;
                }
            });
        })
        .join();
    }
}
