//! The administrators of a benchmark region, shared by `benches/region.rs` and
//! `benches/digests.rs`: the region's own, each municipality's and each school's, as staff
//! members who accepted an invitation (digests need nothing else of them).

use anketa::db::{Db, DigestRecipient, StaffMember};
use anketa::survey::Lang;

/// Every administrator a region has: the region's, each municipality's, then each school's.
pub async fn administrators(db: &Db) -> anyhow::Result<Vec<DigestRecipient>> {
    const SQL: &str = "SELECT s.id, s.name, s.timezone, m.id, m.name FROM schools s
                       JOIN municipalities m ON m.id = s.municipality_id ORDER BY m.id, s.id";
    let schools: Vec<(i64, String, String, i64, String)> = match db {
        Db::Sqlite(pool, _) => sqlx::query_as(SQL).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
    };
    let member = |role: &str, municipality: Option<(i64, &str)>, school: Option<(i64, &str)>| StaffMember {
        id: 0,
        user_id: 0,
        chat_id: 0,
        name: String::new(),
        role: role.to_string(),
        municipality_id: municipality.map(|(id, _)| id),
        school_id: school.map(|(id, _)| id),
        class_id: None,
        municipality: municipality.map(|(_, name)| name.to_string()),
        school: school.map(|(_, name)| name.to_string()),
        class: None,
        revoked: false,
        language: Lang::Ru,
    };
    let mut recipients = vec![DigestRecipient { member: member("region", None, None), timezone: None }];
    let mut municipalities = Vec::new();
    for (_, _, _, id, name) in &schools {
        if !municipalities.contains(id) {
            municipalities.push(*id);
            recipients
                .push(DigestRecipient { member: member("municipality", Some((*id, name)), None), timezone: None });
        }
    }
    for (id, name, timezone, municipality_id, municipality) in &schools {
        recipients.push(DigestRecipient {
            member: member("school", Some((*municipality_id, municipality)), Some((*id, name))),
            timezone: Some(timezone.clone()),
        });
    }
    Ok(recipients)
}
