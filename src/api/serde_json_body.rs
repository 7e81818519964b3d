//! A JSON answer that serde writes straight from its value.
//!
//! poem-openapi's `Json` first turns the whole answer into a `serde_json::Value` tree and
//! then writes that tree: on a 50-track queue page, a quarter of the server's CPU samples
//! were under it. `SerdeJson` documents the same schema (from the type's poem-openapi
//! `Type`) and writes the same JSON (from the type's serde `Serialize`); each type that
//! uses it has a test that both give the same value, see [`assert_same_json`]. It also
//! carries answers rendered ahead (`super::view_cache`), documented as the same type.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use poem::{IntoResponse, Response};
use poem_openapi::{
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::{Serialize, Serializer};

use super::error::ApiError;

/// The JSON of a `T`.
pub struct SerdeJson<T> {
    body: serde_json::Result<Vec<u8>>,
    schema: PhantomData<fn() -> T>,
}

impl<T: Serialize> SerdeJson<T> {
    pub fn new(value: &T) -> Self {
        Self {
            body: serde_json::to_vec(value),
            schema: PhantomData,
        }
    }
}

impl<T> SerdeJson<T> {
    /// JSON already written, which must be a `T`'s.
    pub fn rendered(body: Vec<u8>) -> Self {
        Self {
            body: Ok(body),
            schema: PhantomData,
        }
    }
}

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl<T: Type> Payload for SerdeJson<T> {
    const CONTENT_TYPE: &'static str = CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T> IntoResponse for SerdeJson<T> {
    fn into_response(self) -> Response {
        match self.body {
            Ok(body) => Response::builder().content_type(CONTENT_TYPE).body(body),
            Err(err) => ApiError::internal(err).into_response(),
        }
    }
}

/// Writes a time as poem-openapi does (`to_rfc3339`, `+00:00`), where chrono's own serde
/// writes `Z`: the two writers of the API's JSON must not disagree.
pub fn rfc3339<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339())
}

#[cfg(test)]
pub fn assert_same_json<T: Serialize + poem_openapi::types::ToJSON>(value: &T) {
    assert_eq!(
        serde_json::to_value(value).unwrap(),
        value.to_json().unwrap(),
        "serde and poem-openapi write this type differently"
    );
}
