use crate::CatalogId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LibraryError {
    #[error("track {0} is already in your favorites")]
    AlreadyFavorite(CatalogId),
    #[error("track {0} is not in your favorites")]
    NotFavorite(CatalogId),
    #[error("favorites hold at most {max} tracks")]
    Full { max: usize },
}
