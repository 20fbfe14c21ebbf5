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

# Renaming and deleting a campaign nobody has answered: /campaigns and anketa campaign rename|delete.
campaign-edit-button-rename = Rename
campaign-edit-button-delete = Delete
campaign-edit-button-yes-rename = Yes, rename
campaign-edit-button-yes-delete = Yes, delete
campaign-edit-ask-name = What should the campaign “{ $name }” be called now? Type the new name. (/cancel to stop)
campaign-edit-confirm-rename = Rename the campaign “{ $name }” to “{ $new }”? Posters already printed keep the old name; their links keep working.
campaign-edit-confirm-delete = Delete the campaign “{ $name }”? Nobody has answered it; its links and posters will stop working. This cannot be undone.
campaign-edit-renamed = The campaign “{ $name }” is now called “{ $new }”.
campaign-edit-deleted = The campaign “{ $name }” is deleted, with its links.
campaign-edit-not-found = There is no campaign “{ $name }”. The campaigns: /campaigns or anketa campaign list.
campaign-edit-answered = The campaign “{ $name }” has responses, so it can be neither renamed nor deleted. It can be closed.
campaign-edit-name-taken = A campaign “{ $name }” already exists. Choose another name.
campaign-edit-name-invalid = The name must not be empty or longer than { $max } characters.
campaign-edit-failed = It did not work: { $reason }
