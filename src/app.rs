//! What the function builds once at cold start and keeps across invocations: settings, the
//! store, and one verifier per channel.
//!
//! A channel whose secret is configured but unusable is closed alone: it answers
//! `503 misconfigured` (so the provider retries while the operator fixes it) and every other
//! channel keeps working.

use std::sync::Arc;

use crate::config::Config;
use crate::metrics::MetricsSink;
use crate::store::Storage;
use crate::verify::sendgrid::{BadPublicKey, SendGridVerifier};
use crate::verify::sns::fetch::{HttpsGet, SnsHttpsClient};
use crate::verify::sns::{BadSignatureVersions, SignatureVersions, SnsVerifier, TopicAllowList};
use crate::verify::token::{TokenVerifier, WeakToken};

/// A secret that is configured but unusable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SetupError {
    /// A SendGrid key does not parse.
    #[error(transparent)]
    SendGridKey(#[from] BadPublicKey),
    /// A SendPulse token is too short to be a secret.
    #[error(transparent)]
    SendPulseToken(#[from] WeakToken),
    /// `SNS_SIGNATURE_VERSIONS` lists something other than 1 and 2.
    #[error(transparent)]
    SnsSignatureVersions(#[from] BadSignatureVersions),
}

/// A channel's verifier, or why the channel is closed.
pub type Channel<V> = Result<V, SetupError>;

/// One verifier per channel.
#[derive(Debug)]
pub struct Channels {
    /// SendGrid's ECDSA signatures.
    pub sendgrid: Channel<SendGridVerifier>,
    /// SendPulse's URL token.
    pub sendpulse: Channel<TokenVerifier>,
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
        let channels = Channels {
            sendgrid: SendGridVerifier::new(&config.sendgrid_public_keys, config.sendgrid_max_age_seconds)
                .map_err(SetupError::from),
            sendpulse: TokenVerifier::new(&config.sendpulse_tokens).map_err(SetupError::from),
            sns_https: SignatureVersions::parse(&config.sns_signature_versions)
                .map(|versions| {
                    SnsVerifier::new(topics.clone(), config.sns_cert_dir.clone(), https)
                        .with_versions(versions)
                })
                .map_err(SetupError::from),
            sns_topics: topics,
        };
        for (channel, result) in [
            ("sendgrid", channels.sendgrid.as_ref().err()),
            ("sendpulse", channels.sendpulse.as_ref().err()),
            ("ses", channels.sns_https.as_ref().err()),
        ] {
            if let Some(error) = result {
                tracing::error!(channel, error = %error, "channel misconfigured: it answers 503 until fixed");
            }
        }
        let metrics = if config.metrics {
            MetricsSink::Stdout
        } else {
            MetricsSink::Off
        };
        App {
            config,
            store,
            channels,
            metrics,
        }
    }

    /// The same app writing its metric lines to `sink`.
    pub fn with_metrics(mut self, sink: MetricsSink) -> App {
        self.metrics = sink;
        self
    }
}
