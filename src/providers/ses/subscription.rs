//! SES Subscription events: whether a change of topic preferences opts out or back in.

use super::message::{Subscription, TopicPreferences};
use crate::model::{EventKind, Scope, SubscriptionChange};

fn opted_out(status: Option<&str>) -> bool {
    status.is_some_and(|s| s.eq_ignore_ascii_case("optout"))
}

fn unsubscribe_all(prefs: Option<&TopicPreferences>) -> bool {
    prefs
        .and_then(|p| p.unsubscribe_all.as_deref())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A Subscription event is an unsubscribe when the new preferences opt out of more than the
/// old ones did (or of everything), and a subscribe when they opt back in.
pub(super) fn subscription_kind(s: &Subscription) -> EventKind {
    let new = s.new_topic_preferences.as_ref();
    let old = s.old_topic_preferences.as_ref();
    if unsubscribe_all(new) {
        return EventKind::Unsubscribed;
    }
    if unsubscribe_all(old) {
        return EventKind::Subscribed;
    }
    let old_status = |topic: &Option<String>| {
        old.into_iter()
            .flat_map(|p| &p.topic_subscription_status)
            .find(|t| &t.topic_name == topic)
            .map(|t| opted_out(t.subscription_status.as_deref()))
    };
    let mut newly_out = false;
    let mut newly_in = false;
    let mut any_out = false;
    for topic in new.into_iter().flat_map(|p| &p.topic_subscription_status) {
        let out_now = opted_out(topic.subscription_status.as_deref());
        any_out |= out_now;
        match old_status(&topic.topic_name) {
            Some(out_before) if out_before == out_now => {}
            _ if out_now => newly_out = true,
            _ => newly_in = true,
        }
    }
    match (newly_out, newly_in) {
        (true, _) => EventKind::Unsubscribed,
        (false, true) => EventKind::Subscribed,
        (false, false) if any_out => EventKind::Unsubscribed,
        (false, false) => EventKind::Subscribed,
    }
}

/// What a Subscription event opts out of or back into: everything (`unsubscribeAll`, or its
/// end), and each topic whose status is given.
pub(super) fn changes(s: &Subscription) -> Vec<SubscriptionChange> {
    let new = s.new_topic_preferences.as_ref();
    let old = s.old_topic_preferences.as_ref();
    let mut out = Vec::new();
    if unsubscribe_all(new) {
        out.push(SubscriptionChange {
            scope: Scope::Global,
            subscribed: false,
        });
    } else if unsubscribe_all(old) {
        out.push(SubscriptionChange {
            scope: Scope::Global,
            subscribed: true,
        });
    }
    for topic in new.into_iter().flat_map(|p| &p.topic_subscription_status) {
        let Some(name) = topic.topic_name.as_deref().filter(|n| !n.trim().is_empty()) else {
            continue;
        };
        out.push(SubscriptionChange {
            scope: Scope::Topic(name.to_owned()),
            subscribed: !opted_out(topic.subscription_status.as_deref()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::message::TopicStatus;
    use super::*;

    fn prefs(all: bool, topics: &[(&str, &str)]) -> Option<TopicPreferences> {
        Some(TopicPreferences {
            unsubscribe_all: Some(all.to_string()),
            topic_subscription_status: topics
                .iter()
                .map(|(n, s)| TopicStatus {
                    topic_name: Some((*n).into()),
                    subscription_status: Some((*s).into()),
                })
                .collect(),
        })
    }

    #[test]
    fn subscription_direction_follows_the_change_in_preferences() {
        let kind = |new, old| {
            subscription_kind(&Subscription {
                new_topic_preferences: new,
                old_topic_preferences: old,
                ..Default::default()
            })
        };
        assert_eq!(kind(prefs(true, &[]), prefs(false, &[])), EventKind::Unsubscribed);
        assert_eq!(kind(prefs(false, &[]), prefs(true, &[])), EventKind::Subscribed);
        assert_eq!(
            kind(prefs(false, &[("A", "OptOut")]), prefs(false, &[("A", "OptIn")])),
            EventKind::Unsubscribed
        );
        assert_eq!(
            kind(
                prefs(false, &[("A", "OptIn"), ("B", "OptOut")]),
                prefs(false, &[("A", "OptOut"), ("B", "OptOut")])
            ),
            EventKind::Subscribed
        );
        assert_eq!(kind(prefs(false, &[("A", "OptIn")]), None), EventKind::Subscribed);
    }
}
