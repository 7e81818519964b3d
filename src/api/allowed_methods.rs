//! The `Allow` header of a 405, as RFC 9110 asks: the methods the OpenAPI document lists for
//! the path that was requested.

use serde_json::Value;

pub struct AllowedMethods {
    /// Path templates split into segments (`None` stands for a `{parameter}`) and their methods.
    routes: Vec<(Vec<Option<String>>, String)>,
}

impl AllowedMethods {
    pub fn from_spec(spec: &str) -> Self {
        let spec: Value = serde_json::from_str(spec).unwrap_or_default();
        let routes = spec["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                    .collect();
                let mut methods: Vec<String> = item
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(method, _)| method.to_uppercase())
                    .collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                methods.push("OPTIONS".into());
                (segments, methods.join(", "))
            })
            .collect();
        Self { routes }
    }

    /// The `Allow` value for a request path, if the document knows the path.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        let requested: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.routes
            .iter()
            .find(|(template, _)| {
                template.len() == requested.len()
                    && template
                        .iter()
                        .zip(&requested)
                        .all(|(t, r)| t.as_deref().is_none_or(|t| t == *r))
            })
            .map(|(_, allow)| allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::AllowedMethods;

    #[test]
    fn paths_match_their_templates() {
        let spec = r#"{"paths": {
            "/api/playlists/queue": {"get": {}, "patch": {}},
            "/api/catalogue/tracks/{id}": {"get": {}}
        }}"#;
        let allowed = AllowedMethods::from_spec(spec);
        assert_eq!(
            allowed.for_path("/api/playlists/queue/"),
            Some("GET, PATCH, HEAD, OPTIONS")
        );
        assert_eq!(
            allowed.for_path("/api/catalogue/tracks/42"),
            Some("GET, HEAD, OPTIONS")
        );
        assert_eq!(allowed.for_path("/api/catalogue/tracks"), None);
        assert_eq!(allowed.for_path("/nowhere"), None);
    }
}
