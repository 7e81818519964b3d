//! Catalog track ids as request bodies and query parameters send them.

use std::borrow::Cow;

use domain::CatalogId;
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};

use crate::api::error::{ApiError, ApiResult};

/// A catalog (Deezer) track id as the body sent it: a string or a number. Parsed into a
/// `CatalogId` by the handler, so a UUID or junk gets a 400 naming the field.
#[derive(Debug, Clone)]
pub(crate) enum TrackIdInput {
    Number(u64),
    Text(String),
}

impl Type for TrackIdInput {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "TrackId".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let as_text = MetaSchema::new("string");
        let as_number = MetaSchema::new_with_format("integer", "int64");
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "A catalog (Deezer) track id: a positive integer, as a string or a number.",
            ),
            one_of: vec![
                MetaSchemaRef::Inline(Box::new(as_text)),
                MetaSchemaRef::Inline(Box::new(as_number)),
            ],
            ..MetaSchema::ANY
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for TrackIdInput {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        match value {
            Some(serde_json::Value::String(text)) => Ok(Self::Text(text)),
            Some(serde_json::Value::Number(n)) => n
                .as_u64()
                .map(Self::Number)
                .ok_or_else(|| ParseError::custom("a track id is a positive integer")),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for TrackIdInput {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Self::Number(n) => (*n).into(),
            Self::Text(text) => text.as_str().into(),
        })
    }
}

impl TrackIdInput {
    /// The id, or a 400 naming `field` (a UUID here gets a message saying so).
    pub(crate) fn parse(&self, field: &str) -> ApiResult<CatalogId> {
        match self {
            Self::Number(n) => {
                CatalogId::new(*n).map_err(|e| ApiError::validation(field, e.to_string()))
            }
            Self::Text(text) => parse_track_id(text, field),
        }
    }
}

/// A track id from a query parameter, or a 400 naming `field`.
pub(crate) fn parse_track_id(raw: &str, field: &str) -> ApiResult<CatalogId> {
    raw.parse()
        .map_err(|e: domain::IdError| ApiError::validation(field, e.to_string()))
}
