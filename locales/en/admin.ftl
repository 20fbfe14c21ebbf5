# Staff screens: administrators and class teachers.

admin-invitation-invalid = This invitation is not valid: it has been used, revoked or has expired. Please ask whoever sent it for a new one.
admin-welcome = Done! You are { $role }: { $scope }.
admin-role-region = the region's administrator
admin-role-municipality = a municipal administrator
admin-role-school = a school administrator
admin-role-teacher = the class teacher
admin-help-municipality = Commands:
    /stats — how many have answered: buttons per school and class; /stats <name> — straight to a school or class
    /results — the НОКО indicators of your area
    /kit — the link kit: table, QR codes and posters as ZIP
    /export — the anonymous answers as an Excel workbook
    /invite — invite a school administrator
    /team — your team: whom you invited, revoke access
    /help — this help
admin-help-school = Commands:
    /stats — how many have answered, per class of your school (buttons); /stats <class> — one class
    /links — the class links as a CSV file
    /kit — the link kit: table, QR codes and posters as ZIP
    /results — the school's НОКО indicators
    /export — the anonymous answers as an Excel workbook
    /invite — invite a class teacher
    /team — your team: whom you invited, revoke access
    /help — this help
admin-help-teacher = Commands:
    /stats — how many have answered in your class
    /link — your class's link and QR code for the parent chat
    /digest on — a line about your class every morning (/digest off to stop)
    /export — your class's anonymous answers as an Excel workbook (once there are enough for anonymity)
    /help — this help
admin-command-stats = How many have answered
admin-command-links = Class links
admin-command-link = Class link and QR code
admin-command-digest = A daily line about your class
admin-command-export = Answers as an Excel workbook
admin-no-campaigns = There are no open surveys now.
admin-stats-campaign = “{ $name }”: { $starts } — { $ends }, target { $target }%
admin-stats-total = In all: { $shares }
admin-stats-share-parent = parents: { $responses } of { $base } ({ $percent }%)
admin-stats-share-student = students: { $responses } of { $base } ({ $percent }%)
admin-stats-not-asked = not asked
admin-teacher-forward = { $audience ->
    [students] Dear students of class { $class } aged 14 or older!
    [both] Dear parents and students of class { $class } aged 14 or older!
   *[parents] Dear parents of class { $class }!
} { $school } takes part in an anonymous survey about the conditions of education. Please answer it by { $ends }: it takes 3–5 minutes and asks for no name or phone number: { $url }
admin-teacher-forward-hint = Forward the message above to your class's parent chat. The /link command sends the link again.
admin-export-too-few = “{ $name }”: fewer than { $threshold } responses per group so far — individual answers are not shown, to keep them anonymous.
admin-export-caption = “{ $name }”: { $count ->
        [one] { $count } anonymous response
       *[other] { $count } anonymous responses
    }. Classes with fewer than { $threshold } responses are pooled without the class name.
admin-command-results = НОКО indicators
admin-results-header = “{ $name }” — { $scope }: indicators over { $count } responses (points 0–100)
admin-results-footer = These are the survey indicators; the criteria К1–К5 also need the expert audit — the full report: “anketa report”.
admin-results-too-few = “{ $name }”: { $count } responses so far; indicators are shown from { $threshold }, to keep answers anonymous.
admin-results-not-noko = “{ $name }”: this survey's questionnaire is not the НОКО form, so no criteria are computed.
admin-posters-caption = Class posters with QR codes, to print for the stands (A4, a page per class).
admin-results-sample-header = Sample by school (minimum { $percent } % of the students{ $cap ->
    [0] {""}
   *[other] , no more than { $cap }
}; counting the answers already shown to staff):
admin-results-sample-school = • { $school } — { $respondents } of { $required }: { $reached ->
    [yes] reached
   *[no] ⚠ below the sample
}
