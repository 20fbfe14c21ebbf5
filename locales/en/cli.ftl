# The command line (`anketa …`): results, progress, hints, `--help`; and the refusals of the
# operations the command line and the bot's campaign console share (failure-…).

## Results and progress
cli-error = error: { $reason }
cli-database = Database: { $url }
cli-sealed = { $count ->
    [one] { $count } answer is
   *[other] { $count } answers are
} still sealed in the ballot box: a class's answers leave it in groups of at least { $min } (privacy.min_group_size), the rest when the campaign is over.
cli-campaign-created = Campaign "{ $name }" created: { $starts } to { $ends }, target { $target }%.
cli-campaign-ungraded = { $count ->
    [one] { $count } class has a name
   *[other] { $count } classes have names
} whose grade cannot be read, so they are offered every questionnaire of the campaign:
{ $classes }
cli-next-links-export = Next: anketa links export --campaign "{ $name }" --out links/
cli-campaigns-none = No campaigns yet. Create one with: anketa campaign create
cli-campaign-participation = answered { $shares }; target { $target }%
cli-links-progress = QR codes and posters: { $done } of { $total } classes
cli-links-csv = Wrote { $classes } class links to { $path }.
cli-links-xlsx = Wrote the same links as a table with clickable links to { $path }.
cli-links-posters = Wrote QR codes (PNG, SVG) and A4 posters (PDF) of { $classes } classes in { $schools } schools to { $path }.
cli-export-written = Wrote { $count } responses to { $path }.
cli-report-written = Wrote the results of { $schools } schools ({ $respondents } respondents) to { $path }.
cli-report-proposals = Wrote { $count } proposals to { $path } (a class with fewer than { $min } responses is not named). Held back for anonymity (fewer than { $min } responses in the school): { $held_back }.
cli-report-without-expert = The expert file has no row for { $count } schools; their criteria are left empty: { $schools }.
cli-campaign-closed = Campaign "{ $name }" closed: its links now tell people the survey is over.
cli-campaign-extended = Campaign "{ $name }" now ends on { $ends }.
cli-campaign-reopened = Campaign "{ $name }" reopened until { $ends }.
cli-link-revoked = The old link of class { $class } no longer works. The new link:
cli-staff-heading = Staff:
cli-staff-none = none yet
cli-staff-revoked = revoked
cli-invitations-heading = Invitations:
cli-invitation-accepted = accepted
cli-invitation-accepted-by = accepted (staff member { $id })
cli-invitation-invited-by = invited by staff member { $id }
cli-revoked-not-told = Could not remove the menu from their Telegram or tell them (no TELOXIDE_TOKEN, or Telegram cannot be reached); the menu disappears when they next use a command.
cli-invitation-revoked = revoked
cli-invitation-open = open until { $until }
cli-revoked-staff = Revoked { $name } ({ $role } of { $scope }).
cli-revoked-invitation = Invitation { $code } revoked.
cli-digests-sent = Digests sent: { $sent }; to people who blocked the bot: { $blocked }; failed (retried by the running bot): { $failed }.
cli-digest-none = No campaign is running for { $school } today.
cli-db-up-to-date = The database at { $url } is up to date.
cli-db-copied-table = copied { $table }: { $rows } rows
cli-db-copied = Copied everything from { $from } to { $to }. Point ANKETA_DATABASE_URL at the new database.
cli-db-from = the --from database
cli-db-to = the --to database
cli-invitation = One-time invitation, valid until { $until }. Send it to one person only:
cli-questionnaire-valid = { $file }: questionnaire "{ $id }" for { $audience } is valid: { $questions } questions ({ $conditional } conditional).
cli-questionnaire-invalid = the questionnaire is not valid

## Refusals
failure-no-campaign = no campaign named "{ $name }" (see anketa campaign list)
failure-name-taken = a campaign named "{ $name }" already exists (see anketa campaign list)
failure-already-closed = the campaign "{ $name }" is already closed
failure-not-closed = the campaign "{ $name }" is not closed
failure-closed-not-extended = the campaign "{ $name }" is closed; reopen it with anketa campaign reopen "{ $name }" --ends YYYY-MM-DD
failure-reopen-needs-end = the last day of "{ $name }" ({ $ends }) is past: give a new one with --ends
failure-end-before-start = the campaign ends ({ $ends }) before it starts ({ $starts })
failure-end-in-past = the new end { $ends } is in the past (today is { $today }); to end the survey now, run anketa campaign close "{ $name }"
failure-start-in-past = the first day { $starts } is already past (today is { $today }): give today or a later day, or add --allow-past-start
failure-empty-roster = the roster is empty: import it first (anketa roster import FILE.csv)
failure-empty-name = the campaign name is empty
failure-target-out-of-range = the target percent must be between 1 and 100 (got { $got })
failure-no-questionnaire-given = name at least one questionnaire: --questionnaire noko-parents
failure-no-questionnaire = no questionnaire "{ $id }" in { $dir } (found: { $known })
failure-same-audience = questionnaires { $first } and { $second } are both for the audience "{ $audience }"; a campaign takes one per audience
failure-bad-grades = cannot read the grades "{ $grades }": give the questionnaire and grades 1 to 11 as ranges and commas, e.g. --grades noko-students=9-11 or noko-parents=1-8 or noko-students=5,7,9-11
failure-grades-for-unknown = grades are given for the questionnaire "{ $id }", which is not among the campaign's questionnaires ({ $given })
failure-grades-twice = grades for the questionnaire "{ $id }" are given twice: give --grades for it once
failure-no-bot-username = the bot's username is not set: put it in bot.toml ([telegram] bot_username) or set ANKETA_BOT_USERNAME
failure-no-school = no school named "{ $name }" in the roster
failure-ambiguous-school = the school name "{ $name }" is ambiguous; name one of: { $candidates }
failure-no-municipality = no municipality named "{ $name }" in the roster
failure-no-class = school "{ $school }" has no class "{ $class }" in the roster
failure-no-school-near = no school named "{ $name }" in the roster; did you mean { $candidates }?
failure-ambiguous-class = the class name "{ $class }" is ambiguous in "{ $school }"; name one of: { $candidates }
failure-no-link-yet = class "{ $class }" has no link in this campaign yet: run anketa links export first
failure-bad-duration = "{ $text }" is not a duration: use e.g. 7d (days), 48h (hours) or 90m (minutes)
failure-no-staff-member = no active staff member number { $id } (see anketa admin list)
failure-no-invitation = no unused invitation "{ $code }" (see anketa admin list)
failure-one-scope = name exactly one scope: --school NAME, --municipality NAME or --region
failure-no-database = there is no database at { $path }: run the command from the folder with bot.toml, or give --config or ANKETA_DATABASE_URL; anketa roster import makes a new one
failure-read = cannot read { $path }
failure-write = cannot write { $path }
failure-create-folder = cannot create the folder { $path }
failure-roster-not-imported = the roster { $path } was not imported
failure-expert-not-used = the expert file { $path } was not used
failure-expert-unknown-school = line { $line }: the roster has no school "{ $school }" in the municipality "{ $municipality }"
failure-date = cannot read the date "{ $text }": write DD.MM.YYYY (23.11.2026) or YYYY-MM-DD (2026-11-23)

## Refusals of settings, the database and start-up
failure-settings-invalid = the settings file { $path } is not valid
failure-settings-unreadable = cannot read the settings file { $path }
failure-setting = { $name } "{ $got }" is not valid: expected { $expected }
failure-expected-mode = polling or webhook (telegram.mode or ANKETA_TELEGRAM_MODE)
failure-expected-timezone = an IANA timezone name like Europe/Moscow
failure-expected-time-of-day = a time of day like 09:00
failure-expected-address = an address like 127.0.0.1:8080 (server.listen or ANKETA_LISTEN)
failure-expected-webhook-url = the public https:// URL Telegram posts to (telegram.webhook_url or ANKETA_WEBHOOK_URL)
failure-expected-positive = a whole number, at least 1
failure-expected-language = ru or en (ui.language or ANKETA_LANGUAGE)
failure-expected-url = a URL like https://…
failure-expected-empty-indicators = reweight or strict (report.empty_indicators or ANKETA_REPORT_EMPTY_INDICATORS)
failure-expected-percent = a whole number from 1 to 100
failure-expected-count = a whole number, 0 or more
failure-expected-rate = a number above 0, like 1 or 0.5 (telegram.flood_per_second or ANKETA_FLOOD_PER_SECOND)
failure-expected-duration = a duration like 24h (hours), 90m (minutes) or 2d (days)
failure-expected-quiet-hours = hours like 21:00-09:00 (survey.quiet_hours or ANKETA_QUIET_HOURS)
failure-webhook-needs-listen = webhook mode needs the address the proxy forwards to: server.listen or ANKETA_LISTEN
failure-no-token = TELOXIDE_TOKEN is not set: put the token @BotFather gave you in the environment
failure-telegram-unreachable = cannot reach the Telegram Bot API with this token
failure-other-bot = the token belongs to @{ $actual }, but the settings name @{ $configured }: links and posters would lead elsewhere. Fix ANKETA_BOT_USERNAME or telegram.bot_username (or the token) and issue the links again
failure-bad-database-url = ANKETA_DATABASE_URL is not a database URL (sqlite://FILE or postgres://…)
failure-postgres-unreachable = cannot connect to PostgreSQL: check ANKETA_DATABASE_URL and that the server is running
failure-sqlite-unopenable = cannot open the SQLite database { $url }
failure-unknown-database = ANKETA_DATABASE_URL must start with sqlite:// or postgres:// (got "{ $url }")
failure-migrations = cannot apply the database migrations
failure-webhook-secret-length = webhook mode needs ANKETA_WEBHOOK_SECRET of { $min } to 256 characters (got { $got }), the same on every replica; make one with `openssl rand -hex 32`
failure-webhook-secret-alphabet = ANKETA_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (Telegram's rule), the same on every replica; make one with `openssl rand -hex 32`
failure-key-how = Create one with `anketa key generate` (or `openssl rand -hex 32`), keep it outside the repository, and pass it as ANKETA_IDENTITY_KEY, or put it in a file only the bot's user can read (`(umask 077; anketa key generate > identity.key)`) and set ANKETA_IDENTITY_KEY_FILE to its path. Keep the same key for the whole campaign: a new key lets everyone answer again.
failure-key-missing = no identity key: set ANKETA_IDENTITY_KEY or ANKETA_IDENTITY_KEY_FILE.
failure-key-both-set = both ANKETA_IDENTITY_KEY and ANKETA_IDENTITY_KEY_FILE are set: unset one of them, so that there is no doubt which key counts the respondents (the file keeps the key out of the process environment)
failure-key-unreadable = cannot read the identity key file { $path }
failure-key-exposed = the identity key file { $path } can be read by other users (mode { $mode }): run `chmod 600 { $path }` (and make the bot's user its owner)
failure-key-not-encoded = the identity key must be at least { $min } random bytes written as hex or base64, not a passphrase.
failure-key-too-short = the identity key is too short ({ $len } bytes; at least { $min } are needed).
failure-bad-clock = ANKETA_CLOCK "{ $text }" is not a time like 2026-11-24T09:00:00+08:00
failure-cannot-listen = cannot listen on { $address } (server.listen)
failure-target-not-empty = the target database already holds a roster or campaigns; copy only into a new, empty database
failure-old-drafts = the source database holds unfinished answers of an older version: start anketa run on it once (it rekeys them with the identity key), stop it, then copy
failure-questionnaire-invalid = questionnaire { $path }
failure-cannot-score = the campaign "{ $name }" cannot be scored by the НОКО criteria
failure-webhook-unregistered = cannot register the webhook with Telegram
failure-rekey = cannot rekey the unfinished answers of an older version
failure-unfinished = the work in flight did not finish within { $seconds } s; stopped without it
failure-scoring-missing-question = questionnaire "{ $questionnaire }" has no yes/no question { $question }, which НОКО indicator { $indicator } counts; the results report scores the НОКО questionnaires only
failure-scoring-proposals-not-text = questionnaire "{ $questionnaire }": { $question } holds the НОКО proposals and must be a free-text question
failure-questionnaire-syntax = the file is not valid TOML for a questionnaire: { $detail }
failure-questionnaire-bad-id = the questionnaire id "{ $id }" must be 1–64 characters of a-z, 0-9, '-' or '_'
failure-questionnaire-no-questions = the questionnaire has no questions
failure-questionnaire-question = question "{ $question }": { $problem }

## Parse errors (clap's, reworded)
cli-parse-invalid-value = invalid value "{ $value }" for { $arg }
cli-parse-unknown-argument = unexpected argument { $arg }
cli-parse-unknown-command = unrecognized subcommand { $command }
cli-parse-missing = the following required arguments were not provided: { $args }
cli-parse-conflict = the argument { $arg } cannot be used with { $other }
cli-parse-valid = possible values: { $values }
cli-parse-hint = For more information, try --help.

## --help: clap's headings and flags
cli-heading-usage = Usage
cli-heading-commands = Commands
cli-heading-arguments = Arguments
cli-heading-options = Options
cli-placeholder-options = OPTIONS
cli-placeholder-command = COMMAND
cli-flag-help = Print help
cli-flag-version = Print version

## --help: each command (cli-<path>-about) and argument (cli-<path>-arg-<name>)
cli-about = Anonymous, counted-once school surveys (НОКО) in Telegram
cli-arg-config = Settings file; bot.toml by default, built-in defaults without it
cli-run-about = Run the bot until SIGINT or SIGTERM
cli-roster-about = Load municipalities, schools and classes
cli-roster-import-about = Import the roster from a table: municipality, school, class, students[, timezone]
cli-roster-import-arg-file = The roster file
cli-campaign-about = Create, list, extend, close and reopen campaigns
cli-campaign-create-about = Create a campaign over the whole roster
cli-campaign-create-arg-name = The campaign's name
cli-campaign-create-arg-questionnaires = Questionnaire id (repeat for several audiences), e.g. noko-parents
cli-campaign-create-arg-grades = The grades a questionnaire is asked in, e.g. noko-students=9-11, noko-parents=1-8 or 5,7,9-11 (repeatable); without it, every grade
cli-campaign-create-arg-starts = First day, in each school's timezone: DD.MM.YYYY (23.11.2026) or YYYY-MM-DD
cli-campaign-create-arg-ends = Last day, inclusive: DD.MM.YYYY or YYYY-MM-DD
cli-campaign-create-arg-target-percent = Participation target for each audience, percent of its base (families for parents, students for students)
cli-campaign-create-arg-allow-past-start = Accept a first day that is already past
cli-campaign-list-about = List campaigns with their participation
cli-campaign-close-about = Close a campaign: its links then answer politely and store nothing
cli-campaign-close-arg-name = The campaign's name
cli-campaign-extend-about = Move a campaign's last day
cli-campaign-extend-arg-name = The campaign's name
cli-campaign-extend-arg-ends = The new last day: DD.MM.YYYY or YYYY-MM-DD, today or later
cli-campaign-reopen-about = Reopen a closed campaign
cli-campaign-reopen-arg-name = The campaign's name
cli-campaign-reopen-arg-ends = A new last day (DD.MM.YYYY or YYYY-MM-DD, today or later); required when the old one is past
cli-links-about = Class links for parents and students
cli-links-export-about = Write links.csv and Ссылки.xlsx to a folder (one link per class, creating missing ones), and each class's QR code and A4 poster under municipality/school folders
cli-links-export-arg-campaign = The campaign's name
cli-links-export-arg-out = The folder to write to
cli-links-revoke-about = Revoke a class's link (e.g. after it leaked) and print the new one
cli-links-revoke-arg-campaign = The campaign's name
cli-links-revoke-arg-school = A school name, or "municipality/school" when the name is not unique
cli-links-revoke-arg-class = The class, e.g. 5А
cli-export-about = Export a campaign's anonymous responses
cli-export-arg-campaign = The campaign's name
cli-export-arg-format = Output format: csv (one row per response) or xlsx (plus answer distributions); csv by default
cli-export-arg-out = The file to write
cli-report-about = Results by the official НОКО criteria per school, municipality and region; the free-text proposals beside it (the file's name with -proposals)
cli-report-arg-campaign = The campaign's name
cli-report-arg-format = Output format: csv or xlsx (a results sheet and a notes sheet); xlsx by default
cli-report-arg-out = The file to write
cli-report-arg-expert = Table of the five audited indicators per school (municipality, school, p_inf, p_dist, p_komf_usl, p_org_dost, p_uslug_dost), for the criteria К1–К5 and the total
cli-questionnaire-about = Check questionnaire files
cli-questionnaire-check-about = Validate a questionnaire file and summarise it
cli-questionnaire-check-arg-file = The questionnaire file, in TOML
cli-questionnaire-preview-about = Walk a questionnaire in the terminal as the bot would show it: type a button's number, or text; q quits
cli-questionnaire-preview-arg-id-or-file = An id from the questionnaires folder, or a file
cli-questionnaire-preview-arg-lang = Language of the screens: ru or en; the command line's language by default
cli-admin-about = Invite, list and revoke administrators (and list every staff member)
cli-admin-invite-about = Print a one-time invitation link (last line of stdout) for an administrator of a scope
cli-admin-invite-arg-school = A school name, or "municipality/school" when the name is not unique
cli-admin-invite-arg-municipality = A municipality
cli-admin-invite-arg-region = The whole region
cli-admin-invite-arg-expires-in = How long the invitation stays valid: 7d, 48h, 90m; 7d by default
cli-admin-list-about = List staff members and invitations
cli-admin-revoke-about = Revoke a staff member (by the number anketa admin list shows) or an unused invitation (by its link or code)
cli-admin-revoke-arg-id = A staff member's number, or an invitation's link or code
cli-teacher-about = Invite class teachers
cli-teacher-invite-about = Print a one-time invitation link (last line of stdout) for a class teacher
cli-teacher-invite-arg-school = A school name, or "municipality/school" when the name is not unique
cli-teacher-invite-arg-class = The class, e.g. 5А
cli-teacher-invite-arg-expires-in = How long the invitation stays valid: 7d, 48h, 90m; 7d by default
cli-db-about = Database maintenance
cli-db-migrate-about = Create the database if needed and apply pending migrations (anketa run does this too)
cli-db-copy-about = Copy every row into a new, empty database, e.g. from sqlite://anketa.db to postgres://…
cli-db-copy-arg-from = The database to copy from
cli-db-copy-arg-to = The new, empty database
cli-digest-about = Daily participation digests
cli-digest-send-about = Send today's digests now (to those who have not had today's yet)
cli-digest-send-arg-school = A school name, or "municipality/school"
cli-digest-send-arg-municipality = A municipality
cli-digest-preview-about = Print the digest a school's administrators get today, without sending it
cli-digest-preview-arg-school = A school name, or "municipality/school"
cli-key-about = The identity key
cli-key-generate-about = Print a new identity key (32 random bytes as hex) for ANKETA_IDENTITY_KEY or the key file: (umask 077; anketa key generate > identity.key)

## --help: the placeholders of values (cli-value-<argument>)
cli-value-config = FILE
cli-value-campaign = CAMPAIGN
cli-value-format = FORMAT
cli-value-out = PATH
cli-value-expert = FILE
cli-value-file = FILE
cli-value-name = NAME
cli-value-questionnaires = QUESTIONNAIRE
cli-value-grades = QUESTIONNAIRE=GRADES
cli-value-starts = DATE
cli-value-ends = DATE
cli-value-target-percent = PERCENT
cli-value-school = SCHOOL
cli-value-municipality = MUNICIPALITY
cli-value-class = CLASS
cli-value-expires-in = DURATION
cli-value-id = ID
cli-value-from = URL
cli-value-to = URL
cli-value-id-or-file = QUESTIONNAIRE
cli-value-lang = LANGUAGE

## Added with roster import --dry-run/--remove-missing and campaign rename/delete
cli-roster-import-arg-remove-missing = Also remove the classes the file lacks (where nobody has answered and no staff or invitation refers to them)
cli-roster-import-arg-dry-run = Only check the file and show what would change
cli-campaign-rename-about = Rename a campaign nobody has answered yet
cli-campaign-rename-arg-name = The campaign's name
cli-campaign-rename-arg-new-name = The new name
cli-campaign-delete-about = Delete a campaign nobody has answered yet, with its links and digest records
cli-campaign-delete-arg-name = The campaign's name
cli-value-new-name = NAME

## The expert file's refusals
failure-expert-not-utf8 = the file is not UTF-8 text (in Excel choose «CSV UTF-8» when saving)
failure-expert-empty = the file is empty
failure-expert-no-rows = the file has a header but no schools
failure-expert-missing-column = the header row has no "{ $column }" column (needed: municipality, school, p_inf, p_dist, p_komf_usl, p_org_dost, p_uslug_dost, or their Russian names)
failure-expert-row = line { $line }: { $problem }
failure-expert-unreadable = cannot be read as CSV ({ $detail })
failure-expert-missing = the { $column } is missing
failure-expert-not-points = { $column } must be a number from 0 to 100, got "{ $got }"
failure-expert-twice = school "{ $school }" of "{ $municipality }" is already listed on line { $first }
