//! Uploaded images through object_store: a local folder by default, S3 when configured.
//! Either way the app serves them at `/media/{key}`, so URLs work without a public bucket.

use std::sync::Arc;

use bytes::Bytes;
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem,
    path::Path,
};

use crate::config::Settings;

/// Image formats accepted for avatars and covers, judged by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some(Self::Png),
            [0xff, 0xd8, 0xff, ..] => Some(Self::Jpeg),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Self::Gif),
            [
                b'R',
                b'I',
                b'F',
                b'F',
                _,
                _,
                _,
                _,
                b'W',
                b'E',
                b'B',
                b'P',
                ..,
            ] => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::Gif, Self::Webp]
            .into_iter()
            .find(|k| k.extension() == ext)
    }
}

#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    backend: &'static str,
}

#[derive(Debug, thiserror::Error)]
#[error("media store: {0}")]
pub struct MediaError(#[from] object_store::Error);

impl MediaStore {
    pub fn from_settings(settings: &Settings) -> Result<Self, MediaError> {
        if let Some(s3) = &settings.s3 {
            let mut builder = AmazonS3Builder::new()
                .with_bucket_name(&s3.bucket)
                .with_region(&s3.region)
                .with_access_key_id(&s3.access_key_id)
                .with_secret_access_key(s3.secret_access_key.expose());
            if let Some(endpoint) = &s3.endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
            }
            return Ok(Self {
                store: Arc::new(builder.build()?),
                backend: "s3",
            });
        }
        std::fs::create_dir_all(&settings.media_dir).map_err(|e| object_store::Error::Generic {
            store: "local",
            source: Box::new(e),
        })?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new_with_prefix(&settings.media_dir)?),
            backend: "local",
        })
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Stores an image under a fresh key and returns the key.
    pub async fn put_image(
        &self,
        folder: &str,
        kind: ImageKind,
        bytes: Bytes,
    ) -> Result<String, MediaError> {
        let key = format!("{folder}/{}.{}", uuid::Uuid::now_v7(), kind.extension());
        self.store
            .put(&Path::from(key.as_str()), PutPayload::from_bytes(bytes))
            .await?;
        Ok(key)
    }

    /// `None` when there is no such object.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, MediaError> {
        let path = Path::parse(key).map_err(|e| object_store::Error::InvalidPath { source: e })?;
        match self.store.get(&path).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageKind;

    #[test]
    fn images_are_judged_by_content() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageKind::Png)
        );
        assert_eq!(ImageKind::sniff(b"\xff\xd8\xff\xe0"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"GIF89a.."), Some(ImageKind::Gif));
        assert_eq!(
            ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"<svg xmlns=..."), None);
        assert_eq!(ImageKind::sniff(b"PK\x03\x04"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }
}
