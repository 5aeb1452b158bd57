//! Which mailbox provider receives a custom domain's mail, from its MX records: for the
//! recipient domains the table of consumer domains (`model::mailbox`) does not know; most
//! business mail is hosted at Google or Microsoft under the company's own name. Each domain is
//! looked up at most once a UTC day (remembered in this instance and in DynamoDB), within the
//! invocation's deadline, and never fails an event: a domain not answered in time stays
//! `unknown`. Off unless `MX_LOOKUP` turns it on (the template's `MxLookup` parameter).

pub mod lookup;

pub use lookup::MailboxLookup;
