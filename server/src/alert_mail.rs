//! Alerts by email, for the traders who turned it on (issue #8): every engine's live channel is
//! watched from the moment it starts, and its alerts are mailed through the login [`Mailer`].
//!
//! A strategy that fills 50 orders must not send 50 mails: the first alert opens a short window
//! ([`WINDOW`]) and everything raised in it goes into one mail, subject "Kite Agent: <first title>
//! (+N more)", one line per alert (IST time, title, message). The user's setting is read when the mail
//! is about to go, so turning it off stops the next one. A failed send is logged with the user id only
//! (never the address) and the next window mails again.

use crate::auth::Mailer;
use chrono::{DateTime, FixedOffset};
use engine::users::{UserError, UserRegistry};
use engine::{Db, Journal, UserEngine, UserId};
use model::{Alert, LiveMessage};
use std::any::Any;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// How long the first alert waits for others to share its mail.
pub const WINDOW: Duration = Duration::from_secs(5);

/// Lines in one mail; past that the rest are counted (the Alerts page has them all).
pub const MAX_LINES: usize = 100;

/// How often a quiet live channel is checked for an engine that is gone.
const OWNER_CHECK: Duration = Duration::from_secs(30);

/// Mails users' alerts. Cheap to clone; one per server.
#[derive(Clone)]
pub struct AlertMail {
    db: Db,
    registry: UserRegistry,
    mailer: Mailer,
    window: Duration,
}

impl AlertMail {
    pub fn new(db: Db, registry: UserRegistry, mailer: Mailer, window: Duration) -> Self {
        Self {
            db,
            registry,
            mailer,
            window,
        }
    }

    /// Mails `engine`'s alerts for as long as it runs (the [`engine::EngineManager`] start hook).
    pub fn watch(&self, engine: &Arc<UserEngine>) {
        let owner: Weak<dyn Any + Send + Sync> = Arc::downgrade(engine) as _;
        self.spawn(engine.user().clone(), engine.live(), owner);
    }

    /// Two tasks: one drains the live channel (ticks included) into a queue of alerts and never
    /// waits on mail, so a slow SMTP server cannot make it lag; the other batches and sends. Both end
    /// when the channel closes or `owner` is gone. Returns the sending task.
    pub fn spawn(
        &self,
        user: UserId,
        live: broadcast::Receiver<LiveMessage>,
        owner: Weak<dyn Any + Send + Sync>,
    ) -> JoinHandle<()> {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(forward(user.clone(), live, tx, owner));
        let this = self.clone();
        tokio::spawn(async move {
            let window = this.window;
            coalesce(rx, window, |batch| this.deliver(&user, batch)).await;
        })
    }

    /// Sends one batch if the user's setting is on now.
    async fn deliver(&self, user: &UserId, batch: Vec<Alert>) {
        match Journal::new(self.db.clone(), user.clone())
            .alert_email()
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                debug!(user = %user, alerts = batch.len(), "alert mail off; not sent");
                return;
            }
            Err(e) => {
                warn!(user = %user, error = %e, "alert mail not sent: the setting cannot be read");
                return;
            }
        }
        let to = match self.registry.get(user.as_str()).await {
            Ok(u) => u.email().to_string(),
            Err(e) => {
                let error = match &e {
                    // Its text would quote the address.
                    UserError::InvalidEmail(_) => "the registered address is invalid".to_string(),
                    other => other.to_string(),
                };
                warn!(user = %user, %error, "alert mail not sent: no address");
                return;
            }
        };
        let (subject, body) = (subject(&batch), body(user, &batch));
        match self
            .mailer
            .send_notice(&to, user.as_str(), &subject, body)
            .await
        {
            Ok(()) => info!(user = %user, alerts = batch.len(), "alert mail sent"),
            Err(e) => warn!(
                user = %user,
                alerts = batch.len(),
                error = %e.summary(),
                "alert mail failed; later alerts are still mailed"
            ),
        }
    }
}

/// Copies the alerts of a user's live channel into `tx`, until the channel closes, the queue's
/// reader is gone, or the engine that owns the channel is dropped.
async fn forward(
    user: UserId,
    mut live: broadcast::Receiver<LiveMessage>,
    tx: mpsc::UnboundedSender<Alert>,
    owner: Weak<dyn Any + Send + Sync>,
) {
    loop {
        match tokio::time::timeout(OWNER_CHECK, live.recv()).await {
            Ok(Ok(LiveMessage::Alert { alert })) => {
                if tx.send(alert).is_err() {
                    return;
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(broadcast::error::RecvError::Lagged(skipped))) => {
                // The channel carries every tick; a burst can outrun this task. Keep going: only the
                // alerts among the skipped messages miss their mail (they stay on the Alerts page).
                warn!(user = %user, skipped, "alert mail fell behind the live channel");
            }
            Ok(Err(broadcast::error::RecvError::Closed)) => return,
            Err(_) if owner.strong_count() == 0 => return,
            Err(_) => {}
        }
    }
}

/// Batches `rx`: the first alert opens a `window`, and what arrives before it closes goes with it to
/// `deliver`. Alerts arriving while a batch is being delivered wait for the next one. When `rx`
/// closes, what is pending is still delivered.
pub async fn coalesce<F, Fut>(
    mut rx: mpsc::UnboundedReceiver<Alert>,
    window: Duration,
    mut deliver: F,
) where
    F: FnMut(Vec<Alert>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    while let Some(first) = rx.recv().await {
        let deadline = Instant::now() + window;
        let mut batch = vec![first];
        let mut closed = false;
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(a)) => batch.push(a),
                Ok(None) => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        deliver(batch).await;
        if closed {
            return;
        }
    }
}

/// "Kite Agent: <first alert's title>", plus how many more the mail holds.
pub fn subject(batch: &[Alert]) -> String {
    let first = batch
        .first()
        .map(|a| one_line(&a.title))
        .unwrap_or_default();
    match batch.len() {
        0 | 1 => format!("Kite Agent: {first}"),
        n => format!("Kite Agent: {first} (+{} more)", n - 1),
    }
}

/// One line per alert, oldest first: `YYYY-MM-DD HH:MM:SS IST  Title: message`.
pub fn body(user: &UserId, batch: &[Alert]) -> String {
    let mut out = format!("Alerts for {user}:\n\n");
    for a in batch.iter().take(MAX_LINES) {
        out.push_str(&format!(
            "{}  {}: {}\n",
            ist(a.at_ms),
            one_line(&a.title),
            one_line(&a.message)
        ));
    }
    if batch.len() > MAX_LINES {
        out.push_str(&format!(
            "… and {} more on the Alerts page.\n",
            batch.len() - MAX_LINES
        ));
    }
    out.push_str(
        "\nYou get these mails because alert emails are on for your account; \
         turn them off on the Alerts page.\n",
    );
    out
}

/// Epoch milliseconds as IST wall-clock time.
pub fn ist(ms: u64) -> String {
    let ist = FixedOffset::east_opt(5 * 3600 + 1800).expect("IST offset is valid");
    match i64::try_from(ms)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
    {
        Some(t) => t
            .with_timezone(&ist)
            .format("%Y-%m-%d %H:%M:%S IST")
            .to_string(),
        None => "(unknown time)".into(),
    }
}

/// A broker's message may carry line breaks or control characters: one alert stays one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::users::{SecretKey, User};
    use model::AlertKind;
    use std::path::Path;

    fn alert(id: u64, kind: AlertKind, title: &str, message: &str) -> Alert {
        Alert {
            id,
            // 2026-11-28 10:00:05 UTC = 15:30:05 IST.
            at_ms: 1_795_860_005_000 + id,
            kind,
            level: kind.level(),
            title: title.into(),
            message: message.into(),
        }
    }

    fn mails(outbox: &Path) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(outbox)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        out.sort();
        out
    }

    /// The body of an `.eml` as text (quoted-printable decoded).
    fn decoded(mail: &str) -> String {
        let (_, body) = mail.split_once("\r\n\r\n").unwrap();
        let bytes = quoted_printable::decode(body, quoted_printable::ParseMode::Robust).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    struct Rig {
        _dir: tempfile::TempDir,
        outbox: std::path::PathBuf,
        db: Db,
        mail: AlertMail,
    }

    async fn rig(window: Duration) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path().join("t.db")).await.unwrap();
        let (key, _) = SecretKey::load_or_create(dir.path()).unwrap();
        let registry = UserRegistry::new(db.clone(), key);
        let u = User::new(
            "AB1234",
            "ab@example.com",
            "key",
            "s3cret".to_string().into(),
        )
        .unwrap();
        registry.add(&u).await.unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = Mailer::outbox(&outbox, "Desk <desk@example.com>").unwrap();
        let mail = AlertMail::new(db.clone(), registry, mailer, window);
        Rig {
            _dir: dir,
            outbox,
            db,
            mail,
        }
    }

    #[tokio::test]
    async fn alerts_in_one_window_make_one_mail() {
        let r = rig(Duration::from_millis(400)).await;
        let user = UserId::new("AB1234");
        Journal::new(r.db.clone(), user.clone())
            .set_alert_email(true)
            .await
            .unwrap();
        let owner: Arc<dyn Any + Send + Sync> = Arc::new(());
        let (tx, _) = broadcast::channel(16);
        let task = r
            .mail
            .spawn(user.clone(), tx.subscribe(), Arc::downgrade(&owner));
        tx.send(LiveMessage::Alert {
            alert: alert(
                1,
                AlertKind::Rejection,
                "Order rejected",
                "NSE:INFY BUY 1: RMS:\r\nMargin exceeds",
            ),
        })
        .unwrap();
        tx.send(LiveMessage::Alert {
            alert: alert(
                2,
                AlertKind::Fill,
                "Order filled",
                "NSE:ITC BUY 5 @ ₹410.25",
            ),
        })
        .unwrap();
        tx.send(LiveMessage::Alert {
            alert: alert(3, AlertKind::KillSwitch, "Kill switch fired", "manual"),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(900)).await;
        let got = mails(&r.outbox);
        assert_eq!(got.len(), 1, "three alerts in one window: one mail");
        let m = &got[0];
        assert!(
            m.contains("Subject: Kite Agent: Order rejected (+2 more)"),
            "{m}"
        );
        assert!(m.contains("To: ab@example.com"), "{m}");
        let body = decoded(m);
        let lines: Vec<&str> = body.lines().filter(|l| l.contains(" IST  ")).collect();
        assert_eq!(
            lines,
            vec![
                "2026-11-28 15:30:05 IST  Order rejected: NSE:INFY BUY 1: RMS:  Margin exceeds",
                "2026-11-28 15:30:05 IST  Order filled: NSE:ITC BUY 5 @ ₹410.25",
                "2026-11-28 15:30:05 IST  Kill switch fired: manual",
            ]
        );

        // A later alert opens a new window: a second mail. Then the setting goes off: nothing more.
        tx.send(LiveMessage::Alert {
            alert: alert(4, AlertKind::FeedLost, "Market feed lost", "Reconnecting"),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(900)).await;
        let got = mails(&r.outbox);
        assert_eq!(got.len(), 2);
        assert!(got
            .iter()
            .any(|m| m.contains("Subject: Kite Agent: Market feed lost\r\n")));
        Journal::new(r.db.clone(), user.clone())
            .set_alert_email(false)
            .await
            .unwrap();
        tx.send(LiveMessage::Alert {
            alert: alert(5, AlertKind::Fill, "Order filled", "x"),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(mails(&r.outbox).len(), 2, "off at send time: not sent");

        // The engine's channel closing ends the task.
        drop(tx);
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .expect("the task ends with its channel")
            .unwrap();
    }

    #[tokio::test]
    async fn a_lagging_receiver_keeps_mailing_and_a_failed_send_does_not_stop_it() {
        let r = rig(Duration::from_millis(300)).await;
        let user = UserId::new("AB1234");
        Journal::new(r.db.clone(), user.clone())
            .set_alert_email(true)
            .await
            .unwrap();
        let owner: Arc<dyn Any + Send + Sync> = Arc::new(());
        let (tx, rx) = broadcast::channel(4);
        // Overrun the receiver before its task runs: it starts lagged.
        for _ in 0..20 {
            tx.send(LiveMessage::Heartbeat { server_time_ms: 1 })
                .unwrap();
        }
        r.mail.spawn(user.clone(), rx, Arc::downgrade(&owner));
        // The outbox becomes unwritable (a file where the folder was): this send fails.
        std::fs::remove_dir_all(&r.outbox).unwrap();
        std::fs::write(&r.outbox, b"not a folder").unwrap();
        tx.send(LiveMessage::Alert {
            alert: alert(1, AlertKind::Fill, "Order filled", "lost to the failure"),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        std::fs::remove_file(&r.outbox).unwrap();
        std::fs::create_dir(&r.outbox).unwrap();
        tx.send(LiveMessage::Alert {
            alert: alert(
                2,
                AlertKind::Rejection,
                "Order rejected",
                "after the failure",
            ),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let got = mails(&r.outbox);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(decoded(&got[0]).contains("after the failure"));
    }

    #[test]
    fn subject_and_body_shapes() {
        let user = UserId::new("AB1234");
        let one = [alert(1, AlertKind::Fill, "Order filled", "x")];
        assert_eq!(subject(&one), "Kite Agent: Order filled");
        let many: Vec<Alert> = (0..MAX_LINES as u64 + 5)
            .map(|i| alert(i, AlertKind::Fill, "Order filled", &i.to_string()))
            .collect();
        assert_eq!(
            subject(&many),
            format!("Kite Agent: Order filled (+{} more)", MAX_LINES + 4)
        );
        let b = body(&user, &many);
        assert_eq!(
            b.lines().filter(|l| l.contains(" IST  ")).count(),
            MAX_LINES
        );
        assert!(b.contains("… and 5 more on the Alerts page."));
        assert_eq!(ist(u64::MAX), "(unknown time)");
        // 18:45 UTC is past midnight in IST.
        assert_eq!(ist(1_795_891_500_000), "2026-11-29 00:15:00 IST");
    }
}
