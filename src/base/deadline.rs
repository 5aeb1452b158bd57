//! How long an invocation may still run, so that retries stop in time to answer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Time kept back from the function's deadline to build and send the answer.
pub const ANSWER_RESERVE: Duration = Duration::from_millis(1500);

/// The instant by which storing must give up. `None` when there is no limit (tools, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No limit.
    pub fn none() -> Deadline {
        Deadline(None)
    }

    /// A limit `after` from now.
    pub fn after(after: Duration) -> Deadline {
        Deadline(Some(Instant::now() + after))
    }

    /// From the Lambda context's deadline (milliseconds since the epoch), less
    /// [`ANSWER_RESERVE`] (or a fifth of the time left, when less than that remains). A value
    /// too small to be an epoch time (below 10^12 ms, 2001) is read as milliseconds from now:
    /// `cargo lambda watch` sends its timeout that way.
    pub fn from_lambda_deadline_ms(deadline_ms: u64) -> Deadline {
        const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;
        if deadline_ms == 0 {
            return Deadline::none();
        }
        let left = if deadline_ms < EPOCH_MS_FLOOR {
            Duration::from_millis(deadline_ms)
        } else {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            Duration::from_millis(deadline_ms.saturating_sub(now_ms))
        };
        let reserve = ANSWER_RESERVE.min(left / 5);
        Deadline::after(left.saturating_sub(reserve))
    }

    /// Time left; `None` when unlimited.
    pub fn remaining(self) -> Option<Duration> {
        self.0.map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed.
    pub fn is_past(self) -> bool {
        self.remaining().is_some_and(|left| left.is_zero())
    }

    /// Runs `work` until it ends or the deadline comes; `None` when the deadline came first
    /// (the work is dropped: a request may or may not have reached its server).
    pub async fn run<T>(self, work: impl std::future::Future<Output = T>) -> Option<T> {
        match self.0 {
            Some(at) => tokio::time::timeout_at(at, work).await.ok(),
            None => Some(work.await),
        }
    }

    /// The earlier of two deadlines (no limit is the latest).
    pub fn earliest(self, other: Deadline) -> Deadline {
        match (self.0, other.0) {
            (Some(a), Some(b)) => Deadline(Some(a.min(b))),
            (a, b) => Deadline(a.or(b)),
        }
    }

    /// Whether waiting `wait` would still leave time before the deadline.
    pub fn allows(self, wait: Duration) -> bool {
        self.remaining().is_none_or(|left| left > wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambda_deadline_keeps_a_reserve_to_answer() {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let deadline = Deadline::from_lambda_deadline_ms(now_ms + 25_000);
        let left = deadline.remaining().unwrap();
        assert!(left <= Duration::from_millis(23_500) && left > Duration::from_secs(23));
        let short = Deadline::from_lambda_deadline_ms(now_ms + 1_000)
            .remaining()
            .unwrap();
        assert!(short <= Duration::from_millis(800));
        assert!(Deadline::from_lambda_deadline_ms(now_ms.saturating_sub(5)).is_past());
        let relative = Deadline::from_lambda_deadline_ms(600_000).remaining().unwrap();
        assert!(relative > Duration::from_secs(590) && relative <= Duration::from_secs(600));
        assert_eq!(Deadline::from_lambda_deadline_ms(0), Deadline::none());
        assert!(Deadline::none().allows(Duration::from_secs(3600)));
        let soon = Deadline::after(Duration::from_secs(12));
        let later = Deadline::after(Duration::from_secs(25));
        assert_eq!(later.earliest(soon), soon);
        assert_eq!(soon.earliest(later), soon);
        assert_eq!(Deadline::none().earliest(soon), soon);
        assert_eq!(soon.earliest(Deadline::none()), soon);
    }
}
