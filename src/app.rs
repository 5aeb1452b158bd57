//! What the function builds once at cold start and keeps across invocations: settings, the
//! store, and one verifier per channel.
//!
//! A channel whose secret is configured but unusable is closed alone: it answers with its
//! provider's retry status (so the provider retries while the operator fixes it) and every
//! other channel keeps working.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Config;
use crate::metrics::MetricsSink;
use crate::model::Provider;
use crate::store::Storage;
use crate::verify::sns::fetch::{HttpsGet, SnsHttpsClient};
use crate::verify::sns::{BadSignatureVersions, SignatureVersions, SnsVerifier, TopicAllowList};
use crate::verify::{SetupError, Verifier};

/// A channel's verifier, or why the channel is closed.
pub type Channel<V> = Result<V, ChannelError>;

/// Why a channel is closed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChannelError {
    /// Its secret is configured but unusable.
    #[error(transparent)]
    Secret(#[from] SetupError),
    /// `SNS_SIGNATURE_VERSIONS` lists something other than 1 and 2.
    #[error(transparent)]
    SnsSignatureVersions(#[from] BadSignatureVersions),
}

/// One verifier per channel.
#[derive(Debug)]
pub struct Channels {
    /// Every webhook provider's verifier, by provider (from the registry).
    pub webhooks: BTreeMap<Provider, Channel<Arc<dyn Verifier>>>,
    /// SNS HTTPS deliveries (`/webhooks/ses`): topics and signatures.
    pub sns_https: Channel<SnsVerifier>,
    /// The SNS trigger's topic allow-list.
    pub sns_topics: TopicAllowList,
}

/// Settings, store and channels.
#[derive(Debug)]
pub struct App {
    /// Settings read at cold start.
    pub config: Config,
    /// Where events and quarantined bodies go.
    pub store: Arc<dyn Storage>,
    /// The request verifiers.
    pub channels: Channels,
    /// Where each invocation's metric lines go.
    pub metrics: MetricsSink,
    /// The MX lookup of unknown recipient domains, when `MX_LOOKUP` turns it on.
    pub mailbox: Option<crate::mailbox::MailboxLookup>,
}

impl App {
    /// Builds the app; SNS certificates and confirmations go through the real HTTPS client.
    pub fn new(config: Config, store: Arc<dyn Storage>) -> App {
        App::with_https(config, store, Arc::new(SnsHttpsClient::default()))
    }

    /// Builds the app with another HTTPS client for SNS. A channel whose secret is unusable
    /// is logged here, once, and closed.
    pub fn with_https(config: Config, store: Arc<dyn Storage>, https: Arc<dyn HttpsGet>) -> App {
        let topics = TopicAllowList::new(config.sns_topic_arns.clone());
        let webhooks = Provider::ALL
            .into_iter()
            .filter_map(|provider| {
                let webhook = provider.webhook()?;
                let settings = config.channels.get(&provider).cloned().unwrap_or_default();
                Some((
                    provider,
                    (webhook.verifier)(&settings).map_err(ChannelError::from),
                ))
            })
            .collect();
        let channels = Channels {
            webhooks,
            sns_https: SignatureVersions::parse(&config.sns_signature_versions)
                .map(|versions| {
                    SnsVerifier::new(topics.clone(), config.sns_cert_dir.clone(), https)
                        .with_versions(versions)
                })
                .map_err(ChannelError::from),
            sns_topics: topics,
        };
        for (provider, result) in &channels.webhooks {
            if let Err(error) = result {
                tracing::error!(channel = provider.as_str(), error = %error, "channel misconfigured: it answers its retry status until fixed");
            }
        }
        if let Err(error) = &channels.sns_https {
            tracing::error!(channel = "ses", error = %error, "channel misconfigured: it answers 503 until fixed");
        }
        let metrics = if config.metrics {
            MetricsSink::Stdout
        } else {
            MetricsSink::Off
        };
        let mailbox = if config.mx_lookup {
            let lookup = crate::mailbox::MailboxLookup::new(store.clone(), config.mx_name_server);
            if lookup.is_none() {
                tracing::error!(
                    "MX lookups are on but the system's name servers cannot be read: they are off"
                );
            }
            lookup
        } else {
            None
        };
        App {
            config,
            store,
            channels,
            metrics,
            mailbox,
        }
    }

    /// The same app writing its metric lines to `sink`.
    pub fn with_metrics(mut self, sink: MetricsSink) -> App {
        self.metrics = sink;
        self
    }
}
