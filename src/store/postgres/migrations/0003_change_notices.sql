-- Change notices: every replica keeps the tables below in memory (reads on Slack's 3-second ack
-- path cannot wait for a round trip), and learns of another replica's write from a notice on the
-- channel `spokebot_changes`, sent when that write commits.
--
-- A replica also updates its memory from the row its own write returned, so a row can reach it
-- twice, in either order. `version` orders them: every insert and update takes the next value of
-- one sequence, and a row is locked while it is changed, so a later change of a row always carries
-- a higher version than the one before it, and a replica keeps whichever copy is newer.

CREATE SEQUENCE spokebot_row_version;

CREATE FUNCTION spokebot_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := nextval('spokebot_row_version');
  RETURN NEW;
END $$;

-- Payload: {"table", "key", "version", "deleted", "row"?}. The row rides along when it fits
-- (NOTIFY payloads stop at 8000 bytes), so a replica need not read it back; otherwise it does.
-- TG_ARGV[0] names the table's key column.
CREATE FUNCTION spokebot_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
  payload jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
  payload := jsonb_build_object('table', TG_TABLE_NAME, 'key', r ->> TG_ARGV[0], 'version', r -> 'version', 'deleted', TG_OP = 'DELETE');
  IF TG_OP <> 'DELETE' AND octet_length(payload::text) + octet_length(r::text) < 7000 THEN
    payload := payload || jsonb_build_object('row', r);
  END IF;
  PERFORM pg_notify('spokebot_changes', payload::text);
  RETURN NULL;
END $$;

DO $$
DECLARE
  cached text[][] := ARRAY[
    ['setups', 'id'],
    ['connections', 'name'],
    ['health', 'name'],
    ['requests', 'id'],
    ['rotations', 'id'],
    ['reminders', 'key'],
    ['home_opens', 'user_id'],
    ['undelivered_notices', 'key'],
    ['report_refusals', 'connection']
  ];
  t text[];
BEGIN
  FOREACH t SLICE 1 IN ARRAY cached LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN version bigint NOT NULL DEFAULT nextval(%L)', t[1], 'spokebot_row_version');
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION spokebot_next_version()', t[1] || '_version', t[1]);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION spokebot_notify_change(%L)', t[1] || '_notify', t[1], t[2]);
  END LOOP;
END $$;
