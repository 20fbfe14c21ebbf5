//! Who runs a campaign and what each of them may see. A role comes with a scope: the region, one
//! municipality, one school, or one class (a class teacher). Every number shown to staff is
//! filtered by the scope, and a request outside it is refused.

use std::fmt;

/// A staff role, broadest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Region,
    Municipality,
    School,
    Teacher,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Region => "region",
            Role::Municipality => "municipality",
            Role::School => "school",
            Role::Teacher => "teacher",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        match code {
            "region" => Some(Role::Region),
            "municipality" => Some(Role::Municipality),
            "school" => Some(Role::School),
            "teacher" => Some(Role::Teacher),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The part of the roster a staff member may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Region,
    Municipality { municipality_id: i64 },
    School { municipality_id: i64, school_id: i64 },
    Class { municipality_id: i64, school_id: i64, class_id: i64 },
}

impl Scope {
    pub fn role(self) -> Role {
        match self {
            Scope::Region => Role::Region,
            Scope::Municipality { .. } => Role::Municipality,
            Scope::School { .. } => Role::School,
            Scope::Class { .. } => Role::Teacher,
        }
    }

    /// (municipality, school, class) ids, as far as the scope goes.
    pub fn ids(self) -> (Option<i64>, Option<i64>, Option<i64>) {
        match self {
            Scope::Region => (None, None, None),
            Scope::Municipality { municipality_id } => (Some(municipality_id), None, None),
            Scope::School { municipality_id, school_id } => (Some(municipality_id), Some(school_id), None),
            Scope::Class { municipality_id, school_id, class_id } => {
                (Some(municipality_id), Some(school_id), Some(class_id))
            }
        }
    }

    /// Whether `inner` lies within this scope.
    pub fn covers(self, inner: Scope) -> bool {
        match (self, inner) {
            (Scope::Region, _) => true,
            (Scope::Municipality { municipality_id: m }, Scope::Municipality { municipality_id })
            | (Scope::Municipality { municipality_id: m }, Scope::School { municipality_id, .. })
            | (Scope::Municipality { municipality_id: m }, Scope::Class { municipality_id, .. }) => {
                m == municipality_id
            }
            (Scope::School { school_id: s, .. }, Scope::School { school_id, .. })
            | (Scope::School { school_id: s, .. }, Scope::Class { school_id, .. }) => s == school_id,
            (Scope::Class { class_id: c, .. }, Scope::Class { class_id, .. }) => c == class_id,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_only_what_lies_within() {
        let municipality = Scope::Municipality { municipality_id: 1 };
        let school = Scope::School { municipality_id: 1, school_id: 10 };
        let class = Scope::Class { municipality_id: 1, school_id: 10, class_id: 100 };
        let other_school = Scope::School { municipality_id: 1, school_id: 11 };
        let other_class = Scope::Class { municipality_id: 1, school_id: 10, class_id: 101 };
        let elsewhere = Scope::School { municipality_id: 2, school_id: 20 };
        assert!(Scope::Region.covers(elsewhere));
        assert!(municipality.covers(school) && municipality.covers(class) && !municipality.covers(elsewhere));
        assert!(school.covers(class) && !school.covers(other_school) && !school.covers(municipality));
        assert!(class.covers(class) && !class.covers(other_class) && !class.covers(school));
        assert!(!municipality.covers(Scope::Region));
    }
}
