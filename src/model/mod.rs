//! The normalized model every provider decodes into: the event and its vocabulary, event
//! times, and the key contract that makes storing idempotent.

pub mod event;
pub mod key;
pub mod replay_guard;
pub mod timestamp;
pub mod vocabulary;

pub use event::{Distinguisher, EventBasics, EventTime, NormalizedEvent, Scope, SubscriptionChange};
pub use key::ItemKey;
pub use replay_guard::ReplayGuard;
pub use timestamp::Timestamp;
pub use vocabulary::{BounceClass, EventKind, Provider, TimeSource};
