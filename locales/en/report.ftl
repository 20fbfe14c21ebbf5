# Results report by the official НОКО criteria (`anketa report`).
report-sheet-results = Results
report-sheet-notes = Notes
report-sheet-proposals = Proposals
report-col-municipality = Municipality
report-col-school = School
report-col-class = Class
report-col-respondents = Respondents
report-col-proposal = Proposal (question { $question })
report-col-yes = { $indicator }: “Yes” to { $question }
report-col-answered = { $indicator }: answered { $question }
report-col-survey-part = K{ $number }: survey part
report-col-criterion = K{ $number }
report-col-total = Total (mean of K1–K5)
report-col-p-inf = 1.1 Pinf (expert)
report-col-p-dist = 1.2 Pdist (expert)
report-col-p-komf-usl = 2.1 Pkomf.usl (expert)
report-col-p-org-dost = 3.1 Porg.dost (expert)
report-col-p-uslug-dost = 3.2 Puslug.dost (expert)
report-ind-openness = 1.3 openness of information
report-ind-comfort = 2.3 comfort of the conditions
report-ind-accessibility = 3.3 accessibility for the disabled
report-ind-first-contact = 4.1 courtesy at first contact
report-ind-teaching = 4.2 courtesy of teaching staff
report-ind-remote = 4.3 courtesy in remote contact
report-ind-recommend = 5.1 would recommend
report-ind-organisation = 5.2 organisational conditions
report-ind-overall = 5.3 satisfied overall
report-no-data = n/a
report-all-schools = All schools
report-region = Region
report-note-values = Indicators and criteria are points from 0 to 100 (rounded to two decimals in CSV; criteria and the total are computed from unrounded values). Next to each indicator are its numerator (“Yes”) and denominator (those who answered the question among those who were asked it; a question skipped by the questionnaire's branching counts neither as “Yes” nor as “No”). Parents and students of a school are counted together.
report-note-no-data = n/a: no data, nobody who was asked the question answered it (the denominator is 0). n/a is neither 0 nor 100.
report-note-openness-per-answered = Indicator 1.3 = 0.5 × (Yes(q2) / answered(q2) + Yes(q4) / answered(q4)) × 100. When nobody answered one of the two (nobody used the stands or the website), 1.3 is the share of “Yes” to the other; when nobody answered either, n/a.
report-note-openness-per-respondent = Indicator 1.3 = (Yes(q2) + Yes(q4)) / (2 × respondents) × 100: a respondent who used neither the stands nor the website counts as not satisfied.
report-note-survey-parts = Survey parts of the criteria: K1 0.4 × 1.3; K2 0.5 × 2.3; K3 0.3 × 3.3; K4 0.4 × 4.1 + 0.4 × 4.2 + 0.2 × 4.3; K5 0.3 × 5.1 + 0.2 × 5.2 + 0.5 × 5.3 (K4 and K5 are survey only). How a part with an n/a indicator is computed is said below.
report-note-pooling = The “All schools” rows of a municipality and of the region pool the answers of all their schools: the schools' numerators and denominators are added and the indicators computed from the sums, not averaged over schools.
report-note-expert = Criteria K1–K5 follow order 344н with the expert indicators from the file: K1 = 0.3 × Pinf + 0.3 × Pdist + 0.4 × 1.3; K2 = 0.5 × Pkomf.usl + 0.5 × 2.3; K3 = 0.3 × Porg.dost + 0.4 × Puslug.dost + 0.3 × 3.3; the total is the mean of K1–K5. A school without a row in the expert file has no criteria. “All schools” rows have no criteria: expert indicators are given per school and there is nothing to add up.
report-note-no-expert = Criteria K1–K5 and the total need the expert indicators (Pinf, Pdist, Pkomf.usl, Porg.dost, Puslug.dost) the survey cannot give: pass them with --expert. This report has the survey indicators and the survey parts of the criteria only.
report-note-proposals = The class is left out when it has fewer than { $threshold } responses; a school's proposals are left out when such responses together number fewer than { $threshold }.
report-too-few = too few answers
report-note-too-few = “too few answers”: the school has fewer than {$threshold} respondents, so its figures are not published — they could show the answers of individual people; its answers count in the “All schools” rows.
report-bot-command = The НОКО report of a campaign (Excel)
report-bot-region-only = Campaign reports go to region administrators. You have /results and /export.
report-bot-choose-campaign = Which campaign's report do you need?
report-bot-not-found = That campaign no longer exists.
report-bot-preparing = Preparing the report of the campaign “{ $name }”…
report-bot-file-results = { $kind ->
    [final] НОКО report — { $name }
   *[interim] Interim НОКО report — { $name }
}
report-bot-file-proposals = Proposals — { $name }
report-bot-caption = { $kind ->
    [final] The final report of the campaign “{ $name }”
   *[interim] An interim report of the campaign “{ $name }”: it holds only the answers already released to staff (in groups of at least { $threshold }); the final one comes when the campaign is over
}: { $schools } { $schools ->
    [one] school
   *[other] schools
}, { $respondents } { $respondents ->
    [one] respondent
   *[other] respondents
}. { $expert ->
    [yes] The criteria К1–К5 and the total include the audited indicators.
   *[no] For the criteria К1–К5 and the total, answer this message with the expert file (CSV: municipality, school, p_inf, p_dist, p_komf_usl, p_org_dost, p_uslug_dost).
}
report-bot-proposals-caption = Proposals from participants: { $count }. The class is not named where it gave fewer than { $threshold } answers. Held back for anonymity (fewer than { $threshold } answers in the school): { $held_back }.
report-bot-again = Make the report again
report-bot-expert-which = There are several campaigns: answer the report message of the campaign you mean (/report) with the expert file.
report-bot-expert-stored = The audited indicators of the campaign “{ $name }” are stored: { $schools } { $schools ->
    [one] school
   *[other] schools
}. { $without ->
    [0] Every school has them.
   *[other] No row for { $without }; their criteria stay empty: { $missing }
}
report-bot-expert-refused = The expert file was not stored: { $reason }
report-col-parents = Of them parents
report-col-students = Of them students
report-col-base = Students in the classes (sample base)
report-col-required = Minimum sample
report-col-reached = Sample reached
report-sample-reached = yes
report-sample-below = ⚠ below the sample
report-sheet-municipalities = Municipal means
report-sheet-ranking = School ranking
report-col-schools = Schools
report-col-schools-below = Of them below the sample
report-col-place = Place
report-col-remark = Remark
report-rank-too-few = too few answers — not ranked
report-rank-below-sample = ⚠ below the sample — not ranked
report-rank-no-total = no total — not ranked
report-note-below-sample = { $count ->
    [0] Every school reached its minimum sample.
   *[other] Schools below their minimum sample ({ $count }): their figures are computed but rest on fewer answers than required; whether to publish them is the operator's decision.
}
report-note-below-sample-school = ⚠ { $municipality } / { $school }: { $respondents } of { $required } (students in the classes: { $base })
report-note-sample-rule = A school's minimum sample is { $percent } % of the students of its classes (families are counted as students), rounded up{ $cap ->
    [0] {""}
   *[other] , but no more than { $cap }
}. Respondents are all the school's answers, parents' and students' alike: both are recipients of the service. The rule is a report setting (report.sample_min_percent, report.sample_cap); 40 % and 600 appear in operators' terms of reference but the team has not yet checked them against the text of the methodology of Mintrud order No. 675н.
report-note-empty-reweight = An indicator nobody could answer (3.3: no respondent with a disability; 4.3: nobody used remote contact; 1.3: nobody used the stands or the website) is n/a. The criterion is then computed from its other terms, their weights scaled up to sum to 1 (e.g. K3 without 3.3 = (0.3 × Порг.дост + 0.4 × Пуслуг.дост) / 0.7); the total is the mean of K1–K5 as usual. This is the team's choice (setting report.empty_indicators = "reweight"): the official rule for these cases has not yet been found in order 344н or the Minprosveshcheniya recommendations.
report-note-empty-strict = An indicator nobody could answer (3.3, 4.3, 1.3) is n/a, and n/a carries into the survey part, the criterion and the total: the weights of order 344н are never redistributed (setting report.empty_indicators = "strict"). The official rule for these cases has not yet been found.
report-note-means = Sheet “{ report-sheet-municipalities }”: for each municipality, the mean of its schools' values (each school weighs the same; in the “All schools” rows of the results each respondent does). Schools with “too few answers” and n/a values are left out of the mean; schools below the sample are in it.
report-note-ranking = Sheet “{ report-sheet-ranking }”: schools by total, highest first; equal totals (to hundredths) share a place. Schools below their minimum sample, with “too few answers” or without a total (it needs the expert inputs) follow, without a place, marked.
