//! How a dossier reached the receiving desk and how the applicant wants to be told of its
//! progress: facts of the receipt that the statistics count (the online share) and the
//! notifications use (SMS, Zalo, e-mail are sent by the subscribers of events, not here).

use std::fmt;

/// How the dossier was submitted (hình thức nộp hồ sơ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Channel {
    /// In person at the one-stop desk (trực tiếp); the default when a caller does not say.
    #[default]
    Desk,
    /// Through the provincial or national public-service portal (trực tuyến).
    Online,
    /// By public postal service (qua dịch vụ bưu chính công ích).
    Post,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Desk, Channel::Online, Channel::Post];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Desk => "desk",
            Channel::Online => "online",
            Channel::Post => "post",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn vietnamese(self) -> &'static str {
        match self {
            Channel::Desk => "trực tiếp",
            Channel::Online => "trực tuyến",
            Channel::Post => "qua dịch vụ bưu chính công ích",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the applicant agreed to be notified: a phone number (SMS, Zalo) and/or an e-mail
/// address, each checked. Personal data: carried to event subscribers, never shown on a
/// public page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error(
        "contact phone {0:?} is not a phone number: 9 to 15 digits, optionally after '+', with \
         spaces, dots or hyphens between them"
    )]
    Phone(String),
    #[error("contact e-mail {0:?} is not an e-mail address (name@domain, at most 254 characters)")]
    Email(String),
}

impl Contact {
    /// The contact from what the caller sent; `None` when both are empty (the applicant did
    /// not agree to notifications).
    pub fn new(phone: &str, email: &str) -> Result<Option<Contact>, ContactError> {
        let phone = phone.trim();
        let email = email.trim();
        if phone.is_empty() && email.is_empty() {
            return Ok(None);
        }
        let phone = (!phone.is_empty())
            .then(|| normalize_phone(phone))
            .transpose()?;
        let email = (!email.is_empty())
            .then(|| check_email(email))
            .transpose()?;
        Ok(Some(Contact { phone, email }))
    }

    /// The phone number, digits only (after a leading '+' if it had one).
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref()
    }

    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
}

fn normalize_phone(phone: &str) -> Result<String, ContactError> {
    let bad = || ContactError::Phone(phone.chars().take(40).collect());
    let (plus, rest) = match phone.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", phone),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' => {}
            _ => return Err(bad()),
        }
    }
    if !(9..=15).contains(&digits.len()) {
        return Err(bad());
    }
    Ok(format!("{plus}{digits}"))
}

fn check_email(email: &str) -> Result<String, ContactError> {
    let bad = || ContactError::Email(email.chars().take(60).collect());
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let labels_ok = domain.split('.').count() >= 2
        && domain
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63);
    if local.is_empty() || local.len() > 64 || domain.contains('@') || !labels_ok {
        return Err(bad());
    }
    Ok(email.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!(Channel::default(), Channel::Desk);
    }

    #[test]
    fn contacts_are_checked_and_normalized() {
        assert_eq!(Contact::new("", " ").unwrap(), None);
        let contact = Contact::new("+84 912.345-678", "an@example.vn")
            .unwrap()
            .unwrap();
        assert_eq!(contact.phone(), Some("+84912345678"));
        assert_eq!(contact.email(), Some("an@example.vn"));
        let phone_only = Contact::new("0912345678", "").unwrap().unwrap();
        assert_eq!(phone_only.email(), None);
        for phone in ["12345", "0912abc678", "++84912345678", "1234567890123456"] {
            assert!(
                matches!(Contact::new(phone, ""), Err(ContactError::Phone(_))),
                "{phone}"
            );
        }
        for email in [
            "an",
            "an@",
            "@example.vn",
            "an@localhost",
            "a n@example.vn",
            "a@b@c.vn",
        ] {
            assert!(
                matches!(Contact::new("", email), Err(ContactError::Email(_))),
                "{email}"
            );
        }
    }
}
