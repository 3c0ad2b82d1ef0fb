-- Sessions carry their member's epoch; a session of an older epoch is refused. The
-- database advances it on every change that must end a person's sessions, whatever
-- path made the change (the org document, a console form, the Anthropic mirror):
-- removal, re-adding and a role change. Signing out advances it too (in code).
ALTER TABLE "Member" ADD COLUMN "sessionEpoch" INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION member_session_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."role" IS DISTINCT FROM OLD."role" OR NEW."removedAt" IS DISTINCT FROM OLD."removedAt" THEN
    NEW."sessionEpoch" := OLD."sessionEpoch" + 1;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "Member_session_epoch" BEFORE UPDATE ON "Member"
  FOR EACH ROW EXECUTE FUNCTION member_session_epoch();
