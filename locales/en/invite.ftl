# /invite and /team: invitations down the hierarchy and revoking access.
invite-command-invite = Invite a staff member
invite-command-team = My team: whom I invited, revoke access
invite-choose-municipality = Whom to invite? Choose a municipality: an invitation for its administrator will be ready. Page { $page } of { $pages }.
invite-choose-school = Whom to invite? Choose a school: an invitation for its administrator will be ready. Page { $page } of { $pages }.
invite-choose-class = Whom to invite? Choose a class: an invitation for its class teacher will be ready. Page { $page } of { $pages }.
invite-no-places = There is nowhere to invite to yet: the roster has no place in your area.
invite-close = Close
invite-closed = Closed. To invite someone else: /invite
invite-teacher = Class teachers do not invite staff: the school administrator invites them.
invite-not-allowed = Only administrators can do this.
invite-place-not-yours = This place is not in your area: no invitation was created.
invite-message = An invitation to the НОКО survey bot.
    Role: { $role } — { $place }.
    To begin, open the link in Telegram: { $url }
    The link works once and is valid until { $until }.
invite-forward-hint = Forward the message above to the person who will work in this place: only one person can join with the link. An unused invitation can be revoked in /team.
invite-created = The invitation is ready
invite-team-empty = You have not invited anyone yet and have no open invitations. To invite: /invite
invite-team-header = Your team: the people you invited (page { $page } of { $pages }):
invite-team-person = { $number }. { $name } — { $role }: { $place }
invite-team-invitation = { $number }. Invitation not accepted yet: { $role } — { $place }, valid until { $until }
invite-team-invitation-short = invitation
invite-revoke-button = Revoke { $number }: { $who }
invite-revoke-ask-staff = Revoke access? { $name } — { $role }: { $place }. Their staff commands stop working and their command menu disappears.
invite-revoke-ask-invitation = Revoke the invitation? { $role } — { $place }. The link stops working.
invite-revoke-yes = Yes, revoke
invite-revoke-no = Cancel
invite-revoked-staff = Access revoked: { $name } — { $role }: { $place }. They have been told.
invite-revoked-invitation = Invitation revoked: { $role } — { $place }. The link no longer works.
invite-back-to-team = Back to the list
invite-already-revoked = Access was revoked already: nothing changed.
invite-invitation-closed = This invitation was accepted, revoked or has expired already: nothing changed.
invite-not-yours = This is not in your area: nothing changed.
invite-access-ended = Hello! Your access to the survey bot has ended ({ $role }: { $scope }). Thank you for your work! If this is a mistake, please contact the person who invited you.
