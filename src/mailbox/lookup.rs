//! The lookup: unknown recipient domains of a batch → this instance's answers → DynamoDB's
//! answers of the day → DNS (MX records), remembered in both.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveErrorKind, TokioResolver};

use crate::base::deadline::Deadline;
use crate::model::insights::destination;
use crate::model::mailbox::{mx_provider, OTHER, UNKNOWN};
use crate::model::{NormalizedEvent, Timestamp};
use crate::store::DomainStore;

/// The most domains looked up in one invocation; the rest wait for a later one.
pub const MAX_LOOKUPS: usize = 50;
/// The longest wait for one domain's answer.
const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1_500);
/// What is left for storing when the lookups stop: they never eat into it.
const KEEP_FOR_STORING: Duration = Duration::from_secs(3);

/// Looks up the mail servers of unknown recipient domains.
pub struct MailboxLookup {
    resolver: TokioResolver,
    cache: Arc<dyn DomainStore>,
    /// Today's answers in this instance: (day, domain) → mailbox provider.
    seen: Mutex<HashMap<(String, String), String>>,
}

impl std::fmt::Debug for MailboxLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxLookup").finish_non_exhaustive()
    }
}

impl MailboxLookup {
    /// A lookup asking `name_server`, or the system's name servers when `None`; `None` when the
    /// system's configuration cannot be read (then no domain is looked up).
    pub fn new(
        cache: Arc<dyn DomainStore>,
        name_server: Option<std::net::SocketAddr>,
    ) -> Option<MailboxLookup> {
        let mut builder = match name_server {
            Some(server) => TokioResolver::builder_with_config(
                ResolverConfig::from_parts(
                    None,
                    Vec::new(),
                    NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true),
                ),
                TokioConnectionProvider::default(),
            ),
            None => TokioResolver::builder_tokio().ok()?,
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = LOOKUP_TIMEOUT;
        options.attempts = 1;
        Some(MailboxLookup {
            resolver: builder.build(),
            cache,
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// Sets the mailbox provider of every event whose recipient domain the table does not
    /// know and whose mail servers say it, as far as `deadline` allows.
    pub async fn attribute(&self, events: &mut [NormalizedEvent], now: Timestamp, deadline: Deadline) {
        // Each event's domain, read once: only where neither the provider nor the table named
        // the mailbox provider (and never the simulator's).
        let domains: Vec<Option<String>> = events
            .iter()
            .map(|e| {
                let d = destination(e.recipient.as_deref()?)?;
                (e.insights.mailbox_provider.is_none() && d.mailbox_provider == UNKNOWN && !d.simulator)
                    .then_some(d.domain)
            })
            .collect();
        let unknown: BTreeSet<String> = domains.iter().flatten().cloned().collect();
        if unknown.is_empty() {
            return;
        }
        let answers = self.answers(unknown, now, deadline).await;
        for (event, domain) in events.iter_mut().zip(domains) {
            if let Some(provider) = domain
                .and_then(|domain| answers.get(&domain))
                .filter(|p| p.as_str() != UNKNOWN)
            {
                event.insights.mailbox_provider = Some(provider.clone());
            }
        }
    }

    /// The mailbox provider of each domain answered: from this instance, from DynamoDB, or
    /// from DNS (then remembered in both).
    async fn answers(
        &self,
        domains: BTreeSet<String>,
        now: Timestamp,
        deadline: Deadline,
    ) -> HashMap<String, String> {
        let day = now.to_rfc3339()[..10].to_owned();
        let mut answers = HashMap::new();
        let mut missing = Vec::new();
        {
            let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            for domain in domains {
                match seen.get(&(day.clone(), domain.clone())) {
                    Some(provider) => {
                        answers.insert(domain, provider.clone());
                    }
                    None => missing.push(domain),
                }
            }
        }
        if missing.is_empty() {
            return answers;
        }
        // The lookups never eat into the time storing needs.
        let budget = match deadline.remaining() {
            Some(left) => Deadline::after(left.saturating_sub(KEEP_FOR_STORING)),
            None => Deadline::none(),
        };
        let cached = match self.cache.looked_up(&missing, &day, budget).await {
            Ok(cached) => cached,
            Err(error) => {
                tracing::warn!(error = %crate::base::logging::chain(&error), "reading looked-up domains failed");
                HashMap::new()
            }
        };
        missing.retain(|domain| !cached.contains_key(domain));
        missing.truncate(MAX_LOOKUPS);
        let looked_up: Vec<(String, String)> =
            futures_util::future::join_all(missing.into_iter().map(|domain| async move {
                let answer = budget.run(self.mail_servers_of(&domain)).await.flatten();
                answer.map(|provider| (domain, provider))
            }))
            .await
            .into_iter()
            .flatten()
            .collect();
        if !looked_up.is_empty() {
            if let Err(error) = self.cache.remember(looked_up.clone(), &day, now, budget).await {
                tracing::warn!(error = %crate::base::logging::chain(&error), "remembering looked-up domains failed");
            }
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|(seen_day, _), _| *seen_day == day);
        for (domain, provider) in cached.into_iter().chain(looked_up) {
            seen.insert((day.clone(), domain.clone()), provider.clone());
            answers.insert(domain, provider);
        }
        answers
    }

    /// What `domain`'s MX records say: the mailbox provider of its most preferred server that
    /// names one, `other` when none does, `unknown` when the domain has no MX records; `None`
    /// when DNS did not answer (asked again next time).
    async fn mail_servers_of(&self, domain: &str) -> Option<String> {
        let name = format!("{domain}.");
        match self.resolver.mx_lookup(name.as_str()).await {
            Ok(lookup) => {
                let mut servers: Vec<(u16, String)> = lookup
                    .iter()
                    .map(|mx| (mx.preference(), mx.exchange().to_ascii()))
                    .collect();
                servers.sort();
                let named = servers.iter().find_map(|(_, host)| mx_provider(host));
                Some(match (named, servers.is_empty()) {
                    (Some(provider), _) => provider.to_owned(),
                    (None, true) => UNKNOWN.to_owned(),
                    (None, false) => OTHER.to_owned(),
                })
            }
            Err(error) if no_records(&error) => Some(UNKNOWN.to_owned()),
            Err(_) => None,
        }
    }
}

/// Whether DNS answered that the domain has no MX records (or does not exist).
fn no_records(error: &hickory_resolver::ResolveError) -> bool {
    match error.kind() {
        ResolveErrorKind::Proto(proto) => matches!(proto.kind(), ProtoErrorKind::NoRecordsFound { .. }),
        _ => false,
    }
}
