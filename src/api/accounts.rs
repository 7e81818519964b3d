//! Accounts: registration, tokens, profile and avatar.

use chrono::{DateTime, Utc};
use domain::account::{AccountError, Bio, Email, NewPassword, Username};
use poem::web::{Data, RemoteAddr};
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi, payload::Json, types::multipart::Upload,
};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    security::BearerAuth,
    uploads,
};
use crate::{
    accounts::{self, RegisterError, User},
    auth::{password, sessions, sessions::SessionError},
    state::AppState,
};

pub struct AccountsApi;

#[derive(Object)]
struct RegisterRequest {
    /// 3 to 32 letters, digits, `_`, `.` or `-`.
    username: String,
    email: String,
    /// At least 8 characters; not the username or the email.
    password: String,
}

#[derive(Object)]
struct RegisteredUser {
    id: Uuid,
    username: String,
    email: String,
}

#[derive(Object)]
struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Object)]
struct TokenPairBody {
    /// Refresh token (14 days); single use: each refresh returns a new one.
    refresh: String,
    /// Access token (15 minutes) for `Authorization: Bearer`.
    access: String,
}

#[derive(Object)]
struct RefreshRequest {
    refresh: String,
}

#[derive(Object)]
struct Profile {
    id: Uuid,
    username: String,
    email: String,
    bio: String,
    /// URL of the avatar image, or null when none was uploaded.
    #[oai(nullable)]
    avatar: Option<String>,
    roles: Vec<String>,
    created_at: DateTime<Utc>,
}

#[derive(Object)]
struct ProfileUpdate {
    /// At most 1000 characters.
    #[oai(nullable)]
    bio: Option<String>,
}

#[derive(Multipart)]
struct AvatarUpload {
    /// PNG, JPEG, WebP or GIF (judged by content), at most 5 MB.
    avatar: Upload,
}

#[derive(Object)]
struct AvatarUploaded {
    avatar_url: String,
}

#[derive(ApiResponse)]
enum RegisterResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<RegisteredUser>),
}

#[derive(ApiResponse)]
enum TokenResponse {
    #[oai(status = 200)]
    Ok(Json<TokenPairBody>),
}

#[derive(ApiResponse)]
enum ProfileResponse {
    #[oai(status = 200)]
    Ok(Json<Profile>),
}

#[derive(ApiResponse)]
enum AvatarResponse {
    #[oai(status = 200)]
    Ok(Json<AvatarUploaded>),
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        ApiError::validation(err.field, err.message)
    }
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::Database(db) => ApiError::database(db),
            other => ApiError::unauthorized(other.to_string()),
        }
    }
}

fn profile(user: User) -> Profile {
    Profile {
        id: user.id,
        username: user.username,
        email: user.email,
        bio: user.bio,
        avatar: user.avatar_key.map(|key| uploads::media_url(&key)),
        roles: user.roles,
        created_at: user.created_at,
    }
}

async fn current(state: &AppState, auth: &BearerAuth) -> ApiResult<User> {
    accounts::by_id(&state.pool, auth.user().id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Register (public).
    ///
    /// A duplicate username or email answers 400 naming the field.
    #[oai(
        path = "/api/accounts/register/",
        method = "post",
        operation_id = "register"
    )]
    async fn register(
        &self,
        Data(state): Data<&AppState>,
        body: Json<RegisterRequest>,
    ) -> ApiResult<RegisterResponse> {
        let username = Username::parse(&body.username)?;
        let email = Email::parse(&body.email)?;
        let new_password = NewPassword::parse(&body.password, &username, &email)?;
        let hash = password::hash(new_password.expose().to_owned())
            .await
            .map_err(ApiError::internal)?;
        let user = accounts::register(&state.pool, &username, &email, &hash)
            .await
            .map_err(|err| match err {
                RegisterError::Taken(field) => {
                    ApiError::validation(field, format!("this {field} is already registered"))
                }
                RegisterError::Database(db) => ApiError::database(db),
            })?;
        Ok(RegisterResponse::Created(Json(RegisteredUser {
            id: user.id,
            username: user.username,
            email: user.email,
        })))
    }

    /// Log in (public): exchange email and password for an access and a refresh token.
    ///
    /// The email is matched as registration stores it (trimmed, case ignored); one that
    /// cannot be an email address answers 401 like a wrong password. Repeated failures for
    /// one account or from one address answer 429 with Retry-After.
    #[oai(path = "/api/accounts/token/", method = "post", operation_id = "login")]
    async fn login(
        &self,
        Data(state): Data<&AppState>,
        remote: &RemoteAddr,
        body: Json<LoginRequest>,
    ) -> ApiResult<TokenResponse> {
        let address = remote.to_string();
        let address = address
            .rsplit_once(':')
            .map_or(address.as_str(), |(ip, _)| ip);
        let limiter = &state.login_limiter;
        limiter.check(&body.email, address).map_err(|wait| {
            ApiError::too_many_requests("too many failed logins; try again later", wait)
        })?;
        // Registration accepts only addresses that parse, so one that does not belongs to
        // no account: it is a wrong login, and never reaches the database.
        let user = match Email::parse(&body.email) {
            Ok(email) => accounts::by_email(&state.pool, &email).await?,
            Err(_) => None,
        };
        let stored_hash = user
            .as_ref()
            .map_or(password::DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
        let matches = password::verify(body.password.clone(), stored_hash).await;
        let user = match user {
            Some(user) if matches => user,
            _ => {
                limiter.record_failure(&body.email, address);
                return Err(ApiError::unauthorized("wrong email or password"));
            }
        };
        limiter.record_success(&body.email);
        let pair = sessions::login(&state.pool, &state.jwt, &user).await?;
        Ok(TokenResponse::Ok(Json(TokenPairBody {
            refresh: pair.refresh,
            access: pair.access,
        })))
    }

    /// Refresh (public): exchange a refresh token for a new access and refresh token.
    ///
    /// Refresh tokens are single use. Presenting one a second time revokes every token of
    /// the login it came from (answering 401), so a stolen token is useful once at most.
    #[oai(
        path = "/api/accounts/token/refresh/",
        method = "post",
        operation_id = "refresh_token"
    )]
    async fn refresh(
        &self,
        Data(state): Data<&AppState>,
        body: Json<RefreshRequest>,
    ) -> ApiResult<TokenResponse> {
        let pair = sessions::refresh(&state.pool, &state.jwt, &body.refresh).await?;
        Ok(TokenResponse::Ok(Json(TokenPairBody {
            refresh: pair.refresh,
            access: pair.access,
        })))
    }

    /// The caller's profile.
    #[oai(
        path = "/api/accounts/profile/",
        method = "get",
        operation_id = "get_profile"
    )]
    async fn get_profile(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<ProfileResponse> {
        let user = current(state, &auth).await?;
        Ok(ProfileResponse::Ok(Json(profile(user))))
    }

    /// Update the caller's profile (only `bio` can change).
    #[oai(
        path = "/api/accounts/profile/",
        method = "patch",
        operation_id = "update_profile"
    )]
    async fn update_profile(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<ProfileUpdate>,
    ) -> ApiResult<ProfileResponse> {
        let user = match &body.bio {
            Some(bio) => {
                let bio = Bio::parse(bio)?;
                accounts::set_bio(&state.pool, auth.user().id, &bio)
                    .await?
                    .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?
            }
            None => current(state, &auth).await?,
        };
        Ok(ProfileResponse::Ok(Json(profile(user))))
    }

    /// Upload an avatar (multipart field `avatar`).
    #[oai(
        path = "/api/accounts/upload-avatar/",
        method = "post",
        operation_id = "upload_avatar"
    )]
    async fn upload_avatar(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        form: AvatarUpload,
    ) -> ApiResult<AvatarResponse> {
        let key = uploads::store_image(state, "avatars", "avatar", form.avatar).await?;
        accounts::set_avatar(&state.pool, auth.user().id, &key)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
        Ok(AvatarResponse::Ok(Json(AvatarUploaded {
            avatar_url: uploads::media_url(&key),
        })))
    }
}
