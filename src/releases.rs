//! The release rule: which sealed ballots of a school leave the box together, and who may see them.
//! Pure: the storage adapter ([`crate::db`]) runs the plan in one transaction.
//!
//! A release is the smallest set of answers anyone ever gets to tell apart: everything that later
//! identifies a respondent (who answered, roughly when, from which class) narrows them down to a
//! release at best. So every release holds at least `min_group` responses:
//! - while the campaign runs, a class's ballots leave the box once it holds `min_group` of them;
//! - when it is over, a class's remainder joins that class's last release; classes that never
//!   reached `min_group` are pooled under the school, unnamed, and a pool still too small joins the
//!   school's last release (which then loses its class name too); a school with fewer than
//!   `min_group` responses in all is released whole.
//!
//! Staff see a release only if it was made of at least `min_group` new responses: a release that
//! absorbed an earlier one is hidden from them, because next to what they saw before it would show
//! the few new answers by difference.
//!
//! Every response names its audience (parents, students), so the rule runs audience by audience
//! ([`plan_by_audience`]): a class's students leave the box once there are `min_group` of them,
//! however many parents answered, and pool with the school's other students, never with parents.

use std::collections::BTreeMap;

/// A sealed ballot waiting in the box: its id and its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    pub ballot_id: i64,
    pub class_id: i64,
}

/// A release already made: its id and its class (`None`: pooled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub release_id: i64,
    pub class_id: Option<i64>,
}

/// One release to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The class every response of the release is filed under; `None`: pooled under the school.
    pub class_id: Option<i64>,
    pub ballots: Vec<i64>,
    /// An earlier release whose responses are taken back and released again with these ballots.
    pub absorbs: Option<i64>,
    pub shown_to_staff: bool,
}

/// The releases to make for one school of one campaign, from its sealed ballots and the releases
/// it already has; `over` once the campaign is closed or past its end day.
pub fn plan(sealed: &[Sealed], made: &[Made], min_group: usize, over: bool) -> Vec<Planned> {
    let min_group = min_group.max(1);
    let mut by_class: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for ballot in sealed {
        by_class.entry(ballot.class_id).or_default().push(ballot.ballot_id);
    }
    let last_of_class = |class: Option<i64>| made.iter().filter(|r| r.class_id == class).map(|r| r.release_id).max();
    let mut plans = Vec::new();
    let mut pool = Vec::new();
    for (class, ballots) in by_class {
        if ballots.len() >= min_group {
            plans.push(Planned { class_id: Some(class), ballots, absorbs: None, shown_to_staff: true });
        } else if over {
            match last_of_class(Some(class)) {
                Some(release) => plans.push(Planned {
                    class_id: Some(class),
                    ballots,
                    absorbs: Some(release),
                    shown_to_staff: false,
                }),
                None => pool.extend(ballots),
            }
        }
    }
    if pool.is_empty() {
        return plans;
    }
    if pool.len() >= min_group {
        plans.push(Planned { class_id: None, ballots: pool, absorbs: None, shown_to_staff: true });
        return plans;
    }
    // A pool too small to stand alone joins the school's latest release: one being taken back
    // already, else the latest made, else one planned now; alone only when there is nothing else.
    let latest_made = made.iter().map(|r| r.release_id).max();
    let joined = match latest_made {
        Some(latest) => plans.iter().position(|p| p.absorbs == Some(latest)),
        None => (!plans.is_empty()).then_some(0),
    };
    match (joined, latest_made) {
        (Some(index), _) => {
            let plan = &mut plans[index];
            plan.ballots.extend(pool);
            plan.class_id = None;
            plan.shown_to_staff = false;
        }
        (None, Some(release)) => {
            plans.push(Planned { class_id: None, ballots: pool, absorbs: Some(release), shown_to_staff: false })
        }
        (None, None) => plans.push(Planned { class_id: None, ballots: pool, absorbs: None, shown_to_staff: false }),
    }
    plans
}

/// The releases to make for one school whose ballots are of several audiences: [`plan`] for each
/// audience's ballots and releases. A release made before releases were per audience (`None`)
/// mixes them and is absorbed by none.
pub fn plan_by_audience<A: Ord + Clone>(
    sealed: &[(A, Sealed)],
    made: &[(Option<A>, Made)],
    min_group: usize,
    over: bool,
) -> Vec<(A, Planned)> {
    let mut audiences: BTreeMap<&A, Vec<Sealed>> = BTreeMap::new();
    for (audience, ballot) in sealed {
        audiences.entry(audience).or_default().push(*ballot);
    }
    let mut plans = Vec::new();
    for (audience, ballots) in audiences {
        let made: Vec<Made> = made.iter().filter(|(a, _)| a.as_ref() == Some(audience)).map(|(_, m)| *m).collect();
        plans.extend(plan(&ballots, &made, min_group, over).into_iter().map(|p| (audience.clone(), p)));
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(class: i64, count: usize, first_id: i64) -> Vec<Sealed> {
        (0..count as i64).map(|i| Sealed { ballot_id: first_id + i, class_id: class }).collect()
    }

    fn sizes(plans: &[Planned]) -> Vec<(Option<i64>, usize, Option<i64>, bool)> {
        plans.iter().map(|p| (p.class_id, p.ballots.len(), p.absorbs, p.shown_to_staff)).collect()
    }

    #[test]
    fn while_running_a_class_leaves_the_box_only_with_min_group_ballots() {
        let mut box_ = sealed(1, 4, 100);
        box_.extend(sealed(2, 5, 200));
        box_.extend(sealed(3, 7, 300));
        let plans = plan(&box_, &[], 5, false);
        assert_eq!(sizes(&plans), [(Some(2), 5, None, true), (Some(3), 7, None, true)]);
        assert!(plan(&sealed(1, 4, 1), &[], 5, false).is_empty());
    }

    #[test]
    fn at_the_end_a_remainder_joins_its_class_and_is_hidden_from_staff() {
        let made = [Made { release_id: 10, class_id: Some(1) }, Made { release_id: 11, class_id: Some(2) }];
        let plans = plan(&sealed(1, 2, 1), &made, 5, true);
        assert_eq!(sizes(&plans), [(Some(1), 2, Some(10), false)]);
    }

    #[test]
    fn at_the_end_small_classes_pool_and_a_small_pool_joins_the_latest_release_unnamed() {
        let mut box_ = sealed(3, 3, 1);
        box_.extend(sealed(4, 3, 10));
        // Two classes that never reached five: a pool of six, released unnamed and shown.
        assert_eq!(sizes(&plan(&box_, &[], 5, true)), [(None, 6, None, true)]);
        // A pool of three joins the latest release, which loses its class name.
        let made = [Made { release_id: 10, class_id: Some(1) }, Made { release_id: 12, class_id: Some(2) }];
        assert_eq!(sizes(&plan(&sealed(3, 3, 1), &made, 5, true)), [(None, 3, Some(12), false)]);
        // ... or the release being taken back already, once.
        let mut box_ = sealed(2, 1, 1);
        box_.extend(sealed(3, 3, 10));
        assert_eq!(sizes(&plan(&box_, &made, 5, true)), [(None, 4, Some(12), false)]);
        // ... or a release planned now, when the school has none yet.
        let mut box_ = sealed(1, 6, 1);
        box_.extend(sealed(3, 2, 10));
        assert_eq!(sizes(&plan(&box_, &[], 5, true)), [(None, 8, None, false)]);
    }

    #[test]
    fn a_school_with_fewer_than_min_group_in_all_is_released_whole_at_the_end_only() {
        let mut box_ = sealed(1, 2, 1);
        box_.extend(sealed(2, 1, 10));
        assert!(plan(&box_, &[], 5, false).is_empty());
        assert_eq!(sizes(&plan(&box_, &[], 5, true)), [(None, 3, None, false)]);
    }

    #[test]
    fn each_audience_of_a_class_reaches_min_group_on_its_own() {
        let mut box_: Vec<(&str, Sealed)> = sealed(1, 4, 100).into_iter().map(|b| ("parent", b)).collect();
        box_.push(("student", Sealed { ballot_id: 200, class_id: 1 }));
        // Five of the class, but four parents and one student: nothing leaves while it runs.
        assert!(plan_by_audience(&box_, &[], 5, false).is_empty());
        box_.extend(sealed(1, 4, 201).into_iter().map(|b| ("student", b)));
        let plans = plan_by_audience(&box_, &[], 5, false);
        assert_eq!(plans.len(), 1);
        assert_eq!(
            (plans[0].0, sizes(&plans[..].iter().map(|p| p.1.clone()).collect::<Vec<_>>())),
            ("student", vec![(Some(1), 5, None, true)])
        );
        // At the end the parents' remainder joins only a parents' release; a release that mixes
        // the audiences (made before) is joined by neither.
        let made = [
            (None, Made { release_id: 7, class_id: Some(1) }),
            (Some("student"), Made { release_id: 8, class_id: Some(1) }),
        ];
        let parents: Vec<(&str, Sealed)> = sealed(1, 4, 100).into_iter().map(|b| ("parent", b)).collect();
        let plans = plan_by_audience(&parents, &made, 5, true);
        assert_eq!(plans.len(), 1);
        assert_eq!((plans[0].0, plans[0].1.absorbs, plans[0].1.shown_to_staff), ("parent", None, false));
    }

    #[test]
    fn every_ballot_is_planned_once_at_the_end() {
        let mut box_ = sealed(1, 7, 1);
        box_.extend(sealed(2, 2, 100));
        box_.extend(sealed(3, 1, 200));
        box_.extend(sealed(4, 4, 300));
        let made = [Made { release_id: 5, class_id: Some(2) }];
        let plans = plan(&box_, &made, 5, true);
        let mut planned: Vec<i64> = plans.iter().flat_map(|p| p.ballots.clone()).collect();
        planned.sort();
        let mut all: Vec<i64> = box_.iter().map(|b| b.ballot_id).collect();
        all.sort();
        assert_eq!(planned, all);
        let absorbed: Vec<i64> = plans.iter().filter_map(|p| p.absorbs).collect();
        assert_eq!(absorbed, [5], "each earlier release is taken back at most once");
    }
}
