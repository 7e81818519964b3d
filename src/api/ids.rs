//! Catalog ids as API inputs: Deezer's positive integers, accepted as JSON strings or
//! numbers and as path/query parameters, refused with a message that says which kind of
//! id was expected (a UUID here is the classic mix-up).

use std::borrow::Cow;

use domain::CatalogId;
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogRef(pub CatalogId);

impl Type for CatalogRef {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "catalog_id".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        schema.pattern = Some("^[1-9][0-9]{0,18}$".into());
        schema.description =
            Some("A catalog (Deezer) id: a positive integer, as a string or a number.");
        schema.example = Some(Value::String("3135556".into()));
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for CatalogRef {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Self::parse_from_parameter(&s),
            Value::Number(n) => Self::parse_from_parameter(&n.to_string()),
            other => Err(ParseError::custom(format!(
                "expected a catalog (Deezer) id, a positive integer, but got {other}"
            ))),
        }
    }
}

impl ParseFromParameter for CatalogRef {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value
            .parse::<CatalogId>()
            .map(Self)
            .map_err(ParseError::custom)
    }
}

impl ToJSON for CatalogRef {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_numbers_are_ids_and_uuids_say_what_was_expected() {
        assert_eq!(
            CatalogRef::parse_from_json(Some(Value::from("42")))
                .unwrap()
                .0
                .get(),
            42
        );
        assert_eq!(
            CatalogRef::parse_from_json(Some(Value::from(42)))
                .unwrap()
                .0
                .get(),
            42
        );
        for bad in [
            Value::from(-1),
            Value::from(1.5),
            Value::from("0195c0de-0000-7000-8000-000000000000"),
            Value::Null,
            Value::from(true),
        ] {
            let err = CatalogRef::parse_from_json(Some(bad.clone())).unwrap_err();
            assert!(
                err.message().contains("catalog (Deezer) id"),
                "{bad}: {}",
                err.message()
            );
        }
    }
}
