//! Roles and the permissions they carry, named as Palette names them (`clusterProfile.get`, ...).
//!
//! Palette requires `clusterProfile.get` to read or export a profile and `clusterProfile.create` to import
//! one; a key whose role lacks the permission gets 403 `Forbidden`.

pub const PROFILE_CREATE: &str = "clusterProfile.create";
pub const PROFILE_GET: &str = "clusterProfile.get";
pub const PROFILE_LIST: &str = "clusterProfile.list";
pub const PROFILE_UPDATE: &str = "clusterProfile.update";
pub const PROFILE_DELETE: &str = "clusterProfile.delete";
pub const PROFILE_PUBLISH: &str = "clusterProfile.publish";
pub const MACRO_GET: &str = "macro.get";
pub const MACRO_CREATE: &str = "macro.create";
pub const MACRO_UPDATE: &str = "macro.update";
pub const MACRO_DELETE: &str = "macro.delete";
pub const REGISTRY_GET: &str = "packRegistry.get";
pub const REGISTRY_LIST: &str = "packRegistry.list";
pub const REGISTRY_CREATE: &str = "packRegistry.create";
pub const PACK_GET: &str = "pack.get";
pub const PACK_LIST: &str = "pack.list";
pub const PROJECT_GET: &str = "project.get";
pub const PROJECT_LIST: &str = "project.list";
pub const PROJECT_UPDATE: &str = "project.update";
pub const PROJECT_DELETE: &str = "project.delete";

/// A role a key carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every permission.
    Admin,
    /// Every `get` and `list`: reads and exports, never writes.
    ReadOnly,
    /// Lists only: sees names, cannot read or export a profile (for testing 403s).
    ListOnly,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::ReadOnly, Role::ListOnly];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReadOnly => "read-only",
            Role::ListOnly => "list-only",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn permissions(self) -> &'static [&'static str] {
        match self {
            Role::Admin => &[
                PROFILE_CREATE,
                PROFILE_GET,
                PROFILE_LIST,
                PROFILE_UPDATE,
                PROFILE_DELETE,
                PROFILE_PUBLISH,
                MACRO_GET,
                MACRO_CREATE,
                MACRO_UPDATE,
                MACRO_DELETE,
                REGISTRY_GET,
                REGISTRY_LIST,
                REGISTRY_CREATE,
                PACK_GET,
                PACK_LIST,
                PROJECT_GET,
                PROJECT_LIST,
                PROJECT_UPDATE,
                PROJECT_DELETE,
            ],
            Role::ReadOnly => &[
                PROFILE_GET,
                PROFILE_LIST,
                MACRO_GET,
                REGISTRY_GET,
                REGISTRY_LIST,
                PACK_GET,
                PACK_LIST,
                PROJECT_GET,
                PROJECT_LIST,
            ],
            Role::ListOnly => &[PROFILE_LIST, REGISTRY_LIST, PACK_LIST, PROJECT_LIST],
        }
    }
}
