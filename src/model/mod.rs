//! The normalized model every provider decodes into: the event and its vocabulary, event
//! times, what the statistics group by (insights, mailbox providers), and the key contract that
//! makes storing idempotent.

pub mod event;
pub mod insights;
pub mod key;
pub mod mailbox;
pub mod replay_guard;
pub mod timestamp;
pub mod vocabulary;

pub use event::{Distinguisher, EventBasics, EventTime, NormalizedEvent, Scope, SubscriptionChange};
pub use insights::Insights;
pub use key::ItemKey;
pub use replay_guard::ReplayGuard;
pub use timestamp::Timestamp;
pub use vocabulary::{BounceClass, EventKind, Provider, TimeSource};
