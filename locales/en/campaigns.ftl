# The region administrator's campaign console: /campaigns and /newcampaign.
campaigns-command-campaigns = Campaigns: state, extend, close
campaigns-command-new = Create a campaign
campaigns-help-region = Commands:
    /campaigns — the campaigns: state, participation; extend, close, reopen, rename or delete (while nobody has answered)
    /newcampaign — create a campaign (name, questionnaires, dates, target)
    /cancel — abandon the dialog under way
    /stats — how many have answered: buttons from the region down to a class; /stats <name> — straight to a municipality, school or class
    /results — the НОКО indicators of your area
    /report — the НОКО report of a campaign: Excel workbooks of the results and the proposals
    /kit — the link kit: table, QR codes and posters as ZIP archives
    /export — the anonymous answers as an Excel workbook
    /invite — invite a municipal administrator
    /team — your team: whom you invited, revoke access
    /help — this help
    Send the roster (municipality, school, class, students) here as a CSV or Excel (.xlsx) file: I check it, show what would change, and load it when you press “Load”.
campaigns-region-only = Only region administrators can do this.
campaigns-none = No campaigns yet. Create the first one: /newcampaign
campaigns-state-scheduled = scheduled
campaigns-state-open = open
campaigns-state-ended = ended
campaigns-state-closed = closed
campaigns-item = “{ $name }” — { $state }
    { $starts } – { $ends }; questionnaires: { $questionnaires }
    Answered: { $shares }; target { $target }%
campaigns-button-extend = Extend
campaigns-button-close = Close
campaigns-button-reopen = Reopen
campaigns-button-yes-close = Yes, close
campaigns-button-yes-extend = Yes, extend
campaigns-button-yes-reopen = Yes, reopen
campaigns-button-cancel = Cancel
campaigns-button-done = Done
campaigns-button-create = Create
campaigns-ask-end = The campaign “{ $name }” now runs until { $ends }. Type the new last day: DD.MM.YYYY (e.g. 23.12.2026) or YYYY-MM-DD.
campaigns-confirm-close = Close the campaign “{ $name }”? Its links stop taking answers and the answers left in the ballot box are released. You can reopen it with “Reopen”.
campaigns-confirm-extend = Extend the campaign “{ $name }”: last day { $new } instead of { $old }?
campaigns-confirm-reopen = Reopen the campaign “{ $name }”? Its links take answers again until { $ends } inclusive.
campaigns-closed = The campaign “{ $name }” is closed: its links now say the survey is over.
campaigns-extended = The campaign “{ $name }” now runs until { $ends } inclusive.
campaigns-reopened = The campaign “{ $name }” is open again until { $ends } inclusive.
campaigns-change-failed = That did not work: { $reason }
campaigns-cancelled = Cancelled; nothing changed.
campaigns-stale-button = This button belongs to an earlier step and no longer works.
campaigns-gone = That campaign no longer exists.
campaigns-already-closed = The campaign is already closed.
campaigns-not-closed = The campaign is not closed.
campaigns-closed-reopen-first = The campaign is closed: reopen it first.
campaigns-use-buttons = Choose with a button below the message, or send /cancel to stop.
campaigns-date-unreadable = I cannot read the date “{ $text }”. Type DD.MM.YYYY (e.g. 23.11.2026) or YYYY-MM-DD (2026-11-23).
campaigns-date-past = That day is already past (today is { $today }). Type today or a later day.
campaigns-date-before-start = The last day cannot be before the first ({ $starts }). Type another day.
campaigns-new-name = A new campaign. What is it called? The name appears on the posters, e.g. НОКО 2026. (/cancel to stop)
campaigns-name-invalid = The name must not be empty or longer than 100 characters. Type another.
campaigns-name-taken = A campaign “{ $name }” already exists. Type another name.
campaigns-new-questionnaires = “{ $name }”: tick the questionnaires (one per audience: parents, students) and press “Done”.
campaigns-choose-one = Tick at least one questionnaire.
campaigns-new-starts = First day of the survey: type DD.MM.YYYY (e.g. 23.11.2026) or YYYY-MM-DD. Days are counted in each school's time zone.
campaigns-new-ends = Last day of the survey (inclusive): DD.MM.YYYY or YYYY-MM-DD.
campaigns-new-target = The participation target in percent, for each audience apart: parents against the class's families, students against its students. Choose a button or type a number from 1 to 100.
campaigns-new-grades = In which grades is the questionnaire “{ $questionnaire }” asked? Choose a button or type the grades, e.g. 9-11 or 5,7,9-11.
campaigns-grades-every = in every grade
campaigns-grades-button = grades { $grades }
campaigns-grades-invalid = Cannot read “{ $text }”: type grades 1 to 11 as ranges and commas, e.g. 1-8, 9-11 or 5,7,9-11.
campaigns-target-invalid = A number from 1 to 100, please.
campaigns-new-summary = Create this campaign?
    Name: { $name }
    Questionnaires: { $questionnaires }
    Dates: { $starts } – { $ends }
    Target: { $target }%
campaigns-created = The campaign “{ $name }” is created. Next: the class links with QR codes and posters, which the operator exports with anketa links export --campaign "{ $name }" --out links/
campaigns-create-failed = The campaign was not created: { $reason }
