-- Who sent each invitation: the staff member who made it in the bot (`/invite`), or nobody for
-- one made on the command line. A staff row is traced to its inviter through its invitation
-- (`staff.invitation_code`). No foreign key: staff rows point at invitations already, and a
-- reference back would make the two tables depend on each other (`db copy` writes invitations
-- before staff).
ALTER TABLE invitations ADD COLUMN invited_by BIGINT;
CREATE INDEX invitations_by_inviter ON invitations (invited_by) WHERE invited_by IS NOT NULL;
