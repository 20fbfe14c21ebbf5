# Respondent screens (parents and students).

## Welcome
survey-welcome = Hello! This survey is for the school “{ $school }”, class { $class }.
survey-anonymity = Your answers are anonymous. Only the answers, the school, the class, who is answering (parent or student) and the date are stored. Not stored: your name, phone number, Telegram account or the exact time. So that everyone answers once, the bot keeps a mark computed from your account with a secret key; it cannot tell who you are and cannot be linked to your answers. While the survey is unfinished, the bot keeps your chat number with it, encrypted, to remind you once; the unfinished answers and it are deleted as soon as you submit or decline.
survey-begin-button = Start
survey-choose-audience = Who is answering?
survey-audience-parent = Parent (legal representative)
survey-audience-student = Student aged 14 or older

## Questions
survey-progress = Question { $number } of { $total }
survey-yes = Yes
survey-no = No
survey-hint-multiple = Tick { $min } to { $max } options, then press “Done”.
survey-hint-rating = { $min } — { $low }, { $max } — { $high }.
survey-hint-text = Write your answer in one message (at most { $max } characters).
survey-hint-text-optional = Write your answer in one message (at most { $max } characters) or press “Skip”.
survey-previous-text = Your answer: “{ $text }”. Send a new text to replace it.
survey-done-button = Done
survey-skip-button = Skip
survey-back-button = ← Back

## Review and submit
survey-review-title = Please check your answers:
survey-review-hint = To change an answer, press “Back”. If everything is right, submit.
survey-submit-button = ✅ Submit answers
survey-thanks = Thank you! Your answers are saved anonymously.
survey-class-count = In class { $class } so far: { $shares }.
survey-already-answered = You have already answered this survey for the school “{ $school }”. Thank you! A second answer is not accepted. If your children go to another school, open a class link of that school.
survey-class-not-asked = This class is not surveyed: the campaign asks other grades. If the link reached you by mistake, ask the class teacher for your class's link.
survey-already-saved = Your answers are already saved. Thank you!

## Coming back
survey-resume-same = You have an unfinished survey for the school “{ $school }”. Continue where you stopped, or start over?
survey-resume-other = You have an unfinished survey for the school “{ $old_school }”. Continue it, or start the survey for the school “{ $school }”? The unfinished answers would then be deleted.
survey-continue-button = Continue
survey-start-over-button = Start over
survey-start-here-button = Start for “{ $school }”
survey-cancelled = Your unfinished answers are deleted. To take the survey, open your class link again.
survey-nothing-to-cancel = Nothing to cancel: there is no unfinished survey.

## Links and dates
survey-link-invalid = This link is not valid. Please ask your class teacher for the current link or QR code.
survey-campaign-closed = This survey is closed and no longer accepts answers. Thank you for wanting to help!
survey-campaign-not-started = The survey starts on { $date }. Please open the link again on that day.
survey-campaign-ended = The survey ended on { $date } and no longer accepts answers.
survey-no-draft = To take the survey, open the link or scan the QR code your class teacher sent. Help: /help

## Unexpected input
survey-stale-button = This button is from an older screen. Please answer the current question.
survey-forged-button = This button does not work.
survey-no-survey-button = This survey has already been submitted or cancelled.
survey-not-expected = This button does nothing right now.
survey-audience-not-asked = This questionnaire is not asked in this class: the class link opens only the questionnaires of its grade.
survey-use-buttons = Please answer with the buttons under the question.
survey-slow-down = Please slow down… I answer messages one at a time: wait a moment, then go on.
survey-text-expected = Please write your answer as a message.
survey-empty-text = The answer is empty. Please write at least a few words.
survey-text-too-long = The answer is too long: { $got } characters, at most { $max } are accepted. Please shorten it and send it again.
survey-too-few = { $min ->
        [one] Please tick at least { $min } option.
       *[other] Please tick at least { $min } options.
    }
survey-too-many = { $max ->
        [one] You can tick at most { $max } option.
       *[other] You can tick at most { $max } options.
    }
survey-unsupported-message = I understand only text and button presses.
survey-error = Something went wrong. Please try again in a minute — the answers you gave are saved.

## Help and commands
survey-help = This bot runs an anonymous survey of parents and students about the conditions of education at school.

    • Open the link or QR code your class teacher sent and answer with the buttons.
    • You can stop at any time: your answers are kept and you continue where you left off.
    • /start — continue or start over
    • /cancel — delete your unfinished answers
    • /help — this help

    Answers are anonymous: your name and Telegram account are not stored with them.
survey-command-start = Start or continue the survey
survey-command-cancel = Delete unfinished answers
survey-command-help = Help

# The one reminder of an unfinished survey (sent once, after survey.remind_after).
survey-reminder-progress = { $answered ->
    [0] You opened the questionnaire “{ $title }” for the school “{ $school }” but have not answered any of its { $total } { $total ->
        [one] question
       *[other] questions
    } yet.
   *[other] You have answered { $answered } of { $total } { $total ->
        [one] question
       *[other] questions
    } of the questionnaire “{ $title }” for the school “{ $school }”.
}
survey-reminder-review = You have answered every question of the questionnaire “{ $title }” for the school “{ $school }” but have not sent your answers yet.
survey-reminder-welcome = You opened the survey for the school “{ $school }” but have not started it yet.
survey-reminder-footer = Continue where you stopped: it takes a few minutes. If you would rather not, press “No, thanks” and your unfinished answers are deleted. There will be no further reminders.
survey-reminder-decline-button = No, thanks
survey-reminder-declined = All right. Your unfinished answers are deleted; nothing of them is kept. If you change your mind, open your class link again.
