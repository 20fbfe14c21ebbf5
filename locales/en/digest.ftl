# Daily participation digest.
digest-header = 📊 “{ $name }” — { $scope }, as of { $date }
digest-final-header = 🏁 The survey “{ $name }” has ended — { $scope }, outcome as of { $date }
digest-total-reached = In all: { $shares } — target of { $target }% reached ✅
digest-total-below = In all: { $shares } — below the target of { $target }%
digest-days-left = { $days ->
        [one] { $days } day left.
       *[other] { $days } days left.
    }
digest-last-day = Today is the survey's last day.
digest-lowest = The five classes with the lowest participation:
digest-final-footer = Thank you all for your help! There will be no more digests for this survey.
digest-teacher = “{ $name }”, your class: { $line } (target { $target }%)
digest-teacher-on = Fine: every morning you will get a line about your class. To stop: /digest off
digest-teacher-off = The daily line about your class is off. To turn it on: /digest on
digest-teacher-usage = Send /digest on to get a line about your class every morning, or /digest off to stop it.
# Appended to digest-teacher, only from privacy.min_group_size unfinished drafts of the class.
digest-teacher-unfinished = Started the survey and not finished yet: { $count }
