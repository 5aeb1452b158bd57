//! One suppression list across providers: which events say "stop sending to this address"
//! ([`evidence`]), what a stored record says now ([`record`]), what a provider's export says
//! (`import`, with the command), and how a verdict changed ([`change`]).
//!
//! A record keeps one slot per reason (and per group or topic for scoped unsubscribes), each
//! holding the latest event that set it. Slots only move forward in time (ties broken by the
//! event's key), so the verdict depends on the set of events received, never on their order
//! or how often they came.

pub mod change;
pub mod evidence;
/// Providers' exports: only the command imports them (feature `cli`, which brings CSV).
#[cfg(feature = "cli")]
pub mod import;
pub mod record;

pub use evidence::{evidence, Escalation, Evidence, Mark, Reason};
pub use record::{Record, SlotValue, Verdict};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod weak_evidence_tests;
