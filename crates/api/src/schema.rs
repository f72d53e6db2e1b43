//! diesel table definitions for the `catalog` schema (kept in step with
//! `migrations/` by hand; the integration tests exercise every column).

diesel::table! {
    catalog.categories (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        parent_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    catalog.documents (id) {
        id -> Uuid,
        title -> Text,
        file_name -> Text,
        media_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        blob_key -> Text,
        category_id -> Nullable<Uuid>,
        status -> Text,
        failure_code -> Text,
        failure_message -> Text,
        page_count -> Int4,
        chunk_count -> Int4,
        language -> Text,
        author -> Text,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        title_source -> Text,
    }
}

diesel::table! {
    catalog.document_versions (document_id, version) {
        document_id -> Uuid,
        version -> Int4,
        sha256 -> Text,
        blob_key -> Text,
        size_bytes -> Int8,
        file_name -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    catalog.document_tags (document_id, tag) {
        document_id -> Uuid,
        tag -> Text,
    }
}

diesel::table! {
    catalog.ingest_jobs (id) {
        id -> Uuid,
        document_id -> Uuid,
        state -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        worker_id -> Text,
        lease_expires_at -> Nullable<Timestamptz>,
        run_after -> Timestamptz,
        last_error_code -> Text,
        last_error -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    catalog.audit_events (id) {
        id -> Uuid,
        at -> Timestamptz,
        user_id -> Nullable<Uuid>,
        api_key_id -> Nullable<Uuid>,
        ip -> Text,
        user_agent -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        success -> Bool,
        details -> Jsonb,
    }
}

diesel::table! {
    catalog.users (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
        last_seen_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    catalog.api_keys (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Array<Text>,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    catalog.refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(documents -> categories (category_id));
diesel::joinable!(document_versions -> documents (document_id));
diesel::joinable!(document_tags -> documents (document_id));
diesel::joinable!(ingest_jobs -> documents (document_id));
diesel::allow_tables_to_appear_in_same_query!(
    categories,
    documents,
    document_versions,
    document_tags,
    ingest_jobs,
    audit_events,
    users,
    api_keys,
    refresh_tokens
);
