//! Sending the login code, and alerts to the traders who asked for them (`crate::alert_mail`). With
//! `SMTP_URL` set, through that SMTP server; otherwise (the embedded default) each mail is written as
//! an `.eml` file to `<DATA_DIR>/outbox/`, where an operator or a test picks it up. Either way the log
//! says a mail went out and where, never what it said nor to which address.

use super::otp::OtpCode;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tracing::info;

/// The sender used when `MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "Kite Trading Agent <no-reply@localhost>";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail address {address:?}: {source}")]
    Address {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("invalid SMTP_URL: {0}")]
    SmtpUrl(lettre::transport::smtp::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot create the outbox {path}: {source}")]
    OutboxDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write to the outbox: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
}

impl MailError {
    /// What went wrong without the parts that may quote the recipient (an SMTP server's reply often
    /// repeats the address): fit for the log of a mail sent to a user.
    pub fn summary(&self) -> String {
        match self {
            MailError::Address { .. } => "invalid mail address".into(),
            MailError::Build(_) => "cannot build the mail".into(),
            MailError::SmtpUrl(_) => "invalid SMTP_URL".into(),
            MailError::Smtp(e) => {
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_permanent() {
                    "refused (permanent)"
                } else if e.is_transient() {
                    "refused (transient)"
                } else if e.is_tls() {
                    "TLS failure"
                } else {
                    "connection or protocol failure"
                };
                match e.status() {
                    Some(code) => format!("SMTP delivery {kind}, code {code}"),
                    None => format!("SMTP delivery {kind}"),
                }
            }
            MailError::OutboxDir { .. } | MailError::Outbox(_) => {
                "cannot write to the outbox".into()
            }
        }
    }
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox {
        dir: PathBuf,
        files: AsyncFileTransport<Tokio1Executor>,
    },
}

/// Where login mails go. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    /// The sandbox's demo user, whose codes are also printed in the log (a practice login that opens
    /// only the simulator; no other user's code is ever logged).
    print_codes_for: Option<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold a password: name the kind of transport only.
        let kind = match &self.transport {
            Transport::Smtp(_) => "smtp".to_string(),
            Transport::Outbox { dir, .. } => format!("outbox {}", dir.display()),
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &kind)
            .finish()
    }
}

fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address.parse().map_err(|source| MailError::Address {
        address: address.to_string(),
        source,
    })
}

impl Mailer {
    /// Writes mails as `.eml` files into `dir` (created when missing).
    pub fn outbox(dir: impl AsRef<Path>, from: &str) -> Result<Self, MailError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| MailError::OutboxDir {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            from: mailbox(from)?,
            transport: Transport::Outbox {
                files: AsyncFileTransport::new(&dir),
                dir,
            },
            print_codes_for: None,
        })
    }

    /// Sends through the SMTP server of `url` (`smtps://user:pass@host:465`,
    /// `smtp://host:587?tls=required`, as lettre reads them).
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(MailError::SmtpUrl)?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Self {
            from: mailbox(from)?,
            transport: Transport::Smtp(transport),
            print_codes_for: None,
        })
    }

    /// SMTP when `smtp_url` is set and not blank, else the outbox under `data_dir`.
    pub fn from_settings(
        smtp_url: Option<&str>,
        mail_from: Option<&str>,
        data_dir: &Path,
    ) -> Result<Self, MailError> {
        let from = mail_from
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_FROM);
        match smtp_url.map(str::trim).filter(|s| !s.is_empty()) {
            Some(url) => Self::smtp(url, from),
            None => Self::outbox(data_dir.join("outbox"), from),
        }
    }

    /// [`Mailer::from_settings`] from the environment variables `SMTP_URL` and `MAIL_FROM`.
    pub fn from_env(data_dir: &Path) -> Result<Self, MailError> {
        let url = std::env::var("SMTP_URL").ok();
        let from = std::env::var("MAIL_FROM").ok();
        Self::from_settings(url.as_deref(), from.as_deref(), data_dir)
    }

    /// Also prints `zerodha_id`'s codes in the log (sandbox mode's demo user only).
    pub fn print_codes_for(mut self, zerodha_id: &str) -> Self {
        self.print_codes_for = Some(zerodha_id.to_string());
        self
    }

    /// The outbox folder, when mails are written there.
    pub fn outbox_dir(&self) -> Option<&Path> {
        match &self.transport {
            Transport::Outbox { dir, .. } => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// Sends `code` to `to`. The subject carries no code (it shows in notification previews).
    pub async fn send_otp(
        &self,
        to: &str,
        zerodha_id: &str,
        code: &OtpCode,
        valid_for: Duration,
    ) -> Result<(), MailError> {
        let minutes = valid_for.as_secs().div_ceil(60).max(1);
        let body = format!(
            "Your Kite Trading Agent login code for {zerodha_id} is:\r\n\r\n    {code}\r\n\r\n\
             It is valid for {minutes} minute(s) and can be used once.\r\n\
             If you did not ask for it, ignore this mail: nobody can log in without the code.\r\n",
            code = code.expose(),
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(mailbox(to)?)
            .subject("Your Kite Trading Agent login code")
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        if self.print_codes_for.as_deref() == Some(zerodha_id) {
            info!(
                zerodha_id,
                code = code.expose(),
                "sandbox demo login code (the demo user's codes are printed; no other user's are)"
            );
        }
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
                info!(zerodha_id, "login code mailed over SMTP");
            }
            Transport::Outbox { dir, files } => {
                let id = files.send(message).await?;
                let path = dir.join(format!("{id}.eml"));
                info!(zerodha_id, path = %path.display(), "login code written to the outbox");
            }
        }
        Ok(())
    }
}

impl Mailer {
    /// Sends a plain-text notice (a batch of alerts) to `to`. The body is quoted-printable, so long
    /// lines and `₹` travel through any SMTP server unchanged.
    pub async fn send_notice(
        &self,
        to: &str,
        zerodha_id: &str,
        subject: &str,
        body: String,
    ) -> Result<(), MailError> {
        let body = Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
            .unwrap_or_else(Body::new);
        let message = Message::builder()
            .from(self.from.clone())
            .to(mailbox(to)?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
                info!(zerodha_id, "notice mailed over SMTP");
            }
            Transport::Outbox { dir, files } => {
                let id = files.send(message).await?;
                let path = dir.join(format!("{id}.eml"));
                info!(zerodha_id, path = %path.display(), "notice written to the outbox");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_choose_the_transport() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Mailer::from_settings(Some("  "), None, dir.path()).unwrap();
        assert_eq!(
            outbox.outbox_dir(),
            Some(dir.path().join("outbox").as_path())
        );
        assert!(dir.path().join("outbox").is_dir());
        let smtp = Mailer::from_settings(
            Some("smtp://user:secret@localhost:2525"),
            Some("Desk <desk@example.com>"),
            dir.path(),
        )
        .unwrap();
        assert_eq!(smtp.outbox_dir(), None);
        assert!(!format!("{smtp:?}").contains("secret"));
        assert!(matches!(
            Mailer::from_settings(Some("ftp://nowhere"), None, dir.path()),
            Err(MailError::SmtpUrl(_))
        ));
        assert!(matches!(
            Mailer::from_settings(None, Some("not an address"), dir.path()),
            Err(MailError::Address { .. })
        ));
    }

    #[tokio::test]
    async fn a_notice_failure_is_summed_up_without_the_address() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(dir.path().join("outbox"), DEFAULT_FROM).unwrap();
        let err = mailer
            .send_notice("trader.secret-name@@example", "AB1234", "s", "b".into())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("trader.secret-name"));
        assert_eq!(err.summary(), "invalid mail address");
        // An unwritable outbox (a file where the folder was) fails the send; the summary names the
        // outbox, not the recipient.
        std::fs::remove_dir_all(dir.path().join("outbox")).unwrap();
        std::fs::write(dir.path().join("outbox"), b"x").unwrap();
        let err = mailer
            .send_notice("trader@example.com", "AB1234", "s", "b".into())
            .await
            .unwrap_err();
        assert_eq!(err.summary(), "cannot write to the outbox");
    }
}
