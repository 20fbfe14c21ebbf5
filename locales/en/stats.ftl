# /stats: tapped down region → municipality → school → class, or a place named by typing.
stats-region = The whole region
stats-school-label = { $school } ({ $municipality })
stats-class-label = { $class } — { $school }
stats-back = « Back
stats-page = Page { $page } of { $pages }: ‹ › turn the pages.
stats-several = Several places are called “{ $typed }”. Choose one:
stats-did-you-mean = “{ $typed }” was not found. Did you mean…
stats-no-such-place = “{ $typed }” was not found in your area. Send /stats without a name and choose with the buttons.
stats-not-found = Your place is no longer in the roster. Ask the person who invited you.
stats-gone = There is no such place. Send /stats to start again.
